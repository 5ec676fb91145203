package dev.strata.broker.api;

import dev.strata.broker.group.CommittedOffset;
import dev.strata.broker.group.ConsumerGroupCoordinator;
import dev.strata.broker.group.GroupCoordinator;
import dev.strata.broker.group.GroupCoordinator.GroupSummary;
import dev.strata.broker.group.GroupState;
import dev.strata.broker.group.OffsetsTopic;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.network.RequestContext;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
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
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
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

/**
 * The group APIs of the classic protocol: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, the offset
 * APIs and the group admin APIs. Until the coordinator has replayed {@code __consumer_offsets} after a start, group
 * requests are answered with COORDINATOR_LOAD_IN_PROGRESS and clients retry.
 */
public final class GroupHandler {
    /** Kafka's {@code offset.metadata.max.bytes}. */
    private static final int MAX_METADATA_BYTES = 4096;

    private final Supplier<BrokerEndpoint> self;
    private final GroupCoordinator coordinator;
    private final ConsumerGroupCoordinator consumerGroups;
    private final TopicManager topics;
    private final OffsetsTopic offsetsTopic;
    private volatile boolean loaded;

    public GroupHandler(
            Supplier<BrokerEndpoint> self,
            GroupCoordinator coordinator,
            ConsumerGroupCoordinator consumerGroups,
            TopicManager topics,
            OffsetsTopic offsetsTopic) {
        this.self = self;
        this.coordinator = coordinator;
        this.consumerGroups = consumerGroups;
        this.topics = topics;
        this.offsetsTopic = offsetsTopic;
    }

    /** Called once the coordinator's state has been read back from the log. */
    public void markLoaded() {
        loaded = true;
    }

    private Errors loadError() {
        return loaded ? null : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    // ---------------------------------------------------------------- FindCoordinator

    public FindCoordinatorResponseData findCoordinator(FindCoordinatorRequest request) {
        var data = request.data();
        BrokerEndpoint me = self.get();
        if (request.version() < 4) {
            Errors error = coordinatorError(data.keyType(), data.key());
            FindCoordinatorResponseData r = new FindCoordinatorResponseData().setErrorCode(error.code());
            if (error == Errors.NONE) {
                r.setNodeId(me.nodeId()).setHost(me.host()).setPort(me.port()).setErrorMessage(null);
            } else {
                r.setNodeId(-1).setHost("").setPort(-1).setErrorMessage(errorMessage(error, data.keyType()));
            }
            return r;
        }
        FindCoordinatorResponseData r = new FindCoordinatorResponseData();
        for (String key : data.coordinatorKeys()) {
            Errors error = coordinatorError(data.keyType(), key);
            var c = new FindCoordinatorResponseData.Coordinator().setKey(key).setErrorCode(error.code());
            if (error == Errors.NONE) {
                c.setNodeId(me.nodeId()).setHost(me.host()).setPort(me.port());
            } else {
                c.setNodeId(-1).setHost("").setPort(-1).setErrorMessage(errorMessage(error, data.keyType()));
            }
            r.coordinators().add(c);
        }
        return r;
    }

    private Errors coordinatorError(byte keyType, String key) {
        if (keyType != FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        if (key == null || key.isEmpty()) {
            return Errors.INVALID_REQUEST;
        }
        offsetsTopic.ensureExists();
        return Errors.NONE;
    }

    private static String errorMessage(Errors error, byte keyType) {
        if (keyType != FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            return "Strata has no transaction or share-group coordinator yet";
        }
        return error.message();
    }

    // ---------------------------------------------------------------- Membership

    public CompletableFuture<ApiMessage> joinGroup(RequestContext ctx, JoinGroupRequest request) {
        JoinGroupRequestData data = request.data();
        Errors error = loadError();
        if (error != null) {
            return CompletableFuture.completedFuture(
                    new JoinGroupResponseData().setErrorCode(error.code()).setMemberId(data.memberId()));
        }
        if (data.rebalanceTimeoutMs() <= 0) {
            // v0 has no rebalance timeout: the session timeout stands in for it.
            data.setRebalanceTimeoutMs(data.sessionTimeoutMs());
        }
        return coordinator
                .join(data, request.version(), ctx.clientId() == null ? "" : ctx.clientId(), clientHost(ctx))
                .thenApply(r -> {
                    if (request.version() < 7 && r.protocolName() == null) {
                        r.setProtocolName(""); // not nullable before v7
                    }
                    return r;
                });
    }

    private static String clientHost(RequestContext ctx) {
        return ctx.clientAddress() instanceof InetSocketAddress a
                ? "/" + a.getAddress().getHostAddress()
                : "";
    }

    public CompletableFuture<ApiMessage> syncGroup(SyncGroupRequest request) {
        Errors error = loadError();
        if (error != null) {
            return CompletableFuture.completedFuture(
                    new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]));
        }
        return coordinator.sync(request.data()).thenApply(r -> r);
    }

