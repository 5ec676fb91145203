package dev.strata.broker.api;

import static dev.strata.broker.api.Refusals.removeIf;
import static dev.strata.broker.api.Refusals.serveAllowed;

import dev.strata.broker.network.RequestContext;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The per-group, per-transactional-id and per-topic checks of the group and transaction APIs, as Kafka's
 * {@code KafkaApis} makes them, for requests whose caller passed the whole-request checks of
 * {@link RequestAuthorization}: FindCoordinator needs DESCRIBE on each group or transactional id it names; OffsetFetch
 * DESCRIBE on each group and, for the offsets it shows, on their topics (others are left out of "all topics"); OffsetCommit, TxnOffsetCommit and
 * OffsetDelete READ on each topic; DeleteGroups DELETE on each group; a client's AddPartitionsToTxn WRITE on each topic.
 * DescribeGroups, ConsumerGroupDescribe, DescribeTransactions answer GROUP_ (TRANSACTIONAL_ID_) AUTHORIZATION_FAILED
 * for what the caller may not describe (and the operations it may do, when asked); ListGroups and ListTransactions
 * leave it out.
 */
final class GroupAuthorization {
    private static final short TOPIC_DENIED = Errors.TOPIC_AUTHORIZATION_FAILED.code();
    private static final short GROUP_DENIED = Errors.GROUP_AUTHORIZATION_FAILED.code();

    private final Permissions permissions;

    GroupAuthorization(Permissions permissions) {
        this.permissions = permissions;
    }

    /** Batched lookups (v4+) lose the keys the caller may not describe; a single key is checked whole before. */
    CompletableFuture<ApiMessage> findCoordinator(
            RequestContext ctx,
            FindCoordinatorRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        var data = request.data();
        boolean transaction = data.keyType() == FindCoordinatorRequest.CoordinatorType.TRANSACTION.id();
        Errors error = transaction ? Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : Errors.GROUP_AUTHORIZATION_FAILED;
        if (request.version() < 4) {
            return mayDescribe(ctx, transaction, data.key())
                    ? next.apply(request)
                    : CompletableFuture.completedFuture(
                            request.getErrorResponse(0, error.exception()).data());
        }
        return serveAllowed(
                data.coordinatorKeys(),
                key -> !mayDescribe(ctx, transaction, key),
                () -> next.apply(request),
                (r, key) -> ((FindCoordinatorResponseData) r)
                        .coordinators()
                        .add(new FindCoordinatorResponseData.Coordinator()
                                .setKey(key)
                                .setNodeId(-1)
                                .setHost("")
                                .setPort(-1)
                                .setErrorCode(error.code())
                                .setErrorMessage(error.message())));
    }

    private boolean mayDescribe(RequestContext ctx, boolean transaction, String key) {
        return transaction
                ? permissions.transactionalId(ctx, AclOperation.DESCRIBE, key)
                : permissions.group(ctx, AclOperation.DESCRIBE, key);
    }

    /**
     * A group the caller may not describe gets GROUP_AUTHORIZATION_FAILED (the whole answer before v8, which names one
     * group); committed offsets of topics it may not describe get TOPIC_AUTHORIZATION_FAILED.
     */
    CompletableFuture<ApiMessage> offsetFetch(
            RequestContext ctx,
            OffsetFetchRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        if (request.version() < 8) {
            if (!permissions.group(ctx, AclOperation.DESCRIBE, request.data().groupId())) {
                return CompletableFuture.completedFuture(
                        request.getErrorResponse(0, Errors.GROUP_AUTHORIZATION_FAILED.exception())
                                .data());
            }
            return next.apply(request).thenApply(r -> offsetFetchTopics(ctx, request, (OffsetFetchResponseData) r));
        }
        return serveAllowed(
                request.data().groups(),
                g -> !permissions.group(ctx, AclOperation.DESCRIBE, g.groupId()),
                () -> next.apply(request).thenApply(r -> offsetFetchTopics(ctx, request, (OffsetFetchResponseData) r)),
                (r, g) -> ((OffsetFetchResponseData) r)
                        .groups()
                        .add(new OffsetFetchResponseData.OffsetFetchResponseGroup()
                                .setGroupId(g.groupId())
                                .setErrorCode(GROUP_DENIED)));
    }

