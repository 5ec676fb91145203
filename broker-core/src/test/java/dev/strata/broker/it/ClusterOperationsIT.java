package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster operator's tools against three brokers in JVMs of their own, through the real admin client, as
 * {@code kafka-leader-election.sh}, {@code kafka-reassign-partitions.sh} and {@code kafka-log-dirs.sh} use it:
 * preferred leader election and its per-partition errors; a partition with data moved to a new replica set while an
 * idempotent {@code acks=all} producer keeps writing, losing nothing, its old leader's local copy deleted; a
 * reassignment that cannot finish (its new replica is down) listed and cancelled; every broker's log dirs described;
 * topics and partitions created on explicitly named brokers. One cluster serves every test of the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@RunsAlone
class ClusterOperationsIT {

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
    void preferredElectionMovesLeadershipBackAndAnswersPerPartition() throws Exception {
        String topic = "elect";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin()) {
            createOnBrokers1And2(admin, tp);
            // reordering the replicas completes at once and leaves broker 1 leading: 2 is now the preferred one
            admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(2, 1)))))
                    .all()
                    .get();
            Await.until(TIMEOUT, "replicas [2, 1]", () -> replicas(admin, tp).equals(List.of(2, 1)));
            assertThat(TestCluster.leader(admin, tp)).isEqualTo(1);

            Map<TopicPartition, Optional<Throwable>> result = admin.electLeaders(ElectionType.PREFERRED, Set.of(tp))
                    .partitions()
                    .get();
            assertThat(result.get(tp)).isEmpty();
            Await.until(TIMEOUT, "broker 2 to lead", () -> TestCluster.leader(admin, tp) == 2);

            // again: not needed; an unknown partition; an unclean election where the leader is alive
            TopicPartition unknown = new TopicPartition(topic, 7);
            result = admin.electLeaders(ElectionType.PREFERRED, Set.of(tp, unknown))
                    .partitions()
                    .get();
            assertThat(result.get(tp)).containsInstanceOf(ElectionNotNeededException.class);
            assertThat(result.get(unknown)).containsInstanceOf(UnknownTopicOrPartitionException.class);
            assertThat(admin.electLeaders(ElectionType.UNCLEAN, Set.of(tp))
                            .partitions()
                            .get()
                            .get(tp))
                    .containsInstanceOf(ElectionNotNeededException.class);

            // every partition (kafka-leader-election.sh --all-topic-partitions): those already led by their
            // preferred replica are left out of the answer
            assertThat(admin.electLeaders(ElectionType.PREFERRED, null)
                            .partitions()
                            .get())
                    .doesNotContainKey(tp);
        }
    }

    @Test
    void reassigningAPartitionWithDataUnderAProducerLosesNothingAndMovesItsLeader() throws Exception {
        String topic = "moving";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin()) {
            createOnBrokers1And2(admin, tp);
        }
        ProducerLoop producer = ProducerLoop.start(cluster, tp.topic(), tp.partition());
        Set<String> acknowledged = producer.acknowledged();
        try (Admin admin = cluster.admin()) {
            producer.awaitMoreAcknowledged(2000, "2000 acknowledged records");
            // the leader (1) leaves: broker 3 catches up and joins the ISR, then 1 is removed and 2 leads
            admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(2, 3)))))
                    .all()
                    .get();
            Await.until(
                    TIMEOUT,
                    "the reassignment to finish",
                    () -> replicas(admin, tp).equals(List.of(2, 3))
                            && reassignments(admin).isEmpty()
                            && TestCluster.isr(admin, tp).equals(List.of(2, 3)));
            assertThat(TestCluster.leader(admin, tp)).isEqualTo(2);
            producer.awaitMoreAcknowledged(500, "acknowledgements from the new leader");
        } finally {
            producer.close();
        }
        // every acknowledged record is there, once
        assertThat(ProducerLoop.readOnce(cluster, tp, TIMEOUT)).containsKeys(acknowledged.toArray(String[]::new));

        // broker 1 dropped its copy, brokers 2 and 3 hold the data
        try (Admin admin = cluster.admin()) {
            Await.until(
                    TIMEOUT,
                    "broker 1 to delete its replica",
                    () -> hosted(admin, 1, tp).isEmpty()
                            && !Files.exists(dir.resolve("data-1").resolve(topic + "-0")));
            for (int node : List.of(2, 3)) {
                int broker = node;
                Await.until(TIMEOUT, "broker " + node + " to hold the data", () -> hosted(admin, broker, tp)
                        .map(r -> r.size() > 0)
                        .orElse(false));
            }
        }
    }

    @Test
    void aReassignmentThatCannotFinishIsListedAndCancelled() throws Exception {
        String topic = "stuck";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin()) {
            createOnBrokers1And2(admin, tp);
            assertThatThrownBy(() -> admin.alterPartitionReassignments(Map.of(tp, Optional.empty()))
                            .all()
                            .get())
                    .hasCauseInstanceOf(NoReassignmentInProgressException.class);
            assertThatThrownBy(() -> admin.alterPartitionReassignments(
                                    Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(1, 9)))))
                            .all()
                            .get())
                    .hasCauseInstanceOf(InvalidReplicaAssignmentException.class);

            cluster.stop(3);
            try {
                Await.until(TIMEOUT, "broker 3 to be fenced", () -> liveBrokers(admin) == 2);
                admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(1, 3)))))
                        .all()
                        .get();
                PartitionReassignment ongoing = reassignments(admin).get(tp);
                assertThat(ongoing).isNotNull();
                assertThat(ongoing.replicas()).containsExactly(1, 3, 2);
                assertThat(ongoing.addingReplicas()).containsExactly(3);
                assertThat(ongoing.removingReplicas()).containsExactly(2);
                assertThat(admin.listPartitionReassignments(Set.of(tp, new TopicPartition("nope", 0)))
                                .reassignments()
                                .get())
                        .containsOnlyKeys(tp);

                admin.alterPartitionReassignments(Map.of(tp, Optional.empty()))
                        .all()
                        .get();
                assertThat(reassignments(admin)).doesNotContainKey(tp);
                assertThat(replicas(admin, tp)).containsExactly(1, 2);
                assertThat(TestCluster.isr(admin, tp)).containsExactly(1, 2);
            } finally {
                cluster.restart(3);
                cluster.awaitBrokers(3);
            }
        }
    }

    @Test
    void aClusterDefaultSetThroughOneBrokerReachesEveryBroker() throws Exception {
        ConfigResource clusterDefault = new ConfigResource(ConfigResource.Type.BROKER, "");
        String name = "log.cleaner.backoff.ms";
        try (Admin admin = cluster.admin()) {
            alter(admin, clusterDefault, new AlterConfigOp(new ConfigEntry(name, "20000"), AlterConfigOp.OpType.SET));
            try {
                for (int id = 1; id <= 3; id++) {
                    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(id));
                    Await.until(TIMEOUT, "broker " + id + " to have the cluster default in effect", () -> {
                        ConfigEntry entry = TestCluster.call(() -> admin.describeConfigs(List.of(broker))
                                        .all()
                                        .get())
                                .get(broker)
                                .get(name);
                        return "20000".equals(entry.value())
                                && entry.source() == ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
                    });
                }
            } finally {
                alter(
                        admin,
                        clusterDefault,
                        new AlterConfigOp(new ConfigEntry(name, null), AlterConfigOp.OpType.DELETE));
            }
        }
    }

    private static void alter(Admin admin, ConfigResource resource, AlterConfigOp op) throws Exception {
        admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all().get();
    }

    @Test
    void everyBrokerDescribesItsLogDirs() throws Exception {
        String topic = "dirs";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get();
            try (KafkaProducer<String, String> producer = cluster.producer()) {
                for (int i = 0; i < 300; i++) {
                    producer.send(new ProducerRecord<>(topic, i % 3, "k" + i, "v" + i));
                }
                producer.flush();
            }
            Map<Integer, Map<String, LogDirDescription>> all =
                    admin.describeLogDirs(List.of(1, 2, 3)).allDescriptions().get();
            assertThat(all).containsOnlyKeys(1, 2, 3);
            all.forEach((broker, dirs) -> {
                assertThat(dirs).hasSize(1);
                LogDirDescription d = dirs.values().iterator().next();
                assertThat(d.error()).isNull();
                assertThat(d.totalBytes().orElse(-1)).isPositive();
                assertThat(d.usableBytes().orElse(-1)).isPositive();
                for (int p = 0; p < 3; p++) {
                    ReplicaInfo info = d.replicaInfos().get(new TopicPartition(topic, p));
                    assertThat(info).as("broker %d partition %d", broker, p).isNotNull();
                    assertThat(info.isFuture()).isFalse();
                    assertThat(info.offsetLag()).isZero();
                }
            });
            Await.until(TIMEOUT, "every replica to hold data", () -> {
                try {
                    return admin.describeLogDirs(List.of(1, 2, 3)).allDescriptions().get().values().stream()
                            .flatMap(dirs -> dirs.values().stream())
                            .flatMap(d -> d.replicaInfos().entrySet().stream())
                            .filter(e -> e.getKey().topic().equals(topic))
                            .allMatch(e -> e.getValue().size() > 0);
                } catch (InterruptedException | ExecutionException e) {
                    return false;
                }
            });
        }
    }

    @Test
    void topicsAndPartitionsAreCreatedOnTheBrokersTheRequestNames() throws Exception {
        String topic = "placed";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(3, 1), 1, List.of(2, 3)))))
                    .all()
                    .get();
            assertThat(replicas(admin, new TopicPartition(topic, 0))).containsExactly(3, 1);
            assertThat(replicas(admin, new TopicPartition(topic, 1))).containsExactly(2, 3);
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3, List.of(List.of(1, 2)))))
                    .all()
                    .get();
            assertThat(replicas(admin, new TopicPartition(topic, 2))).containsExactly(1, 2);

            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("misplaced", Map.of(0, List.of(1, 9)))))
                            .all()
                            .get())
                    .hasCauseInstanceOf(InvalidReplicaAssignmentException.class);
            assertThatThrownBy(() -> admin.createPartitions(
                                    Map.of(topic, NewPartitions.increaseTo(4, List.of(List.of(1)))))
                            .all()
                            .get())
                    .hasCauseInstanceOf(InvalidReplicaAssignmentException.class);
        }
    }

    @Test
    void aProduceToABrokerWithoutAReplicaIsToldToFindTheLeader() throws Exception {
        // as Kafka: a partition the broker knows but does not host is NOT_LEADER_OR_FOLLOWER (the producer refreshes
        // its metadata); only a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION
        TopicPartition tp = new TopicPartition("elsewhere", 0);
        try (Admin admin = cluster.admin()) {
            createOnBrokers1And2(admin, tp);
        }
        Await.until(TIMEOUT, "broker 3 knows the topic", () -> {
            try (KafkaWire wire = KafkaWire.connect(cluster.port(3))) {
                MetadataResponse metadata = (MetadataResponse)
                        wire.send(new MetadataRequest.Builder(List.of(tp.topic()), false), (short) 12);
                return metadata.topicMetadata().iterator().next().error() == Errors.NONE;
            } catch (IOException e) {
                return false;
            }
        });
        try (KafkaWire wire = KafkaWire.connect(cluster.port(3))) {
            assertThat(produceError(wire, tp)).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
            assertThat(produceError(wire, new TopicPartition(tp.topic(), 7)))
                    .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
    }

    private static Errors produceError(KafkaWire wire, TopicPartition tp) throws Exception {
        ProduceRequestData data = new ProduceRequestData()
                .setAcks((short) -1)
                .setTimeoutMs(30_000)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(
                        List.of(new ProduceRequestData.TopicProduceData()
                                        .setName(tp.topic())
                                        .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                                                .setIndex(tp.partition())
                                                .setRecords(MemoryRecords.withRecords(
                                                        Compression.NONE, new SimpleRecord("x".getBytes()))))))
                                .iterator()));
        ProduceResponse response = (ProduceResponse) wire.send(ProduceRequest.builder(data), (short) 12);
        return Errors.forCode(response.data()
                .responses()
                .iterator()
                .next()
                .partitionResponses()
                .get(0)
                .errorCode());
    }

    /** Creates {@code tp}'s topic with one partition on brokers 1 and 2 and waits until 1 leads a full ISR. */
    private static void createOnBrokers1And2(Admin admin, TopicPartition tp) throws Exception {
        admin.createTopics(List.of(new NewTopic(tp.topic(), Map.of(0, List.of(1, 2)))))
                .all()
                .get();
        Await.until(
                TIMEOUT,
                "a full ISR led by broker 1",
                () -> TestCluster.isr(admin, tp).size() == 2 && TestCluster.leader(admin, tp) == 1);
    }

    private static List<Integer> replicas(Admin admin, TopicPartition tp) {
        return TestCluster.describe(admin, tp).replicas().stream().map(Node::id).toList();
    }

    private static Map<TopicPartition, PartitionReassignment> reassignments(Admin admin) {
        return TestCluster.call(
                () -> admin.listPartitionReassignments().reassignments().get());
    }

    private static int liveBrokers(Admin admin) {
        return TestCluster.call(() -> admin.describeCluster().nodes().get().size());
    }

    private static Optional<ReplicaInfo> hosted(Admin admin, int broker, TopicPartition tp) {
        Map<String, LogDirDescription> dirs = TestCluster.call(() ->
                admin.describeLogDirs(List.of(broker)).allDescriptions().get().get(broker));
        return dirs.values().stream()
                .map(d -> d.replicaInfos().get(tp))
                .filter(r -> r != null)
                .findFirst();
    }
}
