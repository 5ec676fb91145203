package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.protocol.Errors;

/**
 * The metadata after the last applied Raft log entry: topics, the state of each of their partitions (replicas, ISR,
 * leader, epochs), the next unreserved producer id, registered brokers and whether each is fenced, and the record of
 * each tiered partition's remote segments ({@link #copySegmentFinished}). Only the state
 * machine's apply thread changes it, one command at a time, and the controller's decisions (who leads after a broker
 * is fenced) are made here, so every voter makes the same ones ({@link PartitionChanges}). Other threads read it at
 * any time and see each record either before or after a change: a topic's partition states are one immutable map,
 * replaced whole.
 *
 * <p>A snapshot is the whole image in one file, big-endian, records in the {@link MetadataCodec} encoding:
 *
 * <pre>
 *   int   format version (3)
 *   long  next producer id
 *   int   topic count, then the topics sorted by name, each followed by
 *           int partition-state count, then (int partition, state) sorted by partition
 *   int   broker count, then the brokers sorted by node id, each followed by byte {@link BrokerState} and
 *           int offline-replica count, then (uuid topic id, int partition) sorted
 *   byte  unclean.leader.election.enable broker default (1 or 0)
 *   int   remote log count, then sorted by topic id and partition: uuid topic id, int partition, long end offset,
 *           int segment count, then the remote segments sorted by start offset,
 *           int abandoned count, then the abandoned segment ids sorted
 * </pre>
 *
 * Version 2 had no offline replicas, no unclean-election default (none, false) and no remote logs.
 * Version 1 (before clusters) had neither partition states nor broker states: its brokers load fenced, and its
 * partitions get replicas [the one registered broker] as soon as exactly one is registered, which is how a single
 * node's metadata upgrades. A metadata image is small (a partition is tens of bytes), so writing it whole at every
 * snapshot is cheaper than any incremental scheme would be to read.
 */
public final class MetadataImage {
    private static final int FORMAT_VERSION = 3;
    private static final int FORMAT_VERSION_WITHOUT_OFFLINE_REPLICAS = 2;
    private static final int FORMAT_VERSION_WITHOUT_PARTITIONS = 1;

    /** A partition by topic id, the key of its remote log. */
    record PartitionKey(Uuid topicId, int partition) implements Comparable<PartitionKey> {
        @Override
        public int compareTo(PartitionKey o) {
            int byTopic = topicId.compareTo(o.topicId);
            return byTopic != 0 ? byTopic : Integer.compare(partition, o.partition);
        }
    }

    /**
     * The record of one partition's remote tier: its segments by id, the highest end offset ever recorded finished
     * (a copy must extend it, so that a new leader cannot record a second copy of an offset range), and the ids of
     * segments whose deletion started before they were ever recorded (failed copies: never recordable afterwards).
     */
    record RemoteLog(long endOffset, Map<Uuid, RemoteSegmentRecord> segments, Set<Uuid> abandoned) {
        static final RemoteLog EMPTY = new RemoteLog(-1L, Map.of(), Set.of());

        RemoteLog {
            segments = Map.copyOf(segments);
            abandoned = Set.copyOf(abandoned);
        }

        List<RemoteSegmentRecord> byStartOffset() {
            return segments.values().stream()
                    .sorted(Comparator.comparingLong(RemoteSegmentRecord::startOffset)
                            .thenComparing(RemoteSegmentRecord::segmentId))
                    .toList();
        }
    }

    /**
     * A registration, where the broker stands, and the replicas it reported offline (their log directory failed):
     * those neither lead nor stay in an ISR until the broker registers again (a restart, the directory repaired).
     */
    record RegisteredBroker(BrokerRegistration registration, BrokerState state, Set<PartitionRef> offline) {
        RegisteredBroker {
            offline = Set.copyOf(offline);
        }

        RegisteredBroker(BrokerRegistration registration, BrokerState state) {
            this(registration, state, Set.of());
        }

        RegisteredBroker withState(BrokerState to) {
            return new RegisteredBroker(registration, to, offline);
        }

        ClusterBroker toClusterBroker() {
            return new ClusterBroker(
                    registration.nodeId(),
                    registration.host(),
                    registration.port(),
                    registration.rack(),
                    state != BrokerState.UNFENCED);
        }
    }

    /** One partition of a topic by the topic's id, which a topic of the same name created later does not share. */
    public record PartitionRef(Uuid topicId, int partition) {}

    private final Map<String, TopicMetadata> topicsByName = new ConcurrentHashMap<>();
    private final Map<Uuid, TopicMetadata> topicsById = new ConcurrentHashMap<>();
    /** Topic id to its partitions' states by partition index; each value immutable. */
    private final Map<Uuid, Map<Integer, PartitionState>> partitions = new ConcurrentHashMap<>();

