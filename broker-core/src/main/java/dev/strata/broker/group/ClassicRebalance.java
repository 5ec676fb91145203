package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transitions of a classic group that {@link GroupCoordinator}'s requests start but time and the other members
 * finish: entering PreparingRebalance, the initial delay ({@code group.initial.rebalance.delay.ms}) and the join
 * deadline (the members' largest rebalance timeout), completing the join into a new generation, and the session
 * timers that remove a silent member and start the next rebalance. Every method is called, and every timer runs, under
 * the group's monitor.
 */
final class ClassicRebalance {
    private static final Logger log = LoggerFactory.getLogger(ClassicRebalance.class);

    private final GroupCoordinator.Settings settings;
    private final GroupStore store;
    private final ScheduledExecutorService timer;

    ClassicRebalance(GroupCoordinator.Settings settings, GroupStore store, ScheduledExecutorService timer) {
        this.settings = settings;
        this.store = store;
        this.timer = timer;
    }

    CompletableFuture<JoinResult> awaitJoin(ClassicGroup group, GroupMember member) {
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(JoinResult.error(member.memberId(), Errors.REBALANCE_IN_PROGRESS));
        }
        cancelSessionExpiry(member);
        CompletableFuture<JoinResult> f = new CompletableFuture<>();
        member.awaitingJoin = f;
        maybeCompleteJoin(group);
        return f;
    }

    void prepareRebalance(ClassicGroup group, String reason) {
        if (group.is(GroupState.COMPLETING_REBALANCE)) {
            for (GroupMember m : group.members().values()) {
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                    m.awaitingSync = null;
                }
            }
        }
        boolean fromEmpty = group.is(GroupState.EMPTY);
        group.transitionTo(GroupState.PREPARING_REBALANCE);
        log.info("Preparing to rebalance group {} in generation {}: {}", group.groupId(), group.generationId(), reason);
        long delay;
        if (fromEmpty && settings.initialRebalanceDelayMs() > 0) {
            group.initialDelayRunning = true;
            delay = Math.min(settings.initialRebalanceDelayMs(), group.maxRebalanceTimeoutMs());
        } else {
            group.initialDelayRunning = false;
            delay = group.maxRebalanceTimeoutMs();
        }
        scheduleJoinDeadline(group, delay);
        // Every remaining member may already be waiting (or none is left): then the join is complete now.
        maybeCompleteJoin(group);
    }

    void extendInitialDelay(ClassicGroup group) {
        if (group.initialDelayRunning) {
            scheduleJoinDeadline(group, Math.min(settings.initialRebalanceDelayMs(), group.maxRebalanceTimeoutMs()));
        }
    }

    private void scheduleJoinDeadline(ClassicGroup group, long delayMs) {
        if (group.joinDeadline != null) {
            group.joinDeadline.cancel(false);
        }
        int generation = group.generationId();
        group.joinDeadline = timer.schedule(() -> onJoinDeadline(group, generation), delayMs, TimeUnit.MILLISECONDS);
    }

    private void onJoinDeadline(ClassicGroup group, int generation) {
        synchronized (group) {
            if (!group.is(GroupState.PREPARING_REBALANCE) || group.generationId() != generation) {
                return;
            }
            if (group.initialDelayRunning) {
                group.initialDelayRunning = false;
                if (!group.allMembersJoined()) {
                    scheduleJoinDeadline(group, group.maxRebalanceTimeoutMs());
                    return;
                }
            } else {
                for (GroupMember m : group.notYetJoined()) {
                    log.info(
                            "Member {} of group {} did not rejoin in time; removing it", m.memberId(), group.groupId());
                    group.remove(m.memberId());
                }
                group.pendingMembers.clear();
            }
            completeJoin(group);
        }
    }

    void maybeCompleteJoin(ClassicGroup group) {
        if (group.is(GroupState.PREPARING_REBALANCE) && !group.initialDelayRunning && group.allMembersJoined()) {
            completeJoin(group);
        }
    }

    private void completeJoin(ClassicGroup group) {
        if (group.joinDeadline != null) {
            group.joinDeadline.cancel(false);
            group.joinDeadline = null;
        }
        group.nextGeneration();
        if (group.is(GroupState.EMPTY)) {
            log.info("Group {} is empty in generation {}", group.groupId(), group.generationId());
            store.storeGroup(group.snapshot());
            return;
        }
        log.info(
                "Group {} has {} member(s) in generation {} (protocol {}, leader {})",
                group.groupId(),
                group.members().size(),
                group.generationId(),
                group.protocolName(),
                group.leaderId());
        for (GroupMember m : group.members().values()) {
            JoinResult r = joinResponse(group, m, true, false);
            CompletableFuture<JoinResult> f = m.awaitingJoin;
            m.awaitingJoin = null;
            scheduleSessionExpiry(group, m);
            if (f != null) {
                f.complete(r);
            }
        }
    }

    /**
     * The join answer for {@code m} in the group's current generation.
     *
     * @param withMembers give the leader every member's metadata (not on a retried join, which only repeats the answer)
     * @param skipAssignment a static leader rejoining a Stable group must not recompute the assignment: tell it so
     *     (KIP-814, JoinGroup v9+). An older leader gets the members and may send an assignment, which a Stable group
     *     does not apply.
     */
    static JoinResult joinResponse(ClassicGroup group, GroupMember m, boolean withMembers, boolean skipAssignment) {
        boolean leader = withMembers && group.isLeader(m.memberId());
        List<JoinResult.Member> members = new ArrayList<>();
        if (leader) {
            for (GroupMember member : group.members().values()) {
                members.add(new JoinResult.Member(
                        member.memberId(), member.groupInstanceId(), member.metadata(group.protocolName())));
            }
        }
        return new JoinResult(
                Errors.NONE,
                m.memberId(),
                group.generationId(),
                group.protocolType(),
                group.protocolName(),
                group.leaderId(),
                leader && skipAssignment,
                members);
    }

    void expirePending(ClassicGroup group, String memberId) {
        synchronized (group) {
            if (group.pendingMembers.remove(memberId)) {
                maybeCompleteJoin(group);
            }
        }
    }

    void removeMember(ClassicGroup group, GroupMember m) {
        cancelSessionExpiry(m);
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(JoinResult.error(m.memberId(), Errors.UNKNOWN_MEMBER_ID));
        }
        if (m.awaitingSync != null) {
            m.awaitingSync.complete(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
        group.remove(m.memberId());
    }

    void afterMemberRemoved(ClassicGroup group, String reason) {
        switch (group.state()) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(group, reason);
            case PREPARING_REBALANCE -> maybeCompleteJoin(group);
            default -> {}
        }
    }

    void scheduleSessionExpiry(ClassicGroup group, GroupMember m) {
        cancelSessionExpiry(m);
        String memberId = m.memberId();
        m.sessionExpiry =
                timer.schedule(() -> onSessionExpired(group, memberId), m.sessionTimeoutMs(), TimeUnit.MILLISECONDS);
    }

    static void cancelSessionExpiry(GroupMember m) {
        if (m.sessionExpiry != null) {
            m.sessionExpiry.cancel(false);
            m.sessionExpiry = null;
        }
    }

    private void onSessionExpired(ClassicGroup group, String memberId) {
        synchronized (group) {
            GroupMember m = group.member(memberId);
            if (m == null || m.isAwaitingJoin()) {
                return;
            }
            log.info("Member {} of group {} missed its session timeout; removing it", memberId, group.groupId());
            removeMember(group, m);
            afterMemberRemoved(group, "member " + memberId + " expired");
        }
    }
}
