package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Consumer groups on the KIP-848 protocol ({@code group.protocol=consumer}): the server assigns partitions, two
 * consumers share a topic with nothing missed or read twice, and the admin client describes the group.
 */
class ConsumerProtocolIT {
    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "group.consumer.heartbeat.interval.ms", "300",
            "group.initial.rebalance.delay.ms", "0"));

    private static Map<String, Object> consumerProtocol(String group) {
        return Map.of(
                ConsumerConfig.GROUP_ID_CONFIG,
                group,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG,
                "consumer",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false);
    }

    @Test
    void twoConsumersShareATopicWithNothingMissedOrReadTwice() throws Exception {
        String topic = "kip848";
        broker.createTopic(topic, 4, Map.of());
        int total = 400;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < total; i++) {
                producer.send(new ProducerRecord<>(topic, i % 4, "k" + i, "v" + i));
            }
            producer.flush();
        }
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        Map<Integer, Set<TopicPartition>> views = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> runs = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            int id = c;
            runs.add(pool.submit(() -> {
                try (KafkaConsumer<String, String> consumer = broker.consumer(consumerProtocol("g848"))) {
                    consumer.subscribe(List.of(topic));
                    while (!stop.get()) {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                            seen.merge(r.value(), 1, Integer::sum);
                        }
                        consumer.commitSync();
                        views.put(id, new HashSet<>(consumer.assignment()));
                    }
                }
                return null;
            }));
        }
        Await.until(Duration.ofSeconds(60), "both consumers to read every record", () -> seen.size() == total);
        // Both consumers end up holding partitions, between them all four, none twice.
        Await.until(Duration.ofSeconds(30), "both consumers to own a share of the partitions", () -> {
            Set<TopicPartition> a = views.getOrDefault(0, Set.of());
            Set<TopicPartition> b = views.getOrDefault(1, Set.of());
            Set<TopicPartition> union = new HashSet<>(a);
            union.addAll(b);
            return !a.isEmpty() && !b.isEmpty() && union.size() == 4 && a.size() + b.size() == 4;
        });
        Await.until(Duration.ofSeconds(30), "the group to be described as stable with two members", () -> {
            try (Admin admin = broker.admin()) {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("g848"))
                        .describedGroups()
                        .get("g848")
                        .get(10, TimeUnit.SECONDS);
                return d.groupState() == GroupState.STABLE
                        && d.members().size() == 2
                        && d.members().stream()
                                .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
            } catch (Exception e) {
                return false;
            }
        });
        stop.set(true);
        for (Future<?> f : runs) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(seen).hasSize(total);
        assertThat(seen.values()).allMatch(n -> n == 1);
        try (Admin admin = broker.admin()) {
            var committed = admin.listConsumerGroupOffsets("g848")
                    .partitionsToOffsetAndMetadata()
                    .get();
            assertThat(committed.values().stream().mapToLong(o -> o.offset()).sum())
                    .isEqualTo(total);
        }
    }

    @Test
    void aGroupAndItsMemberSurviveABrokerRestartWithoutRejoining() throws Exception {
        String topic = "kip848-restart";
        broker.createTopic(topic, 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "k", "before-" + i))
                        .get();
            }
        }
        try (KafkaConsumer<String, String> consumer = broker.consumer(consumerProtocol("g848-restart"))) {
            consumer.subscribe(List.of(topic));
            assertThat(Await.records(consumer, 10, Duration.ofSeconds(30))).hasSize(10);
            consumer.commitSync();
            ConsumerGroupDescription before = describe("g848-restart");
            String memberId = before.members().iterator().next().consumerId();

            broker.restart();
            ConsumerGroupDescription restored = describe("g848-restart");
            assertThat(restored.members()).extracting(m -> m.consumerId()).containsExactly(memberId);
            assertThat(restored.groupEpoch()).isEqualTo(before.groupEpoch());

            try (KafkaProducer<String, String> producer = broker.producer()) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "after")).get();
            }
            assertThat(Await.records(consumer, 1, Duration.ofSeconds(30)))
                    .extracting(ConsumerRecord::value)
                    .containsExactly("after");
            assertThat(describe("g848-restart").members())
                    .extracting(m -> m.consumerId())
                    .containsExactly(memberId);
        }
    }

    private static ConsumerGroupDescription describe(String group) throws Exception {
        try (Admin admin = broker.admin()) {
            return admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get(30, TimeUnit.SECONDS);
        }
    }
}