    private final Map<Integer, RegisteredBroker> brokers = new ConcurrentHashMap<>();
    /** Each immutable, replaced whole. */
    private final Map<PartitionKey, RemoteLog> remoteLogs = new ConcurrentHashMap<>();

    private volatile long nextProducerId;
    /**
     * {@code unclean.leader.election.enable} for topics that do not set it: the active controller's broker setting,
     * logged ({@link MetadataCommand.SetUncleanElectionDefault}) so that every voter decides with the same value.
     */
    private volatile boolean uncleanElectionDefault;
    /** What the command being applied changed, for the listeners (apply thread only). */
    private final List<ClusterChange> changes = new ArrayList<>();

    public Collection<TopicMetadata> topics() {
        return List.copyOf(topicsByName.values());
    }

    public Optional<TopicMetadata> topic(String name) {
        return Optional.ofNullable(topicsByName.get(name));
    }

    public Optional<TopicMetadata> topic(Uuid topicId) {
        return Optional.ofNullable(topicsById.get(topicId));
    }

    /** Every partition of a topic, by index; empty for an unknown topic. */
    public Map<Integer, PartitionState> partitions(Uuid topicId) {
        return partitions.getOrDefault(topicId, Map.of());
    }

    public Optional<PartitionState> partition(TopicPartition tp) {
        TopicMetadata t = topicsByName.get(tp.topic());
        return t == null
                ? Optional.empty()
                : Optional.ofNullable(partitions(t.topicId()).get(tp.partition()));
    }

    public Collection<BrokerRegistration> brokers() {
        return brokers.values().stream().map(RegisteredBroker::registration).toList();
    }

    public Collection<ClusterBroker> clusterBrokers() {
        return brokers.values().stream().map(RegisteredBroker::toClusterBroker).toList();
    }

    public Optional<ClusterBroker> clusterBroker(int nodeId) {
        return Optional.ofNullable(brokers.get(nodeId)).map(RegisteredBroker::toClusterBroker);
    }

