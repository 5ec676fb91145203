package dev.strata.broker.group;

import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumer groups on the KIP-848 protocol ({@code group.protocol=consumer}): members send ConsumerGroupHeartbeat with
 * their subscription and the partitions they own, the coordinator computes the target assignment with a server-side
 * assignor, and each member is moved towards its target one heartbeat at a time. A partition is given to its new
 * owner only once its previous owner has reported it revoked, so no partition is ever consumed by two members.
 *
 * <p>Epochs: the group epoch rises whenever membership, subscriptions or the subscribed topics' partition counts
 * change; the target assignment is recomputed for it. A member moves to the group's epoch once it has nothing left to
 * revoke; partitions its target gives it that another member still holds reach it when they are released. Offsets
 * are kept with every other group's by {@link GroupOffsets} (same store, same OffsetCommit/OffsetFetch); this class
 * only checks who may commit ({@link #validateCommit}). A group's state is made durable as one record, encoded by
 * {@link ConsumerGroupStateCodec}.
 *
 * <p>Each group is guarded by its own monitor; session timers run on the shared scheduler and take the same monitor.
 */
public final class ConsumerGroupCoordinator {
    private static final Logger log = LoggerFactory.getLogger(ConsumerGroupCoordinator.class);

    /** Settings with Kafka's names: {@code group.consumer.session.timeout.ms}, {@code .heartbeat.interval.ms}. */
    public record Settings(int sessionTimeoutMs, int heartbeatIntervalMs, int maxSize) {
        public static Settings defaults() {
            return new Settings(45_000, 5_000, Integer.MAX_VALUE);
        }
    }

    /** Finds topics by name and by id, and lists them (for regex subscriptions). */
    public interface Topics {
        Optional<TopicMetadata> byName(String name);

        Optional<TopicMetadata> byId(Uuid id);

        java.util.Collection<TopicMetadata> all();

        /** Finds topics in {@code topics}; lists {@code all}, the cluster's topics. */
        static Topics of(TopicManager topics, java.util.function.Supplier<java.util.Collection<TopicMetadata>> all) {
            return new Topics() {
                @Override
                public Optional<TopicMetadata> byName(String name) {
                    return topics.topic(name);
                }

                @Override
                public Optional<TopicMetadata> byId(Uuid id) {
                    return topics.topic(id);
                }

                @Override
                public java.util.Collection<TopicMetadata> all() {
                    return all.get();
                }
            };
        }
    }

    /** Where a group's state is made durable (a record in {@code __consumer_offsets}). */
    public interface StateStore {
        void store(String groupId, byte[] state);

        void delete(String groupId);

        StateStore NONE = new StateStore() {
            @Override
            public void store(String groupId, byte[] state) {}

            @Override
            public void delete(String groupId) {}
        };
    }

    private final Settings settings;
    private final Topics topics;
    private final ScheduledExecutorService timer;
    private final StateStore store;
    private final Map<String, ConsumerGroup> groups = new ConcurrentHashMap<>();

    public ConsumerGroupCoordinator(
            Settings settings, Topics topics, ScheduledExecutorService timer, StateStore store) {
        this.settings = settings;
        this.topics = topics;
        this.timer = timer;
        this.store = store;
    }

    public boolean hasGroup(String groupId) {
        return groups.containsKey(groupId);
    }

    public ConsumerHeartbeatResult heartbeat(ConsumerHeartbeat req) {
        if (req.groupId() == null || req.groupId().isEmpty()) {
            return error(Errors.INVALID_REQUEST, "GroupId can't be empty.");
        }
        if (req.serverAssignor() != null && ServerAssignor.named(req.serverAssignor()) == null) {
            return error(
                    Errors.UNSUPPORTED_ASSIGNOR,
                    "Assignor " + req.serverAssignor() + " is not supported; " + "use uniform or range.");
        }
        if (req.subscribedTopicRegex() != null) {
            try {
                Pattern.compile(req.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                return error(Errors.INVALID_REGULAR_EXPRESSION, e.getDescription());
            }
        }
        ConsumerGroup group = groups.computeIfAbsent(req.groupId(), ConsumerGroup::new);
        synchronized (group) {
            if (req.memberEpoch() < 0) {
                return leave(group, req);
            }
            ConsumerGroupMember member;
            if (req.memberEpoch() == 0) {
                if ((req.subscribedTopicNames() == null && req.subscribedTopicRegex() == null)
                        || req.rebalanceTimeoutMs() < 0 && req.memberId().isEmpty()) {
                    return error(Errors.INVALID_REQUEST, "A joining member must send its subscription.");
                }
                String id = req.memberId() == null || req.memberId().isEmpty()
                        ? Uuid.randomUuid().toString()
                        : req.memberId();
                member = group.members.get(id);
                if (member == null) {
                    if (group.members.size() >= settings.maxSize()) {
                        return error(Errors.GROUP_MAX_SIZE_REACHED, "The group is full.");
                    }
                    member = new ConsumerGroupMember(id, req.clientId(), req.clientHost());
                    group.members.put(id, member);
                    group.groupEpoch++;
                    log.info(
                            "Member {} joined consumer group {} (group epoch {})", id, group.groupId, group.groupEpoch);
                }
                member.assignmentChanged = true;
            } else {
                member = group.members.get(req.memberId());
                if (member == null) {
                    return error(Errors.UNKNOWN_MEMBER_ID, "Member " + req.memberId() + " is not in the group.");
                }
                if (req.memberEpoch() != member.memberEpoch && req.memberEpoch() != member.previousMemberEpoch) {
                    return error(
                            Errors.FENCED_MEMBER_EPOCH,
                            "Member epoch " + req.memberEpoch() + " does not match the current epoch "
                                    + member.memberEpoch + ".");
                }
            }
            updateMember(group, member, req);
            maybeComputeTarget(group);
            reconcile(group, member);
            scheduleSessionExpiry(group, member);
            Map<Uuid, List<Integer>> assignment = null;
            if (member.assignmentChanged) {
                assignment = new LinkedHashMap<>();
                for (var e : member.assigned.entrySet()) {
                    assignment.put(e.getKey(), new ArrayList<>(new TreeSet<>(e.getValue())));
                }
                member.assignmentChanged = false;
            }
            ConsumerHeartbeatResult r = new ConsumerHeartbeatResult(
                    Errors.NONE, null, member.memberId, member.memberEpoch, settings.heartbeatIntervalMs(), assignment);
            try {
                persist(group);
            } catch (org.apache.kafka.common.errors.ApiException e) {
                log.warn("Cannot store consumer group {}: {}", group.groupId, e.toString());
                return error(Errors.forException(e), e.getMessage());
            }
            return r;
        }
    }

    private void updateMember(ConsumerGroup group, ConsumerGroupMember m, ConsumerHeartbeat req) {
        if (req.instanceId() != null) {
            m.instanceId = req.instanceId();
        }
        if (req.rackId() != null) {
            m.rackId = req.rackId();
        }
        if (req.rebalanceTimeoutMs() > 0) {
            m.rebalanceTimeoutMs = req.rebalanceTimeoutMs();
        }
        if (req.serverAssignor() != null && !req.serverAssignor().equals(m.serverAssignor)) {
            m.serverAssignor = req.serverAssignor();
            group.groupEpoch++;
        }
        if (req.subscribedTopicNames() != null
                && !new HashSet<>(req.subscribedTopicNames()).equals(new HashSet<>(m.subscribedTopicNames))) {
            m.subscribedTopicNames = List.copyOf(req.subscribedTopicNames());
            group.groupEpoch++;
        }
        if (req.subscribedTopicRegex() != null && !req.subscribedTopicRegex().equals(m.subscribedTopicRegex)) {
            m.subscribedTopicRegex = req.subscribedTopicRegex().isEmpty() ? null : req.subscribedTopicRegex();
            group.groupEpoch++;
        }
        if (req.mayDescribeTopic() != null) {
            m.mayDescribeTopic = req.mayDescribeTopic();
        }
        if (req.ownedPartitions() != null) {
            Map<Uuid, Set<Integer>> owned = new HashMap<>();
            req.ownedPartitions().forEach((topicId, partitions) -> owned.put(topicId, new HashSet<>(partitions)));
            m.owned = owned;
        }
    }

    private Set<Uuid> subscribedTopicIds(ConsumerGroupMember m) {
        return SubscribedTopics.ids(m, topics);
    }

    /** Recomputes the target when the group epoch moved or a subscribed topic gained partitions. */
    private void maybeComputeTarget(ConsumerGroup group) {
        List<ServerAssignor.Subscriber> subscribers = new ArrayList<>();
        Map<Uuid, Integer> counts = new HashMap<>();
        for (ConsumerGroupMember m : group.members.values()) {
            Set<Uuid> ids = subscribedTopicIds(m);
            subscribers.add(new ServerAssignor.Subscriber(m.memberId, ids));
            for (Uuid id : ids) {
                topics.byId(id).ifPresent(t -> counts.put(id, t.partitions()));
            }
        }
        if (!counts.equals(group.subscribedPartitionCounts)) {
            group.subscribedPartitionCounts.clear();
            group.subscribedPartitionCounts.putAll(counts);
            group.groupEpoch++;
        }
        if (group.assignmentEpoch == group.groupEpoch) {
            return;
        }
        String assignorName = group.members.values().stream()
                .map(m -> m.serverAssignor)
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(ServerAssignor.UNIFORM.name());
        ServerAssignor assignor = ServerAssignor.named(assignorName);
        Map<String, Map<Uuid, Set<Integer>>> current = new HashMap<>();
        group.members.values().forEach(m -> current.put(m.memberId, m.assigned));
        group.target = assignor.assign(subscribers, counts, current);
        group.assignorName = assignor.name();
        group.assignmentEpoch = group.groupEpoch;
        log.info(
                "Consumer group {} has a new target assignment in epoch {} ({} members, assignor {})",
                group.groupId,
                group.groupEpoch,
                group.members.size(),
                assignor.name());
    }

    /** Moves one member towards its target: revoke first; add only partitions no other member still holds. */
    private void reconcile(ConsumerGroup group, ConsumerGroupMember m) {
        Map<Uuid, Set<Integer>> target = group.target.getOrDefault(m.memberId, Map.of());
        Map<Uuid, Set<Integer>> keep = new HashMap<>();
        boolean revoking = false;
        for (var e : m.assigned.entrySet()) {
            Set<Integer> stay = new HashSet<>(e.getValue());
            stay.retainAll(target.getOrDefault(e.getKey(), Set.of()));
            if (stay.size() != e.getValue().size()) {
                revoking = true;
            }
            if (!stay.isEmpty()) {
                keep.put(e.getKey(), stay);
            }
        }
        if (revoking) {
            m.assigned = keep;
            m.assignmentChanged = true;
        }
        if (stillOwnsRevoked(m)) {
            return; // wait until the member reports the revoked partitions gone
        }
        boolean added = false;
        for (var e : target.entrySet()) {
            for (int p : e.getValue()) {
                if (m.assigned.getOrDefault(e.getKey(), Set.of()).contains(p)) {
                    continue;
                }
                if (heldByAnother(group, m, e.getKey(), p)) {
                    continue;
                }
                m.assigned.computeIfAbsent(e.getKey(), t -> new HashSet<>()).add(p);
                added = true;
            }
        }
        if (added) {
            m.assignmentChanged = true;
        }
        // Nothing left to revoke: the member moves to the target epoch now; partitions still held by others reach it
        // on a later heartbeat, once they are released.
        if (m.memberEpoch != group.assignmentEpoch) {
            m.previousMemberEpoch = m.memberEpoch;
            m.memberEpoch = group.assignmentEpoch;
        }
    }

    private static boolean stillOwnsRevoked(ConsumerGroupMember m) {
        for (var e : m.owned.entrySet()) {
            for (int p : e.getValue()) {
                if (!m.assigned.getOrDefault(e.getKey(), Set.of()).contains(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean heldByAnother(ConsumerGroup group, ConsumerGroupMember self, Uuid topic, int partition) {
        for (ConsumerGroupMember other : group.members.values()) {
            if (other != self
                    && (other.assigned.getOrDefault(topic, Set.of()).contains(partition)
                            || other.owned.getOrDefault(topic, Set.of()).contains(partition))) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameAssignment(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        Map<Uuid, Set<Integer>> x = new HashMap<>();
        a.forEach((k, v) -> {
            if (!v.isEmpty()) {
                x.put(k, v);
            }
        });
        Map<Uuid, Set<Integer>> y = new HashMap<>();
        b.forEach((k, v) -> {
            if (!v.isEmpty()) {
                y.put(k, v);
            }
        });
        return x.equals(y);
    }

    private ConsumerHeartbeatResult leave(ConsumerGroup group, ConsumerHeartbeat req) {
        ConsumerGroupMember m = group.members.get(req.memberId());
        if (m == null) {
            return error(Errors.UNKNOWN_MEMBER_ID, "Member " + req.memberId() + " is not in the group.");
        }
        remove(group, m, "left");
        persist(group);
        return new ConsumerHeartbeatResult(Errors.NONE, null, req.memberId(), req.memberEpoch(), 0, null);
    }

    private void remove(ConsumerGroup group, ConsumerGroupMember m, String why) {
        if (m.sessionExpiry != null) {
            m.sessionExpiry.cancel(false);
        }
        group.members.remove(m.memberId);
        group.groupEpoch++;
        log.info("Member {} {} consumer group {} (group epoch {})", m.memberId, why, group.groupId, group.groupEpoch);
        maybeComputeTarget(group);
    }

    private void scheduleSessionExpiry(ConsumerGroup group, ConsumerGroupMember m) {
        if (m.sessionExpiry != null) {
            m.sessionExpiry.cancel(false);
        }
        m.sessionExpiry = timer.schedule(
                () -> {
                    synchronized (group) {
                        if (group.members.get(m.memberId) == m) {
                            remove(group, m, "missed its session timeout and was removed from");
                            try {
                                persist(group);
                            } catch (RuntimeException e) {
                                log.warn("Cannot store consumer group {}: {}", group.groupId, e.toString());
                            }
                        }
                    }
                },
                settings.sessionTimeoutMs(),
                TimeUnit.MILLISECONDS);
    }

    private static ConsumerHeartbeatResult error(Errors error, String message) {
        return ConsumerHeartbeatResult.error(error, message);
    }

    /**
     * Checks an OffsetCommit (or, {@code transactional}, a TxnOffsetCommit) from a member of a consumer group: null if
     * it may commit, else the error. A commit with a negative epoch and no member id is an admin commit, allowed only
     * while the group has no members. A transactional commit must carry the member's epoch, as in Kafka.
     */
    public Errors validateCommit(String groupId, String memberId, int memberEpoch, boolean transactional) {
        ConsumerGroup group = groups.get(groupId);
        if (group == null) {
            return null;
        }
        synchronized (group) {
            if (memberEpoch < 0 && (memberId == null || memberId.isEmpty())) {
                return group.members.isEmpty() ? null : Errors.UNKNOWN_MEMBER_ID;
            }
            ConsumerGroupMember m = group.members.get(memberId);
            if (m == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (transactional && memberEpoch != m.memberEpoch) {
                return Errors.ILLEGAL_GENERATION;
            }
            return memberEpoch > m.memberEpoch ? Errors.FENCED_MEMBER_EPOCH : null;
        }
    }

    /** The state name Kafka reports for a consumer group. */
    private static String state(ConsumerGroup g) {
        if (g.members.isEmpty()) {
            return "Empty";
        }
        if (g.assignmentEpoch < g.groupEpoch) {
            return "Assigning";
        }
        boolean stable = g.members.values().stream()
                .allMatch(m -> m.memberEpoch == g.assignmentEpoch
                        && sameAssignment(m.assigned, g.target.getOrDefault(m.memberId, Map.of())));
        return stable ? "Stable" : "Reconciling";
    }

    /** One member as ConsumerGroupDescribe shows it. */
    public record MemberView(
            String memberId,
            String instanceId,
            String rackId,
            int memberEpoch,
            String clientId,
            String clientHost,
            List<String> subscribedTopicNames,
            String subscribedTopicRegex,
            Map<Uuid, Set<Integer>> assignment,
            Map<Uuid, Set<Integer>> targetAssignment) {}

    /** A consumer group as ConsumerGroupDescribe and ListGroups show it. */
    public record GroupView(
            String groupId,
            String state,
            int groupEpoch,
            int assignmentEpoch,
            String assignorName,
            List<MemberView> members) {}

    public Optional<GroupView> describe(String groupId) {
        ConsumerGroup g = groups.get(groupId);
        if (g == null) {
            return Optional.empty();
        }
        synchronized (g) {
            List<MemberView> members = new ArrayList<>();
            for (ConsumerGroupMember m : g.members.values()) {
                members.add(new MemberView(
                        m.memberId,
                        m.instanceId,
                        m.rackId,
                        m.memberEpoch,
                        m.clientId,
                        m.clientHost,
                        m.subscribedTopicNames,
                        m.subscribedTopicRegex,
                        copy(m.assigned),
                        copy(g.target.getOrDefault(m.memberId, Map.of()))));
            }
            return Optional.of(
                    new GroupView(g.groupId, state(g), g.groupEpoch, g.assignmentEpoch, g.assignorName, members));
        }
    }

    public List<GroupView> list() {
        List<GroupView> out = new ArrayList<>();
        for (String id : new TreeSet<>(groups.keySet())) {
            describe(id).ifPresent(out::add);
        }
        return out;
    }

    /** Deletes an empty consumer group. */
    public Errors delete(String groupId) {
        ConsumerGroup g = groups.get(groupId);
        if (g == null) {
            return Errors.GROUP_ID_NOT_FOUND;
        }
        synchronized (g) {
            if (!g.members.isEmpty()) {
                return Errors.NON_EMPTY_GROUP;
            }
            groups.remove(groupId, g);
            store.delete(groupId);
            return Errors.NONE;
        }
    }

    /** The topics the group's members subscribe to now (for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC). */
    public Set<String> subscribedTopics(String groupId) {
        ConsumerGroup g = groups.get(groupId);
        if (g == null) {
            return Set.of();
        }
        synchronized (g) {
            Set<String> names = new HashSet<>();
            for (ConsumerGroupMember m : g.members.values()) {
                for (Uuid id : subscribedTopicIds(m)) {
                    topics.byId(id).ifPresent(t -> names.add(t.name()));
                }
            }
            return names;
        }
    }

    private static Map<Uuid, Set<Integer>> copy(Map<Uuid, Set<Integer>> m) {
        Map<Uuid, Set<Integer>> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, Set.copyOf(v)));
        return out;
    }

    // ---------------------------------------------------------------- Durable state

    /** Writes the group's state when it changed since it was last written. */
    private void persist(ConsumerGroup g) {
        byte[] bytes = ConsumerGroupStateCodec.encode(g);
        if (!java.util.Arrays.equals(bytes, g.lastStored)) {
            store.store(g.groupId, bytes);
            g.lastStored = bytes;
        }
    }

    /**
     * Rebuilds a group read back from {@code __consumer_offsets} at startup. Its members keep their ids and epochs
     * and must heartbeat again within their session timeout; until they report what they own, they are taken to own
     * what they were assigned, so no partition is handed to two members.
     */
    public void restore(byte[] state) {
        ConsumerGroup g = ConsumerGroupStateCodec.decode(state);
        g.lastStored = state;
        synchronized (g) {
            for (ConsumerGroupMember m : g.members.values()) {
                m.owned = copyMutable(m.assigned);
                m.assignmentChanged = false;
                scheduleSessionExpiry(g, m);
            }
        }
        groups.put(g.groupId, g);
    }

    /**
     * Forgets every group {@code unloaded} selects when this broker stops coordinating them (their
     * {@code __consumer_offsets} partition moved to another leader): their session timers stop. Nothing is written.
     */
    public void unload(Predicate<String> unloaded) {
        for (ConsumerGroup g : groups.values()) {
            if (!unloaded.test(g.groupId)) {
                continue;
            }
            synchronized (g) {
                for (ConsumerGroupMember m : g.members.values()) {
                    if (m.sessionExpiry != null) {
                        m.sessionExpiry.cancel(false);
                        m.sessionExpiry = null;
                    }
                }
            }
            groups.remove(g.groupId, g);
        }
    }

    private static Map<Uuid, Set<Integer>> copyMutable(Map<Uuid, Set<Integer>> m) {
        Map<Uuid, Set<Integer>> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, new HashSet<>(v)));
        return out;
    }
}
