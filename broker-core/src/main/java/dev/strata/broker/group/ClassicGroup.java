package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/**
 * A classic-protocol group: its members, generation, chosen protocol and leader. Not thread-safe: the coordinator
 * holds the group's monitor while it reads or changes one.
 */
final class ClassicGroup {
    private final String groupId;
    private GroupState state = GroupState.EMPTY;
    private String protocolType;
    private String protocolName;
    private int generationId;
    private String leaderId;
    private final Map<String, GroupMember> members = new LinkedHashMap<>();
    private final Map<String, String> staticMembers = new HashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined with them yet. */
    final Set<String> pendingMembers = new HashSet<>();

    ScheduledFuture<?> joinDeadline;
    boolean initialDelayRunning;
    long stateTimestampMs = System.currentTimeMillis();

    ClassicGroup(String groupId) {
        this.groupId = groupId;
    }

    String groupId() {
        return groupId;
    }

    GroupState state() {
        return state;
    }

    void transitionTo(GroupState next) {
        if (!next.canTransitionFrom(state)) {
            throw new IllegalStateException("Group " + groupId + " cannot go from " + state + " to " + next);
        }
        state = next;
        stateTimestampMs = System.currentTimeMillis();
    }

    boolean is(GroupState s) {
        return state == s;
    }

    String protocolType() {
        return protocolType;
    }

    String protocolName() {
        return protocolName;
    }

    int generationId() {
        return generationId;
    }

    String leaderId() {
        return leaderId;
    }

    boolean isLeader(String memberId) {
        return memberId.equals(leaderId);
    }

    Map<String, GroupMember> members() {
        return members;
    }

    GroupMember member(String memberId) {
        return members.get(memberId);
    }

    boolean hasMember(String memberId) {
        return members.containsKey(memberId);
    }

    String staticMemberId(String instanceId) {
        return instanceId == null ? null : staticMembers.get(instanceId);
    }

    void add(GroupMember m) {
        if (members.isEmpty()) {
            protocolType = m.protocolType();
        }
        members.put(m.memberId(), m);
        if (m.isStatic()) {
            staticMembers.put(m.groupInstanceId(), m.memberId());
        }
        if (leaderId == null) {
            leaderId = m.memberId();
        }
    }

    void remove(String memberId) {
        GroupMember m = members.remove(memberId);
        if (m != null && m.isStatic()) {
            staticMembers.remove(m.groupInstanceId());
        }
        if (memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** A restarted static member comes back under a new member id and keeps everything else. */
    void replaceStaticMember(String instanceId, String oldId, String newId) {
        GroupMember m = members.remove(oldId);
        m.memberId(newId);
        members.put(newId, m);
        staticMembers.put(instanceId, newId);
        if (oldId.equals(leaderId)) {
            leaderId = newId;
        }
    }

    /** Whether a member with these protocols could join: same protocol type and at least one protocol in common. */
    boolean supports(String type, Set<String> protocols) {
        if (members.isEmpty()) {
            return type != null && !type.isEmpty() && !protocols.isEmpty();
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        Set<String> common = candidateProtocols();
        common.retainAll(protocols);
        return !common.isEmpty();
    }

    private Set<String> candidateProtocols() {
        Set<String> common = null;
        for (GroupMember m : members.values()) {
            if (common == null) {
                common = new HashSet<>(m.protocols().keySet());
            } else {
                common.retainAll(m.protocols().keySet());
            }
        }
        return common == null ? new HashSet<>() : common;
    }

    /** Each member votes for its most preferred protocol that every member supports; the most votes wins. */
    String selectProtocol() {
        Set<String> candidates = candidateProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (GroupMember m : members.values()) {
            for (String p : m.protocols().keySet()) {
                if (candidates.contains(p)) {
                    votes.merge(p, 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElseThrow(() -> new IllegalStateException("No common protocol in group " + groupId));
    }

    /** Starts a new generation with the members that rejoined. */
    void nextGeneration() {
        generationId++;
        if (members.isEmpty()) {
            protocolName = null;
            transitionTo(GroupState.EMPTY);
        } else {
            protocolName = selectProtocol();
            if (leaderId == null || !members.containsKey(leaderId)) {
                leaderId = members.keySet().iterator().next();
            }
            transitionTo(GroupState.COMPLETING_REBALANCE);
        }
    }

    boolean allMembersJoined() {
        return pendingMembers.isEmpty() && members.values().stream().allMatch(GroupMember::isAwaitingJoin);
    }

    int maxRebalanceTimeoutMs() {
        return members.values().stream()
                .mapToInt(GroupMember::rebalanceTimeoutMs)
                .max()
                .orElse(0);
    }

    List<GroupMember> notYetJoined() {
        List<GroupMember> out = new ArrayList<>();
        for (GroupMember m : members.values()) {
            if (!m.isAwaitingJoin()) {
                out.add(m);
            }
        }
        return out;
    }

    /** Restores what the log says of a group (at startup). */
    void restore(int generation, String type, String protocol, String leader) {
        this.generationId = generation;
        this.protocolType = type;
        this.protocolName = protocol;
        this.leaderId = leader;
    }

    /**
     * Restores a group read back from the log (at startup) into this new, empty group: a group with members is Stable
     * again in its stored generation; its members must heartbeat again within their session.
     */
    void restore(GroupSnapshot snapshot) {
        restore(snapshot.generationId(), snapshot.protocolType(), snapshot.protocolName(), snapshot.leaderId());
        for (GroupSnapshot.Member sm : snapshot.members()) {
            Map<String, byte[]> protocols = new LinkedHashMap<>();
            protocols.put(snapshot.protocolName(), sm.subscription());
            GroupMember m = new GroupMember(
                    sm.memberId(),
                    sm.groupInstanceId(),
                    sm.clientId(),
                    sm.clientHost(),
                    sm.rebalanceTimeoutMs(),
                    sm.sessionTimeoutMs(),
                    snapshot.protocolType(),
                    protocols);
            m.assignment(sm.assignment());
            add(m);
        }
        if (!members.isEmpty()) {
            transitionTo(GroupState.PREPARING_REBALANCE);
            transitionTo(GroupState.COMPLETING_REBALANCE);
            transitionTo(GroupState.STABLE);
        }
    }

    /** What is stored of the group: its generation, protocol, leader, and each member's metadata and assignment. */
    GroupSnapshot snapshot() {
        List<GroupSnapshot.Member> stored = new ArrayList<>();
        for (GroupMember m : members.values()) {
            stored.add(new GroupSnapshot.Member(
                    m.memberId(),
                    m.groupInstanceId(),
                    m.clientId(),
                    m.clientHost(),
                    m.rebalanceTimeoutMs(),
                    m.sessionTimeoutMs(),
                    protocolName == null ? new byte[0] : m.metadata(protocolName),
                    m.assignment()));
        }
        return new GroupSnapshot(groupId, protocolType, generationId, protocolName, leaderId, stateTimestampMs, stored);
    }
}
