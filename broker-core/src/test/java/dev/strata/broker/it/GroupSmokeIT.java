package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One subscribed consumer in a classic group reads a topic, commits, and resumes there after a broker restart. */
class GroupSmokeIT {
    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of("group.initial.rebalance.delay.ms", "0"));

    private static Map<String, Object> group(String id) {
        return Map.of(
                ConsumerConfig.GROUP_ID_CONFIG,
                id,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG,
                "classic",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false);
    }

    private static List<String> pollUntil(KafkaConsumer<String, String> consumer, int count) {
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (values.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                values.add(r.value());
            }
        }
        return values;
    }

    @Test
    void aSubscribedConsumerCommitsAndResumesAfterARestart() throws Exception {
        broker.createTopic("smoke", 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("smoke", i % 2, "k", "v" + i))
                        .get();
            }
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer(group("g1"))) {
            consumer.subscribe(List.of("smoke"));
            assertThat(pollUntil(consumer, 20)).hasSize(20);
            consumer.commitSync();
            assertThat(consumer.committed(java.util.Set.of(new TopicPartition("smoke", 0))))
                    .containsEntry(
                            new TopicPartition("smoke", 0), new OffsetAndMetadata(10, java.util.Optional.of(0), ""));
        }
        broker.restart();
        try (KafkaProducer<String, String> producer = broker.producer()) {
            producer.send(new ProducerRecord<>("smoke", 0, "k", "after")).get();
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer(group("g1"))) {
            consumer.subscribe(List.of("smoke"));
            assertThat(pollUntil(consumer, 1)).containsExactly("after");
        }
    }

    @Test
    void clientsCannotWriteToTheInternalOffsetsTopic() throws Exception {
        // a group's first FindCoordinator creates the offsets topic
        try (KafkaConsumer<String, String> consumer = broker.consumer(group("creates-the-offsets-topic"));
                org.apache.kafka.clients.admin.Admin admin = broker.admin()) {
            consumer.subscribe(List.of("smoke-internal"));
            dev.strata.testing.Await.until(Duration.ofSeconds(30), "the offsets topic", () -> {
                consumer.poll(Duration.ofMillis(100));
                try {
                    return admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true))
                            .names()
                            .get()
                            .contains("__consumer_offsets");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        }
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                5000,
                org.apache.kafka.clients.producer.ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                4000))) {
            var send = producer.send(new ProducerRecord<>("__consumer_offsets", 0, "k", "garbage"));
            org.assertj.core.api.Assertions.assertThatThrownBy(send::get)
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidTopicException.class);
        }
    }
}
