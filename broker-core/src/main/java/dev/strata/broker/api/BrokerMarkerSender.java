package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.txn.RemoteMarkerSender;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends transaction markers to the brokers that lead a transaction's partitions over their Kafka listeners, as Kafka's
 * {@code TransactionMarkerChannelManager} does: per destination broker a queue and a thread of its own (so no Netty
 * event loop or request thread ever waits on another broker) that takes everything queued for that broker and sends it
 * as one WriteTxnMarkers v1 request ({@link TxnMarkerBatch}) over a {@link BrokerChannel}, one request in flight. The
 * broker's address is looked up in the cluster when the channel connects, so after a broker restarts the next request
 * reaches it again. A request that cannot be sent or answered (broker down, not registered, timed out) completes each
 * of its partitions with {@link Errors#NETWORK_EXCEPTION}, which the coordinator retries.
 */
public final class BrokerMarkerSender implements RemoteMarkerSender, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerMarkerSender.class);
    private static final String CLIENT_ID_PREFIX = "strata-txn-marker-sender-";

    private final String clientId;
    private final IntFunction<Optional<ClusterBroker>> brokers;
    private final BrokerConnector connector;
    private final int requestTimeoutMs;
    private final Map<Integer, BrokerRequestQueue<TxnMarkerBatch.Marker>> queues = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param brokers the registered brokers by node id ({@code ClusterImage::broker})
     * @param requestTimeoutMs how long a broker may take to answer; it waits for each marker's replication
     */
    public BrokerMarkerSender(
            int localBrokerId,
            IntFunction<Optional<ClusterBroker>> brokers,
            BrokerConnector connector,
            int requestTimeoutMs) {
        this.clientId = CLIENT_ID_PREFIX + localBrokerId;
        this.brokers = brokers;
        this.connector = connector;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /**
     * The coordinator's sender in a broker: every broker found in the current {@code cluster} image, connecting with {@code connector}, and
     * waiting for an answer a little longer than a leader holds a marker for replication (after which it answers
     * REQUEST_TIMED_OUT itself).
     *
     * @param markerReplicationTimeoutMs how long the leaders' WriteTxnMarkers waits for replication
     */
    public static BrokerMarkerSender forCluster(
            int localBrokerId,
            Supplier<ClusterImage> cluster,
            BrokerConnector connector,
            long markerReplicationTimeoutMs) {
        return new BrokerMarkerSender(
                localBrokerId,
                id -> cluster.get().broker(id),
                connector,
                Math.toIntExact(markerReplicationTimeoutMs + 10_000));
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Errors>> send(
            int brokerId,
            long producerId,
            short producerEpoch,
            boolean commit,
            int coordinatorEpoch,
            Set<TopicPartition> partitions) {
        TxnMarkerBatch.Marker marker = new TxnMarkerBatch.Marker(
                producerId, producerEpoch, commit, coordinatorEpoch, Set.copyOf(partitions), new CompletableFuture<>());
        if (partitions.isEmpty()) {
            marker.result().complete(Map.of());
            return marker.result();
        }
        if (closed) {
            abandon(marker);
        } else {
            queues.computeIfAbsent(
                            brokerId,
                            id -> new BrokerRequestQueue<>(
                                    "strata-txn-marker-sender-" + id,
                                    id,
                                    clientId,
                                    brokers,
                                    connector,
                                    (channel, markers) -> sendSome(id, channel, markers),
                                    BrokerMarkerSender::abandon))
                    .add(marker);
        }
        return marker.result();
    }

    /**
     * Stops every sender thread; markers still queued complete with {@link Errors#NETWORK_EXCEPTION}. A request in
     * flight ends when its broker answers or its timeout passes.
     */
    @Override
    public void close() {
        closed = true;
        queues.values().forEach(BrokerRequestQueue::stop);
    }

    /**
     * Sends one WriteTxnMarkers request with every marker of {@code markers} that fits (one per producer); returns the
     * others. A request that cannot be sent or answered completes its markers with NETWORK_EXCEPTION.
     */
    private List<TxnMarkerBatch.Marker> sendSome(
            int brokerId, BrokerChannel channel, List<TxnMarkerBatch.Marker> markers) {
        TxnMarkerBatch batch = new TxnMarkerBatch();
        List<TxnMarkerBatch.Marker> later = new ArrayList<>();
        for (TxnMarkerBatch.Marker m : markers) {
            if (!batch.tryAdd(m)) {
                later.add(m);
            }
        }
        try {
            WriteTxnMarkersResponse response =
                    (WriteTxnMarkersResponse) channel.send(batch.request(), requestTimeoutMs);
            batch.complete(response.data());
        } catch (Exception e) {
            log.info("Transaction markers to broker {} not sent, to be retried: {}", brokerId, e.toString());
            batch.fail(Errors.NETWORK_EXCEPTION);
        }
        return later;
    }

    private static void abandon(TxnMarkerBatch.Marker marker) {
        TxnMarkerBatch batch = new TxnMarkerBatch();
        batch.tryAdd(marker);
        batch.fail(Errors.NETWORK_EXCEPTION);
    }
}
