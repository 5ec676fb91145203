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

    /**
     * A preferred election (Kafka's {@code Election.PREFERRED}): the preferred replica (the first) leads if it is alive
     * and in the ISR; otherwise a live leader keeps leading, and a partition without one gets the first live ISR member.
     * {@code s} itself when nothing changes.
     */
    static PartitionState preferredLeader(PartitionState s, IntPredicate live) {
        int preferred = s.replicas().get(0);
        if (preferred != s.leader() && s.isr().contains(preferred) && live.test(preferred)) {
            return build(s, s.isr(), preferred);
        }
        return electIfLeaderless(s, live, false);
    }

    /**
     * An unclean election asked for by an operator (ElectLeaders with the UNCLEAN type): a partition without a live
     * leader gets a live ISR member if it has one, else any live replica, whatever the topic's
     * {@code unclean.leader.election.enable}.
     */
    static PartitionState uncleanLeader(PartitionState s, IntPredicate live) {
        return electIfLeaderless(s, live, true);
    }

    /**
     * Starts (or replaces) a reassignment to {@code target}, Kafka's model: the replicas become the target followed by
     * the current replicas it leaves out (removing), the target's replicas not yet there are adding; the followers
     * that are adding fetch from the leader and join the ISR, and once the ISR holds every target replica the
     * reassignment completes ({@link #completeReassignment}) - at once when nothing is added.
     */
    static PartitionState reassign(PartitionState s, List<Integer> target, IntPredicate live) {
        // replacing a reassignment under way: a replica it was adding and the new target keeps is still adding
        List<Integer> original = new ArrayList<>(s.replicas());
        original.removeAll(s.addingReplicas());
        List<Integer> removing =
                s.replicas().stream().filter(r -> !target.contains(r)).sorted().toList();
        List<Integer> adding =
                target.stream().filter(r -> !original.contains(r)).sorted().toList();
        List<Integer> replicas = new ArrayList<>(target);
        replicas.addAll(removing);
        PartitionState started = new PartitionState(
                replicas, s.isr(), s.leader(), s.leaderEpoch(), s.partitionEpoch(), adding, removing);
        if (started.equals(s)) {
            return s;
        }
        PartitionState done = completeReassignment(started, live);
        if (done != started) {
            return done; // its epochs are those of s, raised once
        }
        return new PartitionState(
                replicas, s.isr(), s.leader(), s.leaderEpoch(), s.partitionEpoch() + 1, adding, removing);
    }

    /**
     * Cancels a reassignment (a null target): the adding replicas leave the replicas and the ISR, the removing ones
     * stay; if the ISR held only adding replicas, the first remaining replica becomes the ISR, which is an unclean
     * election the caller must allow. A leader that was adding gives way.
     */
    static PartitionState cancelReassignment(PartitionState s, IntPredicate live, boolean unclean) {
        List<Integer> replicas = new ArrayList<>(s.replicas());
        replicas.removeAll(s.addingReplicas());
        List<Integer> isr = new ArrayList<>(s.isr());
        isr.removeAll(s.addingReplicas());
        if (isr.isEmpty()) {
            isr.add(replicas.get(0));
        }
        return rebuild(s, replicas, isr, List.of(), List.of(), live, unclean);
    }

    /** Whether cancelling the reassignment would leave an ISR of replicas that were not in sync (see above). */
    static boolean cancelIsUnclean(PartitionState s) {
        return s.addingReplicas().containsAll(s.isr());
    }

    /**
     * Completes a reassignment once the ISR, without the removing replicas, is not empty and holds every remaining
     * replica: the removing replicas leave, and if the leader was one of them the first live ISR member of the target
     * leads (a new leader epoch). {@code s} itself otherwise.
     */
    static PartitionState completeReassignment(PartitionState s, IntPredicate live) {
        if (s.addingReplicas().isEmpty() && s.removingReplicas().isEmpty()) {
            return s;
        }
        List<Integer> isr = new ArrayList<>(s.isr());
        isr.removeAll(s.removingReplicas());
        List<Integer> replicas = new ArrayList<>(s.replicas());
        replicas.removeAll(s.removingReplicas());
        if (isr.isEmpty() || replicas.isEmpty() || !isr.containsAll(replicas)) {
            return s;
        }
        return rebuild(s, replicas, isr, List.of(), List.of(), live, false);
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

    /**
     * The state with new replicas, ISR and reassignment lists: the leader stays if it is still a live ISR member, else
     * one is elected as {@link #elect} does; the epochs rise for what changed.
     */
    private static PartitionState rebuild(
            PartitionState s,
            List<Integer> replicas,
            List<Integer> isr,
            List<Integer> adding,
            List<Integer> removing,
            IntPredicate live,
            boolean unclean) {
        PartitionState moved = new PartitionState(
                replicas, isr, PartitionState.NO_LEADER, s.leaderEpoch(), s.partitionEpoch(), adding, removing);
        PartitionState next = isr.contains(s.leader()) && live.test(s.leader())
                ? new PartitionState(replicas, isr, s.leader(), s.leaderEpoch(), s.partitionEpoch(), adding, removing)
                : elect(moved, isr, live, unclean);
        if (next.equals(s)) {
            return s;
        }
        return new PartitionState(
                next.replicas(),
                next.isr(),
                next.leader(),
                next.leader() == s.leader() ? s.leaderEpoch() : s.leaderEpoch() + 1,
                s.partitionEpoch() + 1,
                adding,
                removing);
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
