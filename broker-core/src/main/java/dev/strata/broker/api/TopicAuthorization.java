package dev.strata.broker.api;

import static dev.strata.broker.api.Refusals.removeIf;
import static dev.strata.broker.api.Refusals.serveAllowed;

import dev.strata.broker.network.RequestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The topic checks of the data-plane APIs, as Kafka's {@code KafkaApis} makes them: produce needs WRITE on each topic,
 * a consumer's fetch READ, ListOffsets, OffsetForLeaderEpoch, Metadata and DescribeTopicPartitions DESCRIBE. A topic
 * the caller may not touch is taken out of the request before the handler sees it and answered with
 * TOPIC_AUTHORIZATION_FAILED; for the read-only APIs the handler's answer is filtered instead. Metadata never reveals a
 * topic the caller may not describe: absent from "all topics", TOPIC_AUTHORIZATION_FAILED when named, whether it exists
 * or not; naming a missing topic auto-creates it only for a caller with CREATE on the cluster or the topic.
 */
final class TopicAuthorization {
    private static final short DENIED = Errors.TOPIC_AUTHORIZATION_FAILED.code();

    private final Permissions permissions;
    private final Predicate<String> topicExists;
    private final boolean autoCreateTopics;

    TopicAuthorization(Permissions permissions, Predicate<String> topicExists, boolean autoCreateTopics) {
        this.permissions = permissions;
        this.topicExists = topicExists;
        this.autoCreateTopics = autoCreateTopics;
    }

    CompletableFuture<ApiMessage> produce(
            RequestContext ctx, ProduceRequest request, Function<ProduceRequest, CompletableFuture<ApiMessage>> next) {
        return serveAllowed(
                request.data().topicData(),
                t -> !permissions.topic(ctx, AclOperation.WRITE, t.name(), t.topicId()),
                () -> next.apply(request),
                (r, t) -> {
                    TopicProduceResponse topic =
                            new TopicProduceResponse().setName(t.name()).setTopicId(t.topicId());
                    t.partitionData().forEach(p -> topic.partitionResponses()
                            .add(new PartitionProduceResponse()
                                    .setIndex(p.index())
                                    .setErrorCode(DENIED)
                                    .setBaseOffset(-1)
                                    .setLogAppendTimeMs(RecordBatch.NO_TIMESTAMP)
                                    .setLogStartOffset(-1)));
                    ((ProduceResponseData) r).responses().add(topic);
                });
    }

