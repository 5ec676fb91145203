package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.security.AclSet;
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
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.protocol.Errors;

/**
 * The metadata after the last applied Raft log entry: topics, the state of each of their partitions (replicas, ISR,
 * leader, epochs), the next unreserved producer id, registered brokers and whether each is fenced, and the record of
 * each tiered partition's remote segments ({@link RemoteLogs}), dynamic broker configs and the ACLs. Only the state
 * machine's apply thread changes it, one command at a time, and the controller's decisions (who leads after a broker
 * is fenced) are made here, so every voter makes the same ones ({@link PartitionChanges}). Other threads read it at
 * any time and see each record either before or after a change: a topic's partition states are one immutable map,
 * replaced whole.
 *
 * <p>The image owns the topics, their partition states, the brokers and the producer-id mark, and applies the commands
 * that change them. The remote tier's record is its part {@link RemoteLogs}; its snapshot format is
 * {@link MetadataSnapshot}; {@link ImageDiff} turns it into changes for listeners.
 */
public final class MetadataImage {
    /** One partition of a topic by the topic's id, which a topic of the same name created later does not share. */
    public record PartitionRef(Uuid topicId, int partition) {}

    private final Map<String, TopicMetadata> topicsByName = new ConcurrentHashMap<>();
    private final Map<Uuid, TopicMetadata> topicsById = new ConcurrentHashMap<>();
    /** Topic id to its partitions' states by partition index; each value immutable. */
    private final Map<Uuid, Map<Integer, PartitionState>> partitions = new ConcurrentHashMap<>();

    private final Map<Integer, RegisteredBroker> brokers = new ConcurrentHashMap<>();
    /** The partitions' remote tiers. */
    private final RemoteLogs remoteLogs = new RemoteLogs(this);

    private final ReplicationControl replication = new ReplicationControl(this);
    /** The users' SCRAM credentials. */
    private final UserScramCredentials scramCredentials = new UserScramCredentials();

