package dev.strata.broker.api;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.security.Authorizer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Checks each request against the authorizer before its handler runs, the operations Kafka 4.3's {@code KafkaApis}
 * checks, with its error codes. A request the caller may not make at all is answered here with the request's own
 * error response (CLUSTER_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
 * one that names several resources loses the ones the caller may not touch, which are answered with their error
 * beside the handler's answer for the rest ({@link TopicAuthorization}, {@link AdminAuthorization},
 * {@link GroupAuthorization}). Without an authorizer every request goes straight through, but for those that answer the
 * operations the caller may do, which then name every operation.
 *
 * <p>Cluster operations: the replication and marker APIs brokers send each other need CLUSTER_ACTION, leader
 * elections and reassignments ALTER, listing reassignments and log dirs DESCRIBE. Groups: joining, syncing, heartbeats,
 * leaving and committing need READ on the group, describing DESCRIBE, deleting DELETE; committing an offset also READ
 * on its topic. Transactions: WRITE on the transactional id for InitProducerId, AddPartitionsToTxn (and WRITE on each
 * topic), AddOffsetsToTxn (and READ on the group), EndTxn and TxnOffsetCommit; DESCRIBE to describe or list it. An
 * idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic.
 */
public final class RequestAuthorization {
    private final Permissions permissions;
    private final TopicAuthorization topics;
    private final AdminAuthorization admin;
    private final GroupAuthorization groups;

    public RequestAuthorization(Permissions permissions, Predicate<String> topicExists, boolean autoCreateTopics) {
        this.permissions = permissions;
        this.topics = new TopicAuthorization(permissions, topicExists, autoCreateTopics);
        this.admin = new AdminAuthorization(permissions);
        this.groups = new GroupAuthorization(permissions);
    }

