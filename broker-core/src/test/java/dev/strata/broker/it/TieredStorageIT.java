package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tiered storage end to end on one broker with the filesystem backend: a topic with {@code remote.storage.enable=true},
 * small segments and a tiny local retention is written with the real producer; its sealed segments are copied to the
 * remote directory and deleted locally; a consumer from offset 0 then reads every record, in order and byte for byte,
 * across both tiers; ListOffsets answers earliest, earliest-local, latest-tiered and timestamps in either tier;
 * deleting the topic deletes its remote data. A topic without remote storage on the same broker keeps its data.
 */
class TieredStorageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int RECORDS = 5_000;
    private static final int VALUE_BYTES = 1_000;
    private static final Path REMOTE_DIR = Tiering.tempDir();
    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Tiering.tieringBroker(
            REMOTE_DIR, "remote.log.chunk.size", "262144", "remote.log.chunk.cache.memory.bytes", "16777216"));

    @AfterAll
    static void deleteRemoteDir() {
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void recordsAreReadBackAcrossBothTiersAndDeletedWithTheTopic() throws Exception {
        String topic = "tiered";
        broker.createTopic(
                topic,
                1,
                Map.of(
                        "remote.storage.enable",
                        "true",
                        TopicConfig.SEGMENT_BYTES_CONFIG,
                        "65536",
                        "local.retention.bytes",
                        "1"));
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                String value = value(i);
                values.add(value);
                producer.send(new ProducerRecord<>(topic, null, BASE_TIMESTAMP + i, "key-" + i, value));
            }
            producer.flush();
        }

        try (Admin admin = broker.admin()) {
            Await.until(
                    TIMEOUT,
                    "remote segments and a raised local log start offset",
                    () -> remoteLogFiles(topic) > 2 && offset(admin, tp, OffsetSpec.earliestLocal()) > 0);
            // every sealed segment copied, then deleted locally: only the active segment stays
            Await.until(TIMEOUT, "the local log to shrink to its active segment", () -> localLogFiles(topic) == 1);
            assertThat(remoteLogFiles(topic)).isGreaterThan(2);
            long localStart = offset(admin, tp, OffsetSpec.earliestLocal());
            assertThat(localStart).isPositive();
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isZero();
            assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(localStart - 1);
            assertThat(offset(admin, tp, OffsetSpec.latest())).isEqualTo(RECORDS);
            // by timestamp: into the remote tier, and into the local log
            assertThat(offset(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + 123)))
                    .isEqualTo(123);
            assertThat(offset(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + RECORDS - 1)))
                    .isEqualTo(RECORDS - 1);
            assertThat(offset(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + RECORDS)))
                    .isEqualTo(-1);

            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                List<ConsumerRecord<String, String>> records = Await.records(consumer, RECORDS, TIMEOUT);
                assertThat(records).hasSize(RECORDS);
                for (int i = 0; i < RECORDS; i++) {
                    ConsumerRecord<String, String> record = records.get(i);
                    assertThat(record.offset()).isEqualTo(i);
                    assertThat(record.key()).isEqualTo("key-" + i);
                    assertThat(record.value()).isEqualTo(values.get(i));
                    assertThat(record.timestamp()).isEqualTo(BASE_TIMESTAMP + i);
                }
            }

            admin.deleteTopics(List.of(topic)).all().get();
            Await.until(TIMEOUT, "the remote segments of the deleted topic to go", () -> remoteLogFiles(topic) == 0);
        }
    }

    @Test
    void aTopicWithoutRemoteStorageKeepsItsDataLocally() throws Exception {
        String topic = "not-tiered";
        broker.createTopic(topic, 1, Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, "65536", "local.retention.bytes", "1"));
        TopicPartition tp = new TopicPartition(topic, 0);
        int count = 500;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, value(i)));
            }
            producer.flush();
        }
        try (Admin admin = broker.admin();
                KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, count, TIMEOUT);
            assertThat(records).hasSize(count);
            assertThat(records.get(count - 1).value()).isEqualTo(value(count - 1));
            assertThat(localLogFiles(topic)).isGreaterThan(1);
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isZero();
            assertThat(offset(admin, tp, OffsetSpec.earliestLocal())).isZero();
            assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(-1);
        }
        assertThat(remoteLogFiles(topic)).isZero();
    }

    private static String value(int i) {
        return Tiering.value(i, VALUE_BYTES);
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        return Tiering.offset(admin, tp, spec);
    }

    private static long remoteLogFiles(String topic) {
        return Tiering.remoteLogFiles(REMOTE_DIR, topic);
    }

    private static long localLogFiles(String topic) {
        return Tiering.localLogFiles(broker.logDir(), new TopicPartition(topic, 0));
    }
}
