package dev.strata.broker.cluster;

import java.util.List;

/**
 * One partition as the controller decided it, Kafka's {@code PartitionRecord}/{@code PartitionChangeRecord} in one
 * value: the replicas in preference order (the first is the preferred leader), the in-sync replicas, the leader (-1
 * when none is alive: the partition is offline), the leader epoch (raised at every leader change, and stamped into the
 * batches the leader writes), and the partition epoch (raised at every change of any field, so that an ISR change
 * computed from an older state is refused). During a reassignment {@code addingReplicas} and {@code removingReplicas}
 * say which of {@code replicas} are coming and going.
 */
public record PartitionState(
        List<Integer> replicas,
        List<Integer> isr,
        int leader,
        int leaderEpoch,
        int partitionEpoch,
        List<Integer> addingReplicas,
        List<Integer> removingReplicas) {

    public static final int NO_LEADER = -1;

    public PartitionState {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        addingReplicas = List.copyOf(addingReplicas);
        removingReplicas = List.copyOf(removingReplicas);
    }

    /** A partition with no reassignment under way. */
    public PartitionState(List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {
        this(replicas, isr, leader, leaderEpoch, partitionEpoch, List.of(), List.of());
    }

    public boolean hasLeader() {
        return leader != NO_LEADER;
    }

    public boolean isReplica(int brokerId) {
        return replicas.contains(brokerId);
    }
}
