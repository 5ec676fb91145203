package dev.strata.broker.api;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.network.RequestDispatcher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AlterClientQuotasRequest;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.AlterUserScramCredentialsRequest;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteAclsRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeClientQuotasRequest;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeLogDirsRequest;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsRequest;
import org.apache.kafka.common.requests.ElectLeadersRequest;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;

/**
 * Routes each request to its handler. Everything that touches disk or may wait runs on the I/O pool, never on the
 * Netty event loop that decoded the request; ApiVersions is answered in place. Every other request passes the
 * authorizer's checks first ({@link RequestAuthorization}).
 */
public final class KafkaApis implements RequestDispatcher {
    private final ExecutorService ioPool;
    private final MetadataHandler metadata;
    private final ProduceHandler produce;
    private final FetchHandler fetch;
    private final ListOffsetsHandler listOffsets;
    private final TopicAdminHandler topicAdmin;
    private final ConfigHandler configs;
    private final ProducerIdHandler producerIds;
    private final GroupHandler groups;
    private final ClusterAdminHandler clusterAdmin;
    private final WriteTxnMarkersHandler txnMarkers;
    private final DescribeProducersHandler describeProducers;
    private final TransactionHandler transactions;
    private final TransactionAdminHandler transactionAdmin;
    private final ClientQuotaHandler clientQuotas;
    private final ListenerAddresses addresses;
    private final ScramCredentialsHandler scramCredentials;
    private final RequestAuthorization authorization;
    private final AclHandler acls;

    public KafkaApis(
            ExecutorService ioPool,
            MetadataHandler metadata,
            ProduceHandler produce,
            FetchHandler fetch,
            ListOffsetsHandler listOffsets,
            TopicAdminHandler topicAdmin,
            ConfigHandler configs,
            ProducerIdHandler producerIds,
            GroupHandler groups,
            ClusterAdminHandler clusterAdmin,
            WriteTxnMarkersHandler txnMarkers,
            DescribeProducersHandler describeProducers,
            TransactionHandler transactions,
            TransactionAdminHandler transactionAdmin,
            ClientQuotaHandler clientQuotas,
            ListenerAddresses addresses,
            ScramCredentialsHandler scramCredentials,
            RequestAuthorization authorization,
            AclHandler acls) {
        this.ioPool = ioPool;
        this.scramCredentials = scramCredentials;
        this.authorization = authorization;
        this.acls = acls;
        this.addresses = addresses;
        this.metadata = metadata;
        this.produce = produce;
        this.fetch = fetch;
        this.listOffsets = listOffsets;
        this.topicAdmin = topicAdmin;
        this.configs = configs;
        this.producerIds = producerIds;
        this.groups = groups;
        this.clusterAdmin = clusterAdmin;
        this.txnMarkers = txnMarkers;
        this.describeProducers = describeProducers;
        this.transactions = transactions;
        this.transactionAdmin = transactionAdmin;
        this.clientQuotas = clientQuotas;
    }

    @Override
    public boolean supports(ApiKeys apiKey, short version) {
        return SupportedApis.supports(apiKey, version);
    }

    @Override
    public ApiMessage unsupportedApiVersionsResponse() {
        return SupportedApis.apiVersions(Errors.UNSUPPORTED_VERSION);
    }

    @Override
    public CompletableFuture<ApiMessage> dispatch(RequestContext ctx, AbstractRequest request) {
        if (request.apiKey() == ApiKeys.API_VERSIONS) {
            return CompletableFuture.completedFuture(SupportedApis.apiVersions(Errors.NONE));
        }
        return authorization.dispatch(ctx, request, authorized -> route(ctx, authorized));
    }