    CompletableFuture<ApiMessage> dispatch(
            RequestContext ctx,
            AbstractRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        if (!permissions.enabled() && !answersAuthorizedOperations(request)) {
            return next.apply(request);
        }
        Errors denied = denied(ctx, request);
        if (denied != null) {
            return CompletableFuture.completedFuture(
                    request.getErrorResponse(0, denied.exception()).data());
        }
        return switch (request.apiKey()) {
            case PRODUCE -> topics.produce(ctx, (ProduceRequest) request, r -> next.apply(r));
            case FETCH -> ((FetchRequest) request).isFromFollower()
                            && permissions.cluster(ctx, AclOperation.CLUSTER_ACTION)
                    ? next.apply(request)
                    : topics.fetch(ctx, (FetchRequest) request, r -> next.apply(r));
            case LIST_OFFSETS -> next.apply(request)
                    .thenApply(r -> topics.listOffsets(ctx, (ListOffsetsResponseData) r));
            case OFFSET_FOR_LEADER_EPOCH -> permissions.cluster(ctx, AclOperation.CLUSTER_ACTION)
                    ? next.apply(request)
                    : next.apply(request)
                            .thenApply(r -> topics.offsetsForLeaderEpoch(ctx, (OffsetForLeaderEpochResponseData) r));
            case METADATA -> {
                List<String> deniedTopics = topics.metadataRequest(ctx, (MetadataRequest) request);
                yield next.apply(request)
                        .thenApply(r -> topics.metadataResponse(
                                ctx, (MetadataRequest) request, (MetadataResponseData) r, deniedTopics));
            }
            case DESCRIBE_TOPIC_PARTITIONS -> next.apply(request)
                    .thenApply(r -> topics.describeTopicPartitions(
                            ctx, (DescribeTopicPartitionsRequest) request, (DescribeTopicPartitionsResponseData) r));
            case CREATE_TOPICS -> admin.createTopics(ctx, (CreateTopicsRequest) request, next);
            case DELETE_TOPICS -> admin.deleteTopics(ctx, (DeleteTopicsRequest) request, next);
            case CREATE_PARTITIONS -> admin.createPartitions(ctx, (CreatePartitionsRequest) request, next);
            case DELETE_RECORDS -> admin.deleteRecords(ctx, (DeleteRecordsRequest) request, next);
            case DESCRIBE_CONFIGS -> next.apply(request)
                    .thenApply(r -> admin.describeConfigs(
                            ctx, (org.apache.kafka.common.message.DescribeConfigsResponseData) r));
            case ALTER_CONFIGS -> admin.alterConfigs(ctx, (AlterConfigsRequest) request, next);
            case INCREMENTAL_ALTER_CONFIGS -> admin.incrementalAlterConfigs(
                    ctx, (IncrementalAlterConfigsRequest) request, next);
            case DESCRIBE_PRODUCERS -> next.apply(request)
                    .thenApply(r -> admin.describeProducers(
                            ctx, (org.apache.kafka.common.message.DescribeProducersResponseData) r));
            case OFFSET_COMMIT -> groups.offsetCommit(ctx, (OffsetCommitRequest) request, next);
            case TXN_OFFSET_COMMIT -> groups.txnOffsetCommit(ctx, (TxnOffsetCommitRequest) request, next);
            case OFFSET_DELETE -> groups.offsetDelete(ctx, (OffsetDeleteRequest) request, next);
            case OFFSET_FETCH -> groups.offsetFetch(ctx, (OffsetFetchRequest) request, next);
            case FIND_COORDINATOR -> groups.findCoordinator(ctx, (FindCoordinatorRequest) request, next);
            case DESCRIBE_GROUPS,
                    CONSUMER_GROUP_DESCRIBE,
                    LIST_GROUPS,
                    DESCRIBE_TRANSACTIONS,
                    LIST_TRANSACTIONS -> next.apply(request).thenApply(r -> groups.filterDescribed(ctx, request, r));
            case DESCRIBE_CLUSTER -> next.apply(request).thenApply(r -> {
                DescribeClusterResponseData cluster = (DescribeClusterResponseData) r;
                if (((DescribeClusterRequest) request).data().includeClusterAuthorizedOperations()) {
                    // as Kafka: nothing at all for a caller that may not describe the cluster
                    cluster.setClusterAuthorizedOperations(
                            permissions.cluster(ctx, AclOperation.DESCRIBE)
                                    ? permissions.authorizedOperations(
                                            ctx, ResourceType.CLUSTER, Authorizer.CLUSTER_NAME)
                                    : 0);
                }
                return r;
            });
            case DELETE_GROUPS -> groups.deleteGroups(ctx, (DeleteGroupsRequest) request, next);
            case ADD_PARTITIONS_TO_TXN -> groups.addPartitionsToTxn(ctx, (AddPartitionsToTxnRequest) request, next);
            default -> next.apply(request);
        };
    }

    /**
     * Whether the answer carries "authorized operations" (Metadata, DescribeGroups and ConsumerGroupDescribe when asked,
     * DescribeTopicPartitions always, DescribeCluster when asked). Without an authorizer they go through the checks too,
     * which allow everything, so the answer names every operation the resource type supports, as Kafka's does.
     */
    private static boolean answersAuthorizedOperations(AbstractRequest request) {
        return switch (request.apiKey()) {
            case METADATA -> ((MetadataRequest) request).data().includeTopicAuthorizedOperations();
            case DESCRIBE_TOPIC_PARTITIONS -> true;
            case DESCRIBE_GROUPS -> ((DescribeGroupsRequest) request).data().includeAuthorizedOperations();
            case CONSUMER_GROUP_DESCRIBE -> ((ConsumerGroupDescribeRequest) request)
                    .data()
                    .includeAuthorizedOperations();
            case DESCRIBE_CLUSTER -> ((DescribeClusterRequest) request).data().includeClusterAuthorizedOperations();
            default -> false;
        };
    }

