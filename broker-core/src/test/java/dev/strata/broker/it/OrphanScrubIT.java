package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.tiering.TierScrubCommand;
import dev.strata.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Objects in the remote tier that no index knows are found and reported by the broker's scrub (a WARN and a metric)
 * and left alone; {@code bin/strata tier scrub} against the stopped broker lists them, and deletes them, and nothing
 * else, only with {@code --delete}.
 */
class OrphanScrubIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 2_000;
    private static final int VALUE_BYTES = 1_000;
    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;
    private static final Path REMOTE_DIR = Tiering.tempDir();

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Tiering.tieringBroker(
            REMOTE_DIR, "remote.log.orphan.scrub.interval.ms", "500", "metrics.prometheus.listener", "127.0.0.1:0"));

    private final HttpClient http = HttpClient.newHttpClient();

    @AfterAll
    static void deleteRemoteDir() {
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void orphansAreReportedAndDeletedOnlyByTheExplicitCommand() throws Exception {
        String topic = "scrubbed";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, Tiering.tieredTopic(256 * 1024));
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
        }
        Path partitionDir;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            partitionDir = REMOTE_DIR
                    .resolve(topic + "-" + Tiering.topicId(admin, topic))
                    .resolve("0");
        }
        // an orphan: the files of a segment under an id the index does not know, as a lost deletion record leaves
        List<Path> known = files(partitionDir);
        String firstBase = known.get(0).getFileName().toString().substring(0, 43);
        String orphanBase = firstBase.substring(0, 21) + Uuid.randomUuid();
        List<Path> orphans = new ArrayList<>();
        for (Path file : known) {
            String name = file.getFileName().toString();
            if (name.startsWith(firstBase)) {
                Path orphan = partitionDir.resolve(orphanBase + name.substring(43));
                Files.copy(file, orphan);
                orphans.add(orphan);
            }
        }
        Path foreign = REMOTE_DIR.resolve("README.txt");
        Files.writeString(foreign, "an operator's note");

        Await.until(TIMEOUT, "the broker's scrub to count the orphans", () -> scrape().contains(
                        "strata_remote_orphan_objects " + orphans.size() + ".0"));
        assertThat(orphans).allMatch(Files::exists);

        broker.stop();
        Path config = writeConfig();
        String report = command(config.toString());
        assertThat(report)
                .contains(orphans.size() + " orphaned objects")
                .contains("orphan " + topic)
                .contains("foreign README.txt (kept)")
                .contains("run again with --delete");
        assertThat(orphans).allMatch(Files::exists);

        assertThat(command("--delete", config.toString())).contains("Deleted " + orphans.size() + " orphaned objects");
        assertThat(orphans).noneMatch(Files::exists);
        assertThat(foreign).exists();
        assertThat(files(partitionDir)).containsExactlyElementsOf(known);

        broker.start();
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            Await.until(TIMEOUT, "every record from offset 0", () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= RECORDS;
            });
            Tiering.assertRecords(records, 0, VALUE_BYTES, BASE_TIMESTAMP);
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    private static Path writeConfig() throws IOException {
        Properties props = new Properties();
        props.putAll(broker.config());
        Path file = Files.createTempFile("strata-scrub-", ".properties");
        try (var out = Files.newBufferedWriter(file)) {
            props.store(out, null);
        }
        return file;
    }

    private static String command(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TierScrubCommand.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as("exit status; stderr: %s", err).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private String scrape() {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + broker.metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(30))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
