package dev.strata.broker.api;

import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.group.CommittedOffset;
import dev.strata.broker.group.GroupService;
import dev.strata.broker.group.OffsetsTopic;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.txn.TransactionVerification;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TxnOffsetCommit (v0-5): a transactional producer commits a consumer group's offsets as part of its transaction
 * ({@code sendOffsetsToTransaction}). The checks come in Kafka's order: partitions the cluster does not have
 * (UNKNOWN_TOPIC_OR_PARTITION, each on its own; nothing else is asked if none is left), an empty group id
 * (INVALID_GROUP_ID), then the transaction coordinator's verification that the producer's ongoing transaction holds
 * the group's {@code __consumer_offsets} partition (KIP-890; an unknown transactional id is answered
 * INVALID_PRODUCER_ID_MAPPING before anything about the group), then this broker's coordination of the group
 * (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS), then the group's member and generation, and per partition
 * {@code offset.metadata.max.bytes} (OFFSET_METADATA_TOO_LARGE). The offsets are written as the producer's
 * transactional batch and stay pending, invisible to OffsetFetch, until the transaction's marker.
 *
 * <p>Runs on the I/O pool; a verification that completes elsewhere continues on {@code ioPool}, since the write
 * touches disk.
 */
final class TxnOffsetCommitHandler {
    private static final Logger log = LoggerFactory.getLogger(TxnOffsetCommitHandler.class);

    private final GroupService groups;
    private final TopicManager topics;
    private final OffsetsTopic offsetsTopic;
    private final CoordinatedPartitions coordinated;
    private final TransactionVerification verification;
    private final Executor ioPool;

    TxnOffsetCommitHandler(
            GroupService groups,
            TopicManager topics,
            OffsetsTopic offsetsTopic,
            CoordinatedPartitions coordinated,
            TransactionVerification verification,
            Executor ioPool) {
        this.groups = groups;
        this.topics = topics;
        this.offsetsTopic = offsetsTopic;
        this.coordinated = coordinated;
        this.verification = verification;
        this.ioPool = ioPool;
    }

    CompletableFuture<TxnOffsetCommitResponseData> handle(TxnOffsetCommitRequest request) {
        TxnOffsetCommitRequestData data = request.data();
        Map<TopicPartition, Errors> unknown = new HashMap<>();
        Map<TopicPartition, Errors> tooLarge = new HashMap<>();
        Map<TopicPartition, CommittedOffset> commits = new HashMap<>();
        long now = System.currentTimeMillis();
        for (var topic : data.topics()) {
            for (var p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                if (!OffsetHandler.exists(topics, tp)) {
                    unknown.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else if (p.committedMetadata() != null
                        && p.committedMetadata().length() > OffsetHandler.MAX_METADATA_BYTES) {
                    tooLarge.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
                } else {
                    commits.put(
                            tp,
                            new CommittedOffset(
                                    p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now));
                }
            }
        }
        if (commits.isEmpty() && tooLarge.isEmpty()) {
            return CompletableFuture.completedFuture(response(request, unknown, Errors.NONE));
        }
        if (data.groupId() == null || data.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(response(request, unknown, Errors.INVALID_GROUP_ID));
        }
        TopicPartition offsetsPartition =
                new TopicPartition(OffsetsTopic.NAME, offsetsTopic.partitionFor(data.groupId()));
        CompletableFuture<Errors> verified;
        try {
            verified = verification.verify(
                    data.transactionalId(), data.producerId(), data.producerEpoch(), offsetsPartition);
        } catch (RuntimeException e) {
            verified = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Errors> written = verified.handle((error, failure) -> verificationError(error, failure))
                .thenComposeAsync(
                        error ->
                                error != Errors.NONE ? CompletableFuture.completedFuture(error) : commit(data, commits),
                        ioPool);
        return written.thenApply(groupError -> {
            if (groupError == Errors.NONE) {
                unknown.putAll(tooLarge);
            }
            return response(request, unknown, groupError);
        });
    }

    private CompletableFuture<Errors> commit(
            TxnOffsetCommitRequestData data, Map<TopicPartition, CommittedOffset> commits) {
        Errors error = GroupHandler.coordinatorError(coordinated, data.groupId());
        if (error != null) {
            return CompletableFuture.completedFuture(error);
        }
        return groups.commitTransactionalOffsets(
                data.groupId(),
                data.memberId(),
                data.groupInstanceId(),
                data.generationId(),
                data.producerId(),
                data.producerEpoch(),
                commits);
    }

    /**
     * The answer for what the transaction coordinator said, as Kafka's group coordinator maps it: a fenced producer is
     * INVALID_PRODUCER_EPOCH, and a coordinator that cannot answer now COORDINATOR_NOT_AVAILABLE, so the producer
     * retries.
     */
    private static Errors verificationError(Errors error, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            log.warn("Cannot verify a transaction for TxnOffsetCommit: {}", cause.toString());
            error = Errors.forException(cause);
        }
        return switch (error) {
            case PRODUCER_FENCED -> Errors.INVALID_PRODUCER_EPOCH;
            case NOT_COORDINATOR,
                    COORDINATOR_NOT_AVAILABLE,
                    COORDINATOR_LOAD_IN_PROGRESS,
                    UNKNOWN_TOPIC_OR_PARTITION,
                    NOT_ENOUGH_REPLICAS,
                    REQUEST_TIMED_OUT,
                    NETWORK_EXCEPTION -> Errors.COORDINATOR_NOT_AVAILABLE;
            default -> error;
        };
    }

    /**
     * One answer per partition of the request: its own error if it has one, else {@code groupError}. Before v2,
     * COORDINATOR_LOAD_IN_PROGRESS is COORDINATOR_NOT_AVAILABLE, as Kafka answers clients that predate KAFKA-7296.
     */
    private static TxnOffsetCommitResponseData response(
            TxnOffsetCommitRequest request, Map<TopicPartition, Errors> partitionErrors, Errors groupError) {
        Errors group = request.version() < 2 && groupError == Errors.COORDINATOR_LOAD_IN_PROGRESS
                ? Errors.COORDINATOR_NOT_AVAILABLE
                : groupError;
        TxnOffsetCommitResponseData response = new TxnOffsetCommitResponseData();
        for (var topic : request.data().topics()) {
            TxnOffsetCommitResponseTopic rt = new TxnOffsetCommitResponseTopic().setName(topic.name());
            for (var p : topic.partitions()) {
                Errors e = partitionErrors.getOrDefault(new TopicPartition(topic.name(), p.partitionIndex()), group);
                rt.partitions()
                        .add(new TxnOffsetCommitResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(e.code()));
            }
            response.topics().add(rt);
        }
        return response;
    }
}