    /**
     * Offsets of topics the caller may not describe: left out of an answer for all the group's topics, as Kafka does,
     * TOPIC_AUTHORIZATION_FAILED for topics the request named.
     */
    private OffsetFetchResponseData offsetFetchTopics(
            RequestContext ctx, OffsetFetchRequest request, OffsetFetchResponseData response) {
        if (request.data().topics() == null) {
            removeIf(response.topics(), t -> !permissions.topic(ctx, AclOperation.DESCRIBE, t.name()));
        }
        response.topics().forEach(t -> {
            if (!permissions.topic(ctx, AclOperation.DESCRIBE, t.name())) {
                t.partitions().forEach(p -> p.setErrorCode(TOPIC_DENIED)
                        .setCommittedOffset(-1)
                        .setMetadata(""));
            }
        });
        Set<String> allTopics = new HashSet<>();
        request.data().groups().forEach(g -> {
            if (g.topics() == null) {
                allTopics.add(g.groupId());
            }
        });
        response.groups().forEach(g -> {
            if (allTopics.contains(g.groupId())) {
                removeIf(g.topics(), t -> !permissions.topic(ctx, AclOperation.DESCRIBE, t.name(), t.topicId()));
            }
            g.topics().forEach(t -> {
                if (!permissions.topic(ctx, AclOperation.DESCRIBE, t.name(), t.topicId())) {
                    t.partitions().forEach(p -> p.setErrorCode(TOPIC_DENIED)
                            .setCommittedOffset(-1)
                            .setMetadata(""));
                }
            });
        });
        return response;
    }

