package dev.strata.broker.api;

import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.group.ConsumerGroupCoordinator;
import dev.strata.broker.group.ConsumerHeartbeat;
import dev.strata.broker.group.ConsumerHeartbeatResult;
import dev.strata.broker.group.GroupCoordinator;
import dev.strata.broker.group.GroupCoordinator.GroupSummary;
import dev.strata.broker.group.GroupService;
import dev.strata.broker.group.GroupState;
import dev.strata.broker.group.JoinRequest;
import dev.strata.broker.group.JoinResult;
import dev.strata.broker.group.OffsetsTopic;
import dev.strata.broker.group.SyncRequest;
import dev.strata.broker.group.SyncResult;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.txn.TransactionVerification;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;

/**
 * Every group API on the wire: FindCoordinator; the classic protocol's JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup; KIP-848's ConsumerGroupHeartbeat and ConsumerGroupDescribe; the offset APIs (OffsetCommit, OffsetFetch,
 * OffsetDelete); and the group admin APIs (ListGroups, DescribeGroups, DeleteGroups). It converts between the
 * generated message classes and the group package's own value types, checks what only the wire knows (versions,
 * {@code offset.metadata.max.bytes}), and leaves to {@link GroupService} which coordinator answers. The offset APIs
 * are answered by {@link OffsetHandler}, TxnOffsetCommit by {@link TxnOffsetCommitHandler}.
 *
 * <p>A group's coordinator is the leader of its {@code __consumer_offsets} partition: FindCoordinator names that
 * broker, and every other group API answers NOT_COORDINATOR for a group this broker does not coordinate, and
 * COORDINATOR_LOAD_IN_PROGRESS while its partition's groups are being replayed here ({@link CoordinatedPartitions}).
 */
public final class GroupHandler {
    private final Supplier<BrokerEndpoint> self;
    private final GroupService groups;
    private final TopicManager topics;
    private final OffsetsTopic offsetsTopic;
    private final CoordinatedPartitions coordinated;
    private final OffsetHandler offsets;
    private final TxnOffsetCommitHandler txnOffsets;
    private final Permissions permissions;

    /**
     * @param verification asks the transaction coordinator whether a producer's transaction holds a group's partition
     *     of {@code __consumer_offsets} (TxnOffsetCommit)
     * @param ioPool where a TxnOffsetCommit continues when its verification completes on another thread
     * @param permissions which topics a ConsumerGroupHeartbeat's regex may hand its member (those it may describe)
     */
    public GroupHandler(
            Supplier<BrokerEndpoint> self,
            GroupService groups,
            TopicManager topics,
            OffsetsTopic offsetsTopic,
            CoordinatedPartitions coordinated,
            TransactionVerification verification,
            Executor ioPool,
            Permissions permissions) {
        this.self = self;
        this.groups = groups;
        this.topics = topics;
        this.offsetsTopic = offsetsTopic;
        this.coordinated = coordinated;
        this.permissions = permissions;
        this.offsets = new OffsetHandler(groups, topics, coordinated);
        this.txnOffsets = new TxnOffsetCommitHandler(groups, topics, offsetsTopic, coordinated, verification, ioPool);
    }

    /**
     * Null if this broker serves the group now, else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. A missing group
     * id is left to the coordinator, which refuses it, as Kafka checks it first.
     */
    private Errors coordinatorError(String groupId) {
        return coordinatorError(coordinated, groupId);
    }

    static Errors coordinatorError(CoordinatedPartitions coordinated, String groupId) {
        if (groupId == null || groupId.isEmpty()) {
            return null;
        }
        Errors error = coordinated.errorFor(groupId);
        return error == Errors.NONE ? null : error;
    }

    // ---------------------------------------------------------------- FindCoordinator

    public FindCoordinatorResponseData findCoordinator(FindCoordinatorRequest request) {
        byte keyType = request.data().keyType();
        return CoordinatorLookup.answer(request, key -> lookup(keyType, key), error -> errorMessage(error, keyType));
    }

    /** The leader of the group's {@code __consumer_offsets} partition; other key types are not served here. */
    private CoordinatorLookup.Lookup lookup(byte keyType, String key) {
        if (keyType != FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            // Not retriable: a share consumer fails at once with the message below instead of retrying until its
            // timeout, as it does against a broker without the API.
            return CoordinatorLookup.Lookup.failed(Errors.UNSUPPORTED_VERSION);
        }
        return CoordinatorLookup.lookup(self, topics, offsetsTopic::ensureExists, offsetsTopic::coordinatorFor, key);
    }

