package dev.strata.broker.api;

import dev.strata.broker.log.LocalLog;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.quota.ClientQuotaManager;
import dev.strata.broker.quota.MutationQuota;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;

/**
 * CreateTopics, DeleteTopics, CreatePartitions and DeleteRecords. The first three count against the client's controller
 * mutation quota ({@link MutationQuota}): a topic or partitions the quota refuses are answered THROTTLING_QUOTA_EXCEEDED
 * and not made, and the response carries the throttle time. The quota is this broker's (Kafka keeps it on its active
 * controller, so a cluster of several brokers allows a client up to that many times its rate).
 */
public final class TopicAdminHandler {
    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final ConfigHandler configs;
    private final ClientQuotaManager quotas;
    private final LongSupplier clockMs;

    public TopicAdminHandler(
            TopicManager topics,
            ReplicaManager replicas,
            ConfigHandler configs,
            ClientQuotaManager quotas,
            LongSupplier clockMs) {
        this.topics = topics;
        this.replicas = replicas;
        this.configs = configs;
        this.quotas = quotas;
        this.clockMs = clockMs;
    }

    /** The request's controller mutation quota: strict from {@code strictSince} on, as Kafka's. */
    private MutationQuota mutationQuota(RequestContext ctx, short version, int strictSince) {
        return quotas.mutationQuota(ctx.principal(), ctx.clientId(), version >= strictSince, clockMs.getAsLong());
    }

    public CreateTopicsResponseData createTopics(RequestContext ctx, CreateTopicsRequest request) {
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        MutationQuota quota = mutationQuota(ctx, request.version(), 6);
        Set<String> seen = new HashSet<>();
        Set<String> duplicated = new HashSet<>();
        request.data().topics().forEach(t -> {
            if (!seen.add(t.name())) {
                duplicated.add(t.name());
            }
        });
        boolean validateOnly = request.data().validateOnly();
        Set<String> answered = new HashSet<>();
        for (CreatableTopic t : request.data().topics()) {
            if (!answered.add(t.name())) {
                // one answer per name, as Apache Kafka gives: its duplicates are all refused by the first
                continue;
            }
            CreatableTopicResult result = new CreatableTopicResult().setName(t.name());
            response.topics().add(result);
            if (duplicated.contains(t.name())) {
                setError(
                        result,
                        Errors.INVALID_REQUEST,
                        "Create topics request from client contains duplicate topic '" + t.name() + "'.");
                continue;
            }
            if (!t.assignments().isEmpty() && (t.numPartitions() != -1 || t.replicationFactor() != -1)) {
                setError(
                        result,
                        Errors.INVALID_REQUEST,
                        "Both numPartitions or replicationFactor and replicasAssignments were set.");
                continue;
            }
            Map<Integer, List<Integer>> assignment = new HashMap<>();
            if (!t.assignments().isEmpty()) {
                String bad = checkConsecutive(t);
                if (bad != null) {
                    setError(result, Errors.INVALID_REPLICA_ASSIGNMENT, bad);
                    continue;
                }
                t.assignments().forEach(a -> assignment.put(a.partitionIndex(), List.copyOf(a.brokerIds())));
            }
            Map<String, String> overrides = new HashMap<>();
            t.configs().forEach(c -> overrides.put(c.name(), c.value()));
            try {
                if (quota.bounded()) {
                    // as Kafka: a valid topic costs its partitions, validate-only too; an invalid one costs nothing
                    quota.record(topics.createTopic(
                                    t.name(), t.numPartitions(), t.replicationFactor(), assignment, overrides, true)
                            .partitions());
                }
                TopicMetadata created = topics.createTopic(
                        t.name(), t.numPartitions(), t.replicationFactor(), assignment, overrides, validateOnly);
                short rf = assignment.isEmpty()
                        ? topics.replicationFactor(created, t.replicationFactor())
                        : (short) assignment.get(0).size();
                result.setTopicId(validateOnly ? Uuid.ZERO_UUID : created.topicId())
                        .setNumPartitions(created.partitions())
                        .setReplicationFactor(rf);
                configs.topicConfigs(created).forEach(c -> result.configs()
                        .add(new CreateTopicsResponseData.CreatableTopicConfigs()
                                .setName(c.name())
                                .setValue(c.value())
                                .setReadOnly(c.readOnly())
                                .setConfigSource(c.configSource())
                                .setIsSensitive(c.isSensitive())));
            } catch (ApiException e) {
                setError(result, Errors.forException(e), e.getMessage());
            }
        }
        return response.setThrottleTimeMs(quota.throttleTimeMs());
    }