    private volatile long nextProducerId;
    /**
     * {@code unclean.leader.election.enable} for topics that do not set it: the active controller's broker setting,
     * logged ({@link MetadataCommand.SetUncleanElectionDefault}) so that every voter decides with the same value.
     */
    private volatile boolean uncleanElectionDefault;
    /** Dynamic broker configs by entity: {@code ""} the cluster default, else a node id; each value immutable. */
    private final Map<String, Map<String, String>> brokerConfigs = new ConcurrentHashMap<>();
    /** The cluster's ACLs, replaced whole at each change. */
    private volatile AclSet acls = AclSet.EMPTY;
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
        return remoteLogs.segments(topicId, partition);
    }

    /** One recorded remote segment of the partition, empty once its deletion finished (or never recorded). */
    public Optional<RemoteSegmentRecord> remoteSegment(Uuid topicId, int partition, Uuid segmentId) {
        return remoteLogs.segment(topicId, partition, segmentId);
    }

    /** The users' SCRAM credentials, which applies {@link MetadataCommand.AlterScramCredentials}. */
    UserScramCredentials scramCredentials() {
        return scramCredentials;
    }

    /** The record of the partitions' remote tiers, which applies the remote segment commands. */
    RemoteLogs remoteLogs() {
        return remoteLogs;
    }

    /** The requests about existing partitions' replicas and leaders (ISR changes, elections, reassignments). */
    ReplicationControl replication() {
        return replication;
    }

    /** The partitions a leader balance moves back to their preferred replica ({@link ReplicationControl}). */
    public List<TopicPartition> imbalancedLeaders(int percentage) {
        return replication.imbalancedLeaders(percentage);
    }

    /** Partitions with a reassignment under way, by topic name, for ListPartitionReassignments. */
    public Map<String, Map<Integer, PartitionState>> reassignments() {
        return replication.reassignments();
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
    IntPredicate liveFor(Uuid topicId, int partition) {
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

    /** The dynamic broker configs of an entity ({@code ""} for the cluster default, else a node id); maybe empty. */
    public Map<String, String> brokerConfigs(String entity) {
        return brokerConfigs.getOrDefault(entity, Map.of());
    }

    /** Every entity with dynamic broker configs, sorted by entity. */
    public Map<String, Map<String, String>> allBrokerConfigs() {
        return new TreeMap<>(brokerConfigs);
    }

    public AclSet acls() {
        return acls;
    }

    /** Tells the listeners of this change when the command being applied is done (apply thread). */
    void recordChange(ClusterChange change) {
        changes.add(change);
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

    void changeAcls(List<AclBinding> added, List<AclBinding> removed) {
        acls = acls.without(removed).with(added);
    }

    /** Replaces an entity's dynamic broker configs; an empty map removes the entity. */
    void setBrokerConfigs(String entity, Map<String, String> configs) {
        if (configs.isEmpty()) {
            brokerConfigs.remove(entity);
        } else {
            brokerConfigs.put(entity, Map.copyOf(configs));
        }
        recordChange(new ClusterChange.BrokerConfigsChanged(entity, Map.copyOf(configs)));
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

    // ---- helpers of the changes ----

    /** The partition's state, null for an unknown topic or partition. */
    PartitionState stateOf(Uuid topicId, int partition) {
        return topicsById.containsKey(topicId) ? partitions(topicId).get(partition) : null;
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
    void setPartitions(TopicMetadata topic, Map<Integer, PartitionState> updates) {
        Map<Integer, PartitionState> next = new TreeMap<>(partitions(topic.topicId()));
        next.putAll(updates);
        partitions.put(topic.topicId(), Map.copyOf(next));
        new TreeMap<>(updates)
                .forEach((p, s) -> changes.add(
                        new ClusterChange.PartitionChanged(topic.topicId(), new TopicPartition(topic.name(), p), s)));
    }

    private void dropPartitions(TopicMetadata topic) {
        remoteLogs.dropTopic(topic.topicId());
        Map<Integer, PartitionState> removed = partitions.remove(topic.topicId());
        if (removed != null) {
            new TreeMap<>(removed)
                    .keySet()
                    .forEach(p -> changes.add(
                            new ClusterChange.PartitionDeleted(topic.topicId(), new TopicPartition(topic.name(), p))));
        }
    }

    /** The registered brokers by node id, the order of snapshots and listeners. */
    List<RegisteredBroker> sortedBrokers() {
        return brokers.values().stream()
                .sorted(Comparator.comparingInt(b -> b.registration().nodeId()))
                .toList();
    }

    /** The topics by name, the order every voter decides and writes them in. */
    List<TopicMetadata> sortedTopics() {
        return topicsByName.values().stream()
                .sorted(Comparator.comparing(TopicMetadata::name))
                .toList();
    }

    /**
     * The topic's own setting, else the logged broker default: never this voter's own config, which could differ from
     * another voter's, and apply must decide alike everywhere.
     */
    boolean uncleanElection(TopicMetadata topic) {
        String own = topic.configs().get(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG);
        return own == null ? uncleanElectionDefault : Boolean.parseBoolean(own.trim());
    }

    /** Everything in the image as changes, for a listener that registers, or after a snapshot replaced the image. */
    List<ClusterChange> asChanges() {
        return ImageDiff.all(this);
    }

    /** What changed from {@code before} to this image: partitions gone, then everything that differs. */
    List<ClusterChange> changesSince(MetadataImage before) {
        return ImageDiff.between(before, this);
    }

    /** Writes the image in the snapshot format ({@link MetadataSnapshot}). */
    void writeTo(DataOutputStream out) throws IOException {
        MetadataSnapshot.write(this, out);
    }

    /** Reads an image in the snapshot format ({@link MetadataSnapshot}), of any version. */
    static MetadataImage readFrom(DataInputStream in) throws IOException {
        return MetadataSnapshot.read(in);
    }

    // ---- loading a snapshot (MetadataSnapshot): no change is recorded ----

    void loadNextProducerId(long next) {
        nextProducerId = next;
    }

    void loadUncleanElectionDefault(boolean enable) {
        uncleanElectionDefault = enable;
    }

    void loadAcls(List<AclBinding> loaded) {
        acls = AclSet.of(loaded);
    }

    void loadBrokerConfigs(String entity, Map<String, String> configs) {
        brokerConfigs.put(entity, Map.copyOf(configs));
    }

    /** A topic and its partition states, null when the snapshot has none (version 1). */
    void loadTopic(TopicMetadata topic, Map<Integer, PartitionState> states) {
        topicsByName.put(topic.name(), topic);
        topicsById.put(topic.topicId(), topic);
        if (states != null) {
            partitions.put(topic.topicId(), Map.copyOf(states));
        }
    }

    void loadBroker(RegisteredBroker broker) {
        brokers.put(broker.registration().nodeId(), broker);
    }

    /** Gives the partitions of a snapshot without states theirs ({@link #fillMissingPartitions}). */
    void finishLoading(boolean withStates) {
        if (!withStates) {
            for (TopicMetadata t : sortedTopics()) {
                fillMissingPartitions(t);
            }
        }
        changes.clear();
    }
}