    /**
     * A consumer's fetch needs READ on each topic; a follower's CLUSTER_ACTION on the cluster, without which every
     * partition is refused, as Kafka refuses it.
     */
    CompletableFuture<ApiMessage> fetch(
            RequestContext ctx, FetchRequest request, Function<FetchRequest, CompletableFuture<ApiMessage>> next) {
        boolean follower = request.isFromFollower();
        return serveAllowed(
                request.data().topics(),
                t -> follower || !permissions.topic(ctx, AclOperation.READ, t.topic(), t.topicId()),
                () -> next.apply(request),
                (r, t) -> {
                    FetchableTopicResponse topic =
                            new FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId());
                    t.partitions().forEach(p -> topic.partitions()
                            .add(new FetchResponseData.PartitionData()
                                    .setPartitionIndex(p.partition())
                                    .setErrorCode(DENIED)
                                    .setHighWatermark(-1)
                                    .setLastStableOffset(-1)
                                    .setLogStartOffset(-1)));
                    ((FetchResponseData) r).responses().add(topic);
                });
    }

    ApiMessage listOffsets(RequestContext ctx, ListOffsetsResponseData response) {
        for (var topic : response.topics()) {
            if (!permissions.topic(ctx, AclOperation.DESCRIBE, topic.name())) {
                topic.partitions().forEach(p -> p.setErrorCode(DENIED)
                        .setOffset(-1)
                        .setTimestamp(-1)
                        .setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH));
            }
        }
        return response;
    }

    ApiMessage offsetsForLeaderEpoch(RequestContext ctx, OffsetForLeaderEpochResponseData response) {
        for (var topic : response.topics()) {
            if (!permissions.topic(ctx, AclOperation.DESCRIBE, topic.topic())) {
                topic.partitions()
                        .forEach(p -> p.setErrorCode(DENIED).setLeaderEpoch(-1).setEndOffset(-1));
            }
        }
        return response;
    }

    /**
     * Takes the topics the caller may not describe, or may not create when they are missing and would be
     * auto-created, out of a Metadata request; {@link #metadataResponse} answers them.
     */
    List<String> metadataRequest(RequestContext ctx, MetadataRequest request) {
        if (request.isAllTopics() || request.data().topics() == null) {
            return List.of();
        }
        boolean mayCreate =
                !autoCreateTopics || !request.allowAutoTopicCreation() || permissions.cluster(ctx, AclOperation.CREATE);
        List<String> denied = new ArrayList<>();
        for (MetadataRequestTopic t : removeIf(
                request.data().topics(),
                t -> !byId(t)
                        && (!permissions.topic(ctx, AclOperation.DESCRIBE, t.name())
                                || (!mayCreate
                                        && !topicExists.test(t.name())
                                        && !permissions.topic(ctx, AclOperation.CREATE, t.name()))))) {
            denied.add(t.name());
        }
        return denied;
    }

    /** A topic asked for by id (v10+): kafka-clients sends an empty name, not null, with the id. */
    private static boolean byId(MetadataRequestTopic t) {
        return t.name() == null || t.name().isEmpty() && !Uuid.ZERO_UUID.equals(t.topicId());
    }

    /**
     * Leaves out the topics the caller may not describe; one asked for by id is answered TOPIC_AUTHORIZATION_FAILED
     * with its id and no name, as Kafka does (an id reveals nothing), so a consumer's lookup of its assigned topic
     * ids by Metadata gets an answer for each.
     */
    ApiMessage metadataResponse(
            RequestContext ctx, MetadataRequest request, MetadataResponseData response, List<String> denied) {
        Set<Uuid> askedById = new HashSet<>();
        if (request.data().topics() != null) {
            request.data().topics().stream().filter(TopicAuthorization::byId).forEach(t -> askedById.add(t.topicId()));
        }
        for (MetadataResponseTopic t : removeIf(
                response.topics(),
                t -> t.errorCode() == Errors.NONE.code() && !permissions.topic(ctx, AclOperation.DESCRIBE, t.name()))) {
            if (askedById.contains(t.topicId())) {
                response.topics()
                        .add(new MetadataResponseTopic()
                                .setName(null)
                                .setTopicId(t.topicId())
                                .setErrorCode(DENIED));
            }
        }
        if (request.data().includeTopicAuthorizedOperations()) {
            response.topics().forEach(t -> {
                if (t.errorCode() == Errors.NONE.code()) {
                    t.setTopicAuthorizedOperations(permissions.authorizedOperations(ctx, ResourceType.TOPIC, t.name()));
                }
            });
        }
        for (String name : denied) {
            response.topics()
                    .add(new MetadataResponseTopic()
                            .setName(name)
                            .setTopicId(Uuid.ZERO_UUID)
                            .setErrorCode(DENIED));
        }
        return response;
    }

    ApiMessage describeTopicPartitions(
            RequestContext ctx, DescribeTopicPartitionsRequest request, DescribeTopicPartitionsResponseData response) {
        Set<String> named = new HashSet<>();
        request.data().topics().forEach(t -> named.add(t.name()));
        List<DescribeTopicPartitionsResponseTopic> denied =
                removeIf(response.topics(), t -> !permissions.topic(ctx, AclOperation.DESCRIBE, t.name()));
        response.topics().forEach(t -> {
            if (t.errorCode() == Errors.NONE.code()) {
                t.setTopicAuthorizedOperations(permissions.authorizedOperations(ctx, ResourceType.TOPIC, t.name()));
            }
        });
        for (DescribeTopicPartitionsResponseTopic t : denied) {
            if (named.contains(t.name())) {
                response.topics()
                        .add(new DescribeTopicPartitionsResponseTopic()
                                .setName(t.name())
                                .setTopicId(Uuid.ZERO_UUID)
                                .setErrorCode(DENIED));
            }
        }
        return response;
    }
}
