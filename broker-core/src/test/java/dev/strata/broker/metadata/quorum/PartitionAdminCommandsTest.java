package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicMetadata;
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
 * The operator's partition changes as the state machine applies them, Kafka's way: preferred and unclean elections,
 * the reassignment state machine (adding replicas join the ISR before the removing ones leave, the leader moves if it
 * is removed, cancellation reverts), the refusals, and the leader balance's choice of partitions.
 */
class PartitionAdminCommandsTest {
    private static final TopicPartition P0 = new TopicPartition("t", 0);

    private final MetadataImage image = new MetadataImage();
    private final Map<Integer, Uuid> incarnations = new HashMap<>();

    @Test
    void aPreferredElectionMovesLeadershipOnlyToAnInSyncLivePreferredReplica() {
        cluster(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2, 3));
        fence(1);
        assertThat(state().leader()).isEqualTo(2);
        // not alive: nothing to do
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isZero();
        unfence(1);
        // alive but not in the ISR yet: still nothing
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isZero();
        alterIsr(List.of(2, 3, 1));
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isEqualTo(1);
        assertThat(state().leader()).isEqualTo(1);
        assertThat(state().leaderEpoch()).isEqualTo(2);
    }

    @Test
    void anUncleanElectionGivesALeaderlessPartitionAnyLiveReplicaWhateverTheTopicConfig() {
        cluster(1, 2);
        createTopic(Map.of(), List.of(1, 2));
        alterIsr(List.of(1));
        fence(1);
        assertThat(state().leader()).isEqualTo(-1);
        assertThat(apply(new MetadataCommand.ElectPreferred(List.of(P0)))).isZero();
        assertThat(apply(new MetadataCommand.ElectUnclean(List.of(P0)))).isEqualTo(1);
        assertThat(state().leader()).isEqualTo(2);
        assertThat(state().isr()).containsExactly(2);
        // it has a live leader now: nothing more to elect
        assertThat(apply(new MetadataCommand.ElectUnclean(List.of(P0)))).isZero();
    }

    @Test
    void aReassignmentAddsTheNewReplicasFirstAndRemovesTheOldOnesOnceTheyAreInSync() {
        cluster(1, 2, 3, 4);
        createTopic(Map.of(), List.of(1, 2));
        assertThat(reassign(List.of(3, 4))).isZero();
        PartitionState moving = state();
        assertThat(moving.replicas()).containsExactly(3, 4, 1, 2);
        assertThat(moving.addingReplicas()).containsExactly(3, 4);
        assertThat(moving.removingReplicas()).containsExactly(1, 2);
        assertThat(moving.isr()).containsExactly(1, 2);
        assertThat(moving.leader()).isEqualTo(1);
        assertThat(image.reassignments()).containsOnlyKeys("t");
        // one of the two new replicas caught up: not done yet
        alterIsr(List.of(1, 2, 3));
        assertThat(state().replicas()).containsExactly(3, 4, 1, 2);
        // both: the old replicas leave, and since the leader was one of them, the first target replica leads
        int leaderEpoch = state().leaderEpoch();
        alterIsr(List.of(1, 2, 3, 4));
        PartitionState done = state();
        assertThat(done.replicas()).containsExactly(3, 4);
        assertThat(done.isr()).containsExactlyInAnyOrder(3, 4);
        assertThat(done.addingReplicas()).isEmpty();
        assertThat(done.removingReplicas()).isEmpty();
        assertThat(done.leader()).isEqualTo(3);
        assertThat(done.leaderEpoch()).isEqualTo(leaderEpoch + 1);
        assertThat(image.reassignments()).isEmpty();
    }

    @Test
    void aReassignmentThatOnlyReordersOrDropsReplicasCompletesAtOnceAndKeepsALeaderThatStays() {
        cluster(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2, 3));
        assertThat(reassign(List.of(2, 1))).isZero();
        assertThat(state()).isEqualTo(new PartitionState(List.of(2, 1), List.of(1, 2), 1, 0, 1));
    }

    @Test
    void cancellingARevertsTheAddingReplicasAndCancellingNothingIsRefused() {
        cluster(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2));
        assertThat(apply(new MetadataCommand.AlterReassignment(P0, null, true)))
                .isEqualTo(-Errors.NO_REASSIGNMENT_IN_PROGRESS.code());
        reassign(List.of(1, 3));
        assertThat(state().replicas()).containsExactly(1, 3, 2);
        assertThat(apply(new MetadataCommand.AlterReassignment(P0, null, true))).isZero();
        PartitionState reverted = state();
        assertThat(reverted.replicas()).containsExactly(1, 2);
        assertThat(reverted.isr()).containsExactly(1, 2);
        assertThat(reverted.leader()).isEqualTo(1);
        assertThat(reverted.addingReplicas()).isEmpty();
        assertThat(reverted.removingReplicas()).isEmpty();
    }

    @Test
    void aNewTargetReplacesAReassignmentUnderWay() {
        cluster(1, 2, 3, 4);
        createTopic(Map.of(), List.of(1, 2));
        reassign(List.of(3, 4));
        reassign(List.of(1, 4));
        PartitionState s = state();
        assertThat(s.replicas()).containsExactly(1, 4, 2, 3);
        assertThat(s.addingReplicas()).containsExactly(4);
        assertThat(s.removingReplicas()).containsExactly(2, 3);
    }

    @Test
    void badTargetsAreRefusedWithKafkasErrors() {
        cluster(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2));
        assertThat(reassign(List.of())).isEqualTo(-Errors.INVALID_REPLICA_ASSIGNMENT.code());
        assertThat(reassign(List.of(1, 1))).isEqualTo(-Errors.INVALID_REPLICA_ASSIGNMENT.code());
        assertThat(reassign(List.of(1, 9))).isEqualTo(-Errors.INVALID_REPLICA_ASSIGNMENT.code());
        assertThat(apply(new MetadataCommand.AlterReassignment(new TopicPartition("t", 5), List.of(1), true)))
                .isEqualTo(-Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        assertThat(apply(new MetadataCommand.AlterReassignment(P0, List.of(1, 2, 3), false)))
                .isEqualTo(-Errors.INVALID_REPLICATION_FACTOR.code());
        assertThat(apply(new MetadataCommand.AlterReassignment(P0, List.of(3, 2), false)))
                .isZero();
    }

    @Test
    void aRemovingReplicaThatIsFencedLeavesAndTheReassignmentCompletes() {
        cluster(1, 2, 3);
        createTopic(Map.of(), List.of(1, 2));
        reassign(List.of(1, 3));
        alterIsr(List.of(1, 2, 3));
        assertThat(state().replicas()).containsExactly(1, 3);
        assertThat(state().isr()).containsExactlyInAnyOrder(1, 3);
    }

    @Test
    void theLeaderBalanceListsPartitionsOfBrokersOverTheImbalanceRatio() {
        cluster(1, 2);
        for (int p = 0; p < 10; p++) {
            // broker 1 is preferred for all ten
            apply(new MetadataCommand.CreateTopic(
                    new TopicMetadata("b" + p, Uuid.randomUuid(), 1, Map.of()), List.of(List.of(1, 2))));
        }
        assertThat(image.imbalancedLeaders(10)).isEmpty();
        fence(1);
        unfence(1);
        // every partition is led by 2 now, and broker 1 is back but not yet in sync
        assertThat(image.imbalancedLeaders(10)).isEmpty();
        for (int p = 0; p < 10; p++) {
            TopicPartition tp = new TopicPartition("b" + p, 0);
            PartitionState s = image.partition(tp).orElseThrow();
            if (p == 0) {
                assertThat(apply(new MetadataCommand.AlterIsr(
                                tp, s.leader(), s.leaderEpoch(), s.partitionEpoch(), List.of(2, 1))))
                        .isZero();
            }
        }
        // 10 of 10 are led elsewhere, one of them electable
        assertThat(image.imbalancedLeaders(10)).containsExactly(new TopicPartition("b0", 0));
        assertThat(image.imbalancedLeaders(100)).isEmpty();
    }

    @Test
    void theNewCommandsSurviveTheirEncoding() throws IOException {
        for (MetadataCommand c : List.of(
                new MetadataCommand.ElectUnclean(List.of(P0, new TopicPartition("u", 3))),
                new MetadataCommand.AlterReassignment(P0, List.of(3, 1, 2), false),
                new MetadataCommand.AlterReassignment(P0, null, true))) {
            assertThat(MetadataCommand.fromBytes(c.toBytes())).isEqualTo(c);
        }
    }

    private void cluster(int... ids) {
        for (int id : ids) {
            Uuid incarnation = Uuid.randomUuid();
            incarnations.put(id, incarnation);
            apply(new MetadataCommand.RegisterBroker(
                    new BrokerRegistration(id, "127.0.0.1", 9000 + id, Optional.empty(), incarnation)));
            unfence(id);
        }
    }

    private void fence(int id) {
        apply(new MetadataCommand.FenceBroker(id));
    }

    private void unfence(int id) {
        apply(new MetadataCommand.UnfenceBroker(id, incarnations.get(id)));
    }

    private void createTopic(Map<String, String> configs, List<Integer> replicas) {
        TopicMetadata t = new TopicMetadata("t", Uuid.randomUuid(), 1, configs);
        assertThat(apply(new MetadataCommand.CreateTopic(t, List.of(replicas)))).isZero();
    }

    private void alterIsr(List<Integer> isr) {
        PartitionState s = state();
        assertThat(apply(new MetadataCommand.AlterIsr(P0, s.leader(), s.leaderEpoch(), s.partitionEpoch(), isr)))
                .isZero();
    }

    private long reassign(List<Integer> target) {
        return apply(new MetadataCommand.AlterReassignment(P0, target, true));
    }

    private PartitionState state() {
        return image.partition(P0).orElseThrow();
    }

    private long apply(MetadataCommand command) {
        command.validate();
        return command.applyTo(image);
    }
}