    private static String errorMessage(Errors error, byte keyType) {
        if (keyType != FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            return "This broker (Strata) does not support share groups yet: there is no coordinator of key type "
                    + keyType;
        }
        return error.message();
    }

    // ---------------------------------------------------------------- Membership

    public CompletableFuture<ApiMessage> joinGroup(RequestContext ctx, JoinGroupRequest request) {
        JoinGroupRequestData data = request.data();
        Errors error = coordinatorError(data.groupId());
        if (error != null) {
            return CompletableFuture.completedFuture(
                    new JoinGroupResponseData().setErrorCode(error.code()).setMemberId(data.memberId()));
        }
        if (data.rebalanceTimeoutMs() <= 0) {
            // v0 has no rebalance timeout: the session timeout stands in for it.
            data.setRebalanceTimeoutMs(data.sessionTimeoutMs());
        }
        Map<String, byte[]> protocols = new LinkedHashMap<>();
        data.protocols().forEach(p -> protocols.put(p.name(), p.metadata()));
        JoinRequest join = new JoinRequest(
                data.groupId(),
                data.memberId(),
                data.groupInstanceId(),
                data.protocolType(),
                protocols,
                data.sessionTimeoutMs(),
                data.rebalanceTimeoutMs(),
                request.version() >= 4,
                request.version() >= 9,
                ctx.clientId() == null ? "" : ctx.clientId(),
                clientHost(ctx));
        return groups.join(join).thenApply(r -> {
            JoinGroupResponseData response = joinResponse(r);
            if (request.version() < 7 && response.protocolName() == null) {
                response.setProtocolName(""); // not nullable before v7
            }
            return response;
        });
    }

    private static JoinGroupResponseData joinResponse(JoinResult r) {
        JoinGroupResponseData response = new JoinGroupResponseData()
                .setErrorCode(r.error().code())
                .setMemberId(r.memberId())
                .setGenerationId(r.generationId())
                .setProtocolType(r.protocolType())
                .setProtocolName(r.protocolName())
                .setLeader(r.leaderId())
                .setSkipAssignment(r.skipAssignment());
        for (JoinResult.Member m : r.members()) {
            response.members()
                    .add(new JoinGroupResponseData.JoinGroupResponseMember()
                            .setMemberId(m.memberId())
                            .setGroupInstanceId(m.groupInstanceId())
                            .setMetadata(m.metadata()));
        }
        return response;
    }

    private static String clientHost(RequestContext ctx) {
        return ctx.clientAddress() instanceof InetSocketAddress a
                ? "/" + a.getAddress().getHostAddress()
                : "";
    }