    /** The error of a request the caller may not make at all, else null. */
    private Errors denied(RequestContext ctx, AbstractRequest request) {
        return switch (request.apiKey()) {
            case PRODUCE -> {
                String txn = ((ProduceRequest) request).transactionalId();
                yield txn != null ? txnWrite(ctx, txn) : null;
            }
            case WRITE_TXN_MARKERS -> cluster(ctx, AclOperation.CLUSTER_ACTION);
            case ELECT_LEADERS, ALTER_PARTITION_REASSIGNMENTS -> cluster(ctx, AclOperation.ALTER);
            case LIST_PARTITION_REASSIGNMENTS, DESCRIBE_LOG_DIRS, DESCRIBE_USER_SCRAM_CREDENTIALS -> cluster(
                    ctx, AclOperation.DESCRIBE);
            case ALTER_USER_SCRAM_CREDENTIALS -> cluster(ctx, AclOperation.ALTER);
            case DESCRIBE_CLIENT_QUOTAS -> cluster(ctx, AclOperation.DESCRIBE_CONFIGS);
            case ALTER_CLIENT_QUOTAS -> cluster(ctx, AclOperation.ALTER_CONFIGS);
            case INIT_PRODUCER_ID -> {
                String txn = ((InitProducerIdRequest) request).data().transactionalId();
                if (txn != null) {
                    yield txnWrite(ctx, txn);
                }
                yield permissions.cluster(ctx, AclOperation.IDEMPOTENT_WRITE)
                                || permissions.any(ctx, AclOperation.WRITE, ResourceType.TOPIC)
                        ? null
                        : Errors.CLUSTER_AUTHORIZATION_FAILED;
            }
            case JOIN_GROUP -> groupRead(
                    ctx, ((JoinGroupRequest) request).data().groupId());
            case SYNC_GROUP -> groupRead(
                    ctx, ((SyncGroupRequest) request).data().groupId());
            case HEARTBEAT -> groupRead(ctx, ((HeartbeatRequest) request).data().groupId());
            case LEAVE_GROUP -> groupRead(
                    ctx, ((LeaveGroupRequest) request).data().groupId());
            case OFFSET_COMMIT -> groupRead(
                    ctx, ((OffsetCommitRequest) request).data().groupId());
            case OFFSET_DELETE -> permissions.group(
                            ctx,
                            AclOperation.DELETE,
                            ((OffsetDeleteRequest) request).data().groupId())
                    ? null
                    : Errors.GROUP_AUTHORIZATION_FAILED;
            case CONSUMER_GROUP_HEARTBEAT -> {
                var data = ((ConsumerGroupHeartbeatRequest) request).data();
                Errors group = groupRead(ctx, data.groupId());
                if (group != null || data.subscribedTopicNames() == null) {
                    yield group;
                }
                yield data.subscribedTopicNames().stream()
                                .allMatch(t -> permissions.topic(ctx, AclOperation.DESCRIBE, t))
                        ? null
                        : Errors.TOPIC_AUTHORIZATION_FAILED;
            }
            case ADD_PARTITIONS_TO_TXN -> {
                AddPartitionsToTxnRequest add = (AddPartitionsToTxnRequest) request;
                yield add.version() >= 4
                        ? cluster(ctx, AclOperation.CLUSTER_ACTION)
                        : txnWrite(ctx, add.data().v3AndBelowTransactionalId());
            }
            case ADD_OFFSETS_TO_TXN -> {
                var data = ((AddOffsetsToTxnRequest) request).data();
                Errors txn = txnWrite(ctx, data.transactionalId());
                yield txn != null ? txn : groupRead(ctx, data.groupId());
            }
            case END_TXN -> txnWrite(ctx, ((EndTxnRequest) request).data().transactionalId());
            case TXN_OFFSET_COMMIT -> {
                var data = ((TxnOffsetCommitRequest) request).data();
                Errors txn = txnWrite(ctx, data.transactionalId());
                yield txn != null ? txn : groupRead(ctx, data.groupId());
            }
            default -> null;
        };
    }

    private Errors cluster(RequestContext ctx, AclOperation op) {
        return permissions.cluster(ctx, op) ? null : Errors.CLUSTER_AUTHORIZATION_FAILED;
    }

    private Errors groupRead(RequestContext ctx, String groupId) {
        return permissions.group(ctx, AclOperation.READ, groupId) ? null : Errors.GROUP_AUTHORIZATION_FAILED;
    }

    private Errors txnWrite(RequestContext ctx, String transactionalId) {
        return permissions.transactionalId(ctx, AclOperation.WRITE, transactionalId)
                ? null
                : Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    }
}
