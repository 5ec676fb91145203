package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as Kafka's group coordinator runs it, and
 * the checks on committed offsets that depend on a classic group's state (who may commit, what may be deleted, when
 * an empty group's offsets expire); the offsets themselves are kept by {@link GroupOffsets}. It takes and returns
 * Strata's own value types ({@link JoinRequest}, {@link SyncResult}, ...); the wire classes stay in the api package.
 *
 * <p>This class answers the requests; {@link ClassicRebalance} holds the transitions that time and the other members
 * finish (join deadline, initial delay, new generation, session expiry); {@link ClassicGroupAdmin} lists, describes
 * and deletes groups and deletes and expires their offsets. The legal state transitions are {@link GroupState}'s.
 *
 * <p>Each group is guarded by its own monitor; timers (session expiry, join deadlines) run on the shared scheduler
 * and take the same monitor. Nothing here blocks waiting for a client: joins and syncs that must wait for other
 * members return futures that complete when the group moves on.
 */
public final class GroupCoordinator {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

    /** The coordinator's settings, with Kafka's names and defaults. */
    public record Settings(int minSessionTimeoutMs, int maxSessionTimeoutMs, int initialRebalanceDelayMs, int maxSize) {
        public static Settings defaults() {
            return new Settings(6_000, 1_800_000, 3_000, Integer.MAX_VALUE);
        }
    }

    private final Settings settings;
    private final GroupStore store;
    private final ScheduledExecutorService timer;
    private final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    private final GroupOffsets offsets;
    private final ClassicGroupAdmin admin;
    private final ClassicRebalance rebalance;

    public GroupCoordinator(Settings settings, GroupStore store, ScheduledExecutorService timer) {
        this.settings = settings;
        this.store = store;
        this.timer = timer;
        this.offsets = new GroupOffsets(store);
        this.admin = new ClassicGroupAdmin(groups, offsets, store);
        this.rebalance = new ClassicRebalance(settings, store, timer);
    }

    /** The committed offsets of every group. */
    GroupOffsets offsets() {
        return offsets;
    }

    // ---------------------------------------------------------------- JoinGroup

    public CompletableFuture<JoinResult> join(JoinRequest req) {
        Map<String, byte[]> protocols = req.protocols();
        if (req.sessionTimeoutMs() < settings.minSessionTimeoutMs()
                || req.sessionTimeoutMs() > settings.maxSessionTimeoutMs()) {
            return joinError(req.memberId(), Errors.INVALID_SESSION_TIMEOUT);
        }
        if (req.groupId() == null || req.groupId().isEmpty()) {
            return joinError(req.memberId(), Errors.INVALID_GROUP_ID);
        }
        boolean unknownMember = req.memberId().isEmpty();
        ClassicGroup group =
                unknownMember ? groups.computeIfAbsent(req.groupId(), ClassicGroup::new) : groups.get(req.groupId());
        if (group == null) {
            return joinError(req.memberId(), Errors.UNKNOWN_MEMBER_ID);
        }
        synchronized (group) {
            if (group.is(GroupState.DEAD)) {
                return joinError(req.memberId(), Errors.COORDINATOR_NOT_AVAILABLE);
            }
            if (!group.supports(req.protocolType(), protocols.keySet())) {
                return joinError(req.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL);
            }
            if (unknownMember) {
                return joinNewMember(group, req, protocols);
            }
            return joinKnownMember(group, req, protocols);
        }
    }

    private CompletableFuture<JoinResult> joinNewMember(
            ClassicGroup group, JoinRequest req, Map<String, byte[]> protocols) {
        String newId = req.clientId() + "-" + UUID.randomUUID();
        String instanceId = req.groupInstanceId();
        String existingStatic = group.staticMemberId(instanceId);
        if (existingStatic != null) {
            return rejoinStaticMember(group, req, existingStatic, newId, protocols);
        }
        if (group.members().size() + group.pendingMembers.size() >= settings.maxSize()) {
            return joinError("", Errors.GROUP_MAX_SIZE_REACHED);
        }
        if (instanceId == null && req.requireKnownMemberId()) {
            // KIP-394: hand out the id first, so a client that never comes back leaves no member behind.
            group.pendingMembers.add(newId);
            timer.schedule(() -> rebalance.expirePending(group, newId), req.sessionTimeoutMs(), TimeUnit.MILLISECONDS);
            return joinError(newId, Errors.MEMBER_ID_REQUIRED);
        }
        GroupMember member = new GroupMember(
                newId,
                instanceId,
                req.clientId(),
                req.clientHost(),
                req.rebalanceTimeoutMs(),
                req.sessionTimeoutMs(),
                req.protocolType(),
                protocols);
        return addMemberAndRebalance(group, member);
    }