    public CompletableFuture<ApiMessage> syncGroup(SyncGroupRequest request) {
        Errors error = coordinatorError(request.data().groupId());
        if (error != null) {
            return CompletableFuture.completedFuture(
                    new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]));
        }
        SyncGroupRequestData data = request.data();
        Map<String, byte[]> assignments = new HashMap<>();
        data.assignments().forEach(a -> assignments.put(a.memberId(), a.assignment()));
        SyncRequest sync = new SyncRequest(
                data.groupId(),
                data.memberId(),
                data.groupInstanceId(),
                data.generationId(),
                data.protocolType(),
                data.protocolName(),
                assignments);
        return groups.sync(sync).thenApply(GroupHandler::syncResponse);
    }

    private static SyncGroupResponseData syncResponse(SyncResult r) {
        return new SyncGroupResponseData()
                .setErrorCode(r.error().code())
                .setProtocolType(r.protocolType())
                .setProtocolName(r.protocolName())
                .setAssignment(r.assignment());
    }

    public HeartbeatResponseData heartbeat(HeartbeatRequest request) {
        Errors error = coordinatorError(request.data().groupId());
        if (error == null) {
            var d = request.data();
            error = groups.heartbeat(d.groupId(), d.memberId(), d.groupInstanceId(), d.generationId());
        }
        return new HeartbeatResponseData().setErrorCode(error.code());
    }

    public LeaveGroupResponseData leaveGroup(LeaveGroupRequest request) {
        Errors error = coordinatorError(request.data().groupId());
        if (error != null) {
            return new LeaveGroupResponseData().setErrorCode(error.code());
        }
        var data = request.data();
        List<GroupCoordinator.Leaver> leavers = new ArrayList<>();
        if (request.version() < 3) {
            leavers.add(new GroupCoordinator.Leaver(data.memberId(), null));
        } else {
            data.members().forEach(m -> leavers.add(new GroupCoordinator.Leaver(m.memberId(), m.groupInstanceId())));
        }
        List<Errors> results = groups.leave(data.groupId(), leavers);
        LeaveGroupResponseData response = new LeaveGroupResponseData();
        if (request.version() < 3) {
            return response.setErrorCode(results.get(0).code());
        }
        for (int i = 0; i < leavers.size(); i++) {
            response.members()
                    .add(new LeaveGroupResponseData.MemberResponse()
                            .setMemberId(leavers.get(i).memberId())
                            .setGroupInstanceId(leavers.get(i).groupInstanceId())
                            .setErrorCode(results.get(i).code()));
        }
        return response;
    }

    // ---------------------------------------------------------------- Offsets (answered by OffsetHandler)

    public CompletableFuture<OffsetCommitResponseData> offsetCommit(OffsetCommitRequest request) {
        return offsets.offsetCommit(request);
    }

    public CompletableFuture<TxnOffsetCommitResponseData> txnOffsetCommit(TxnOffsetCommitRequest request) {
        return txnOffsets.handle(request);
    }

    public OffsetFetchResponseData offsetFetch(OffsetFetchRequest request) {
        return offsets.offsetFetch(request);
    }

    public OffsetDeleteResponseData offsetDelete(OffsetDeleteRequest request) {
        return offsets.offsetDelete(request);
    }

    // ---------------------------------------------------------------- Admin

    public ListGroupsResponseData listGroups(ListGroupsRequest request) {
        ListGroupsResponseData response = new ListGroupsResponseData();
        if (coordinated.loading()) {
            // a loading partition's groups would be missing from the list
            return response.setErrorCode(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        }
        for (GroupService.ListedGroup g :
                groups.listGroups(request.data().statesFilter(), request.data().typesFilter())) {
            if (!coordinated.coordinates(g.groupId())) {
                continue; // left behind by a request that raced its partition's unloading
            }
            response.groups()
                    .add(new ListGroupsResponseData.ListedGroup()
                            .setGroupId(g.groupId())
                            .setProtocolType(g.protocolType())
                            .setGroupState(g.state())
                            .setGroupType(g.groupType()));
        }
        return response;
    }

    public DescribeGroupsResponseData describeGroups(DescribeGroupsRequest request) {
        DescribeGroupsResponseData response = new DescribeGroupsResponseData();
        for (String groupId : request.data().groups()) {
            var dg = new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId);
            Errors error = coordinatorError(groupId);
            if (error != null) {
                dg.setErrorCode(error.code());
            } else {
                var summary = groups.describe(groupId);
                if (summary.isEmpty()) {
                    dg.setGroupState(GroupState.DEAD.kafkaName())
                            .setProtocolType("")
                            .setProtocolData("");
                } else {
                    GroupSummary g = summary.get();
                    dg.setGroupState(g.state())
                            .setProtocolType(g.protocolType())
                            .setProtocolData(g.protocolName());
                    g.members().forEach(m -> dg.members()
                            .add(new DescribeGroupsResponseData.DescribedGroupMember()
                                    .setMemberId(m.memberId())
                                    .setGroupInstanceId(m.groupInstanceId())
                                    .setClientId(m.clientId())
                                    .setClientHost(m.clientHost())
                                    .setMemberMetadata(m.metadata())
                                    .setMemberAssignment(m.assignment())));
                }
            }
            response.groups().add(dg);
        }
        return response;
    }

    public DeleteGroupsResponseData deleteGroups(DeleteGroupsRequest request) {
        DeleteGroupsResponseData response = new DeleteGroupsResponseData();
        for (String groupId : request.data().groupsNames()) {
            Errors error = coordinatorError(groupId);
            if (error == null) {
                error = groups.deleteGroup(groupId);
            }
            response.results()
                    .add(new DeleteGroupsResponseData.DeletableGroupResult()
                            .setGroupId(groupId)
                            .setErrorCode(error.code()));
        }
        return response;
    }

    // ---------------------------------------------------------------- KIP-848 consumer groups

    public ConsumerGroupHeartbeatResponseData consumerGroupHeartbeat(
            RequestContext ctx, ConsumerGroupHeartbeatRequest request) {
        Errors error = coordinatorError(request.data().groupId());
        if (error != null) {
            return new ConsumerGroupHeartbeatResponseData().setErrorCode(error.code());
        }
        ConsumerGroupHeartbeatRequestData data = request.data();
        Map<Uuid, Set<Integer>> owned = null;
        if (data.topicPartitions() != null) {
            owned = new HashMap<>();
            for (var tp : data.topicPartitions()) {
                owned.put(tp.topicId(), new HashSet<>(tp.partitions()));
            }
        }
        ConsumerHeartbeat heartbeat = new ConsumerHeartbeat(
                data.groupId(),
                data.memberId(),
                data.memberEpoch(),
                data.instanceId(),
                data.rackId(),
                data.rebalanceTimeoutMs(),
                data.subscribedTopicNames(),
                data.subscribedTopicRegex(),
                data.serverAssignor(),
                owned,
                ctx.clientId() == null ? "" : ctx.clientId(),
                clientHost(ctx),
                topic -> permissions.topic(ctx, AclOperation.DESCRIBE, topic));
        return heartbeatResponse(groups.consumerHeartbeat(heartbeat));
    }

    private static ConsumerGroupHeartbeatResponseData heartbeatResponse(ConsumerHeartbeatResult r) {
        if (r.error() != Errors.NONE) {
            return new ConsumerGroupHeartbeatResponseData()
                    .setErrorCode(r.error().code())
                    .setErrorMessage(r.errorMessage());
        }
        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData()
                .setMemberId(r.memberId())
                .setMemberEpoch(r.memberEpoch())
                .setHeartbeatIntervalMs(r.heartbeatIntervalMs());
        if (r.assignment() != null) {
            var assignment = new ConsumerGroupHeartbeatResponseData.Assignment();
            r.assignment().forEach((topicId, partitions) -> assignment
                    .topicPartitions()
                    .add(new ConsumerGroupHeartbeatResponseData.TopicPartitions()
                            .setTopicId(topicId)
                            .setPartitions(partitions)));
            response.setAssignment(assignment);
        }
        return response;
    }

    public ConsumerGroupDescribeResponseData consumerGroupDescribe(ConsumerGroupDescribeRequest request) {
        ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
        for (String groupId : request.data().groupIds()) {
            var dg = new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId);
            Errors error = coordinatorError(groupId);
            var view = error == null
                    ? groups.describeConsumerGroup(groupId)
                    : java.util.Optional.<ConsumerGroupCoordinator.GroupView>empty();
            if (error != null) {
                dg.setErrorCode(error.code());
            } else if (view.isEmpty()) {
                dg.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                        .setErrorMessage("Group " + groupId + " is not a consumer group.");
            } else {
                var g = view.get();
                dg.setGroupState(g.state())
                        .setGroupEpoch(g.groupEpoch())
                        .setAssignmentEpoch(g.assignmentEpoch())
                        .setAssignorName(g.assignorName());
                for (var m : g.members()) {
                    dg.members()
                            .add(new ConsumerGroupDescribeResponseData.Member()
                                    .setMemberId(m.memberId())
                                    .setInstanceId(m.instanceId())
                                    .setRackId(m.rackId())
                                    .setMemberEpoch(m.memberEpoch())
                                    .setClientId(m.clientId())
                                    .setClientHost(m.clientHost())
                                    .setSubscribedTopicNames(m.subscribedTopicNames())
                                    .setSubscribedTopicRegex(m.subscribedTopicRegex())
                                    .setAssignment(describeAssignment(m.assignment()))
                                    .setTargetAssignment(describeAssignment(m.targetAssignment())));
                }
            }
            response.groups().add(dg);
        }
        return response;
    }

    private ConsumerGroupDescribeResponseData.Assignment describeAssignment(
            Map<org.apache.kafka.common.Uuid, Set<Integer>> assignment) {
        var a = new ConsumerGroupDescribeResponseData.Assignment();
        assignment.forEach((id, parts) -> a.topicPartitions()
                .add(new ConsumerGroupDescribeResponseData.TopicPartitions()
                        .setTopicId(id)
                        .setTopicName(topics.topic(id).map(t -> t.name()).orElse(""))
                        .setPartitions(new ArrayList<>(new java.util.TreeSet<>(parts)))));
        return a;
    }
}
