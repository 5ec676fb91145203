package dev.strata.broker.group;

import dev.strata.broker.group.GroupCoordinator.GroupSummary;
import dev.strata.broker.group.GroupCoordinator.Leaver;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;

/**
 * The one place that decides which coordinator answers a group API, as Kafka's {@code GroupCoordinatorService} does:
 * a group is a KIP-848 consumer group ({@link ConsumerGroupCoordinator}) once a member joined it with
 * ConsumerGroupHeartbeat, else a classic group ({@link GroupCoordinator}); a group may also exist only through its
 * committed offsets ({@link GroupOffsets}), which every kind of group shares. The APIs that span both kinds
 * (OffsetCommit, OffsetDelete, ListGroups, DeleteGroups, a ConsumerGroupHeartbeat to a classic group) are routed and
 * merged here; the api package's {@code GroupHandler} only converts to and from the wire.
 *
 * <p>It holds no state and takes no lock of its own: each coordinator guards its groups with the groups' monitors.
 */
public final class GroupService {

    private final GroupCoordinator classic;
    private final ConsumerGroupCoordinator consumerGroups;

    public GroupService(GroupCoordinator classic, ConsumerGroupCoordinator consumerGroups) {
        this.classic = classic;
        this.consumerGroups = consumerGroups;
    }

    // ---------------------------------------------------------------- Classic membership

    public CompletableFuture<JoinResult> join(JoinRequest request) {
        return classic.join(request);
    }

    public CompletableFuture<SyncResult> sync(SyncRequest request) {
        return classic.sync(request);
    }

    public Errors heartbeat(String groupId, String memberId, String instanceId, int generationId) {
        return classic.heartbeat(groupId, memberId, instanceId, generationId);
    }

    /** @return one error per leaver, in order */
    public List<Errors> leave(String groupId, List<Leaver> leavers) {
        return classic.leave(groupId, leavers);
    }

    // ---------------------------------------------------------------- KIP-848 consumer groups

    /** A classic group with members keeps its protocol: a ConsumerGroupHeartbeat for it is refused. */
    public ConsumerHeartbeatResult consumerHeartbeat(ConsumerHeartbeat request) {
        if (classic.describe(request.groupId())
                .filter(g -> !g.members().isEmpty())
                .isPresent()) {
            return ConsumerHeartbeatResult.error(
                    Errors.GROUP_ID_NOT_FOUND, "Group " + request.groupId() + " is a classic group with members");
        }
        return consumerGroups.heartbeat(request);
    }

    public Optional<ConsumerGroupCoordinator.GroupView> describeConsumerGroup(String groupId) {
        return consumerGroups.describe(groupId);
    }

    // ---------------------------------------------------------------- Offsets

    /**
     * OffsetCommit: a member of a consumer group is checked by its member epoch, anyone else by the classic rules
     * (generation, or no generation while the group has no members).
     *
     * @return NONE or the group-level error
     */
    public CompletableFuture<Errors> commitOffsets(
            String groupId,
            String memberId,
            String instanceId,
            int generationIdOrMemberEpoch,
            Map<TopicPartition, CommittedOffset> commits) {
        if (consumerGroups.hasGroup(groupId)) {
            Errors error = consumerGroups.validateCommit(groupId, memberId, generationIdOrMemberEpoch, false);
            return error != null
                    ? CompletableFuture.completedFuture(error)
                    : classic.offsets().commit(groupId, commits);
        }
        return classic.commitOffsets(groupId, memberId, instanceId, generationIdOrMemberEpoch, commits);
    }

    /**
     * TxnOffsetCommit: checked as OffsetCommit is (with Kafka's rules for transactional commits), then written as the
     * producer's transactional batch; the offsets are pending until the transaction's marker.
     *
     * @return NONE or the group-level error
     */
    public CompletableFuture<Errors> commitTransactionalOffsets(
            String groupId,
            String memberId,
            String instanceId,
            int generationIdOrMemberEpoch,
            long producerId,
            short producerEpoch,
            Map<TopicPartition, CommittedOffset> commits) {
        if (consumerGroups.hasGroup(groupId)) {
            Errors error = consumerGroups.validateCommit(groupId, memberId, generationIdOrMemberEpoch, true);
            return error != null
                    ? CompletableFuture.completedFuture(error)
                    : classic.offsets().commitTransactional(groupId, producerId, producerEpoch, commits);
        }
        return classic.commitTransactionalOffsets(
                groupId, memberId, instanceId, generationIdOrMemberEpoch, producerId, producerEpoch, commits);
    }

