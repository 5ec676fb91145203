package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * librdkafka (through kcat) against Strata: it negotiates older API versions than kafka-clients 4.x, so this proves
 * those versions. Skipped where kcat is not installed; {@code .ci/run} installs it.
 */
class KcatIT {
    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of("group.initial.rebalance.delay.ms", "0"));

    @BeforeAll
    static void kcatIsInstalled() {
        Assumptions.assumeTrue(run(List.of("kcat", "-V"), "", 10).exitCode == 0, "kcat is not installed");
    }

    private record Result(int exitCode, String out) {}

    private static Result run(List<String> command, String stdin, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-2, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-3, "interrupted");
        }
    }

    private static List<String> kcat(String... args) {
        List<String> command = new ArrayList<>(List.of("kcat", "-b", broker.bootstrapServers()));
        command.addAll(List.of(args));
        return command;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void kcatProducesWithEveryCodecAndJavaReadsIt(String codec) {
        String topic = "kcat-" + codec;
        Result produced =
                run(kcat("-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec), "k1:one\nk2:two\nk3:three\n", 30);
        assertThat(produced.exitCode()).as("kcat -P").isZero();
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 3, Duration.ofSeconds(30));
            assertThat(records).extracting(ConsumerRecord::key).containsExactly("k1", "k2", "k3");
            assertThat(records).extracting(ConsumerRecord::value).containsExactly("one", "two", "three");
        }
    }

    @Test
    void kcatReadsWhatJavaWroteAndConsumesInAGroupThatCommits() throws Exception {
        String topic = "kcat-group";
        broker.createTopic(topic, 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "v" + i))
                        .get();
            }
        }
        Result plain = run(kcat("-C", "-t", topic, "-o", "beginning", "-e", "-f", "%s\\n"), "", 60);
        assertThat(plain.exitCode()).as("kcat -C").isZero();
        assertThat(plain.out().lines().toList()).hasSize(10);

        Result group = run(kcat("-G", "kcat-group-1", "-o", "beginning", "-e", "-f", "%s\\n", topic), "", 90);
        assertThat(group.exitCode()).as("kcat -G").isZero();
        assertThat(group.out().lines().toList())
                .containsExactlyInAnyOrder("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        try (Admin admin = broker.admin()) {
            Await.until(Duration.ofSeconds(30), "kcat's commits to be visible", () -> {
                try {
                    var offsets = admin.listConsumerGroupOffsets("kcat-group-1")
                            .partitionsToOffsetAndMetadata()
                            .get(10, TimeUnit.SECONDS);
                    return offsets.values().stream().mapToLong(o -> o.offset()).sum() == 10;
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    @Test
    void kcatListsMetadata() {
        broker.createTopic("kcat-meta", 3, Map.of());
        Result metadata = run(kcat("-L", "-t", "kcat-meta"), "", 30);
        assertThat(metadata.exitCode()).isZero();
        assertThat(metadata.out()).contains("topic \"kcat-meta\" with 3 partitions");
    }
}