    public HeartbeatResponseData heartbeat(HeartbeatRequest request) {
        Errors error = loadError();
        if (error == null) {
            var d = request.data();
            error = coordinator.heartbeat(d.groupId(), d.memberId(), d.groupInstanceId(), d.generationId());
        }
        return new HeartbeatResponseData().setErrorCode(error.code());
    }

    public LeaveGroupResponseData leaveGroup(LeaveGroupRequest request) {
        Errors error = loadError();
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
        List<Errors> results = coordinator.leave(data.groupId(), leavers);
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

    // ---------------------------------------------------------------- Offsets

    public OffsetCommitResponseData offsetCommit(OffsetCommitRequest request) {
        var data = request.data();
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        Errors groupError = loadError();
        Map<TopicPartition, CommittedOffset> commits = new HashMap<>();
        Map<TopicPartition, Errors> partitionErrors = new HashMap<>();
        long now = System.currentTimeMillis();
        for (var topic : data.topics()) {
            for (var p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                if (p.committedMetadata() != null && p.committedMetadata().length() > MAX_METADATA_BYTES) {
                    partitionErrors.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
                } else {
                    commits.put(
                            tp,
                            new CommittedOffset(
                                    p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now));
                }
            }
        }
        if (groupError == null && !commits.isEmpty()) {
            if (consumerGroups.hasGroup(data.groupId())) {
                groupError = consumerGroups.validateCommit(
                        data.groupId(), data.memberId(), data.generationIdOrMemberEpoch());
                if (groupError == null) {
                    groupError = coordinator.commitCheckedOffsets(data.groupId(), commits);
                }
            } else {
                groupError = coordinator.commitOffsets(
                        data.groupId(),
                        data.memberId(),
                        data.groupInstanceId(),
                        data.generationIdOrMemberEpoch(),
                        commits);
            }
        }
        for (var topic : data.topics()) {
            var tr = new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(topic.name());
            for (var p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                Errors e = partitionErrors.getOrDefault(tp, groupError == null ? Errors.NONE : groupError);
                tr.partitions()
                        .add(new OffsetCommitResponseData.OffsetCommitResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(e.code()));
            }
            response.topics().add(tr);
        }
        return response;
    }

    public OffsetFetchResponseData offsetFetch(OffsetFetchRequest request) {
        var data = request.data();
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (request.version() < 8) {
            List<TopicPartition> wanted = null;
            if (data.topics() != null) {
                wanted = new ArrayList<>();
                for (var t : data.topics()) {
                    for (int p : t.partitionIndexes()) {
                        wanted.add(new TopicPartition(t.name(), p));
                    }
                }
            }
            Errors error = loadError();
            if (error != null) {
                return response.setErrorCode(error.code());
            }
            for (var t : fetchTopics(data.groupId(), wanted)) {
                var rt = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                t.partitions().forEach(p -> rt.partitions()
                        .add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setCommittedOffset(p.committedOffset())
                                .setCommittedLeaderEpoch(p.committedLeaderEpoch())
                                .setMetadata(p.metadata())
                                .setErrorCode(p.errorCode())));
                response.topics().add(rt);
            }
            return response;
        }
        for (OffsetFetchRequestData.OffsetFetchRequestGroup group : data.groups()) {
            var rg = new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId());
            Errors error = loadError();
            if (error != null) {
                rg.setErrorCode(error.code());
            } else {
                List<TopicPartition> wanted = null;
                if (group.topics() != null) {
                    wanted = new ArrayList<>();
                    for (var t : group.topics()) {
                        for (int p : t.partitionIndexes()) {
                            wanted.add(new TopicPartition(t.name(), p));
                        }
                    }
                }
                rg.setTopics(fetchTopics(group.groupId(), wanted));
            }
            response.groups().add(rg);
        }
        return response;
    }

    private List<OffsetFetchResponseData.OffsetFetchResponseTopics> fetchTopics(
            String groupId, List<TopicPartition> wanted) {
        Map<TopicPartition, CommittedOffset> committed = coordinator.committed(groupId, wanted);
        Map<String, OffsetFetchResponseData.OffsetFetchResponseTopics> byTopic = new java.util.LinkedHashMap<>();
        List<TopicPartition> partitions = wanted != null ? wanted : new ArrayList<>(committed.keySet());
        for (TopicPartition tp : partitions) {
            CommittedOffset c = committed.get(tp);
            byTopic.computeIfAbsent(tp.topic(), t -> new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(t))
                    .partitions()
                    .add(new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                            .setPartitionIndex(tp.partition())
                            .setCommittedOffset(c == null ? -1L : c.offset())
                            .setCommittedLeaderEpoch(c == null ? -1 : c.leaderEpoch())
                            .setMetadata(c == null ? "" : c.metadata()));
        }
        return new ArrayList<>(byTopic.values());
    }

    public OffsetDeleteResponseData offsetDelete(OffsetDeleteRequest request) {
        var data = request.data();
        OffsetDeleteResponseData response = new OffsetDeleteResponseData();
        Errors error = loadError();
        if (error != null) {
            return response.setErrorCode(error.code());
        }
        List<TopicPartition> partitions = new ArrayList<>();
        data.topics().forEach(t -> t.partitions()
                .forEach(p -> partitions.add(new TopicPartition(t.name(), p.partitionIndex()))));
        Map<TopicPartition, Errors> results = new HashMap<>();
        Set<String> consumerSubscribed = consumerGroups.subscribedTopics(data.groupId());
        List<TopicPartition> deletable = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (consumerSubscribed.contains(tp.topic())) {
                results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
            } else {
                deletable.add(tp);
            }
        }
        try {
            results.putAll(coordinator.deleteOffsets(data.groupId(), deletable, GroupHandler::subscribedTopics));
        } catch (org.apache.kafka.common.errors.ApiException e) {
            if (!consumerGroups.hasGroup(data.groupId())) {
                return response.setErrorCode(Errors.forException(e).code());
            }
            deletable.forEach(tp -> results.put(tp, Errors.NONE));
        }
        for (var t : data.topics()) {
            var rt = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name());
            for (var p : t.partitions()) {
                Errors e = results.get(new TopicPartition(t.name(), p.partitionIndex()));
                rt.partitions()
                        .add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(e.code()));
            }
            response.topics().add(rt);
        }
        return response;
    }

    /** The topics a consumer-protocol member subscribes to, from its JoinGroup metadata. */
    private static Set<String> subscribedTopics(byte[] metadata) {
        try {
            return new HashSet<>(ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata))
                    .topics());
        } catch (RuntimeException e) {
            return Set.of();
        }
    }

    // ---------------------------------------------------------------- Admin

    public ListGroupsResponseData listGroups(ListGroupsRequest request) {
        ListGroupsResponseData response = new ListGroupsResponseData();
        Errors error = loadError();
        if (error != null) {
            return response.setErrorCode(error.code());
        }
        List<String> states = request.data().statesFilter();
        List<String> types = request.data().typesFilter();
        for (ConsumerGroupCoordinator.GroupView g : consumerGroups.list()) {
            boolean stateOk = states == null
                    || states.isEmpty()
                    || states.stream().anyMatch(st -> st.equalsIgnoreCase(g.state()));
            boolean typeOk =
                    types == null || types.isEmpty() || types.stream().anyMatch(t -> t.equalsIgnoreCase("consumer"));
            if (stateOk && typeOk) {
                response.groups()
                        .add(new ListGroupsResponseData.ListedGroup()
                                .setGroupId(g.groupId())
                                .setProtocolType("consumer")
                                .setGroupState(g.state())
                                .setGroupType("consumer"));
            }
        }
        for (GroupSummary g : coordinator.listGroups()) {
            if (consumerGroups.hasGroup(g.groupId())) {
                continue; // its offsets, listed above as the consumer group
            }
            boolean stateOk =
                    states == null || states.isEmpty() || states.stream().anyMatch(s -> s.equalsIgnoreCase(g.state()));
            boolean typeOk =
                    types == null || types.isEmpty() || types.stream().anyMatch(t -> t.equalsIgnoreCase("classic"));
            if (stateOk && typeOk) {
                response.groups()
                        .add(new ListGroupsResponseData.ListedGroup()
                                .setGroupId(g.groupId())
                                .setProtocolType(g.protocolType())
                                .setGroupState(g.state())
                                .setGroupType("classic"));
            }
        }
        return response;
    }

    public DescribeGroupsResponseData describeGroups(DescribeGroupsRequest request) {
        DescribeGroupsResponseData response = new DescribeGroupsResponseData();
        for (String groupId : request.data().groups()) {
            var dg = new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId);
            Errors error = loadError();
            if (error != null) {
                dg.setErrorCode(error.code());
            } else {
                var summary = coordinator.describe(groupId);
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
            Errors error = loadError();
            if (error == null && consumerGroups.hasGroup(groupId)) {
                error = consumerGroups.delete(groupId);
                if (error == Errors.NONE) {
                    Errors offsetsError = coordinator.deleteGroup(groupId);
                    error = offsetsError == Errors.GROUP_ID_NOT_FOUND ? Errors.NONE : offsetsError;
                }
            } else if (error == null) {
                error = coordinator.deleteGroup(groupId);
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
        Errors error = loadError();
        if (error != null) {
            return new ConsumerGroupHeartbeatResponseData().setErrorCode(error.code());
        }
        if (coordinator
                .describe(request.data().groupId())
                .filter(g -> !g.members().isEmpty())
                .isPresent()) {
            return new ConsumerGroupHeartbeatResponseData()
                    .setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                    .setErrorMessage("Group " + request.data().groupId() + " is a classic group with members");
        }
        return consumerGroups.heartbeat(request.data(), ctx.clientId() == null ? "" : ctx.clientId(), clientHost(ctx));
    }

    public ConsumerGroupDescribeResponseData consumerGroupDescribe(ConsumerGroupDescribeRequest request) {
        ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
        for (String groupId : request.data().groupIds()) {
            var dg = new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId);
            Errors error = loadError();
            var view = error == null
                    ? consumerGroups.describe(groupId)
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