    /** The handler of a request the authorizer let through (with what it may touch). */
    private CompletableFuture<ApiMessage> route(RequestContext ctx, AbstractRequest request) {
        return switch (request.apiKey()) {
            case METADATA -> onIoPool(
                    () -> addresses.forListener(ctx, metadata.handle(ctx, (MetadataRequest) request)));
            case DESCRIBE_CLUSTER -> onIoPool(
                    () -> addresses.forListener(ctx, metadata.describeCluster((DescribeClusterRequest) request)));
            case DESCRIBE_TOPIC_PARTITIONS -> onIoPool(
                    () -> metadata.describeTopicPartitions((DescribeTopicPartitionsRequest) request));
            case PRODUCE -> onIoPool(() -> produce.handle(ctx, (ProduceRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case FETCH -> onIoPool(() -> fetch.handle(ctx, (FetchRequest) request))
                    .thenCompose(f -> f);
            case LIST_OFFSETS -> onIoPool(() -> listOffsets.handle(ctx, (ListOffsetsRequest) request))
                    .thenCompose(f -> f);
            case OFFSET_FOR_LEADER_EPOCH -> onIoPool(
                    () -> listOffsets.offsetsForLeaderEpoch((OffsetsForLeaderEpochRequest) request));
            case CREATE_TOPICS -> onIoPool(() -> topicAdmin.createTopics(ctx, (CreateTopicsRequest) request));
            case DELETE_TOPICS -> onIoPool(() -> topicAdmin.deleteTopics(ctx, (DeleteTopicsRequest) request));
            case CREATE_PARTITIONS -> onIoPool(
                    () -> topicAdmin.createPartitions(ctx, (CreatePartitionsRequest) request));
            case DELETE_RECORDS -> onIoPool(() -> topicAdmin.deleteRecords((DeleteRecordsRequest) request));
            case DESCRIBE_CONFIGS -> onIoPool(() -> configs.describe((DescribeConfigsRequest) request));
            case ALTER_CONFIGS -> onIoPool(() -> configs.alter((AlterConfigsRequest) request));
            case INCREMENTAL_ALTER_CONFIGS -> onIoPool(
                    () -> configs.incrementalAlter((IncrementalAlterConfigsRequest) request));
            case INIT_PRODUCER_ID -> initProducerId((InitProducerIdRequest) request);
            case FIND_COORDINATOR -> onIoPool(
                    () -> addresses.forListener(ctx, findCoordinator((FindCoordinatorRequest) request)));
            case ADD_PARTITIONS_TO_TXN -> onIoPool(
                            () -> transactions.addPartitions((AddPartitionsToTxnRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case ADD_OFFSETS_TO_TXN -> onIoPool(() -> transactions.addOffsets((AddOffsetsToTxnRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case END_TXN -> onIoPool(() -> transactions.endTxn((EndTxnRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case DESCRIBE_TRANSACTIONS -> onIoPool(
                    () -> transactionAdmin.describeTransactions((DescribeTransactionsRequest) request));
            case LIST_TRANSACTIONS -> onIoPool(
                    () -> transactionAdmin.listTransactions((ListTransactionsRequest) request));
            case JOIN_GROUP -> onIoPool(() -> groups.joinGroup(ctx, (JoinGroupRequest) request))
                    .thenCompose(f -> f);
            case SYNC_GROUP -> onIoPool(() -> groups.syncGroup((SyncGroupRequest) request))
                    .thenCompose(f -> f);
            case HEARTBEAT -> onIoPool(() -> groups.heartbeat((HeartbeatRequest) request));
            case LEAVE_GROUP -> onIoPool(() -> groups.leaveGroup((LeaveGroupRequest) request));
            case OFFSET_COMMIT -> onIoPool(() -> groups.offsetCommit((OffsetCommitRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case OFFSET_FETCH -> onIoPool(() -> groups.offsetFetch((OffsetFetchRequest) request));
            case TXN_OFFSET_COMMIT -> onIoPool(() -> groups.txnOffsetCommit((TxnOffsetCommitRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case OFFSET_DELETE -> onIoPool(() -> groups.offsetDelete((OffsetDeleteRequest) request));
            case LIST_GROUPS -> onIoPool(() -> groups.listGroups((ListGroupsRequest) request));
            case DESCRIBE_GROUPS -> onIoPool(() -> groups.describeGroups((DescribeGroupsRequest) request));
            case DELETE_GROUPS -> onIoPool(() -> groups.deleteGroups((DeleteGroupsRequest) request));
            case CONSUMER_GROUP_HEARTBEAT -> onIoPool(
                    () -> groups.consumerGroupHeartbeat(ctx, (ConsumerGroupHeartbeatRequest) request));
            case CONSUMER_GROUP_DESCRIBE -> onIoPool(
                    () -> groups.consumerGroupDescribe((ConsumerGroupDescribeRequest) request));
            case ELECT_LEADERS -> onIoPool(() -> clusterAdmin.electLeaders((ElectLeadersRequest) request));
            case ALTER_PARTITION_REASSIGNMENTS -> onIoPool(
                    () -> clusterAdmin.alterPartitionReassignments((AlterPartitionReassignmentsRequest) request));
            case LIST_PARTITION_REASSIGNMENTS -> onIoPool(
                    () -> clusterAdmin.listPartitionReassignments((ListPartitionReassignmentsRequest) request));
            case DESCRIBE_LOG_DIRS -> onIoPool(() -> clusterAdmin.describeLogDirs((DescribeLogDirsRequest) request));
            case DESCRIBE_PRODUCERS -> onIoPool(() -> describeProducers.handle((DescribeProducersRequest) request));
            case ALTER_USER_SCRAM_CREDENTIALS -> onIoPool(
                    () -> scramCredentials.alter((AlterUserScramCredentialsRequest) request));
            case DESCRIBE_USER_SCRAM_CREDENTIALS -> onIoPool(
                    () -> scramCredentials.describe((DescribeUserScramCredentialsRequest) request));
            case DESCRIBE_CLIENT_QUOTAS -> onIoPool(
                    () -> clientQuotas.describe(((DescribeClientQuotasRequest) request).data()));
            case ALTER_CLIENT_QUOTAS -> onIoPool(() -> clientQuotas.alter(((AlterClientQuotasRequest) request).data()));
            case WRITE_TXN_MARKERS -> onIoPool(() -> txnMarkers.handle((WriteTxnMarkersRequest) request))
                    .<ApiMessage>thenCompose(f -> f.thenApply(r -> r));
            case CREATE_ACLS -> onIoPool(() -> acls.createAcls(ctx, (CreateAclsRequest) request));
            case DESCRIBE_ACLS -> onIoPool(() -> acls.describeAcls(ctx, (DescribeAclsRequest) request));
            case DELETE_ACLS -> onIoPool(() -> acls.deleteAcls(ctx, (DeleteAclsRequest) request));
                // SASL_HANDSHAKE and SASL_AUTHENTICATE are the network layer's (ConnectionAuthenticator)
            default -> throw new IllegalStateException("No handler for " + request.apiKey());
        };
    }

    private CompletableFuture<ApiMessage> initProducerId(InitProducerIdRequest request) {
        if (request.data().transactionalId() == null) {
            return onIoPool(() -> producerIds.handle(request));
        }
        return onIoPool(() -> transactions.initProducerId(request)).thenCompose(f -> f.thenApply(r -> r));
    }

    private ApiMessage findCoordinator(FindCoordinatorRequest request) {
        return request.data().keyType() == FindCoordinatorRequest.CoordinatorType.TRANSACTION.id()
                ? transactions.findCoordinator(request)
                : groups.findCoordinator(request);
    }

    private <T> CompletableFuture<T> onIoPool(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, ioPool);
    }
}
