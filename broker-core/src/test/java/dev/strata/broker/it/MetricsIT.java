package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint of a tiering broker (filesystem backend, metrics on a free port): a topic with small segments
 * and {@code local.retention.bytes=1} is produced to, offloaded and consumed from offset 0 out of the remote tier;
 * then a scrape over HTTP reports copies that match what the remote tier holds, remote fetches, the reads of the remote
 * log files (this backend's logs skip the chunk cache), the partition's copy lag and the Produce and Fetch requests. A listener that cannot be used stops the broker from
 * starting, with a message naming the setting.
 */
class MetricsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 2_000;
    private static final Path REMOTE_DIR = tempDir();
    private static final String TOPIC = "metered";
    private static final String PARTITION = "{partition=\"0\",topic=\"" + TOPIC + "\"}";

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "remote.log.storage.system.enable",
            "true",
            "rsm.config.dir",
            REMOTE_DIR.toString(),
            "remote.log.manager.task.interval.ms",
            "200",
            "log.retention.check.interval.ms",
            "200",
            "remote.log.chunk.size",
            "16384",
            BrokerConfig.METRICS_PROMETHEUS_LISTENER,
            "127.0.0.1:0"));

    @TempDir
    Path dir;

    @AfterAll
    static void deleteRemoteDir() {
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void aScrapeReportsTieringAndRequestsAsTheyHappened() throws Exception {
        broker.createTopic(
                TOPIC,
                1,
                Map.of(
                        "remote.storage.enable",
                        "true",
                        TopicConfig.SEGMENT_BYTES_CONFIG,
                        "65536",
                        "local.retention.bytes",
                        "1"));
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        String value = "v".repeat(1_000);
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "key-" + i, value));
            }
            producer.flush();
        }
        try (Admin admin = broker.admin()) {
            Await.until(
                    TIMEOUT,
                    "sealed segments offloaded and deleted locally",
                    () -> earliestLocalOffset(admin, tp) > 0 && localLogFiles() == 1);
        }
        // small fetches: many reads of each remote segment's log file
        try (KafkaConsumer<String, String> consumer =
                broker.consumer(Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4096))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, RECORDS, TIMEOUT);
            assertThat(records).hasSize(RECORDS);
        }

        Await.until(TIMEOUT, "the copy counters to match the remote tier and its index", () -> {
            Map<String, Double> m = scrape();
            double segments = m.getOrDefault("strata_remote_copy_segments_total", -1.0);
            double bytes = m.getOrDefault("strata_remote_copy_bytes_total", -1.0);
            return segments > 0
                    && segments == remoteLogFiles().size()
                    && bytes
                            == remoteLogFiles().stream()
                                    .mapToLong(MetricsIT::size)
                                    .sum()
                    && segments == m.getOrDefault("strata_remote_log_segments" + PARTITION, -1.0)
                    && bytes == m.getOrDefault("strata_remote_log_size_bytes" + PARTITION, -1.0);
        });
        Map<String, Double> m = scrape();
        assertThat(m.get("strata_remote_copy_errors_total")).isZero();
        assertThat(m)
                .containsKeys(
                        "strata_remote_copy_lag_bytes" + PARTITION, "strata_remote_copy_lag_segments" + PARTITION);
        assertThat(m.get("strata_remote_fetch_bytes_total")).isPositive();
        assertThat(m.get("strata_remote_fetch_requests_total")).isPositive();
        assertThat(m.get("strata_remote_fetch_errors_total")).isZero();
        assertThat(m.get("strata_remote_storage_reads_total"))
                .isGreaterThan(remoteLogFiles().size());
        assertThat(m.get("strata_remote_storage_read_bytes_total"))
                .isGreaterThanOrEqualTo(
                        remoteLogFiles().stream().mapToLong(MetricsIT::size).sum());
        assertThat(m.get("strata_remote_storage_read_errors_total")).isZero();
        // the filesystem backend's logs are read from their files (sendfile), not through the chunk cache, whose
        // metrics TieringMetricsTest covers
        assertThat(m.get("strata_remote_cache_misses_total")).isZero();
        assertThat(m.get("strata_requests_total{request=\"Produce\"}")).isPositive();
        assertThat(m.get("strata_requests_total{request=\"Fetch\"}")).isPositive();
        assertThat(m.get("strata_request_latency_seconds_count{request=\"Fetch\"}"))
                .isPositive();
        assertThat(m.get("strata_network_received_bytes_total")).isGreaterThan(RECORDS * 1_000.0);
        assertThat(m.get("strata_network_sent_bytes_total")).isGreaterThan(RECORDS * 1_000.0);
        assertThat(m.get("process_uptime_seconds")).isPositive();
        assertThat(m).containsKey("jvm_threads_live_threads");
    }

    @Test
    void aPortInUseStopsTheBrokerFromStartingAndNamesTheSetting() throws Exception {
        String taken = "127.0.0.1:" + broker.metricsPort();
        Map<String, String> config = new HashMap<>(Map.of(
                BrokerConfig.LISTENERS,
                "PLAINTEXT://127.0.0.1:0",
                BrokerConfig.LOG_DIRS,
                dir.resolve("data").toString(),
                BrokerConfig.METRICS_PROMETHEUS_LISTENER,
                taken));

        assertThatThrownBy(() -> StrataServer.start(BrokerConfig.of(config)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(BrokerConfig.METRICS_PROMETHEUS_LISTENER)
                .hasMessageContaining(taken)
                .hasMessageContaining("Address already in use");

        // the failed start released everything: the same log dir starts, here without metrics
        config.remove(BrokerConfig.METRICS_PROMETHEUS_LISTENER);
        try (StrataServer server = StrataServer.start(BrokerConfig.of(config))) {
            assertThat(server.metricsPort()).isEmpty();
        }
    }

    @Test
    void anInvalidListenerExitsWithStatusOneAndNamesTheSetting() throws Exception {
        Path config = BrokerProcess.writeConfig(
                dir.resolve("server.properties"),
                Ports.free(),
                dir.resolve("data"),
                Map.of(BrokerConfig.METRICS_PROMETHEUS_LISTENER, "127.0.0.1:metrics"));
        try (BrokerProcess process = BrokerProcess.start(dir.resolve("out.log"), config.toString())) {
            assertThat(process.awaitExit(TIMEOUT)).isEqualTo(1);
            assertThat(process.output())
                    .contains("configuration error", BrokerConfig.METRICS_PROMETHEUS_LISTENER, "host:port")
                    .doesNotContain("\tat ");
        }
    }

    private Map<String, Double> scrape() {
        return PrometheusScrape.samples(broker.metricsPort());
    }

    private static long earliestLocalOffset(Admin admin, TopicPartition tp) {
        try {
            return admin.listOffsets(Map.of(tp, OffsetSpec.earliestLocal()))
                    .partitionResult(tp)
                    .get()
                    .offset();
        } catch (Exception e) {
            throw new AssertionError("ListOffsets earliest-local failed", e);
        }
    }

    private static long localLogFiles() {
        try (Stream<Path> files = Files.list(broker.logDir().resolve(TOPIC + "-0"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .count();
        } catch (IOException | UncheckedIOException e) {
            return -1; // a segment deleted while listed: not a stable count
        }
    }

    /** The remote tier's segment logs; the filesystem backend keeps a partition's under a directory of its own. */
    private static List<Path> remoteLogFiles() {
        try (Stream<Path> files = Files.walk(REMOTE_DIR)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of(); // an upload renamed its temporary files during the walk
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("strata-metrics-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
