package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.PartitionState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The controller's decisions about one partition, as pure functions of its state and of which brokers are alive
 * (registered and unfenced), in the spirit of Kafka's {@code PartitionChangeBuilder}. The state machine calls them
 * while it applies a command, so every voter computes the same result from the same image.
 *
 * <p>The rules: a leader is chosen in replica order among ISR members that are alive; with unclean election enabled
 * and no such member, the first live replica leads with ISR [itself] (it may lack acknowledged records: that is what
 * unclean means); otherwise the partition has no leader (-1). An ISR is never emptied: its last member stays, so that
 * when it comes back it leads again with the data it had. The leader epoch rises at every leader change, the partition
 * epoch at every change at all.
 */
final class PartitionChanges {
    private PartitionChanges() {}

    /** A new partition: leads the first live replica, ISR the live replicas (all of them when none is alive). */
    static PartitionState initial(List<Integer> replicas, IntPredicate live) {
        List<Integer> isr = replicas.stream().filter(live::test).toList();
        if (isr.isEmpty()) {
            return new PartitionState(replicas, replicas, PartitionState.NO_LEADER, 0, 0);
        }
        return new PartitionState(replicas, isr, isr.get(0), 0, 0);
    }

    /**
     * A broker leaves (fenced, or in controlled shutdown): out of the ISR unless it is the last member, and if it led,
     * leadership moves on.
     */
    static PartitionState withoutBroker(PartitionState s, int broker, IntPredicate live, boolean unclean) {
        List<Integer> isr = new ArrayList<>(s.isr());
        isr.remove(Integer.valueOf(broker));
        if (isr.isEmpty()) {
            isr = s.isr();
        }
        if (s.leader() != broker && s.hasLeader() && live.test(s.leader())) {
            return build(s, isr, s.leader());
        }
        return elect(s, isr, live, unclean);
    }

    /** A partition without a live leader gets one if it can (a broker came back, or unclean election was enabled). */
    static PartitionState electIfLeaderless(PartitionState s, IntPredicate live, boolean unclean) {
        if (s.hasLeader() && live.test(s.leader())) {
            return s;
        }
        return elect(s, s.isr(), live, unclean);
    }

    /** The preferred replica (the first) leads again if it is alive and in the ISR. */
    static PartitionState preferredLeader(PartitionState s, IntPredicate live) {
        int preferred = s.replicas().get(0);
        if (preferred == s.leader() || !s.isr().contains(preferred) || !live.test(preferred)) {
            return s;
        }
        return build(s, s.isr(), preferred);
    }

    /** The leader's new ISR, already checked against the partition's epochs and replicas. */
    static PartitionState withIsr(PartitionState s, List<Integer> isr) {
        return build(s, isr, s.leader());
    }

    private static PartitionState elect(PartitionState s, List<Integer> isr, IntPredicate live, boolean unclean) {
        for (int r : s.replicas()) {
            if (isr.contains(r) && live.test(r)) {
                return build(s, isr, r);
            }
        }
        if (unclean) {
            for (int r : s.replicas()) {
                if (live.test(r)) {
                    return build(s, List.of(r), r);
                }
            }
        }
        return build(s, isr, PartitionState.NO_LEADER);
    }

    /** The state with this ISR and leader, epochs raised for what changed; {@code s} itself when nothing did. */
    private static PartitionState build(PartitionState s, List<Integer> isr, int leader) {
        if (leader == s.leader() && isr.equals(s.isr())) {
            return s;
        }
        return new PartitionState(
                s.replicas(),
                isr,
                leader,
                leader == s.leader() ? s.leaderEpoch() : s.leaderEpoch() + 1,
                s.partitionEpoch() + 1,
                s.addingReplicas(),
                s.removingReplicas());
    }
}
