package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves that a clean shutdown loses nothing: a new broker started on the same log directory serves every record
 * (across several segments) at its offset, keeps topic ids, partition counts, topic configs and the log start offset
 * moved by DeleteRecords, answers time lookups, and continues each partition's offsets where they stopped.
 */
class RestartIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    final TestBroker broker = TestBroker.create();

    @Test
    void restartedBrokerServesEveryRecordAndKeepsTopicIdsAndConfigs() throws Exception {
        String topic = "durable";
        // Small segments, so the data spans several segments and the restart must load each one.
        Map<String, String> configs = Map.of("segment.bytes", "16384", "retention.ms", "123456789");
        broker.createTopic(topic, 3, configs);
        List<TopicPartition> partitions = ProduceConsumeIT.partitions(topic, 3);
        long firstTimestamp = System.currentTimeMillis() - 60_000L;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>(topic, i % 3, firstTimestamp + i, "k" + i, value(i)));
            }
            producer.flush();
        }
        TopicDescription before;
        Map<String, String> configsBefore;
        try (Admin admin = broker.admin()) {
            before = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            configsBefore = dynamicConfigs(admin, topic);
        }
        assertThat(configsBefore).containsAllEntriesOf(configs);

        broker.restart();

        try (Admin admin = broker.admin()) {
            TopicDescription after =
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            assertThat(after.topicId()).isEqualTo(before.topicId()).isNotEqualTo(Uuid.ZERO_UUID);
            assertThat(after.partitions()).hasSize(3);
            assertThat(dynamicConfigs(admin, topic)).isEqualTo(configsBefore);
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(partitions);
            assertThat(consumer.endOffsets(partitions))
                    .allSatisfy((tp, end) -> assertThat(end).isEqualTo(100L));
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 300, TIMEOUT);
            for (TopicPartition tp : partitions) {
                List<ConsumerRecord<String, String>> got = records.stream()
                        .filter(r -> r.partition() == tp.partition())
                        .toList();
                assertThat(got)
                        .extracting(ConsumerRecord::offset)
                        .as("offsets of %s, in the order consumed", tp)
                        .containsExactlyElementsOf(ProduceConsumeIT.range(0, 100));
                assertThat(got)
                        .extracting(ConsumerRecord::value)
                        .as("values of %s", tp)
                        .containsExactlyElementsOf(IntStream.range(0, 300)
                                .filter(i -> i % 3 == tp.partition())
                                .mapToObj(RestartIT::value)
                                .toList());
            }
            TopicPartition p0 = partitions.get(0);
            OffsetAndTimestamp found =
                    consumer.offsetsForTimes(Map.of(p0, firstTimestamp + 150)).get(p0);
            assertThat(found).as("time lookup after restart").isNotNull();
            assertThat(found.offset()).isEqualTo(50L);
            assertThat(found.timestamp()).isEqualTo(firstTimestamp + 150);
        }
        try (KafkaProducer<String, String> producer = broker.producer()) {
            assertThat(producer.send(new ProducerRecord<>(topic, 0, "k", "after-restart"))
                            .get()
                            .offset())
                    .as("offsets continue after the restart")
                    .isEqualTo(100L);
        }
    }

    @Test
    void logStartOffsetMovedByDeleteRecordsSurvivesARestart() throws Exception {
        String topic = "trimmed";
        broker.createTopic(topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, value(i)));
            }
            producer.flush();
        }
        try (Admin admin = broker.admin()) {
            admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(20)))
                    .all()
                    .get();
        }

        broker.restart();

        try (Admin admin = broker.admin()) {
            assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.earliest()))
                            .partitionResult(tp)
                            .get()
                            .offset())
                    .isEqualTo(20L);
            assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.latest()))
                            .partitionResult(tp)
                            .get()
                            .offset())
                    .isEqualTo(50L);
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 30, TIMEOUT);
            assertThat(records.get(0).offset()).isEqualTo(20L);
            assertThat(records.get(0).value()).isEqualTo(value(20));
        }
    }

    @Test
    void aTopicWithTheLongestLegalNameIsDeletedAndTheBrokerRestarts() throws Exception {
        // 249 characters, Kafka's limit: "<topic>-<partition>" fits a file name, "<that>.<uuid>-delete" would not
        String topic = "t".repeat(249);
        String kept = "kept";
        broker.createTopic(topic, 2, Map.of());
        broker.createTopic(kept, 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            producer.send(new ProducerRecord<>(topic, 1, "k", value(1))).get();
            producer.send(new ProducerRecord<>(kept, 0, "k", value(2))).get();
        }
        try (Admin admin = broker.admin()) {
            admin.deleteTopics(List.of(topic)).all().get();
            assertThat(admin.listTopics().names().get()).containsExactly(kept);
        }

        broker.restart();

        try (Admin admin = broker.admin()) {
            assertThat(admin.listTopics().names().get()).containsExactly(kept);
            broker.createTopic(topic, 1, Map.of());
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            TopicPartition tp = new TopicPartition(kept, 0);
            consumer.assign(List.of(tp));
            assertThat(Await.records(consumer, 1, TIMEOUT).get(0).value()).isEqualTo(value(2));
        }
    }

    private static Map<String, String> dynamicConfigs(Admin admin, String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource)).all().get().get(resource).entries().stream()
                .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                .collect(java.util.stream.Collectors.toMap(ConfigEntry::name, ConfigEntry::value));
    }

    private static String value(int i) {
        return "record-" + i + "-" + "x".repeat(200);
    }
}
