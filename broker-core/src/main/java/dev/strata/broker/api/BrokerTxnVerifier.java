package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the transaction coordinator on another broker whether a partition is in a producer's ongoing transaction, as a
 * Kafka partition leader does before it appends a transactional batch (KIP-890 part 1, Kafka's
 * {@code AddPartitionsToTxnManager}): the verify-only form of AddPartitionsToTxn (v4+), sent over a
 * {@link BrokerChannel}. Per coordinator broker a queue and a thread of its own, so no Netty event loop or request
 * thread waits on another broker; what is queued while a request is in flight goes in the next request, one
 * transaction entry per transactional id. A coordinator that cannot be reached or does not answer in time completes
 * the partitions with {@link Errors#NETWORK_EXCEPTION}: the produce fails with a retriable error and the producer sends
 * it again.
 */
public final class BrokerTxnVerifier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerTxnVerifier.class);
    private static final short VERSION = 4;

    private final String clientId;
    private final IntFunction<Optional<ClusterBroker>> brokers;
    private final BrokerConnector connector;
    private final int requestTimeoutMs;
    private final Map<Integer, BrokerRequestQueue<Check>> destinations = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** One partition to verify and where its answer goes. */
    private record Check(
            String transactionalId,
            long producerId,
            short producerEpoch,
            TopicPartition partition,
            CompletableFuture<Errors> result) {}

    /** @param brokers the registered brokers by node id ({@code ClusterImage::broker}) */
    public BrokerTxnVerifier(
            int localBrokerId,
            IntFunction<Optional<ClusterBroker>> brokers,
            BrokerConnector connector,
            int requestTimeoutMs) {
        this.clientId = "strata-txn-verifier-" + localBrokerId;
        this.brokers = brokers;
        this.connector = connector;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /**
     * Completes with the coordinator's answer for the partition: NONE when it is in the producer's ongoing
     * transaction, otherwise the error the coordinator gives (INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH,
     * NOT_COORDINATOR, ...), or NETWORK_EXCEPTION when the coordinator did not answer.
     */
    public CompletableFuture<Errors> verify(
            int coordinatorId, String transactionalId, long producerId, short producerEpoch, TopicPartition partition) {
        Check check = new Check(transactionalId, producerId, producerEpoch, partition, new CompletableFuture<>());
        if (closed) {
            check.result().complete(Errors.NETWORK_EXCEPTION);
            return check.result();
        }
        destinations
                .computeIfAbsent(
                        coordinatorId,
                        id -> new BrokerRequestQueue<>(
                                "strata-txn-verifier-" + id,
                                id,
                                clientId,
                                brokers,
                                connector,
                                (channel, checks) -> sendOnePerId(id, channel, checks),
                                c -> c.result().complete(Errors.NETWORK_EXCEPTION)))
                .add(check);
        return check.result();
    }

    /** Stops every thread; checks still queued complete with NETWORK_EXCEPTION. */
    @Override
    public void close() {
        closed = true;
        destinations.values().forEach(BrokerRequestQueue::stop);
    }

    /**
     * Sends one request with the first producer of each transactional id among {@code checks}; returns the checks
     * of an id's other producer ids or epochs, for the next request (a request holds one entry per id).
     */
    private List<Check> sendOnePerId(int brokerId, BrokerChannel channel, List<Check> checks) {
        Map<String, List<Check>> byId = new LinkedHashMap<>();
        List<Check> later = new ArrayList<>();
        for (Check c : checks) {
            List<Check> same = byId.computeIfAbsent(c.transactionalId(), id -> new ArrayList<>());
            if (same.isEmpty()
                    || (same.get(0).producerId() == c.producerId()
                            && same.get(0).producerEpoch() == c.producerEpoch())) {
                same.add(c);
            } else {
                later.add(c);
            }
        }
        AddPartitionsToTxnTransactionCollection transactions = new AddPartitionsToTxnTransactionCollection();
        byId.forEach((id, same) -> transactions.add(transaction(id, same)));
        List<Check> sent = byId.values().stream().flatMap(List::stream).toList();
        try {
            AddPartitionsToTxnResponse response = (AddPartitionsToTxnResponse) channel.send(
                    AddPartitionsToTxnRequest.Builder.forBroker(transactions).build(VERSION), requestTimeoutMs);
            complete(sent, response);
        } catch (Exception e) {
            log.info("Cannot verify transactional writes with broker {}: {}", brokerId, e.toString());
            sent.forEach(c -> c.result().complete(Errors.NETWORK_EXCEPTION));
        }
        return later;
    }

    private static AddPartitionsToTxnTransaction transaction(String transactionalId, List<Check> checks) {
        AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnTopicCollection();
        for (Check c : checks) {
            AddPartitionsToTxnTopic topic = topics.find(c.partition().topic());
            if (topic == null) {
                topic = new AddPartitionsToTxnTopic().setName(c.partition().topic());
                topics.add(topic);
            }
            if (!topic.partitions().contains(c.partition().partition())) {
                topic.partitions().add(c.partition().partition());
            }
        }
        return new AddPartitionsToTxnTransaction()
                .setTransactionalId(transactionalId)
                .setProducerId(checks.get(0).producerId())
                .setProducerEpoch(checks.get(0).producerEpoch())
                .setVerifyOnly(true)
                .setTopics(topics);
    }

    /** Each check's partition error; the response's own error for all of them when it has one. */
    private static void complete(List<Check> checks, AddPartitionsToTxnResponse response) {
        Errors top = Errors.forCode(response.data().errorCode());
        Map<String, Map<TopicPartition, Errors>> errors = top == Errors.NONE ? response.errors() : Map.of();
        for (Check c : checks) {
            Errors error = top != Errors.NONE
                    ? top
                    : errors.getOrDefault(c.transactionalId(), Map.of())
                            .getOrDefault(c.partition(), Errors.UNKNOWN_SERVER_ERROR);
            c.result().complete(error);
        }
    }
}
