package dev.strata.broker.api;

import dev.strata.broker.coordinator.InternalTopic;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.txn.TransactionCoordinator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;

/**
 * The transaction APIs a transactional producer sends its coordinator (transaction version 1): FindCoordinator with key
 * type TRANSACTION, InitProducerId with a transactional id, AddPartitionsToTxn (the client's form, v0-v3, and the
 * batched broker form of KIP-890, v4+, whose verify-only transactions only ask whether partitions are in the
 * transaction), AddOffsetsToTxn and EndTxn. The {@link TransactionCoordinator} decides; this class converts the wire
 * forms and checks what only the wire knows (topics that do not exist, versions that predate PRODUCER_FENCED).
 *
 * <p>Runs on the I/O pool; answers complete when the coordinator's write is durable, without a thread waiting.
 */
public final class TransactionHandler {
    private final Supplier<BrokerEndpoint> self;
    private final TopicManager topics;
    private final InternalTopic stateTopic;
    private final TransactionCoordinator coordinator;
    private final ToIntFunction<String> offsetsPartitionFor;

    /** @param offsetsPartitionFor a group's partition of {@code __consumer_offsets} (AddOffsetsToTxn) */
    public TransactionHandler(
            Supplier<BrokerEndpoint> self,
            TopicManager topics,
            InternalTopic stateTopic,
            TransactionCoordinator coordinator,
            ToIntFunction<String> offsetsPartitionFor) {
        this.self = self;
        this.topics = topics;
        this.stateTopic = stateTopic;
        this.coordinator = coordinator;
        this.offsetsPartitionFor = offsetsPartitionFor;
    }

    /** FindCoordinator for transactional ids: the leader of the id's {@code __transaction_state} partition. */
    public FindCoordinatorResponseData findCoordinator(FindCoordinatorRequest request) {
        return CoordinatorLookup.answer(
                request,
                key -> CoordinatorLookup.lookup(
                        self, topics, stateTopic::ensureExists, stateTopic::coordinatorFor, key),
                Errors::message);
    }

    /** InitProducerId with a transactional id (the caller answers the idempotent form). */
    public CompletableFuture<InitProducerIdResponseData> initProducerId(InitProducerIdRequest request) {
        var data = request.data();
        if (data.enable2Pc() || data.keepPreparedTxn()) {
            // two-phase commit (KIP-939, v6) is off, as in a Kafka broker without
            // transaction.two.phase.commit.enable: refused, not ignored (its transactions would time out)
            Errors refused = data.enable2Pc() ? Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : Errors.INVALID_REQUEST;
            return CompletableFuture.completedFuture(new InitProducerIdResponseData()
                    .setErrorCode(refused.code())
                    .setProducerId(-1)
                    .setProducerEpoch((short) -1));
        }
        return coordinator
                .initProducerId(
                        data.transactionalId(), data.transactionTimeoutMs(), data.producerId(), data.producerEpoch())
                .thenApply(r -> new InitProducerIdResponseData()
                        .setErrorCode(fenced(r.error(), request.version() < 4).code())
                        .setProducerId(r.producerId())
                        .setProducerEpoch(r.epoch()));
    }

    public CompletableFuture<AddPartitionsToTxnResponseData> addPartitions(AddPartitionsToTxnRequest request) {
        short version = request.version();
        List<CompletableFuture<AddPartitionsToTxnResult>> results = new ArrayList<>();
        // normalizeRequest() builds the one transaction of the client's form (v0-3) from its top-level fields; from v4
        // the
        // request carries its transactions itself (on a v4+ request normalizeRequest() would give one empty one)
        var transactions = version < 4
                ? request.normalizeRequest().data().transactions()
                : request.data().transactions();
        for (AddPartitionsToTxnTransaction txn : transactions) {
            results.add(addPartitions(txn, version));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> {
                    AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
                    if (version < 4) {
                        return response.setResultsByTopicV3AndBelow(
                                results.get(0).join().topicResults());
                    }
                    results.forEach(r -> response.resultsByTransaction().add(r.join()));
                    return response;
                });
    }

