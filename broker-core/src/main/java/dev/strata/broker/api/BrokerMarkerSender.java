package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.txn.RemoteMarkerSender;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
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
    private final int connectTimeoutMs;
    private final int requestTimeoutMs;
    private final Map<Integer, BrokerQueue> queues = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param brokers the registered brokers by node id ({@code ClusterImage::broker})
     * @param requestTimeoutMs how long a broker may take to answer; it waits for each marker's replication
     */
    public BrokerMarkerSender(
            int localBrokerId,
            IntFunction<Optional<ClusterBroker>> brokers,
            int connectTimeoutMs,
            int requestTimeoutMs) {
        this.clientId = CLIENT_ID_PREFIX + localBrokerId;
        this.brokers = brokers;
        this.connectTimeoutMs = connectTimeoutMs;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /**
     * The coordinator's sender in a broker: every broker found in the current {@code cluster} image, connecting within 10 s, and
     * waiting for an answer a little longer than a leader holds a marker for replication (after which it answers
     * REQUEST_TIMED_OUT itself).
     *
     * @param markerReplicationTimeoutMs how long the leaders' WriteTxnMarkers waits for replication
     */
    public static BrokerMarkerSender forCluster(
            int localBrokerId, Supplier<ClusterImage> cluster, long markerReplicationTimeoutMs) {
        return new BrokerMarkerSender(
                localBrokerId,
                id -> cluster.get().broker(id),
                10_000,
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
        BrokerQueue queue = closed ? null : queues.computeIfAbsent(brokerId, BrokerQueue::new);
        if (queue == null) {
            TxnMarkerBatch batch = new TxnMarkerBatch();
            batch.tryAdd(marker);
            batch.fail(Errors.NETWORK_EXCEPTION);
        } else {
            queue.add(marker);
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
        queues.values().forEach(BrokerQueue::stop);
    }

    /** The markers waiting for one broker and the thread that sends them. */
    private final class BrokerQueue implements Runnable {
        private final int brokerId;
        private final BlockingDeque<TxnMarkerBatch.Marker> pending = new LinkedBlockingDeque<>();
        private final BrokerChannel channel;
        private final Thread thread;

        BrokerQueue(int brokerId) {
            this.brokerId = brokerId;
            this.channel = new BrokerChannel(brokerId, clientId, brokers, connectTimeoutMs);
            this.thread = new Thread(this, "strata-txn-marker-sender-" + brokerId);
            thread.setDaemon(true);
            thread.start();
        }

        void add(TxnMarkerBatch.Marker marker) {
            pending.add(marker);
            if (closed) {
                failPending();
            }
        }

        void stop() {
            thread.interrupt();
        }

        @Override
        public void run() {
            try {
                while (!closed) {
                    TxnMarkerBatch batch = nextBatch();
                    sendBatch(batch);
                }
            } catch (InterruptedException e) {
                // closing
            } finally {
                channel.close();
                failPending();
            }
        }

        /** Waits for a marker, then takes every queued marker that fits in the same request. */
        private TxnMarkerBatch nextBatch() throws InterruptedException {
            TxnMarkerBatch batch = new TxnMarkerBatch();
            batch.tryAdd(pending.take());
            List<TxnMarkerBatch.Marker> queued = new ArrayList<>();
            pending.drainTo(queued);
            List<TxnMarkerBatch.Marker> later = new ArrayList<>();
            for (TxnMarkerBatch.Marker m : queued) {
                if (!batch.tryAdd(m)) {
                    later.add(m);
                }
            }
            for (int i = later.size() - 1; i >= 0; i--) {
                pending.addFirst(later.get(i));
            }
            return batch;
        }

        private void sendBatch(TxnMarkerBatch batch) {
            try {
                WriteTxnMarkersResponse response =
                        (WriteTxnMarkersResponse) channel.send(batch.request(), requestTimeoutMs);
                batch.complete(response.data());
            } catch (Exception e) {
                log.info("Transaction markers to broker {} not sent, to be retried: {}", brokerId, e.toString());
                batch.fail(Errors.NETWORK_EXCEPTION);
            }
        }

        private void failPending() {
            List<TxnMarkerBatch.Marker> left = new ArrayList<>();
            pending.drainTo(left);
            for (TxnMarkerBatch.Marker m : left) {
                TxnMarkerBatch batch = new TxnMarkerBatch();
                batch.tryAdd(m);
                batch.fail(Errors.NETWORK_EXCEPTION);
            }
        }
    }
}
