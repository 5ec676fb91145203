package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicMetadata;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/**
 * The controller's decisions as the state machine applies them to an image: registration fences, heartbeats unfence,
 * fencing moves leadership within the ISR and never empties it, unclean election, alter ISR at matching epochs only,
 * controlled shutdown, preferred leaders, and the upgrade of single-broker snapshots.
 */
class ClusterCommandsTest {
    private final MetadataImage image = new MetadataImage();
    private final Map<Integer, Uuid> incarnations = new HashMap<>();
    private static final TopicPartition P0 = new TopicPartition("t", 0);

    @Test
    void aRegisteredBrokerIsFencedUntilUnfencedAndANewTopicLeadsOnTheFirstLiveReplica() {
        register(1, 2, 3);
        assertThat(image.clusterBrokers()).allMatch(ClusterBroker::fenced);
        unfence(1, 2, 3);
        assertThat(image.clusterBrokers()).noneMatch(ClusterBroker::fenced);
        createTopic(Map.of(), List.of(2, 3, 1));
        assertThat(state()).isEqualTo(new PartitionState(List.of(2, 3, 1), List.of(2, 3, 1), 2, 0, 0));
    }

    @Test
    void fencingTheLeaderMovesLeadershipToTheNextIsrMemberInReplicaOrder() {
        register(1, 2, 3);
        unfence(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2, 3));
        apply(new MetadataCommand.FenceBroker(1));
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(2, 3), 2, 1, 1));
        apply(new MetadataCommand.FenceBroker(3)); // a follower: leaves the ISR, leader stays
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(2), 2, 1, 2));
        apply(new MetadataCommand.FenceBroker(2)); // the last ISR member stays in it; no leader
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(2), -1, 2, 3));
        apply(new MetadataCommand.UnfenceBroker(1, incarnations.get(1))); // not in the ISR: still no leader
        assertThat(state().leader()).isEqualTo(-1);
        apply(new MetadataCommand.UnfenceBroker(2, incarnations.get(2))); // the last ISR member returns and leads
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(2), 2, 3, 4));
    }

    @Test
    void uncleanElectionLetsTheFirstLiveReplicaLeadAlone() {
        register(1, 2, 3);
        unfence(1, 2, 3);
        createTopic(Map.of("unclean.leader.election.enable", "true"), List.of(1, 2, 3));
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1)))).isZero();
        apply(new MetadataCommand.FenceBroker(1));
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(2), 2, 1, 2));
    }

    @Test
    void enablingUncleanElectionElectsWhereNoIsrMemberIsAlive() {
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1)));
        apply(new MetadataCommand.FenceBroker(1));
        assertThat(state().leader()).isEqualTo(-1);
        TopicMetadata t = image.topic("t").orElseThrow();
        apply(new MetadataCommand.PutTopic(t.withConfigs(Map.of("unclean.leader.election.enable", "true"))));
        assertThat(state().leader()).isEqualTo(2);
        assertThat(state().isr()).containsExactly(2);
    }

    @Test
    void withoutUncleanElectionAnOutOfSyncReplicaNeverLeads() {
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1)));
        apply(new MetadataCommand.FenceBroker(1));
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2), List.of(1), -1, 1, 2));
        apply(new MetadataCommand.FenceBroker(2));
        register(2); // a restart of the out-of-sync replica does not make it leader either
        unfence(2);
        assertThat(state().leader()).isEqualTo(-1);
        assertThat(state().isr()).containsExactly(1);
    }

    @Test
    void theBrokerDefaultElectsUncleanlyForTopicsThatDoNotSetIt() {
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1)));
        apply(new MetadataCommand.FenceBroker(1));
        assertThat(state().leader()).isEqualTo(-1);

        apply(new MetadataCommand.SetUncleanElectionDefault(true)); // the leaderless partition elects at once
        assertThat(image.uncleanElectionDefault()).isTrue();
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2), List.of(2), 2, 2, 3));
    }

    @Test
    void aTopicThatTurnsUncleanElectionOffOverridesTheBrokerDefault() {
        apply(new MetadataCommand.SetUncleanElectionDefault(true));
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of("unclean.leader.election.enable", "false"), List.of(1, 2));
        apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1)));
        apply(new MetadataCommand.FenceBroker(1));
        assertThat(state().leader()).isEqualTo(-1);

        // IncrementalAlterConfigs deleting the override: the broker default (true) applies and 2 leads
        TopicMetadata t = image.topic("t").orElseThrow();
        apply(new MetadataCommand.PutTopic(t.withConfigs(Map.of())));
        assertThat(state().leader()).isEqualTo(2);
        assertThat(state().isr()).containsExactly(2);
    }

    @Test
    void replicasReportedOfflineLoseLeadershipAndLeaveTheIsrUntilTheBrokerRegistersAgain() {
        register(1, 2, 3);
        unfence(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2, 3));
        Uuid topicId = image.topic("t").orElseThrow().topicId();
        MetadataImage.PartitionRef p0 = new MetadataImage.PartitionRef(topicId, 0);

        apply(new MetadataCommand.MarkReplicasOffline(1, Uuid.randomUuid(), List.of(p0))); // another incarnation
        assertThat(state().leader()).isEqualTo(1);

        apply(new MetadataCommand.MarkReplicasOffline(1, incarnations.get(1), List.of(p0)));
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(2, 3), 2, 1, 1));
        assertThat(image.offlineReplicas(P0)).containsExactly(1);
        assertThat(image.clusterBroker(1).orElseThrow().fenced()).isFalse(); // its other log dirs still serve
        // it can neither come back into the ISR nor lead as the preferred replica
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 2, 1, 1, List.of(1, 2, 3))))
                .isEqualTo(-Errors.INELIGIBLE_REPLICA.code());
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isZero();

        register(1); // restarted with the directory repaired
        unfence(1);
        assertThat(image.offlineReplicas(P0)).isEmpty();
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 2, 1, 1, List.of(1, 2, 3))))
                .isZero();
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isEqualTo(1);
    }

    @Test
    void offlineReplicasAndTheUncleanDefaultSurviveASnapshot() throws IOException {
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        Uuid topicId = image.topic("t").orElseThrow().topicId();
        apply(new MetadataCommand.MarkReplicasOffline(
                2, incarnations.get(2), List.of(new MetadataImage.PartitionRef(topicId, 0))));
        apply(new MetadataCommand.SetUncleanElectionDefault(true));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        image.writeTo(new DataOutputStream(bytes));
        MetadataImage loaded =
                MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(loaded.offlineReplicas(P0)).containsExactly(2);
        assertThat(loaded.uncleanElectionDefault()).isTrue();
        assertThat(loaded.partition(P0)).isEqualTo(image.partition(P0));
    }

    @Test
    void alterIsrIsAppliedAtTheCurrentEpochsOnly() {
        register(1, 2, 3);
        unfence(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2, 3));
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1, 2))))
                .isZero();
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(1, 2), 1, 0, 1));
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 1, 0, 0, List.of(1))))
                .isEqualTo(-Errors.INVALID_UPDATE_VERSION.code());
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 2, 0, 1, List.of(2))))
                .isEqualTo(-Errors.FENCED_LEADER_EPOCH.code());
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 1, 0, 1, List.of(2, 3))))
                .isEqualTo(-Errors.INVALID_REQUEST.code());
        apply(new MetadataCommand.FenceBroker(3));
        int epoch = state().partitionEpoch();
        assertThat(apply(new MetadataCommand.AlterIsr(P0, 1, 0, epoch, List.of(1, 2, 3))))
                .isEqualTo(-Errors.INELIGIBLE_REPLICA.code());
        assertThat(state().isr()).containsExactly(1, 2);
    }

    @Test
    void controlledShutdownMovesLeadershipAndHeartbeatsDoNotUndoIt() {
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        apply(new MetadataCommand.ShutDownBroker(1));
        assertThat(state()).isEqualTo(new PartitionState(List.of(1, 2), List.of(2), 2, 1, 1));
        apply(new MetadataCommand.UnfenceBroker(1, incarnations.get(1)));
        assertThat(image.clusterBroker(1).orElseThrow().fenced()).isTrue();
        register(1); // the next start
        unfence(1);
        assertThat(image.clusterBroker(1).orElseThrow().fenced()).isFalse();
    }

    @Test
    void preferredLeaderElectionReturnsLeadershipToTheFirstReplica() {
        register(1, 2);
        unfence(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        apply(new MetadataCommand.FenceBroker(1));
        unfence(1);
        assertThat(state().leader()).isEqualTo(2);
        int epoch = state().partitionEpoch();
        apply(new MetadataCommand.AlterIsr(P0, 2, 1, epoch, List.of(2, 1)));
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isEqualTo(1);
        assertThat(state().leader()).isEqualTo(1);
        assertThat(state().leaderEpoch()).isEqualTo(2);
    }

    @Test
    void aTopicCannotBeCreatedTwiceNorOnUnknownBrokers() {
        register(1);
        unfence(1);
        createTopic(Map.of(), List.of(1));
        assertThat(apply(new MetadataCommand.CreateTopic(
                        new TopicMetadata("t", Uuid.randomUuid(), 1, Map.of()), List.of(List.of(1)))))
                .isEqualTo(-Errors.TOPIC_ALREADY_EXISTS.code());
        assertThat(apply(new MetadataCommand.CreateTopic(
                        new TopicMetadata("u", Uuid.randomUuid(), 1, Map.of()), List.of(List.of(7)))))
                .isEqualTo(-Errors.INVALID_REPLICA_ASSIGNMENT.code());
        assertThat(apply(new MetadataCommand.CreatePartitions("t", 3, List.of(List.of(1), List.of(1)))))
                .isZero();
        assertThat(image.partitions(image.topic("t").orElseThrow().topicId())).hasSize(3);
        assertThat(image.topic("t").orElseThrow().partitions()).isEqualTo(3);
    }

    @Test
    void aSingleBrokerSnapshotOfVersionOneUpgradesToReplicasOfTheOneBroker() throws IOException {
        TopicMetadata old = new TopicMetadata("old", Uuid.randomUuid(), 2, Map.of());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(1);
        out.writeLong(42);
        out.writeInt(1);
        MetadataCodec.writeTopic(out, old);
        out.writeInt(0); // no broker had registered
        MetadataImage loaded =
                MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(loaded.partitions(old.topicId())).isEmpty();

        Uuid incarnation = Uuid.randomUuid();
        new MetadataCommand.RegisterBroker(new BrokerRegistration(1, "h", 9092, Optional.empty(), incarnation))
                .applyTo(loaded);
        assertThat(loaded.partitions(old.topicId()))
                .containsEntry(0, new PartitionState(List.of(1), List.of(1), -1, 0, 0));
        new MetadataCommand.UnfenceBroker(1, incarnation).applyTo(loaded);
        assertThat(loaded.partitions(old.topicId()))
                .containsEntry(1, new PartitionState(List.of(1), List.of(1), 1, 1, 1));

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        loaded.writeTo(new DataOutputStream(again));
        MetadataImage reread =
                MetadataImage.readFrom(new DataInputStream(new ByteArrayInputStream(again.toByteArray())));
        assertThat(reread.partitions(old.topicId())).isEqualTo(loaded.partitions(old.topicId()));
        assertThat(reread.clusterBrokers()).isEqualTo(loaded.clusterBrokers());
        assertThat(reread.nextProducerId()).isEqualTo(42);
    }

    @Test
    void everyNewCommandRoundTrips() throws IOException {
        TopicMetadata t = new TopicMetadata("t", Uuid.randomUuid(), 2, Map.of());
        for (MetadataCommand c : List.of(
                new MetadataCommand.CreateTopic(t, List.of(List.of(1, 2), List.of(2, 1))),
                new MetadataCommand.CreatePartitions("t", 4, List.of(List.of(1), List.of(2))),
                new MetadataCommand.FenceBroker(3),
                new MetadataCommand.UnfenceBroker(3, Uuid.randomUuid()),
                new MetadataCommand.ShutDownBroker(2),
                new MetadataCommand.AlterIsr(P0, 1, 4, 7, List.of(1, 3)),
                new MetadataCommand.ElectPreferred(List.of(P0, new TopicPartition("u", 3))),
                new MetadataCommand.SetUncleanElectionDefault(true),
                new MetadataCommand.MarkReplicasOffline(
                        2, Uuid.randomUuid(), List.of(new MetadataImage.PartitionRef(t.topicId(), 1))))) {
            assertThat(MetadataCommand.fromBytes(c.toBytes())).isEqualTo(c);
        }
    }

    private void register(int... ids) {
        for (int id : ids) {
            Uuid incarnation = Uuid.randomUuid();
            incarnations.put(id, incarnation);
            apply(new MetadataCommand.RegisterBroker(
                    new BrokerRegistration(id, "127.0.0.1", 9000 + id, Optional.empty(), incarnation)));
        }
    }

    private void unfence(int... ids) {
        for (int id : ids) {
            apply(new MetadataCommand.UnfenceBroker(id, incarnations.get(id)));
        }
    }

    private void createTopic(Map<String, String> configs, List<Integer> replicas) {
        TopicMetadata t = new TopicMetadata("t", Uuid.randomUuid(), 1, configs);
        assertThat(apply(new MetadataCommand.CreateTopic(t, List.of(replicas)))).isZero();
    }

    private PartitionState state() {
        return image.partition(P0).orElseThrow();
    }

    private long apply(MetadataCommand command) {
        command.validate();
        return command.applyTo(image);
    }
}