    private CompletableFuture<JoinResult> joinKnownMember(
            ClassicGroup group, JoinRequest req, Map<String, byte[]> protocols) {
        String memberId = req.memberId();
        if (group.pendingMembers.remove(memberId)) {
            GroupMember member = new GroupMember(
                    memberId,
                    req.groupInstanceId(),
                    req.clientId(),
                    req.clientHost(),
                    req.rebalanceTimeoutMs(),
                    req.sessionTimeoutMs(),
                    req.protocolType(),
                    protocols);
            return addMemberAndRebalance(group, member);
        }
        Errors fenced = checkStatic(group, memberId, req.groupInstanceId());
        if (fenced != null) {
            return joinError(memberId, fenced);
        }
        GroupMember member = group.member(memberId);
        if (member == null) {
            return joinError(memberId, Errors.UNKNOWN_MEMBER_ID);
        }
        boolean sameProtocols = member.sameProtocols(protocols);
        member.update(req.rebalanceTimeoutMs(), req.sessionTimeoutMs(), protocols);
        switch (group.state()) {
            case PREPARING_REBALANCE -> {
                return rebalance.awaitJoin(group, member);
            }
            case COMPLETING_REBALANCE -> {
                if (sameProtocols) {
                    // A retried join: the member missed the response; send it again.
                    return CompletableFuture.completedFuture(
                            ClassicRebalance.joinResponse(group, member, false, false));
                }
                rebalance.prepareRebalance(group, "member " + memberId + " changed its protocols");
                return rebalance.awaitJoin(group, member);
            }
            case STABLE -> {
                if (group.isLeader(memberId) || !sameProtocols) {
                    rebalance.prepareRebalance(
                            group,
                            "member " + memberId + " rejoined" + (sameProtocols ? " as leader" : " with new metadata"));
                    return rebalance.awaitJoin(group, member);
                }
                return CompletableFuture.completedFuture(ClassicRebalance.joinResponse(group, member, false, false));
            }
            default -> {
                return joinError(memberId, Errors.UNKNOWN_MEMBER_ID);
            }
        }
    }

