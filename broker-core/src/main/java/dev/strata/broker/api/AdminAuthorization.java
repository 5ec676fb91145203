package dev.strata.broker.api;

import static dev.strata.broker.api.Refusals.serveAllowed;

import dev.strata.broker.network.RequestContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;

/**
 * The checks of the topic and config administration APIs, as Kafka's {@code KafkaApis} makes them: CreateTopics needs
 * CREATE on the cluster or the topic, DeleteTopics DELETE on the topic, CreatePartitions ALTER, DeleteRecords DELETE;
 * DescribeConfigs needs DESCRIBE_CONFIGS and (Incremental)AlterConfigs ALTER_CONFIGS on the topic, or on the cluster
 * for a broker or a broker's loggers, or on the group. What the caller may not touch is taken out of the request and
 * answered with TOPIC_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED or GROUP_AUTHORIZATION_FAILED; the rest goes
 * to the handler.
 */
final class AdminAuthorization {
    private static final short TOPIC_DENIED = Errors.TOPIC_AUTHORIZATION_FAILED.code();

    private final Permissions permissions;

    AdminAuthorization(Permissions permissions) {
        this.permissions = permissions;
    }

    CompletableFuture<ApiMessage> createTopics(
            RequestContext ctx,
            CreateTopicsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        if (permissions.cluster(ctx, AclOperation.CREATE)) {
            return next.apply(request);
        }
        return serveAllowed(
                request.data().topics(),
                t -> !permissions.topic(ctx, AclOperation.CREATE, t.name()),
                () -> next.apply(request),
                (r, t) -> ((CreateTopicsResponseData) r)
                        .topics()
                        .add(new CreatableTopicResult()
                                .setName(t.name())
                                .setErrorCode(TOPIC_DENIED)
                                .setNumPartitions(-1)
                                .setReplicationFactor((short) -1)
                                .setTopicConfigErrorCode(TOPIC_DENIED)));
    }

    /** By name before v6 ({@code topicNames}), by name or id from v6 ({@code topics}). */
    CompletableFuture<ApiMessage> deleteTopics(
            RequestContext ctx,
            DeleteTopicsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topicNames(),
                n -> !permissions.topic(ctx, AclOperation.DELETE, n),
                () -> serveAllowed(
                        request.data().topics(),
                        t -> !permissions.topic(ctx, AclOperation.DELETE, t.name(), t.topicId()),
                        () -> next.apply(request),
                        (r, t) -> ((DeleteTopicsResponseData) r)
                                .responses()
                                .add(new DeletableTopicResult()
                                        .setName(t.name())
                                        .setTopicId(t.topicId())
                                        .setErrorCode(TOPIC_DENIED))),
                (r, n) -> ((DeleteTopicsResponseData) r)
                        .responses()
                        .add(new DeletableTopicResult().setName(n).setErrorCode(TOPIC_DENIED)));
    }

    CompletableFuture<ApiMessage> createPartitions(
            RequestContext ctx,
            CreatePartitionsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topics(),
                t -> !permissions.topic(ctx, AclOperation.ALTER, t.name()),
                () -> next.apply(request),
                (r, t) -> ((CreatePartitionsResponseData) r)
                        .results()
                        .add(new CreatePartitionsTopicResult().setName(t.name()).setErrorCode(TOPIC_DENIED)));
    }

    CompletableFuture<ApiMessage> deleteRecords(
            RequestContext ctx,
            DeleteRecordsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topics(),
                t -> !permissions.topic(ctx, AclOperation.DELETE, t.name()),
                () -> next.apply(request),
                (r, t) -> {
                    DeleteRecordsTopicResult result = new DeleteRecordsTopicResult().setName(t.name());
                    t.partitions().forEach(p -> result.partitions()
                            .add(new DeleteRecordsPartitionResult()
                                    .setPartitionIndex(p.partitionIndex())
                                    .setLowWatermark(-1)
                                    .setErrorCode(TOPIC_DENIED)));
                    ((DeleteRecordsResponseData) r).topics().add(result);
                });
    }

    ApiMessage describeConfigs(RequestContext ctx, DescribeConfigsResponseData response) {
        for (var result : response.results()) {
            Errors denied = denied(ctx, AclOperation.DESCRIBE_CONFIGS, result.resourceType(), result.resourceName());
            if (denied != null) {
                result.setErrorCode(denied.code()).setErrorMessage(null).setConfigs(List.of());
            }
        }
        return response;
    }

    CompletableFuture<ApiMessage> alterConfigs(
            RequestContext ctx,
            AlterConfigsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().resources(),
                res -> denied(ctx, AclOperation.ALTER_CONFIGS, res.resourceType(), res.resourceName()) != null,
                () -> next.apply(request),
                (r, res) -> ((AlterConfigsResponseData) r)
                        .responses()
                        .add(new AlterConfigsResponseData.AlterConfigsResourceResponse()
                                .setResourceType(res.resourceType())
                                .setResourceName(res.resourceName())
                                .setErrorCode(alterDenied(ctx, res.resourceType(), res.resourceName()))));
    }

    CompletableFuture<ApiMessage> incrementalAlterConfigs(
            RequestContext ctx,
            IncrementalAlterConfigsRequest request,
            Function<AbstractRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().resources(),
                res -> denied(ctx, AclOperation.ALTER_CONFIGS, res.resourceType(), res.resourceName()) != null,
                () -> next.apply(request),
                (r, res) -> ((IncrementalAlterConfigsResponseData) r)
                        .responses()
                        .add(new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                                .setResourceType(res.resourceType())
                                .setResourceName(res.resourceName())
                                .setErrorCode(alterDenied(ctx, res.resourceType(), res.resourceName()))));
    }

    private short alterDenied(RequestContext ctx, byte resourceType, String name) {
        return denied(ctx, AclOperation.ALTER_CONFIGS, resourceType, name).code();
    }

    ApiMessage describeProducers(RequestContext ctx, DescribeProducersResponseData response) {
        for (var topic : response.topics()) {
            if (!permissions.topic(ctx, AclOperation.READ, topic.name())) {
                topic.partitions().forEach(p -> p.setErrorCode(TOPIC_DENIED)
                        .setErrorMessage(null)
                        .setActiveProducers(List.of()));
            }
        }
        return response;
    }

    /** The error for a config resource the caller may not {@code op}, or null when it may. */
    private Errors denied(RequestContext ctx, AclOperation op, byte resourceType, String name) {
        return switch (ConfigResource.Type.forId(resourceType)) {
            case TOPIC -> permissions.topic(ctx, op, name) ? null : Errors.TOPIC_AUTHORIZATION_FAILED;
            case GROUP -> permissions.group(ctx, op, name) ? null : Errors.GROUP_AUTHORIZATION_FAILED;
            case BROKER, BROKER_LOGGER, CLIENT_METRICS -> permissions.cluster(ctx, op)
                    ? null
                    : Errors.CLUSTER_AUTHORIZATION_FAILED;
            default -> null;
        };
    }
}