    Optional<RegisteredBroker> registered(int nodeId) {
        return Optional.ofNullable(brokers.get(nodeId));
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    /** The partition's recorded remote segments, deleting ones included, by start offset. */
    public List<RemoteSegmentRecord> remoteSegments(Uuid topicId, int partition) {
        return remoteLogs
                .getOrDefault(new PartitionKey(topicId, partition), RemoteLog.EMPTY)
                .byStartOffset();
    }

    /** One recorded remote segment of the partition, empty once its deletion finished (or never recorded). */
    public Optional<RemoteSegmentRecord> remoteSegment(Uuid topicId, int partition, Uuid segmentId) {
        RemoteLog log = remoteLogs.get(new PartitionKey(topicId, partition));
        return log == null
                ? Optional.empty()
                : Optional.ofNullable(log.segments().get(segmentId));
    }

    /** Registered and unfenced: may lead and be in an ISR. */
    boolean isLive(int nodeId) {
        RegisteredBroker b = brokers.get(nodeId);
        return b != null && b.state() == BrokerState.UNFENCED;
    }

    /** The replicas of a partition that cannot serve it: fenced or unknown brokers, and replicas reported offline. */
    public List<Integer> offlineReplicas(TopicPartition tp) {
        TopicMetadata t = topicsByName.get(tp.topic());
        PartitionState s = t == null ? null : partitions(t.topicId()).get(tp.partition());
        if (s == null) {
            return List.of();
        }
        IntPredicate online = liveFor(t.topicId(), tp.partition());
        return s.replicas().stream().filter(r -> !online.test(r)).toList();
    }

    /** Live, and the replica of this partition on that broker is not offline. */
    private IntPredicate liveFor(Uuid topicId, int partition) {
        PartitionRef tip = new PartitionRef(topicId, partition);
        return nodeId -> {
            RegisteredBroker b = brokers.get(nodeId);
            return b != null
                    && b.state() == BrokerState.UNFENCED
                    && !b.offline().contains(tip);
        };
    }

    public boolean uncleanElectionDefault() {
        return uncleanElectionDefault;
    }

    /** The changes made since the last call (apply thread). */
    List<ClusterChange> drainChanges() {
        List<ClusterChange> drained = List.copyOf(changes);
        changes.clear();
        return drained;
    }

    // ---- changes, made by MetadataCommand.applyTo on the apply thread ----

    /** Creates or replaces a topic's record (the command of single-broker days, and config changes). */
    void putTopic(TopicMetadata topic) {
        TopicMetadata previous = topicsByName.put(topic.name(), topic);
        if (previous != null && !previous.topicId().equals(topic.topicId())) {
            topicsById.remove(previous.topicId());
            dropPartitions(previous);
        }
        topicsById.put(topic.topicId(), topic);
        fillMissingPartitions(topic);
        if (uncleanElection(topic)) {
            updatePartitions(topic, (p, s, live) -> PartitionChanges.electIfLeaderless(s, live, true));
        }
    }

    void removeTopic(String name) {
        TopicMetadata removed = topicsByName.remove(name);
        if (removed != null) {
            topicsById.remove(removed.topicId());
            dropPartitions(removed);
            for (RegisteredBroker b : List.copyOf(brokers.values())) {
                if (b.offline().stream().anyMatch(tip -> tip.topicId().equals(removed.topicId()))) {
                    Set<PartitionRef> left = new HashSet<>(b.offline());
                    left.removeIf(tip -> tip.topicId().equals(removed.topicId()));
                    brokers.put(b.registration().nodeId(), new RegisteredBroker(b.registration(), b.state(), left));
                }
            }
        }
    }

    /**
     * The broker default of {@code unclean.leader.election.enable}; turned on, partitions without a live ISR member
     * elect a live replica at once (those of topics that do not turn it off).
     */
    void setUncleanElectionDefault(boolean enable) {
        uncleanElectionDefault = enable;
        if (enable) {
            for (TopicMetadata t : sortedTopics()) {
                if (uncleanElection(t)) {
                    updatePartitions(t, (p, s, live) -> PartitionChanges.electIfLeaderless(s, live, true));
                }
            }
        }
    }

    /**
     * This incarnation of the broker lost the log directory that held these replicas: they leave the ISRs they are not
     * the last member of, and their leaderships move (Kafka's offline log dir handling). A stale incarnation's report
     * changes nothing.
     */
    void markReplicasOffline(int nodeId, Uuid incarnationId, List<PartitionRef> replicas) {
        RegisteredBroker b = brokers.get(nodeId);
        if (b == null || !b.registration().incarnationId().equals(incarnationId)) {
            return;
        }
        Set<PartitionRef> offline = new HashSet<>(b.offline());
        for (PartitionRef tip : replicas) {
            offline.add(tip);
        }
        if (offline.equals(b.offline())) {
            return;
        }
        brokers.put(nodeId, new RegisteredBroker(b.registration(), b.state(), offline));
        for (TopicMetadata t : sortedTopics()) {
            boolean unclean = uncleanElection(t);
            updatePartitions(
                    t,
                    (p, s, live) -> s.isReplica(nodeId) && !live.test(nodeId)
                            ? PartitionChanges.withoutBroker(s, nodeId, live, unclean)
                            : s);
        }
    }

    /**
     * Creates a topic whose partition {@code i} has the replicas {@code assignment.get(i)}.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long createTopic(TopicMetadata topic, List<List<Integer>> assignment) {
        if (topicsByName.containsKey(topic.name()) || topicsById.containsKey(topic.topicId())) {
            return -Errors.TOPIC_ALREADY_EXISTS.code();
        }
        if (assignment.size() != topic.partitions() || !assignable(assignment)) {
            return -Errors.INVALID_REPLICA_ASSIGNMENT.code();
        }
        topicsByName.put(topic.name(), topic);
        topicsById.put(topic.topicId(), topic);
        Map<Integer, PartitionState> states = new HashMap<>();
        for (int p = 0; p < assignment.size(); p++) {
            states.put(p, PartitionChanges.initial(assignment.get(p), this::isLive));
        }
        setPartitions(topic, states);
        return 0;
    }

    /**
     * Grows a topic to {@code newCount} partitions, the new ones with these replicas.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long createPartitions(String name, int newCount, List<List<Integer>> assignment) {
        TopicMetadata topic = topicsByName.get(name);
        if (topic == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        if (newCount != topic.partitions() + assignment.size()) {
            return -Errors.INVALID_PARTITIONS.code();
        }
        if (!assignable(assignment)) {
            return -Errors.INVALID_REPLICA_ASSIGNMENT.code();
        }
        TopicMetadata grown = topic.withPartitions(newCount);
        topicsByName.put(name, grown);
        topicsById.put(grown.topicId(), grown);
        Map<Integer, PartitionState> states = new HashMap<>();
        for (int i = 0; i < assignment.size(); i++) {
            states.put(topic.partitions() + i, PartitionChanges.initial(assignment.get(i), this::isLive));
        }
        setPartitions(grown, states);
        return 0;
    }

    /** Every replica registered, none twice in a partition, and at least one alive in each partition. */
    private boolean assignable(List<List<Integer>> assignment) {
        for (List<Integer> replicas : assignment) {
            if (replicas.isEmpty()
                    || new HashSet<>(replicas).size() != replicas.size()
                    || !replicas.stream().allMatch(brokers::containsKey)
                    || replicas.stream().noneMatch(this::isLive)) {
                return false;
            }
        }
        return true;
    }

    long reserveProducerIds(int count) {
        long first = nextProducerId;
        nextProducerId = first + count;
        return first;
    }

    /**
     * Records a broker's registration. A new incarnation (a restart) is fenced until the controller sees its
     * heartbeat, and leaves whatever it led or was in sync for; the same incarnation registering again only updates
     * its address.
     */
    void registerBroker(BrokerRegistration broker) {
        RegisteredBroker existing = brokers.get(broker.nodeId());
        if (existing != null && existing.registration().incarnationId().equals(broker.incarnationId())) {
            if (!existing.registration().equals(broker)) {
                putBroker(new RegisteredBroker(broker, existing.state()));
            }
            return;
        }
        putBroker(new RegisteredBroker(broker, BrokerState.FENCED));
        if (existing != null && existing.state() == BrokerState.UNFENCED) {
            leave(broker.nodeId());
        }
        for (TopicMetadata t : sortedTopics()) {
            fillMissingPartitions(t);
        }
    }

    /** The controller stopped hearing from the broker. */
    void fenceBroker(int nodeId) {
        if (moveBroker(nodeId, BrokerState.FENCED)) {
            leave(nodeId);
        }
    }

    /** The broker leaves before it stops (SIGTERM): fenced until it registers again. */
    void shutDownBroker(int nodeId) {
        if (moveBroker(nodeId, BrokerState.SHUT_DOWN)) {
            leave(nodeId);
        }
    }

    /** The controller heard from this incarnation of the broker: it may lead again, first where nobody leads. */
    void unfenceBroker(int nodeId, Uuid incarnationId) {
        RegisteredBroker b = brokers.get(nodeId);
        if (b == null || !b.registration().incarnationId().equals(incarnationId)) {
            return;
        }
        if (moveBroker(nodeId, BrokerState.UNFENCED)) {
            for (TopicMetadata t : sortedTopics()) {
                boolean unclean = uncleanElection(t);
                updatePartitions(
                        t,
                        (p, s, live) -> s.isReplica(nodeId) ? PartitionChanges.electIfLeaderless(s, live, unclean) : s);
            }
        }
    }

    /**
     * A partition leader's new ISR, refused unless it comes from the current leader at the current epochs and names
     * only live replicas, the leader among them.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long alterIsr(TopicPartition tp, int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr) {
        TopicMetadata topic = topicsByName.get(tp.topic());
        PartitionState s = topic == null ? null : partitions(topic.topicId()).get(tp.partition());
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
        IntPredicate live = liveFor(topic.topicId(), tp.partition());
        if (!newIsr.stream().allMatch(live::test)) {
            return -Errors.INELIGIBLE_REPLICA.code();
        }
        PartitionState after = PartitionChanges.completeReassignment(PartitionChanges.withIsr(s, newIsr), live);
        setPartitions(topic, Map.of(tp.partition(), after));
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
            TopicMetadata topic = topicsByName.get(tp.topic());
            PartitionState s =
                    topic == null ? null : partitions(topic.topicId()).get(tp.partition());
            if (s != null) {
                IntPredicate live = liveFor(topic.topicId(), tp.partition());
                PartitionState after =
                        unclean ? PartitionChanges.uncleanLeader(s, live) : PartitionChanges.preferredLeader(s, live);
                if (after != s) {
                    setPartitions(topic, Map.of(tp.partition(), after));
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
        TopicMetadata topic = topicsByName.get(tp.topic());
        PartitionState s = topic == null ? null : partitions(topic.topicId()).get(tp.partition());
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
            boolean unclean = uncleanElection(topic);
            if (PartitionChanges.cancelIsUnclean(s) && !unclean) {
                return -Errors.INVALID_REPLICA_ASSIGNMENT.code();
            }
            after = PartitionChanges.cancelReassignment(s, liveFor(topic.topicId(), tp.partition()), unclean);
        } else {
            if (target.isEmpty()
                    || new HashSet<>(target).size() != target.size()
                    || !target.stream().allMatch(brokers::containsKey)) {
                return -Errors.INVALID_REPLICA_ASSIGNMENT.code();
            }
            int current = s.replicas().size() - s.addingReplicas().size();
            if (!allowReplicationFactorChange && target.size() != current) {
                return -Errors.INVALID_REPLICATION_FACTOR.code();
            }
            after = PartitionChanges.reassign(s, target, liveFor(topic.topicId(), tp.partition()));
        }
        if (after != s) {
            setPartitions(topic, Map.of(tp.partition(), after));
        }
        return 0;
    }

    /**
     * Records a segment the partition's leader copied: refused (FENCED_LEADER_EPOCH) unless {@code leaderId} leads the
     * partition in {@code leaderEpoch} now, so a copy an ex-leader finishes is never recorded and its copier cleans it
     * up; refused (INVALID_REQUEST) if the segment was abandoned or does not end above every segment recorded so far,
     * so that a new leader continuing the remote tier can neither re-record an offset range nor leave a hole behind
     * the old one's. Recording the same segment twice changes nothing.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long copySegmentFinished(Uuid topicId, int partition, int leaderId, int leaderEpoch, RemoteSegmentRecord segment) {
        TopicMetadata topic = topicsById.get(topicId);
        PartitionState s = stateOf(topicId, partition);
        PartitionKey key = new PartitionKey(topicId, partition);
        RemoteLog log = remoteLogs.getOrDefault(key, RemoteLog.EMPTY);
        if (s == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        if (segment.equals(log.segments().get(segment.segmentId()))) {
            return 0;
        }
        if (s.leader() != leaderId || s.leaderEpoch() != leaderEpoch) {
            return -Errors.FENCED_LEADER_EPOCH.code();
        }
        if (log.abandoned().contains(segment.segmentId())
                || log.segments().containsKey(segment.segmentId())
                || segment.endOffset() <= log.endOffset()) {
            return -Errors.INVALID_REQUEST.code();
        }
        Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>(log.segments());
        segments.put(segment.segmentId(), segment);
        putRemoteLog(topic, key, new RemoteLog(segment.endOffset(), segments, log.abandoned()), segment.segmentId());
        return 0;
    }

    /**
     * The partitions a leader balance moves back to their preferred replica: for every broker, the partitions it is
     * the preferred replica of but does not lead count against it; when they are more than {@code percentage} per
     * cent of the partitions it prefers ({@code leader.imbalance.per.broker.percentage}), those of them where it is
     * alive and in the ISR are listed. In topic and partition order.
     */
    public List<TopicPartition> imbalancedLeaders(int percentage) {
        Map<Integer, Integer> preferred = new HashMap<>();
        Map<Integer, List<TopicPartition>> notLed = new TreeMap<>();
        Map<Integer, List<TopicPartition>> electable = new HashMap<>();
        for (TopicMetadata t : sortedTopics()) {
            new TreeMap<>(partitions(t.topicId())).forEach((p, s) -> {
                int first = s.replicas().get(0);
                preferred.merge(first, 1, Integer::sum);
                if (s.leader() != first) {
                    TopicPartition tp = new TopicPartition(t.name(), p);
                    notLed.computeIfAbsent(first, b -> new ArrayList<>()).add(tp);
                    if (s.isr().contains(first) && isLive(first)) {
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
    public Map<String, Map<Integer, PartitionState>> reassignments() {
        Map<String, Map<Integer, PartitionState>> all = new TreeMap<>();
        for (TopicMetadata t : sortedTopics()) {
            partitions(t.topicId()).forEach((p, s) -> {
                if (!s.addingReplicas().isEmpty() || !s.removingReplicas().isEmpty()) {
                    all.computeIfAbsent(t.name(), n -> new TreeMap<>()).put(p, s);
                }
            });
        }
        return all;
    }

    /**
     * Marks a recorded segment as being deleted, refused (FENCED_LEADER_EPOCH) unless {@code leaderId} leads the
     * partition in {@code leaderEpoch}. A segment never recorded is abandoned instead, from any broker: its copier is
     * cleaning up a failed copy, which must then never be recorded.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long deleteSegmentStarted(Uuid topicId, int partition, int leaderId, int leaderEpoch, Uuid segmentId) {
        TopicMetadata topic = topicsById.get(topicId);
        PartitionState s = stateOf(topicId, partition);
        PartitionKey key = new PartitionKey(topicId, partition);
        RemoteLog log = remoteLogs.getOrDefault(key, RemoteLog.EMPTY);
        if (s == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        RemoteSegmentRecord segment = log.segments().get(segmentId);
        if (segment == null) {
            if (!log.abandoned().contains(segmentId)) {
                Set<Uuid> abandoned = new HashSet<>(log.abandoned());
                abandoned.add(segmentId);
                remoteLogs.put(key, new RemoteLog(log.endOffset(), log.segments(), abandoned));
            }
            return 0;
        }
        if (segment.deleting()) {
            return 0;
        }
        if (s.leader() != leaderId || s.leaderEpoch() != leaderEpoch) {
            return -Errors.FENCED_LEADER_EPOCH.code();
        }
        Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>(log.segments());
        segments.put(segmentId, segment.asDeleting());
        putRemoteLog(topic, key, new RemoteLog(log.endOffset(), segments, log.abandoned()), segmentId);
        return 0;
    }

    /**
     * Forgets a segment whose data is gone; refused (INVALID_REQUEST) for a segment whose deletion never started.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long deleteSegmentFinished(Uuid topicId, int partition, Uuid segmentId) {
        TopicMetadata topic = topicsById.get(topicId);
        PartitionKey key = new PartitionKey(topicId, partition);
        RemoteLog log = remoteLogs.get(key);
        RemoteSegmentRecord segment = log == null ? null : log.segments().get(segmentId);
        if (topic == null || segment == null) {
            return 0;
        }
        if (!segment.deleting()) {
            return -Errors.INVALID_REQUEST.code();
        }
        Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>(log.segments());
        segments.remove(segmentId);
        putRemoteLog(topic, key, new RemoteLog(log.endOffset(), segments, log.abandoned()), segmentId);
        return 0;
    }

    // ---- helpers of the changes ----

    /** The partition's state, null for an unknown topic or partition. */
    private PartitionState stateOf(Uuid topicId, int partition) {
        return topicsById.containsKey(topicId) ? partitions(topicId).get(partition) : null;
    }

    private void putRemoteLog(TopicMetadata topic, PartitionKey key, RemoteLog log, Uuid changed) {
        remoteLogs.put(key, log);
        changes.add(new ClusterChange.RemoteSegmentChanged(
                key.topicId(),
                new TopicPartition(topic.name(), key.partition()),
                changed,
                Optional.ofNullable(log.segments().get(changed))));
    }

    private boolean moveBroker(int nodeId, BrokerState to) {
        RegisteredBroker b = brokers.get(nodeId);
        if (b == null || !b.state().isValidTransition(to)) {
            return false;
        }
        putBroker(b.withState(to));
        return true;
    }

    private void putBroker(RegisteredBroker b) {
        brokers.put(b.registration().nodeId(), b);
        changes.add(new ClusterChange.BrokerChanged(b.toClusterBroker()));
    }

    /** The broker (no longer live) leaves the ISRs it is not the last member of, and its leaderships move. */
    private void leave(int nodeId) {
        for (TopicMetadata t : sortedTopics()) {
            boolean unclean = uncleanElection(t);
            updatePartitions(
                    t,
                    (p, s, live) -> s.isReplica(nodeId) || s.isr().contains(nodeId) || s.leader() == nodeId
                            ? PartitionChanges.completeReassignment(
                                    PartitionChanges.withoutBroker(s, nodeId, live, unclean), live)
                            : s);
        }
    }

    /**
     * Partitions of single-broker days have no state; once exactly one broker is registered they get replicas [it],
     * which is what they always had.
     */
    private void fillMissingPartitions(TopicMetadata topic) {
        if (brokers.size() != 1) {
            return;
        }
        int only = brokers.keySet().iterator().next();
        Map<Integer, PartitionState> existing = partitions(topic.topicId());
        Map<Integer, PartitionState> missing = new HashMap<>();
        for (int p = 0; p < topic.partitions(); p++) {
            if (!existing.containsKey(p)) {
                missing.put(p, PartitionChanges.initial(List.of(only), this::isLive));
            }
        }
        if (!missing.isEmpty()) {
            setPartitions(topic, missing);
        }
    }

    /** A decision about one partition, given which replicas can serve it ({@link #liveFor}). */
    private interface PartitionChange {
        PartitionState apply(int partition, PartitionState state, IntPredicate live);
    }

    private void updatePartitions(TopicMetadata topic, PartitionChange change) {
        Map<Integer, PartitionState> updates = new HashMap<>();
        partitions(topic.topicId()).forEach((p, s) -> {
            PartitionState after = change.apply(p, s, liveFor(topic.topicId(), p));
            if (!after.equals(s)) {
                updates.put(p, after);
            }
        });
        if (!updates.isEmpty()) {
            setPartitions(topic, updates);
        }
    }

    /** Replaces the topic's partition map with one that has these states (one write: readers see all or none). */
    private void setPartitions(TopicMetadata topic, Map<Integer, PartitionState> updates) {
        Map<Integer, PartitionState> next = new TreeMap<>(partitions(topic.topicId()));
        next.putAll(updates);
        partitions.put(topic.topicId(), Map.copyOf(next));
        new TreeMap<>(updates)
                .forEach((p, s) -> changes.add(
                        new ClusterChange.PartitionChanged(topic.topicId(), new TopicPartition(topic.name(), p), s)));
    }

    private void dropPartitions(TopicMetadata topic) {
        remoteLogs.keySet().removeIf(k -> k.topicId().equals(topic.topicId()));
        Map<Integer, PartitionState> removed = partitions.remove(topic.topicId());
        if (removed != null) {
            new TreeMap<>(removed)
                    .keySet()
                    .forEach(p -> changes.add(
                            new ClusterChange.PartitionDeleted(topic.topicId(), new TopicPartition(topic.name(), p))));
        }
    }

    private List<TopicMetadata> sortedTopics() {
        return topicsByName.values().stream()
                .sorted(Comparator.comparing(TopicMetadata::name))
                .toList();
    }

    /**
     * The topic's own setting, else the logged broker default: never this voter's own config, which could differ from
     * another voter's, and apply must decide alike everywhere.
     */
    private boolean uncleanElection(TopicMetadata topic) {
        String own = topic.configs().get(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG);
        return own == null ? uncleanElectionDefault : Boolean.parseBoolean(own.trim());
    }

    /** Everything in the image as changes, for a listener that registers, or after a snapshot replaced the image. */
    List<ClusterChange> asChanges() {
        List<ClusterChange> all = new ArrayList<>();
        brokers.values().stream()
                .sorted(Comparator.comparingInt(b -> b.registration().nodeId()))
                .forEach(b -> all.add(new ClusterChange.BrokerChanged(b.toClusterBroker())));
        for (TopicMetadata t : sortedTopics()) {
            new TreeMap<>(partitions(t.topicId()))
                    .forEach((p, s) -> all.add(
                            new ClusterChange.PartitionChanged(t.topicId(), new TopicPartition(t.name(), p), s)));
        }
        new TreeMap<>(remoteLogs).forEach((key, log) -> {
            TopicMetadata t = topicsById.get(key.topicId());
            if (t != null) {
                for (RemoteSegmentRecord segment : log.byStartOffset()) {
                    all.add(new ClusterChange.RemoteSegmentChanged(
                            key.topicId(),
                            new TopicPartition(t.name(), key.partition()),
                            segment.segmentId(),
                            Optional.of(segment)));
                }
            }
        });
        return all;
    }

    /** What changed from {@code before} to this image: partitions gone, then everything that differs. */
    List<ClusterChange> changesSince(MetadataImage before) {
        List<ClusterChange> diff = new ArrayList<>();
        new TreeMap<>(before.remoteLogs).forEach((key, log) -> {
            TopicMetadata t = topicsById.get(key.topicId());
            for (RemoteSegmentRecord segment : log.byStartOffset()) {
                if (t != null
                        && remoteSegment(key.topicId(), key.partition(), segment.segmentId())
                                .isEmpty()) {
                    diff.add(new ClusterChange.RemoteSegmentChanged(
                            key.topicId(),
                            new TopicPartition(t.name(), key.partition()),
                            segment.segmentId(),
                            Optional.empty()));
                }
            }
        });
        for (TopicMetadata t : before.sortedTopics()) {
            TopicMetadata now = topicsById.get(t.topicId());
            for (int p : new TreeMap<>(before.partitions(t.topicId())).keySet()) {
                if (now == null || !partitions(t.topicId()).containsKey(p)) {
                    diff.add(new ClusterChange.PartitionDeleted(t.topicId(), new TopicPartition(t.name(), p)));
                }
            }
        }
        for (ClusterChange c : asChanges()) {
            boolean same;
            if (c instanceof ClusterChange.BrokerChanged b) {
                same = before.clusterBroker(b.broker().nodeId()).equals(Optional.of(b.broker()));
            } else if (c instanceof ClusterChange.PartitionChanged p) {
                same = before.topic(p.topicId()).isPresent()
                        && before.partition(p.tp()).equals(Optional.of(p.state()));
            } else if (c instanceof ClusterChange.RemoteSegmentChanged r) {
                same = before.remoteSegment(r.topicId(), r.tp().partition(), r.segmentId())
                        .equals(r.segment());
            } else {
                same = false;
            }
            if (!same) {
                diff.add(c);
            }
        }
        return diff;
    }

    void writeTo(DataOutputStream out) throws IOException {
        out.writeInt(FORMAT_VERSION);
        out.writeLong(nextProducerId);
        List<TopicMetadata> topics = sortedTopics();
        out.writeInt(topics.size());
        for (TopicMetadata t : topics) {
            MetadataCodec.writeTopic(out, t);
            Map<Integer, PartitionState> states = new TreeMap<>(partitions(t.topicId()));
            out.writeInt(states.size());
            for (Map.Entry<Integer, PartitionState> e : states.entrySet()) {
                out.writeInt(e.getKey());
                MetadataCodec.writePartitionState(out, e.getValue());
            }
        }
        List<RegisteredBroker> registered = brokers.values().stream()
                .sorted(Comparator.comparingInt(b -> b.registration().nodeId()))
                .toList();
        out.writeInt(registered.size());
        for (RegisteredBroker b : registered) {
            MetadataCodec.writeBroker(out, b.registration());
            out.writeByte(b.state().code);
            List<PartitionRef> offline = b.offline().stream()
                    .sorted(Comparator.comparing((PartitionRef r) -> r.topicId().toString())
                            .thenComparingInt(PartitionRef::partition))
                    .toList();
            out.writeInt(offline.size());
            for (PartitionRef r : offline) {
                MetadataCodec.writeUuid(out, r.topicId());
                out.writeInt(r.partition());
            }
        }
        out.writeByte(uncleanElectionDefault ? 1 : 0);
        Map<PartitionKey, RemoteLog> logs = new TreeMap<>(remoteLogs);
        out.writeInt(logs.size());
        for (Map.Entry<PartitionKey, RemoteLog> e : logs.entrySet()) {
            MetadataCodec.writeUuid(out, e.getKey().topicId());
            out.writeInt(e.getKey().partition());
            RemoteLog log = e.getValue();
            out.writeLong(log.endOffset());
            List<RemoteSegmentRecord> segments = log.byStartOffset();
            out.writeInt(segments.size());
            for (RemoteSegmentRecord segment : segments) {
                MetadataCodec.writeRemoteSegment(out, segment);
            }
            List<Uuid> abandoned = log.abandoned().stream().sorted().toList();
            out.writeInt(abandoned.size());
            for (Uuid id : abandoned) {
                MetadataCodec.writeUuid(out, id);
            }
        }
    }

    static MetadataImage readFrom(DataInputStream in) throws IOException {
        int version = in.readInt();
        if (version != FORMAT_VERSION
                && version != FORMAT_VERSION_WITHOUT_OFFLINE_REPLICAS
                && version != FORMAT_VERSION_WITHOUT_PARTITIONS) {
            throw new IOException("Unknown metadata snapshot format version " + version);
        }
        boolean withStates = version >= FORMAT_VERSION_WITHOUT_OFFLINE_REPLICAS;
        boolean withOffline = version >= FORMAT_VERSION;
        MetadataImage image = new MetadataImage();
        image.nextProducerId = in.readLong();
        int topics = in.readInt();
        for (int i = 0; i < topics; i++) {
            TopicMetadata t = MetadataCodec.readTopic(in);
            image.topicsByName.put(t.name(), t);
            image.topicsById.put(t.topicId(), t);
            if (withStates) {
                int count = in.readInt();
                if (count < 0 || count > MetadataCodec.MAX_LIST_LENGTH) {
                    throw new IOException("Invalid partition count " + count + " of topic " + t.name());
                }
                Map<Integer, PartitionState> states = new HashMap<>();
                for (int p = 0; p < count; p++) {
                    states.put(in.readInt(), MetadataCodec.readPartitionState(in));
                }
                image.partitions.put(t.topicId(), Map.copyOf(states));
            }
        }
        int brokers = in.readInt();
        for (int i = 0; i < brokers; i++) {
            BrokerRegistration b = MetadataCodec.readBroker(in);
            BrokerState state = withStates ? BrokerState.fromCode(in.readByte()) : BrokerState.FENCED;
            Set<PartitionRef> offline = new HashSet<>();
            int offlineCount = withOffline ? in.readInt() : 0;
            if (offlineCount < 0 || offlineCount > MetadataCodec.MAX_LIST_LENGTH) {
                throw new IOException("Invalid offline replica count " + offlineCount + " of broker " + b.nodeId());
            }
            for (int r = 0; r < offlineCount; r++) {
                offline.add(new PartitionRef(MetadataCodec.readUuid(in), in.readInt()));
            }
            image.brokers.put(b.nodeId(), new RegisteredBroker(b, state, offline));
        }
        if (withOffline) {
            image.uncleanElectionDefault = in.readByte() != 0;
        }
        if (version >= FORMAT_VERSION) {
            int logs = in.readInt();
            if (logs < 0 || logs > MetadataCodec.MAX_LIST_LENGTH) {
                throw new IOException("Invalid remote log count " + logs);
            }
            for (int i = 0; i < logs; i++) {
                PartitionKey key = new PartitionKey(MetadataCodec.readUuid(in), in.readInt());
                long endOffset = in.readLong();
                int count = in.readInt();
                if (count < 0 || count > MetadataCodec.MAX_LIST_LENGTH) {
                    throw new IOException("Invalid remote segment count " + count + " of " + key);
                }
                Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>();
                for (int s = 0; s < count; s++) {
                    RemoteSegmentRecord segment = MetadataCodec.readRemoteSegment(in);
                    segments.put(segment.segmentId(), segment);
                }
                int abandonedCount = in.readInt();
                if (abandonedCount < 0 || abandonedCount > MetadataCodec.MAX_LIST_LENGTH) {
                    throw new IOException("Invalid abandoned segment count " + abandonedCount + " of " + key);
                }
                Set<Uuid> abandoned = new HashSet<>();
                for (int s = 0; s < abandonedCount; s++) {
                    abandoned.add(MetadataCodec.readUuid(in));
                }
                image.remoteLogs.put(key, new RemoteLog(endOffset, segments, abandoned));
            }
        }
        if (in.read() != -1) {
            throw new IOException("Bytes left after the metadata snapshot");
        }
        if (!withStates) {
            for (TopicMetadata t : image.sortedTopics()) {
                image.fillMissingPartitions(t);
            }
        }
        image.changes.clear();
        return image;
    }
}
