package dev.strata.broker.api;

import dev.strata.broker.log.LogAppendInfo;
import dev.strata.broker.log.RecordErrors;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.network.CloseConnectionException;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.txn.TransactionVerification;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.BatchIndexAndErrorMessage;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ProduceRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produce: appends each partition's batch to its leader log and answers with the assigned base offset: with acks=1 once
 * the leader wrote it, with acks=all once the partition's high watermark passed it (the in-sync replicas have it), and
 * with acks=0 nothing is sent back. A broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER. A
 * failing partition gets its own error code; the others are still written. A batch refused for some of its records
 * names them (KIP-467 {@code record_errors}), so that the producer fails exactly those.
 */
public final class ProduceHandler {
    private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final TransactionVerification verification;
    private final Executor ioPool;

    /**
     * @param verification asks the transaction coordinator whether a transactional batch's partition is in the
     *     producer's transaction ({@code transaction.partition.verification.enable})
     * @param ioPool where a transactional produce continues when its verification completes on another thread
     */
    public ProduceHandler(
            TopicManager topics, ReplicaManager replicas, TransactionVerification verification, Executor ioPool) {
        this.topics = topics;
        this.replicas = replicas;
        this.verification = verification;
        this.ioPool = ioPool;
    }

    /**
     * @return the response, or null for acks=0; with acks=all it completes once every partition's append is replicated
     *     (its high watermark passed the append) or the request's timeout passed (REQUEST_TIMED_OUT)
     */
    public CompletableFuture<ProduceResponseData> handle(RequestContext ctx, ProduceRequest request) {
        if (request.transactionalId() == null) {
            return handle(request, Map.of());
        }
        // As Kafka's partition leaders (KIP-890 part 1): a transactional batch is appended only once the coordinator
        // confirmed that its partition is in the producer's ongoing transaction; a hanging transaction cannot start
        // from a late or stray batch.
        Map<TopicPartition, CompletableFuture<Errors>> verified = new HashMap<>();
        for (TopicProduceData topicData : request.data().topicData()) {
            Optional<TopicMetadata> topic = topicOf(topicData);
            if (topic.isEmpty()) {
                continue;
            }
            for (PartitionProduceData pd : topicData.partitionData()) {
                if (pd.records() instanceof MemoryRecords records && records.firstBatch() != null) {
                    RecordBatch batch = records.firstBatch();
                    TopicPartition tp = new TopicPartition(topic.get().name(), pd.index());
                    CompletableFuture<Errors> v;
                    try {
                        v = batch.isTransactional()
                                ? verification.verify(
                                        request.transactionalId(), batch.producerId(), batch.producerEpoch(), tp)
                                : CompletableFuture.completedFuture(Errors.NONE);
                    } catch (RuntimeException e) {
                        v = CompletableFuture.failedFuture(e);
                    }
                    short version = request.version();
                    verified.put(tp, v.handle((error, failure) -> verificationError(error, failure, version)));
                }
            }
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(verified.values().toArray(CompletableFuture[]::new));
        if (all.isDone()) {
            // the coordinator is on this broker and answered at once: go on on this I/O thread
            return handle(request, joined(verified));
        }
        return all.thenComposeAsync(ignored -> handle(request, joined(verified)), ioPool);
    }

    private static Map<TopicPartition, Errors> joined(Map<TopicPartition, CompletableFuture<Errors>> verified) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        verified.forEach((tp, f) -> errors.put(tp, f.join()));
        return errors;
    }

    /**
     * A verification's answer as Kafka's partition leader gives it to the producer: a coordinator that cannot answer
     * now (moving, loading, unreachable, or finishing the previous transaction) is NOT_ENOUGH_REPLICAS, which the producer retries;
     * a fenced producer is INVALID_PRODUCER_EPOCH; a partition not in the transaction is TRANSACTION_ABORTABLE from
     * version 11 (KIP-890: the producer aborts the transaction and goes on), INVALID_TXN_STATE before.
     */
    private static Errors verificationError(Errors error, Throwable failure, short version) {
        if (failure != null) {
            log.warn("Cannot verify a transactional produce: {}", failure.toString());
            return Errors.NOT_ENOUGH_REPLICAS;
        }
        return switch (error) {
            case NOT_COORDINATOR,
                    COORDINATOR_NOT_AVAILABLE,
                    COORDINATOR_LOAD_IN_PROGRESS,
                    CONCURRENT_TRANSACTIONS,
                    REQUEST_TIMED_OUT,
                    NETWORK_EXCEPTION -> Errors.NOT_ENOUGH_REPLICAS;
            case PRODUCER_FENCED -> Errors.INVALID_PRODUCER_EPOCH;
            case INVALID_TXN_STATE -> version >= 11 ? Errors.TRANSACTION_ABORTABLE : Errors.INVALID_TXN_STATE;
            default -> error;
        };
    }

    private Optional<TopicMetadata> topicOf(TopicProduceData topicData) {
        return topicData.name() == null || topicData.name().isEmpty()
                ? topics.topic(topicData.topicId())
                : topics.topic(topicData.name());
    }