    private CompletableFuture<AddPartitionsToTxnResult> addPartitions(
            AddPartitionsToTxnTransaction txn, short version) {
        String id = txn.transactionalId();
        Set<TopicPartition> partitions = new HashSet<>();
        Map<TopicPartition, Errors> unknown = new HashMap<>();
        for (AddPartitionsToTxnTopic topic : txn.topics()) {
            for (int p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                boolean exists = topics.topic(topic.name())
                        .map(t -> p >= 0 && p < t.partitions())
                        .orElse(false);
                if (exists) {
                    partitions.add(tp);
                } else {
                    unknown.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                }
            }
        }
        if (!unknown.isEmpty()) {
            // as Kafka: nothing is added when a partition does not exist; the others were not attempted
            partitions.forEach(tp -> unknown.put(tp, Errors.OPERATION_NOT_ATTEMPTED));
            return CompletableFuture.completedFuture(AddPartitionsToTxnResponse.resultForTransaction(id, unknown));
        }
        if (id == null || id.isEmpty()) {
            return CompletableFuture.completedFuture(all(id, partitions, Errors.INVALID_REQUEST));
        }
        if (txn.verifyOnly()) {
            Map<TopicPartition, CompletableFuture<Errors>> verified = new HashMap<>();
            partitions.forEach(
                    tp -> verified.put(tp, coordinator.verify(id, txn.producerId(), txn.producerEpoch(), tp)));
            return CompletableFuture.allOf(verified.values().toArray(CompletableFuture[]::new))
                    .thenApply(ignored -> {
                        Map<TopicPartition, Errors> errors = new HashMap<>();
                        verified.forEach((tp, f) -> errors.put(tp, f.join()));
                        return AddPartitionsToTxnResponse.resultForTransaction(id, errors);
                    });
        }
        return coordinator
                .addPartitions(id, txn.producerId(), txn.producerEpoch(), partitions)
                .thenApply(error -> all(id, partitions, fenced(error, version < 2)));
    }

    private static AddPartitionsToTxnResult all(String id, Set<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        partitions.forEach(tp -> errors.put(tp, error));
        return AddPartitionsToTxnResponse.resultForTransaction(id, errors);
    }

    /** AddOffsetsToTxn: the group's partition of {@code __consumer_offsets} joins the transaction. */
    public CompletableFuture<AddOffsetsToTxnResponseData> addOffsets(AddOffsetsToTxnRequest request) {
        var data = request.data();
        if (data.groupId() == null || data.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(
                    new AddOffsetsToTxnResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
        }
        TopicPartition offsets =
                new TopicPartition(Topic.GROUP_METADATA_TOPIC_NAME, offsetsPartitionFor.applyAsInt(data.groupId()));
        return coordinator
                .addPartitions(data.transactionalId(), data.producerId(), data.producerEpoch(), Set.of(offsets))
                .thenApply(error -> new AddOffsetsToTxnResponseData()
                        .setErrorCode(fenced(error, request.version() < 2).code()));
    }

    public CompletableFuture<EndTxnResponseData> endTxn(EndTxnRequest request) {
        var data = request.data();
        return coordinator
                .endTxn(data.transactionalId(), data.producerId(), data.producerEpoch(), data.committed())
                .thenApply(error -> new EndTxnResponseData()
                        .setErrorCode(fenced(error, request.version() < 2).code())
                        .setProducerId(-1)
                        .setProducerEpoch((short) -1));
    }

    /** Versions older than KIP-588 know no PRODUCER_FENCED: they are answered INVALID_PRODUCER_EPOCH, as Kafka does. */
    private static Errors fenced(Errors error, boolean old) {
        return old && error == Errors.PRODUCER_FENCED ? Errors.INVALID_PRODUCER_EPOCH : error;
    }
}