    /** Whether a transaction that has not ended holds an offset of the group's partition (OffsetFetch require_stable). */
    public boolean hasPendingTransactionalOffset(String groupId, TopicPartition tp) {
        return classic.offsets().isPending(groupId, tp);
    }

    /** Committed offsets of a group: all of them ({@code partitions} null) or those asked for. */
    public Map<TopicPartition, CommittedOffset> committed(String groupId, Collection<TopicPartition> partitions) {
        return classic.offsets().committed(groupId, partitions);
    }

    /**
     * What OffsetDelete did: a group-level error, or one error per partition (GROUP_SUBSCRIBED_TO_TOPIC for a topic
     * a member still consumes).
     */
    public record OffsetDeleteResult(Errors groupError, Map<TopicPartition, Errors> partitions) {}

    public OffsetDeleteResult deleteOffsets(String groupId, List<TopicPartition> partitions) {
        Map<TopicPartition, Errors> results = new HashMap<>();
        Set<String> consumerSubscribed = consumerGroups.subscribedTopics(groupId);
        List<TopicPartition> deletable = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (consumerSubscribed.contains(tp.topic())) {
                results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
            } else {
                deletable.add(tp);
            }
        }
        try {
            results.putAll(classic.deleteOffsets(groupId, deletable, GroupService::subscribedTopics));
        } catch (ApiException e) {
            if (!consumerGroups.hasGroup(groupId)) {
                return new OffsetDeleteResult(Errors.forException(e), Map.of());
            }
            deletable.forEach(tp -> results.put(tp, Errors.NONE));
        }
        return new OffsetDeleteResult(Errors.NONE, results);
    }

    /** The topics a classic consumer-protocol member subscribes to, from its JoinGroup metadata. */
    private static Set<String> subscribedTopics(byte[] metadata) {
        try {
            return new HashSet<>(ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata))
                    .topics());
        } catch (RuntimeException e) {
            return Set.of();
        }
    }

    // ---------------------------------------------------------------- Admin

    /** A group as ListGroups shows it; {@code groupType} is {@code consumer} (KIP-848) or {@code classic}. */
    public record ListedGroup(String groupId, String protocolType, String state, String groupType) {}

    /**
     * ListGroups: the consumer groups, then the classic groups (a consumer group's offsets are not listed again as a
     * classic group), keeping those whose state and type match the filters (null or empty: any; case-insensitive).
     */
    public List<ListedGroup> listGroups(List<String> states, List<String> types) {
        List<ListedGroup> out = new ArrayList<>();
        for (ConsumerGroupCoordinator.GroupView g : consumerGroups.list()) {
            if (matches(states, g.state()) && matches(types, "consumer")) {
                out.add(new ListedGroup(g.groupId(), "consumer", g.state(), "consumer"));
            }
        }
        for (GroupSummary g : classic.listGroups()) {
            if (consumerGroups.hasGroup(g.groupId())) {
                continue; // its offsets, listed above as the consumer group
            }
            if (matches(states, g.state()) && matches(types, "classic")) {
                out.add(new ListedGroup(g.groupId(), g.protocolType(), g.state(), "classic"));
            }
        }
        return out;
    }

    private static boolean matches(List<String> filter, String value) {
        return filter == null || filter.isEmpty() || filter.stream().anyMatch(f -> f.equalsIgnoreCase(value));
    }

    /** DescribeGroups: the classic group, empty if there is none. */
    public Optional<GroupSummary> describe(String groupId) {
        return classic.describe(groupId);
    }

    /** DeleteGroups: an empty consumer group with its offsets, or an empty classic group with its offsets. */
    public Errors deleteGroup(String groupId) {
        if (consumerGroups.hasGroup(groupId)) {
            Errors error = consumerGroups.delete(groupId);
            if (error == Errors.NONE) {
                Errors offsetsError = classic.deleteGroup(groupId);
                error = offsetsError == Errors.GROUP_ID_NOT_FOUND ? Errors.NONE : offsetsError;
            }
            return error;
        }
        return classic.deleteGroup(groupId);
    }
}