    /** The answers of DescribeGroups, ConsumerGroupDescribe, ListGroups, DescribeTransactions, ListTransactions. */
    ApiMessage filterDescribed(RequestContext ctx, AbstractRequest request, ApiMessage answer) {
        if (answer instanceof DescribeGroupsResponseData groups) {
            boolean operations = ((DescribeGroupsRequest) request).data().includeAuthorizedOperations();
            groups.groups().forEach(g -> {
                if (permissions.group(ctx, AclOperation.DESCRIBE, g.groupId())) {
                    if (operations) {
                        g.setAuthorizedOperations(
                                permissions.authorizedOperations(ctx, ResourceType.GROUP, g.groupId()));
                    }
                } else {
                    g.setErrorCode(GROUP_DENIED)
                            .setGroupState("")
                            .setProtocolType("")
                            .setProtocolData("")
                            .setMembers(List.of());
                }
            });
        } else if (answer instanceof ConsumerGroupDescribeResponseData groups) {
            boolean operations = ((ConsumerGroupDescribeRequest) request).data().includeAuthorizedOperations();
            groups.groups().forEach(g -> {
                if (permissions.group(ctx, AclOperation.DESCRIBE, g.groupId())) {
                    if (operations) {
                        g.setAuthorizedOperations(
                                permissions.authorizedOperations(ctx, ResourceType.GROUP, g.groupId()));
                    }
                } else {
                    g.setErrorCode(GROUP_DENIED).setMembers(List.of());
                }
            });
        } else if (answer instanceof ListGroupsResponseData groups
                && !permissions.cluster(ctx, AclOperation.DESCRIBE)) {
            removeIf(groups.groups(), g -> !permissions.group(ctx, AclOperation.DESCRIBE, g.groupId()));
        } else if (answer instanceof DescribeTransactionsResponseData transactions) {
            transactions.transactionStates().forEach(t -> {
                if (!permissions.transactionalId(ctx, AclOperation.DESCRIBE, t.transactionalId())) {
                    t.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code())
                            .setTransactionState("")
                            .setTopics(new DescribeTransactionsResponseData.TopicDataCollection());
                } else {
                    // the transaction's partitions, only of topics the caller may describe
                    removeIf(t.topics(), topic -> !permissions.topic(ctx, AclOperation.DESCRIBE, topic.topic()));
                }
            });
        } else if (answer instanceof ListTransactionsResponseData transactions) {
            removeIf(
                    transactions.transactionStates(),
                    t -> !permissions.transactionalId(ctx, AclOperation.DESCRIBE, t.transactionalId()));
        }
        return answer;
    }

    CompletableFuture<ApiMessage> offsetCommit(
            RequestContext ctx,
            OffsetCommitRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topics(),
                t -> !permissions.topic(ctx, AclOperation.READ, t.name(), t.topicId()),
                () -> next.apply(request),
                (r, t) -> {
                    OffsetCommitResponseTopic topic =
                            new OffsetCommitResponseTopic().setName(t.name()).setTopicId(t.topicId());
                    t.partitions().forEach(p -> topic.partitions()
                            .add(new OffsetCommitResponsePartition()
                                    .setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(TOPIC_DENIED)));
                    ((OffsetCommitResponseData) r).topics().add(topic);
                });
    }

    CompletableFuture<ApiMessage> txnOffsetCommit(
            RequestContext ctx,
            TxnOffsetCommitRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topics(),
                t -> !permissions.topic(ctx, AclOperation.READ, t.name()),
                () -> next.apply(request),
                (r, t) -> {
                    TxnOffsetCommitResponseTopic topic = new TxnOffsetCommitResponseTopic().setName(t.name());
                    t.partitions().forEach(p -> topic.partitions()
                            .add(new TxnOffsetCommitResponsePartition()
                                    .setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(TOPIC_DENIED)));
                    ((TxnOffsetCommitResponseData) r).topics().add(topic);
                });
    }

    CompletableFuture<ApiMessage> offsetDelete(
            RequestContext ctx,
            OffsetDeleteRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topics(),
                t -> !permissions.topic(ctx, AclOperation.READ, t.name()),
                () -> next.apply(request),
                (r, t) -> {
                    OffsetDeleteResponseTopic topic = new OffsetDeleteResponseTopic().setName(t.name());
                    t.partitions().forEach(p -> topic.partitions()
                            .add(new OffsetDeleteResponsePartition()
                                    .setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(TOPIC_DENIED)));
                    ((OffsetDeleteResponseData) r).topics().add(topic);
                });
    }

    CompletableFuture<ApiMessage> deleteGroups(
            RequestContext ctx,
            DeleteGroupsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().groupsNames(),
                g -> !permissions.group(ctx, AclOperation.DELETE, g),
                () -> next.apply(request),
                (r, g) -> ((DeleteGroupsResponseData) r)
                        .results()
                        .add(new DeletableGroupResult().setGroupId(g).setErrorCode(GROUP_DENIED)));
    }

    /**
     * A client's AddPartitionsToTxn (v0-3): when the caller may not WRITE one of the topics, nothing is added, the
     * denied topics' partitions get TOPIC_AUTHORIZATION_FAILED and the others OPERATION_NOT_ATTEMPTED, as in Kafka.
     */
    CompletableFuture<ApiMessage> addPartitionsToTxn(
            RequestContext ctx,
            AddPartitionsToTxnRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        if (request.version() >= 4
                || request.data().v3AndBelowTopics().stream()
                        .allMatch(t -> permissions.topic(ctx, AclOperation.WRITE, t.name()))) {
            return next.apply(request);
        }
        AddPartitionsToTxnResponseData response =
                (AddPartitionsToTxnResponseData) request.getErrorResponse(0, Errors.OPERATION_NOT_ATTEMPTED.exception())
                        .data();
        response.resultsByTopicV3AndBelow().forEach(t -> {
            if (!permissions.topic(ctx, AclOperation.WRITE, t.name())) {
                t.resultsByPartition().forEach(p -> p.setPartitionErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
            }
        });
        return CompletableFuture.completedFuture(response);
    }
}