    /** @param verificationErrors the coordinator's answer for each transactional partition, NONE when it is in */
    private CompletableFuture<ProduceResponseData> handle(
            ProduceRequest request, Map<TopicPartition, Errors> verificationErrors) {
        short acks = request.acks();
        ProduceResponseData response = new ProduceResponseData();
        List<CompletableFuture<Void>> replicated = new ArrayList<>();
        for (TopicProduceData topicData : request.data().topicData()) {
            Optional<TopicMetadata> topic = topicOf(topicData);
            TopicProduceResponse topicResponse =
                    new TopicProduceResponse().setName(topicData.name()).setTopicId(topicData.topicId());
            for (PartitionProduceData pd : topicData.partitionData()) {
                PartitionProduceResponse pr = new PartitionProduceResponse().setIndex(pd.index());
                if (acks != -1 && acks != 0 && acks != 1) {
                    error(pr, Errors.INVALID_REQUIRED_ACKS, null);
                } else if (topic.isPresent() && Topic.isInternal(topic.get().name())) {
                    // As Kafka: only the broker writes its internal topics.
                    error(
                            pr,
                            Errors.INVALID_TOPIC_EXCEPTION,
                            "Cannot append to internal topic " + topic.get().name());
                } else if (topic.isEmpty()) {
                    error(
                            pr,
                            topicData.name() == null || topicData.name().isEmpty()
                                    ? Errors.UNKNOWN_TOPIC_ID
                                    : Errors.UNKNOWN_TOPIC_OR_PARTITION,
                            null);
                } else if (verificationErrors.getOrDefault(
                                new TopicPartition(topic.get().name(), pd.index()), Errors.NONE)
                        != Errors.NONE) {
                    error(
                            pr,
                            verificationErrors.get(
                                    new TopicPartition(topic.get().name(), pd.index())),
                            null);
                } else {
                    append(topic.get(), pd, acks, request.data().timeoutMs(), pr, replicated);
                }
                topicResponse.partitionResponses().add(pr);
            }
            response.responses().add(topicResponse);
        }
        if (acks == 0) {
            for (TopicProduceResponse t : response.responses()) {
                for (PartitionProduceResponse p : t.partitionResponses()) {
                    if (p.errorCode() != Errors.NONE.code()) {
                        // No response can carry the error: closing makes the producer refresh and notice.
                        throw new CloseConnectionException("produce with acks=0 to " + t.name() + "-" + p.index()
                                + " failed: " + Errors.forCode(p.errorCode()).name());
                    }
                }
            }
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(replicated.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> response);
    }

    private void append(
            TopicMetadata topic,
            PartitionProduceData pd,
            short acks,
            int timeoutMs,
            PartitionProduceResponse pr,
            List<CompletableFuture<Void>> replicated) {
        TopicPartition tp = new TopicPartition(topic.name(), pd.index());
        Optional<Partition> partition = replicas.partition(tp);
        if (partition.isEmpty()) {
            if (pd.index() >= 0 && pd.index() < topic.partitions()) {
                // as Kafka: the partition exists but has no replica here, so the producer refreshes its metadata
                error(pr, Errors.NOT_LEADER_OR_FOLLOWER, "Broker hosts no replica of " + tp);
            } else {
                error(pr, Errors.UNKNOWN_TOPIC_OR_PARTITION, null);
            }
            return;
        }
        if (!(pd.records() instanceof MemoryRecords records)) {
            error(pr, Errors.CORRUPT_MESSAGE, "Produce request without record batches");
            return;
        }
        try {
            LogAppendInfo info = partition.get().appendAsLeader(records, acks);
            pr.setBaseOffset(info.firstOffset())
                    .setLogAppendTimeMs(info.logAppendTime())
                    .setLogStartOffset(info.logStartOffset());
            if (!info.duplicate()) {
                replicas.onAppend(tp);
            }
            if (acks == -1) {
                replicated.add(replicas.awaitReplication(tp, info.lastOffset() + 1, timeoutMs)
                        .thenAccept(error -> {
                            if (error != Errors.NONE) {
                                error(pr, error, null);
                            }
                        }));
            }
        } catch (KafkaStorageException e) {
            // the log directory logged its failure (or its lack of space) once, loudly
            log.debug("Append to {} refused: {}", tp, e.getMessage());
            error(pr, Errors.KAFKA_STORAGE_ERROR, e.getMessage());
        } catch (ApiException e) {
            log.debug("Rejected produce to {}: {}", tp, e.toString());
            error(pr, Errors.forException(e), e.getMessage());
            if (e instanceof RecordErrors invalid) {
                // KIP-467: the producer fails exactly these records with their message
                invalid.recordErrors().forEach(r -> pr.recordErrors()
                        .add(new BatchIndexAndErrorMessage()
                                .setBatchIndex(r.batchIndex())
                                .setBatchIndexErrorMessage(r.message())));
            }
        }
    }

    private static void error(PartitionProduceResponse pr, Errors error, String message) {
        pr.setErrorCode(error.code())
                .setErrorMessage(message != null ? message : error.message())
                .setBaseOffset(-1)
                .setLogAppendTimeMs(-1)
                .setLogStartOffset(-1);
    }
}