    private CompletableFuture<JoinResult> rejoinStaticMember(
            ClassicGroup group, JoinRequest req, String oldId, String newId, Map<String, byte[]> protocols) {
        GroupMember member = group.member(oldId);
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(JoinResult.error(oldId, Errors.FENCED_INSTANCE_ID));
            member.awaitingJoin = null;
        }
        if (member.awaitingSync != null) {
            member.awaitingSync.complete(SyncResult.error(Errors.FENCED_INSTANCE_ID));
            member.awaitingSync = null;
        }
        group.replaceStaticMember(req.groupInstanceId(), oldId, newId);
        member.update(req.rebalanceTimeoutMs(), req.sessionTimeoutMs(), protocols);
        // As Kafka: what matters is that the group would still choose its current protocol. The metadata bytes differ
        // anyway after a restart (no owned partitions, no generation).
        boolean sameProtocols = group.protocolName() != null
                && protocols.containsKey(group.protocolName())
                && group.selectProtocol().equals(group.protocolName());
        log.info("Static member {} of group {} rejoined as {}", req.groupInstanceId(), group.groupId(), newId);
        if (group.is(GroupState.STABLE) && sameProtocols) {
            // KIP-345: the restarted member gets its old assignment back with no rebalance.
            rebalance.scheduleSessionExpiry(group, member);
            persist(group);
            JoinResult r = ClassicRebalance.joinResponse(group, member, true, req.skipAssignmentSupported());
            return CompletableFuture.completedFuture(r);
        }
        if (group.is(GroupState.PREPARING_REBALANCE) || group.is(GroupState.COMPLETING_REBALANCE) || !sameProtocols) {
            if (!group.is(GroupState.PREPARING_REBALANCE)) {
                rebalance.prepareRebalance(group, "static member " + req.groupInstanceId() + " rejoined");
            }
            return rebalance.awaitJoin(group, member);
        }
        rebalance.prepareRebalance(group, "static member " + req.groupInstanceId() + " rejoined");
        return rebalance.awaitJoin(group, member);
    }

    private CompletableFuture<JoinResult> addMemberAndRebalance(ClassicGroup group, GroupMember member) {
        group.add(member);
        CompletableFuture<JoinResult> f = rebalance.awaitJoin(group, member);
        if (group.is(GroupState.PREPARING_REBALANCE)) {
            rebalance.extendInitialDelay(group);
            rebalance.maybeCompleteJoin(group);
        } else {
            rebalance.prepareRebalance(group, "member " + member.memberId() + " joined");
        }
        return f;
    }

    private static CompletableFuture<JoinResult> joinError(String memberId, Errors error) {
        return CompletableFuture.completedFuture(JoinResult.error(memberId, error));
    }

    // ---------------------------------------------------------------- SyncGroup

    public CompletableFuture<SyncResult> sync(SyncRequest req) {
        ClassicGroup group = groups.get(req.groupId());
        if (group == null) {
            return syncError(Errors.UNKNOWN_MEMBER_ID);
        }
        synchronized (group) {
            Errors fenced = checkStatic(group, req.memberId(), req.groupInstanceId());
            if (fenced != null) {
                return syncError(fenced);
            }
            GroupMember member = group.member(req.memberId());
            if (member == null || group.is(GroupState.DEAD)) {
                return syncError(Errors.UNKNOWN_MEMBER_ID);
            }
            if (req.generationId() != group.generationId()) {
                return syncError(Errors.ILLEGAL_GENERATION);
            }
            if (req.protocolType() != null && !req.protocolType().equals(group.protocolType())
                    || req.protocolName() != null && !req.protocolName().equals(group.protocolName())) {
                return syncError(Errors.INCONSISTENT_GROUP_PROTOCOL);
            }
            switch (group.state()) {
                case PREPARING_REBALANCE -> {
                    return syncError(Errors.REBALANCE_IN_PROGRESS);
                }
                case STABLE -> {
                    rebalance.scheduleSessionExpiry(group, member);
                    return CompletableFuture.completedFuture(syncResponse(group, member));
                }
                case COMPLETING_REBALANCE -> {
                    CompletableFuture<SyncResult> f = new CompletableFuture<>();
                    member.awaitingSync = f;
                    rebalance.scheduleSessionExpiry(group, member);
                    if (group.isLeader(member.memberId())) {
                        Map<String, byte[]> assignments = req.assignments();
                        for (GroupMember m : group.members().values()) {
                            m.assignment(assignments.get(m.memberId()));
                        }
                        try {
                            persist(group);
                        } catch (ApiException e) {
                            for (GroupMember m : group.members().values()) {
                                m.assignment(null);
                            }
                            rebalance.prepareRebalance(group, "the group could not be stored: " + e.getMessage());
                            return syncError(Errors.forException(e));
                        }
                        group.transitionTo(GroupState.STABLE);
                        for (GroupMember m : group.members().values()) {
                            if (m.awaitingSync != null) {
                                m.awaitingSync.complete(syncResponse(group, m));
                                m.awaitingSync = null;
                            }
                        }
                    }
                    return f;
                }
                default -> {
                    return syncError(Errors.UNKNOWN_MEMBER_ID);
                }
            }
        }
    }

    private static SyncResult syncResponse(ClassicGroup group, GroupMember m) {
        return new SyncResult(Errors.NONE, group.protocolType(), group.protocolName(), m.assignment());
    }

    private static CompletableFuture<SyncResult> syncError(Errors error) {
        return CompletableFuture.completedFuture(SyncResult.error(error));
    }

    // ---------------------------------------------------------------- Heartbeat and LeaveGroup

    public Errors heartbeat(String groupId, String memberId, String instanceId, int generationId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        synchronized (group) {
            Errors fenced = checkStatic(group, memberId, instanceId);
            if (fenced != null) {
                return fenced;
            }
            GroupMember member = group.member(memberId);
            if (member == null || group.is(GroupState.DEAD)) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (generationId != group.generationId()) {
                return Errors.ILLEGAL_GENERATION;
            }
            return switch (group.state()) {
                case PREPARING_REBALANCE -> {
                    // As Kafka: a member that still heartbeats stays in the group until the rebalance timeout, however
                    // long after its session timeout it rejoins.
                    rebalance.scheduleSessionExpiry(group, member);
                    yield Errors.REBALANCE_IN_PROGRESS;
                }
                case COMPLETING_REBALANCE, STABLE -> {
                    rebalance.scheduleSessionExpiry(group, member);
                    yield Errors.NONE;
                }
                default -> Errors.UNKNOWN_MEMBER_ID;
            };
        }
    }

    /** A member leaving, by member id or (static members) by instance id. */
    public record Leaver(String memberId, String groupInstanceId) {}

    /** @return one error per leaver, in order; or a single group-level error */
    public List<Errors> leave(String groupId, List<Leaver> leavers) {
        ClassicGroup group = groups.get(groupId);
        List<Errors> out = new ArrayList<>();
        if (group == null) {
            leavers.forEach(l -> out.add(Errors.UNKNOWN_MEMBER_ID));
            return out;
        }
        synchronized (group) {
            boolean changed = false;
            for (Leaver l : leavers) {
                String memberId = l.memberId();
                if (l.groupInstanceId() != null) {
                    String current = group.staticMemberId(l.groupInstanceId());
                    if (current == null) {
                        out.add(Errors.UNKNOWN_MEMBER_ID);
                        continue;
                    }
                    if (memberId != null && !memberId.isEmpty() && !memberId.equals(current)) {
                        out.add(Errors.FENCED_INSTANCE_ID);
                        continue;
                    }
                    memberId = current;
                }
                if (group.pendingMembers.remove(memberId)) {
                    out.add(Errors.NONE);
                    continue;
                }
                GroupMember m = group.member(memberId);
                if (m == null) {
                    out.add(Errors.UNKNOWN_MEMBER_ID);
                    continue;
                }
                rebalance.removeMember(group, m);
                changed = true;
                out.add(Errors.NONE);
            }
            if (changed) {
                rebalance.afterMemberRemoved(group, "members left");
            }
        }
        return out;
    }

    /** Static membership: the instance id must belong to this member id, or the caller is a fenced zombie. */
    private static Errors checkStatic(ClassicGroup group, String memberId, String instanceId) {
        if (instanceId == null) {
            return null;
        }
        String current = group.staticMemberId(instanceId);
        if (current == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        return current.equals(memberId) ? null : Errors.FENCED_INSTANCE_ID;
    }

    // ---------------------------------------------------------------- Offsets

    /**
     * Commits offsets for a classic-group member, or for a client outside any group (generation -1, empty member
     * id) while the group has no members. The checks and the append happen under the group's monitor; the future
     * completes once the write is durable, with no lock held meanwhile.
     */
    public CompletableFuture<Errors> commitOffsets(
            String groupId,
            String memberId,
            String instanceId,
            int generationId,
            Map<TopicPartition, CommittedOffset> commits) {
        return commit(groupId, memberId, instanceId, generationId, false, () -> offsets.commit(groupId, commits));
    }

    /**
     * Commits offsets in a producer's transaction (TxnOffsetCommit), checked as Kafka checks them: like an offset
     * commit, except that a request naming no member (before v3) is accepted whatever the group's state, and a group
     * completing a rebalance takes it. The offsets stay pending until the transaction ends.
     */
    public CompletableFuture<Errors> commitTransactionalOffsets(
            String groupId,
            String memberId,
            String instanceId,
            int generationId,
            long producerId,
            short producerEpoch,
            Map<TopicPartition, CommittedOffset> commits) {
        return commit(
                groupId,
                memberId,
                instanceId,
                generationId,
                true,
                () -> offsets.commitTransactional(groupId, producerId, producerEpoch, commits));
    }

    private CompletableFuture<Errors> commit(
            String groupId,
            String memberId,
            String instanceId,
            int generationId,
            boolean transactional,
            Supplier<CompletableFuture<Errors>> write) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            if (generationId >= 0) {
                return CompletableFuture.completedFuture(Errors.ILLEGAL_GENERATION);
            }
            group = groups.computeIfAbsent(groupId, ClassicGroup::new);
        }
        synchronized (group) {
            if (group.is(GroupState.DEAD)) {
                return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
            }
            boolean namesNoMember = generationId < 0 && (memberId == null || memberId.isEmpty()) && instanceId == null;
            if (generationId < 0 && group.is(GroupState.EMPTY) || transactional && namesNoMember) {
                return write.get();
            }
            Errors fenced = checkStatic(group, memberId, instanceId);
            if (fenced != null) {
                return CompletableFuture.completedFuture(fenced);
            }
            GroupMember member = group.member(memberId);
            if (member == null) {
                return CompletableFuture.completedFuture(Errors.UNKNOWN_MEMBER_ID);
            }
            if (generationId != group.generationId()) {
                return CompletableFuture.completedFuture(Errors.ILLEGAL_GENERATION);
            }
            if (transactional) {
                return write.get();
            }
            if (group.is(GroupState.COMPLETING_REBALANCE)) {
                return CompletableFuture.completedFuture(Errors.REBALANCE_IN_PROGRESS);
            }
            rebalance.scheduleSessionExpiry(group, member);
            return write.get();
        }
    }

    /** Deletes committed offsets of partitions the group is not consuming (OffsetDelete). */
    public Map<TopicPartition, Errors> deleteOffsets(
            String groupId,
            Collection<TopicPartition> partitions,
            java.util.function.Function<byte[], Set<String>> subscribedTopics) {
        return admin.deleteOffsets(groupId, partitions, subscribedTopics);
    }

    /**
     * Expires committed offsets (Kafka's {@code offsets.retention.minutes}): those of a group that has had no members
     * for the retention time, and standalone commits (no group) older than it. An empty group left with no offsets
     * is forgotten.
     */
    public void expireOffsets(long nowMs, long retentionMs) {
        admin.expireOffsets(nowMs, retentionMs);
    }

    // ---------------------------------------------------------------- Admin

    /** A summary of one group for ListGroups and DescribeGroups. */
    public record GroupSummary(
            String groupId, String state, String protocolType, String protocolName, List<MemberSummary> members) {}

    /** One member as DescribeGroups shows it. */
    public record MemberSummary(
            String memberId,
            String groupInstanceId,
            String clientId,
            String clientHost,
            byte[] metadata,
            byte[] assignment) {}

    public List<GroupSummary> listGroups() {
        return admin.listGroups();
    }

    public Optional<GroupSummary> describe(String groupId) {
        return admin.describe(groupId);
    }

    /** Deletes an empty group and its offsets. */
    public Errors deleteGroup(String groupId) {
        return admin.deleteGroup(groupId);
    }

    // ---------------------------------------------------------------- Persistence

    private void persist(ClassicGroup group) {
        store.storeGroup(group.snapshot());
    }

    /** Rebuilds a group read back from the log at startup; its members must heartbeat again within their session. */
    public void restoreGroup(GroupSnapshot snapshot) {
        ClassicGroup group = new ClassicGroup(snapshot.groupId());
        synchronized (group) {
            group.restore(snapshot);
            group.members().values().forEach(m -> rebalance.scheduleSessionExpiry(group, m));
        }
        groups.put(snapshot.groupId(), group);
    }

    /**
     * Forgets every group {@code unloaded} selects, with its offsets, when this broker stops coordinating them (its
     * {@code __consumer_offsets} partition moved to another leader): timers stop, and members waiting in a join or
     * sync are answered NOT_COORDINATOR, so they find the new coordinator. Nothing is written.
     */
    public void unload(Predicate<String> unloaded) {
        for (ClassicGroup group : groups.values()) {
            if (!unloaded.test(group.groupId())) {
                continue;
            }
            synchronized (group) {
                if (group.joinDeadline != null) {
                    group.joinDeadline.cancel(false);
                    group.joinDeadline = null;
                }
                for (GroupMember m : group.members().values()) {
                    ClassicRebalance.cancelSessionExpiry(m);
                    if (m.awaitingJoin != null) {
                        m.awaitingJoin.complete(JoinResult.error(m.memberId(), Errors.NOT_COORDINATOR));
                        m.awaitingJoin = null;
                    }
                    if (m.awaitingSync != null) {
                        m.awaitingSync.complete(SyncResult.error(Errors.NOT_COORDINATOR));
                        m.awaitingSync = null;
                    }
                }
                group.pendingMembers.clear();
                group.transitionTo(GroupState.DEAD);
            }
            groups.remove(group.groupId(), group);
        }
        offsets.unload(unloaded);
    }
}
