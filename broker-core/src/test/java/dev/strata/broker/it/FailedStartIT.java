package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Await;
import dev.strata.testing.S3ProxyEndpoint;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose start fails part way fails with an exception that says why, and leaves nothing behind: no thread of
 * its own runs on, and its log dir, lock and remote index included, can be opened by the next broker in the same JVM.
 */
class FailedStartIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String BUCKET = "strata-failed-start";
    private static final String KEY_PREFIX = "cluster-1/";

    @TempDir
    Path dir;

    @Test
    void aBrokerThatCannotListItsBucketToRebuildItsEmptyRemoteIndexFailsAndLeavesItsLogDirToTheNext() throws Exception {
        Path logDir = dir.resolve("data");
        try (S3ProxyEndpoint proxy = S3ProxyEndpoint.onDisk(dir.resolve("blobs"))) {
            TieredBucket bucket =
                    new TieredBucket(proxy.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY, BUCKET);
            bucket.create();
            Map<String, String> config = brokerConfig(logDir, 0);
            config.putAll(bucket.brokerSettings(KEY_PREFIX));
            config.put("rsm.config.s3.retry.max.attempts", "2");
            config.put("rsm.config.s3.retry.backoff.base.ms", "50");
            config.put("rsm.config.s3.retry.backoff.max.ms", "200");
            proxy.stop();

            Set<Thread> before = brokerThreads();
            assertThatThrownBy(() -> StrataServer.start(BrokerConfig.of(config)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Rebuilding the remote index in " + logDir)
                    .hasMessageContaining("the next start resumes it")
                    .hasMessageContaining("List of s3://" + BUCKET + "/" + KEY_PREFIX + " failed")
                    .hasMessageContaining("Connection refused");
            awaitNoThreadsStartedSince(before);

            proxy.start();
            try (StrataServer server = StrataServer.start(BrokerConfig.of(config))) {
                assertRoundTrip(server, "after-a-failed-rebuild");
            }
        }
    }

    @Test
    void aBrokerWhoseListenerPortIsTakenFailsAfterOpeningEverythingElseAndLeavesItsLogDirToTheNext() throws Exception {
        Path logDir = dir.resolve("data");
        Map<String, String> tiered = Map.of(
                "remote.log.storage.system.enable", "true",
                "rsm.config.dir", dir.resolve("remote").toString(),
                "metrics.prometheus.listener", "127.0.0.1:0");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, String> config = brokerConfig(logDir, taken.getLocalPort());
            config.putAll(tiered);

            Set<Thread> before = brokerThreads();
            assertThatThrownBy(() -> StrataServer.start(BrokerConfig.of(config)))
                    .isInstanceOf(BindException.class);
            awaitNoThreadsStartedSince(before);
        }

        Map<String, String> config = brokerConfig(logDir, 0);
        config.putAll(tiered);
        try (StrataServer server = StrataServer.start(BrokerConfig.of(config))) {
            assertRoundTrip(server, "after-a-failed-bind");
        }
    }

    private static Map<String, String> brokerConfig(Path logDir, int port) {
        Map<String, String> config = new HashMap<>();
        config.put(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:" + port);
        config.put(BrokerConfig.LOG_DIRS, logDir.toString());
        config.put(BrokerConfig.NODE_ID, "1");
        return config;
    }

    /** The live threads that Strata names: its pools, event loops, log cleaners and remote log tasks. */
    private static Set<Thread> brokerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("strata-")
                        || thread.getName().startsWith("remote-log-task-"))
                .collect(Collectors.toSet());
    }

    private static void awaitNoThreadsStartedSince(Set<Thread> before) {
        Await.until(TIMEOUT, "the threads of the failed start to end", () -> {
            Set<Thread> started = brokerThreads();
            started.removeAll(before);
            return started.isEmpty();
        });
    }

    /** Creates a topic, writes one record to it and reads it back. */
    private static void assertRoundTrip(StrataServer server, String topic) throws Exception {
        String bootstrap = "127.0.0.1:" + server.port();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "key", "value")).get();
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 1, TIMEOUT);
            assertThat(records).extracting(ConsumerRecord::value).containsExactly("value");
        }
    }
}
