package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * The requests about the replicas and leader of existing partitions, as Kafka's controller takes them: a leader's new
 * ISR (AlterPartition), leader elections (ElectLeaders), reassignments (AlterPartitionReassignments), and the reads
 * that feed them (the leader balance's imbalanced partitions, ListPartitionReassignments). It checks each request
 * against the {@link MetadataImage}'s current state and answers with the Kafka error of a refusal; the decisions
 * themselves are {@link PartitionChanges}', and the image stores the result.
 *
 * <p>Threads: the commands run on the state machine's apply thread, through the image ({@link MetadataCommand}); the
 * reads on any thread, from the image's immutable partition maps. It keeps no state of its own.
 */
final class ReplicationControl {
    private final MetadataImage image;

    ReplicationControl(MetadataImage image) {
        this.image = image;
    }

    /**
     * A partition leader's new ISR, refused unless it comes from the current leader at the current epochs and names
     * only live replicas, the leader among them.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long alterIsr(TopicPartition tp, int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr) {
        TopicMetadata topic = image.topic(tp.topic()).orElse(null);
        PartitionState s =
                topic == null ? null : image.partitions(topic.topicId()).get(tp.partition());
        if (s == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        if (leaderId != s.leader() || leaderEpoch != s.leaderEpoch()) {
            return -Errors.FENCED_LEADER_EPOCH.code();
        }
        if (partitionEpoch != s.partitionEpoch()) {
            return -Errors.INVALID_UPDATE_VERSION.code();
        }
        if (!newIsr.contains(leaderId)
                || new HashSet<>(newIsr).size() != newIsr.size()
                || !s.replicas().containsAll(newIsr)) {
            return -Errors.INVALID_REQUEST.code();
        }
        IntPredicate live = image.liveFor(topic.topicId(), tp.partition());
        if (!newIsr.stream().allMatch(live::test)) {
            return -Errors.INELIGIBLE_REPLICA.code();
        }
        PartitionState after = PartitionChanges.completeReassignment(PartitionChanges.withIsr(s, newIsr), live);
        image.setPartitions(topic, Map.of(tp.partition(), after));
        return 0;
    }

    /**
     * Kafka's ElectLeaders: a preferred election moves leadership to the preferred replica where it is alive and in
     * sync; an unclean one gives a leader to partitions without a live one, from outside the ISR if need be. Unknown
     * partitions are skipped.
     *
     * @return how many of the partitions changed leader
     */
    long electLeaders(List<TopicPartition> tps, boolean unclean) {
        long elected = 0;
        for (TopicPartition tp : tps) {
            TopicMetadata topic = image.topic(tp.topic()).orElse(null);
            PartitionState s =
                    topic == null ? null : image.partitions(topic.topicId()).get(tp.partition());
            if (s != null) {
                IntPredicate live = image.liveFor(topic.topicId(), tp.partition());
                PartitionState after =
                        unclean ? PartitionChanges.uncleanLeader(s, live) : PartitionChanges.preferredLeader(s, live);
                if (after != s) {
                    image.setPartitions(topic, Map.of(tp.partition(), after));
                    elected++;
                }
            }
        }
        return elected;
    }

    /**
     * Starts, replaces or (with a null {@code target}) cancels the reassignment of a partition, as Kafka's
     * AlterPartitionReassignments does ({@link PartitionChanges#reassign}).
     *
     * @param allowReplicationFactorChange false refuses a target of another size than the partition's replicas before
     *     the reassignment
     * @return 0, or the negated Kafka error code of the refusal
     */
    long alterReassignment(TopicPartition tp, List<Integer> target, boolean allowReplicationFactorChange) {
        TopicMetadata topic = image.topic(tp.topic()).orElse(null);
        PartitionState s =
                topic == null ? null : image.partitions(topic.topicId()).get(tp.partition());
        if (s == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        boolean reassigning =
                !s.addingReplicas().isEmpty() || !s.removingReplicas().isEmpty();
        PartitionState after;
        if (target == null) {
            if (!reassigning) {
                return -Errors.NO_REASSIGNMENT_IN_PROGRESS.code();
            }
            boolean unclean = image.uncleanElection(topic);
            if (PartitionChanges.cancelIsUnclean(s) && !unclean) {
                return -Errors.INVALID_REPLICA_ASSIGNMENT.code();
            }
            after = PartitionChanges.cancelReassignment(s, image.liveFor(topic.topicId(), tp.partition()), unclean);
        } else {
            if (target.isEmpty()
                    || new HashSet<>(target).size() != target.size()
                    || !target.stream().allMatch(id -> image.registered(id).isPresent())) {
                return -Errors.INVALID_REPLICA_ASSIGNMENT.code();
            }
            int current = s.replicas().size() - s.addingReplicas().size();
            if (!allowReplicationFactorChange && target.size() != current) {
                return -Errors.INVALID_REPLICATION_FACTOR.code();
            }
            after = PartitionChanges.reassign(s, target, image.liveFor(topic.topicId(), tp.partition()));
        }
        if (after != s) {
            image.setPartitions(topic, Map.of(tp.partition(), after));
        }
        return 0;
    }

    /**
     * The partitions a leader balance moves back to their preferred replica: for every broker, the partitions it is
     * the preferred replica of but does not lead count against it; when they are more than {@code percentage} per
     * cent of the partitions it prefers ({@code leader.imbalance.per.broker.percentage}), those of them where it is
     * alive and in the ISR are listed. In topic and partition order.
     */
    List<TopicPartition> imbalancedLeaders(int percentage) {
        Map<Integer, Integer> preferred = new HashMap<>();
        Map<Integer, List<TopicPartition>> notLed = new TreeMap<>();
        Map<Integer, List<TopicPartition>> electable = new HashMap<>();
        for (TopicMetadata t : image.sortedTopics()) {
            new TreeMap<>(image.partitions(t.topicId())).forEach((p, s) -> {
                int first = s.replicas().get(0);
                preferred.merge(first, 1, Integer::sum);
                if (s.leader() != first) {
                    TopicPartition tp = new TopicPartition(t.name(), p);
                    notLed.computeIfAbsent(first, b -> new ArrayList<>()).add(tp);
                    if (s.isr().contains(first) && image.isLive(first)) {
                        electable.computeIfAbsent(first, b -> new ArrayList<>()).add(tp);
                    }
                }
            });
        }
        List<TopicPartition> moves = new ArrayList<>();
        notLed.forEach((broker, tps) -> {
            if (tps.size() * 100L > (long) percentage * preferred.get(broker)) {
                moves.addAll(electable.getOrDefault(broker, List.of()));
            }
        });
        moves.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        return moves;
    }

    /** Partitions with a reassignment under way, by topic name, for ListPartitionReassignments. */
    Map<String, Map<Integer, PartitionState>> reassignments() {
        Map<String, Map<Integer, PartitionState>> all = new TreeMap<>();
        for (TopicMetadata t : image.sortedTopics()) {
            image.partitions(t.topicId()).forEach((p, s) -> {
                if (!s.addingReplicas().isEmpty() || !s.removingReplicas().isEmpty()) {
                    all.computeIfAbsent(t.name(), n -> new TreeMap<>()).put(p, s);
                }
            });
        }
        return all;
    }
}
