package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's config slip must not cost history. A broker holding a tiered topic is restarted once with a
 * {@code server.properties} that lacks the tiering lines: it refuses to start, naming the topic and the missing
 * setting, as Apache Kafka does, and leaves the log start offset where it was. Started again with the tiering lines
 * back, it serves every record from offset 0 and every remote segment is still there.
 */
class ConfigSlipIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 3_000;
    private static final int VALUE_BYTES = 1_000;
    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;

    @TempDir
    Path dir;

    @Test
    void aRestartWithoutTheTieringLinesIsRefusedAndTheHistoryStays() throws Exception {
        Path logDir = dir.resolve("data");
        Path remoteDir = dir.resolve("remote");
        Map<String, String> untiered = new HashMap<>(Map.of(
                BrokerConfig.LISTENERS,
                "PLAINTEXT://127.0.0.1:0",
                BrokerConfig.LOG_DIRS,
                logDir.toString(),
                BrokerConfig.NODE_ID,
                "1",
                "log.retention.check.interval.ms",
                "200"));
        Map<String, String> tiered = new HashMap<>(untiered);
        tiered.putAll(Map.of(
                "remote.log.storage.system.enable", "true",
                "rsm.config.dir", remoteDir.toString(),
                "remote.log.manager.task.interval.ms", "200"));
        String topic = "history";
        TopicPartition tp = new TopicPartition(topic, 0);

        long remoteSegments;
        try (StrataServer server = StrataServer.start(BrokerConfig.of(tiered));
                Admin admin = admin(server)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Tiering.tieredTopic(65_536))))
                    .all()
                    .get();
            try (KafkaProducer<String, String> producer = producer(server)) {
                Tiering.produce(producer, topic, 0, RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
            }
            Tiering.awaitTiered(admin, logDir, tp, TIMEOUT);
            remoteSegments = Tiering.remoteLogFiles(remoteDir, topic);
            assertThat(remoteSegments).isGreaterThan(10);
        }

        assertThatThrownBy(() -> StrataServer.start(BrokerConfig.of(untiered)).close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining("remote.storage.enable=true")
                .hasMessageContaining("remote.log.storage.system.enable");

        try (StrataServer server = StrataServer.start(BrokerConfig.of(tiered));
                Admin admin = admin(server)) {
            // the remote tier's contents and the partition's log start offset are as they were
            assertThat(Tiering.remoteLogFiles(remoteDir, topic)).isEqualTo(remoteSegments);
            assertThat(Tiering.offset(admin, tp, OffsetSpec.earliest())).isZero();
            try (KafkaConsumer<String, String> consumer = consumer(server)) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                List<ConsumerRecord<String, String>> records = Await.records(consumer, RECORDS, TIMEOUT);
                assertThat(records).hasSize(RECORDS);
                Tiering.assertRecords(records, 0, VALUE_BYTES, BASE_TIMESTAMP);
            }
            // a few retention rounds later nothing has been deleted either
            Await.until(TIMEOUT, "a retention round", () -> Tiering.offset(admin, tp, OffsetSpec.latest()) == RECORDS);
            assertThat(Tiering.remoteLogFiles(remoteDir, topic)).isEqualTo(remoteSegments);
        }
    }

    private static Admin admin(StrataServer server) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port());
        return Admin.create(props);
    }

    private static KafkaProducer<String, String> producer(StrataServer server) {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + server.port(),
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.LINGER_MS_CONFIG,
                        5),
                new StringSerializer(),
                new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(StrataServer server) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + server.port(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new StringDeserializer());
    }
}
