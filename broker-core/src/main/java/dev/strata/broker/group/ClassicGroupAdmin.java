package dev.strata.broker.group;

import dev.strata.broker.group.GroupCoordinator.GroupSummary;
import dev.strata.broker.group.GroupCoordinator.MemberSummary;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link GroupCoordinator} does with classic groups outside the join/sync protocol: the admin APIs (ListGroups,
 * DescribeGroups, DeleteGroups) and the offset work that depends on a group's state but not on its members' timers
 * (OffsetDelete, and the expiry of an empty group's offsets after {@code offsets.retention.minutes}). It shares the
 * coordinator's map of groups and takes each group's monitor, as the coordinator does.
 */
final class ClassicGroupAdmin {
    private static final Logger log = LoggerFactory.getLogger(ClassicGroupAdmin.class);

    private final Map<String, ClassicGroup> groups;
    private final GroupOffsets offsets;
    private final GroupStore store;

    ClassicGroupAdmin(Map<String, ClassicGroup> groups, GroupOffsets offsets, GroupStore store) {
        this.groups = groups;
        this.offsets = offsets;
        this.store = store;
    }

    /** Deletes committed offsets of partitions the group is not consuming (OffsetDelete). */
    Map<TopicPartition, Errors> deleteOffsets(
            String groupId,
            Collection<TopicPartition> partitions,
            java.util.function.Function<byte[], Set<String>> subscribedTopics) {
        ClassicGroup group = groups.get(groupId);
        Map<TopicPartition, Errors> out = new LinkedHashMap<>();
        if (group == null && !offsets.hasOffsets(groupId)) {
            throw Errors.GROUP_ID_NOT_FOUND.exception();
        }
        Set<String> subscribed = Set.of();
        if (group != null) {
            synchronized (group) {
                if (group.is(GroupState.DEAD)) {
                    throw Errors.GROUP_ID_NOT_FOUND.exception();
                }
                if (!group.is(GroupState.EMPTY) && "consumer".equals(group.protocolType())) {
                    Set<String> topics = new java.util.HashSet<>();
                    for (GroupMember m : group.members().values()) {
                        byte[] meta = group.protocolName() == null ? null : m.metadata(group.protocolName());
                        if (meta != null) {
                            topics.addAll(subscribedTopics.apply(meta));
                        }
                    }
                    subscribed = topics;
                } else if (!group.is(GroupState.EMPTY)) {
                    throw Errors.NON_EMPTY_GROUP.exception();
                }
            }
        }
        List<TopicPartition> deletable = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (subscribed.contains(tp.topic())) {
                out.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
            } else {
                out.put(tp, Errors.NONE);
                deletable.add(tp);
            }
        }
        if (!deletable.isEmpty()) {
            offsets.delete(groupId, deletable);
        }
        return out;
    }

    /**
     * Expires committed offsets (Kafka's {@code offsets.retention.minutes}): those of a group that has had no members
     * for the retention time, and standalone commits (no group) older than it. An empty group left with no offsets
     * is forgotten.
     */
    void expireOffsets(long nowMs, long retentionMs) {
        for (String groupId : offsets.groupIds()) {
            ClassicGroup group = groups.get(groupId);
            List<TopicPartition> expired;
            if (group != null) {
                synchronized (group) {
                    if (!group.is(GroupState.EMPTY) || group.stateTimestampMs + retentionMs > nowMs) {
                        continue;
                    }
                    expired = offsets.expired(groupId, nowMs, retentionMs);
                }
            } else {
                expired = offsets.expired(groupId, nowMs, retentionMs);
            }
            if (expired.isEmpty()) {
                continue;
            }
            try {
                store.deleteOffsets(groupId, expired);
            } catch (ApiException e) {
                log.warn("Cannot expire offsets of group {}: {}", groupId, e.toString());
                continue;
            }
            offsets.forget(groupId, expired);
            log.info("Expired {} committed offset(s) of group {}", expired.size(), groupId);
            if (group != null && !offsets.hasOffsets(groupId)) {
                synchronized (group) {
                    if (group.is(GroupState.EMPTY)) {
                        group.transitionTo(GroupState.DEAD);
                        groups.remove(groupId, group);
                        store.deleteGroup(groupId);
                    }
                }
            }
        }
    }

    List<GroupSummary> listGroups() {
        List<GroupSummary> out = new ArrayList<>();
        Set<String> ids = new java.util.TreeSet<>(groups.keySet());
        ids.addAll(offsets.groupIds());
        for (String id : ids) {
            describe(id)
                    .filter(g -> !g.state().equals(GroupState.DEAD.kafkaName()))
                    .ifPresent(out::add);
        }
        return out;
    }

    Optional<GroupSummary> describe(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return offsets.hasOffsets(groupId)
                    ? Optional.of(new GroupSummary(groupId, GroupState.EMPTY.kafkaName(), "", "", List.of()))
                    : Optional.empty();
        }
        synchronized (group) {
            List<MemberSummary> members = new ArrayList<>();
            boolean stable = group.is(GroupState.STABLE);
            for (GroupMember m : group.members().values()) {
                members.add(new MemberSummary(
                        m.memberId(),
                        m.groupInstanceId(),
                        m.clientId(),
                        m.clientHost(),
                        stable && group.protocolName() != null ? m.metadata(group.protocolName()) : new byte[0],
                        stable ? m.assignment() : new byte[0]));
            }
            return Optional.of(new GroupSummary(
                    groupId,
                    group.state().kafkaName(),
                    group.protocolType() == null ? "" : group.protocolType(),
                    stable && group.protocolName() != null ? group.protocolName() : "",
                    members));
        }
    }

    /** Deletes an empty group and its offsets. */
    Errors deleteGroup(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null && !offsets.hasOffsets(groupId)) {
            return Errors.GROUP_ID_NOT_FOUND;
        }
        if (group != null) {
            synchronized (group) {
                if (group.is(GroupState.DEAD)) {
                    return Errors.GROUP_ID_NOT_FOUND;
                }
                if (!group.is(GroupState.EMPTY)) {
                    return Errors.NON_EMPTY_GROUP;
                }
                group.transitionTo(GroupState.DEAD);
            }
            groups.remove(groupId, group);
        }
        try {
            offsets.deleteAll(groupId);
            store.deleteGroup(groupId);
        } catch (ApiException e) {
            return Errors.forException(e);
        }
        return Errors.NONE;
    }
}