    /**
     * Kafka's first check of explicit assignments, in any order: each partition once, and together 0 to n-1. The brokers
     * named are checked against the registered ones later.
     */
    private static String checkConsecutive(CreatableTopic t) {
        Set<Integer> indexes = new HashSet<>();
        for (var a : t.assignments()) {
            if (!indexes.add(a.partitionIndex())) {
                return "Found multiple manual partition assignments for partition " + a.partitionIndex();
            }
        }
        for (int i = 0; i < indexes.size(); i++) {
            if (!indexes.contains(i)) {
                return "Partitions should be a consecutive 0-based integer sequence";
            }
        }
        return null;
    }

    private static void setError(CreatableTopicResult r, Errors e, String message) {
        r.setErrorCode(e.code()).setErrorMessage(message).setNumPartitions(-1).setReplicationFactor((short) -1);
    }

    public DeleteTopicsResponseData deleteTopics(RequestContext ctx, DeleteTopicsRequest request) {
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        MutationQuota quota = mutationQuota(ctx, request.version(), 5);
        var states = request.version() >= 6
                ? request.data().topics()
                : request.data().topicNames().stream()
                        .map(n -> new DeleteTopicState().setName(n))
                        .toList();
        for (DeleteTopicState state : states) {
            DeletableTopicResult r =
                    new DeletableTopicResult().setName(state.name()).setTopicId(state.topicId());
            Optional<TopicMetadata> topic =
                    state.name() != null ? topics.topic(state.name()) : topics.topic(state.topicId());
            if (topic.isEmpty()) {
                Errors e = state.name() == null ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION;
                r.setErrorCode(e.code()).setErrorMessage(e.message());
            } else if (Topic.isInternal(topic.get().name())) {
                // Apache Kafka deletes it when asked; with it would go every group's committed offsets
                r.setName(topic.get().name())
                        .setTopicId(topic.get().topicId())
                        .setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code())
                        .setErrorMessage(topic.get().name() + " is an internal topic and cannot be deleted: it holds"
                                + " every consumer group's state and committed offsets");
            } else {
                r.setName(topic.get().name()).setTopicId(topic.get().topicId());
                try {
                    quota.record(topic.get().partitions());
                    topics.deleteTopic(topic.get().name());
                } catch (ApiException e) {
                    r.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
                }
            }
            response.responses().add(r);
        }
        return response.setThrottleTimeMs(quota.throttleTimeMs());
    }

    public CreatePartitionsResponseData createPartitions(RequestContext ctx, CreatePartitionsRequest request) {
        CreatePartitionsResponseData response = new CreatePartitionsResponseData();
        MutationQuota quota = mutationQuota(ctx, request.version(), 3);
        for (CreatePartitionsTopic t : request.data().topics()) {
            CreatePartitionsTopicResult r = new CreatePartitionsTopicResult().setName(t.name());
            try {
                Map<Integer, List<Integer>> assignment = new HashMap<>();
                int first =
                        topics.topic(t.name()).map(TopicMetadata::partitions).orElse(0);
                if (t.assignments() != null) {
                    for (int i = 0; i < t.assignments().size(); i++) {
                        assignment.put(
                                first + i, List.copyOf(t.assignments().get(i).brokerIds()));
                    }
                }
                if (quota.bounded()) {
                    topics.createPartitions(t.name(), t.count(), assignment, true);
                    quota.record(t.count() - first);
                }
                topics.createPartitions(
                        t.name(), t.count(), assignment, request.data().validateOnly());
            } catch (ApiException e) {
                r.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
            }
            response.results().add(r);
        }
        return response.setThrottleTimeMs(quota.throttleTimeMs());
    }

    public DeleteRecordsResponseData deleteRecords(DeleteRecordsRequest request) {
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        for (DeleteRecordsTopic t : request.data().topics()) {
            DeleteRecordsTopicResult tr = new DeleteRecordsTopicResult().setName(t.name());
            for (DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsPartitionResult pr = new DeleteRecordsPartitionResult()
                        .setPartitionIndex(p.partitionIndex())
                        .setLowWatermark(-1);
                TopicPartition tp = new TopicPartition(t.name(), p.partitionIndex());
                Optional<Partition> partition =
                        topics.topic(t.name()).isPresent() ? replicas.partition(tp) : Optional.empty();
                if (Topic.isInternal(t.name())) {
                    // as Apache Kafka does, before looking for the partition: the coordinators own these records
                    pr.setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
                } else if (partition.isEmpty()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    LocalLog log = partition.get().log();
                    long offset = p.offset() == DeleteRecordsRequest.HIGH_WATERMARK ? log.highWatermark() : p.offset();
                    try {
                        if (offset < 0) {
                            throw new org.apache.kafka.common.errors.OffsetOutOfRangeException(
                                    "Cannot delete records before negative offset " + offset);
                        }
                        log.deleteRecordsBefore(offset);
                        pr.setLowWatermark(log.logStartOffset());
                    } catch (ApiException e) {
                        pr.setErrorCode(Errors.forException(e).code());
                    }
                }
                tr.partitions().add(pr);
            }
            response.topics().add(tr);
        }
        return response;
    }
}
