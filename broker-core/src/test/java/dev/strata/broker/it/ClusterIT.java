package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers in JVMs of their own, each a voter of the metadata quorum, replicating with Kafka's pull model, driven
 * by the real kafka-clients: every broker answers the same metadata; a topic with replication factor 3 is on every
 * broker byte for byte; {@code kill -9} of the leader under an idempotent {@code acks=all} producer with
 * {@code min.insync.replicas=2}, twice, loses no acknowledged record and duplicates none; a killed follower leaves the
 * ISR and rejoins it when it returns; a replication factor above the live brokers is refused. One cluster serves every
 * test of the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@RunsAlone
class ClusterIT {

    private static final Duration TIMEOUT = TestCluster.TIMEOUT;

    @TempDir
    static Path dir;

    private TestCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = TestCluster.start(dir, 3, Map.of());
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyBrokerAnswersTheSameMetadataAndHoldsEveryReplica() throws Exception {
        String topic = "replicated";
        createAndFill(topic);
        for (int node = 1; node <= 3; node++) {
            // each broker on its own: the same brokers, leaders, replicas and ISRs
            try (Admin one = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + cluster.port(node)))) {
                TopicDescription d =
                        one.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                assertThat(one.describeCluster().nodes().get())
                        .extracting(Node::id)
                        .containsExactlyInAnyOrder(1, 2, 3);
                assertThat(d.partitions()).allSatisfy(p -> {
                    assertThat(p.replicas()).hasSize(3);
                    assertThat(p.leader()).isNotNull();
                });
            }
        }
        // the followers' logs equal the leader's, byte for byte
        for (int p = 0; p < 3; p++) {
            int partition = p;
            Await.until(TIMEOUT, "the replicas of partition " + p + " to be equal", () -> {
                Set<Long> sizes = new HashSet<>();
                for (int node = 1; node <= 3; node++) {
                    sizes.add(cluster.localLogBytes(node, new TopicPartition(topic, partition)));
                }
                return sizes.size() == 1 && !sizes.contains(0L);
            });
        }
    }

    @Test
    void killingTheLeaderTwiceUnderAnIdempotentProducerLosesAndDuplicatesNothing() throws Exception {
        String topic = "failover";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
            Await.until(TIMEOUT, "a full ISR", () -> fullIsrs(admin, topic, 3));
        }
        ProducerLoop producer = ProducerLoop.start(cluster, topic, 0);
        try (Admin admin = cluster.admin()) {
            for (int round = 0; round < 2; round++) {
                producer.awaitMoreAcknowledged(500, "acknowledged records before kill " + round);
                int leader = TestCluster.leader(admin, tp);
                cluster.kill(leader);
                Await.until(TIMEOUT, "a new leader", () -> {
                    int now = TestCluster.leader(admin, tp);
                    return now > 0 && now != leader;
                });
                producer.awaitMoreAcknowledged(500, "acknowledgements from the new leader");
                cluster.restart(leader);
                Await.until(
                        TIMEOUT,
                        "the restarted broker back in the ISR",
                        () -> TestCluster.isr(admin, tp).size() == 3);
            }
        } finally {
            producer.close();
        }
        Set<String> acknowledged = producer.acknowledged();

        Map<String, Long> read = ProducerLoop.readOnce(cluster, tp, TIMEOUT);
        Set<String> lost = new HashSet<>(acknowledged);
        lost.removeAll(read.keySet());
        assertThat(lost)
                .as("acknowledged records missing after two leader kills")
                .isEmpty();
        assertThat(acknowledged.size()).isGreaterThan(2_000);
    }

    @Test
    void aKilledFollowerLeavesTheIsrAndRejoinsWhenItReturns() throws Exception {
        String topic = "isr";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
            Await.until(TIMEOUT, "a full ISR", () -> fullIsrs(admin, topic, 3));
            int leader = TestCluster.leader(admin, tp);
            int follower = leader % 3 + 1;
            cluster.kill(follower);
            Await.until(TIMEOUT, "the killed follower out of the ISR", () -> !TestCluster.isr(admin, tp)
                    .contains(follower));
            try (KafkaProducer<String, String> producer = cluster.producer()) {
                // two in-sync replicas left, min.insync.replicas=2: acks=all still works
                producer.send(new ProducerRecord<>(topic, 0, "k", "while-one-is-down"))
                        .get();
            }
            cluster.restart(follower);
            Await.until(TIMEOUT, "the follower back in the ISR", () -> TestCluster.isr(admin, tp)
                    .contains(follower));
            Await.until(
                    TIMEOUT,
                    "its log caught up",
                    () -> cluster.localLogBytes(follower, new TopicPartition(topic, 0))
                            == cluster.localLogBytes(leader, new TopicPartition(topic, 0)));
        }
    }

    @Test
    void aConsumerGroupKeepsItsCommittedOffsetsWhenItsCoordinatorIsKilled() throws Exception {
        String topic = "grouped";
        String group = "survivors";
        createAndFill(topic);
        Set<String> consumed = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = groupConsumer(group)) {
            consumer.subscribe(List.of(topic));
            while (consumed.size() < 150) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    consumed.add(r.key());
                }
            }
            consumer.commitSync();
        }
        int killed;
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = cluster.admin()) {
            killed = admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get()
                    .coordinator()
                    .id();
            committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get();
            cluster.kill(killed);
            Await.until(TIMEOUT, "a new coordinator with the group's offsets", () -> {
                try {
                    int now = admin.describeConsumerGroups(List.of(group))
                            .describedGroups()
                            .get(group)
                            .get()
                            .coordinator()
                            .id();
                    return now != killed
                            && admin.listConsumerGroupOffsets(group)
                                    .partitionsToOffsetAndMetadata()
                                    .get()
                                    .equals(committed);
                } catch (Exception e) {
                    return false;
                }
            });
        }
        long committedTotal =
                committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
        try (KafkaConsumer<String, String> consumer = groupConsumer(group)) {
            consumer.subscribe(List.of(topic));
            Set<String> rest = new HashSet<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (rest.size() < 300 - committedTotal && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    rest.add(r.key());
                }
            }
            assertThat(rest)
                    .as("the rest of the topic after the committed offsets")
                    .hasSize((int) (300 - committedTotal));
        } finally {
            cluster.restart(killed);
            cluster.awaitBrokers(3);
        }
    }

    @Test
    void aReplicationFactorAboveTheLiveBrokersIsRefused() {
        try (Admin admin = cluster.admin()) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("too-many", 1, (short) 4)))
                            .all()
                            .get())
                    .cause()
                    .isInstanceOf(InvalidReplicationFactorException.class);
        }
    }

    /** A topic of 3 partitions with replication factor 3, all in sync, holding 300 records ({@code k<i>}). */
    private void createAndFill(String topic) throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get();
            Await.until(TIMEOUT, "full ISRs", () -> fullIsrs(admin, topic, 3));
        }
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>(topic, i % 3, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    private boolean fullIsrs(Admin admin, String topic, int size) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .allMatch(p -> p.leader() != null && p.isr().size() == size);
        } catch (Exception e) {
            return false;
        }
    }

    private KafkaConsumer<String, String> groupConsumer(String group) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        cluster.bootstrap(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        group,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        50),
                new StringDeserializer(),
                new StringDeserializer());
    }
}
