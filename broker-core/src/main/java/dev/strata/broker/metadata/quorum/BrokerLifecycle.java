package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ListenerEndpoint;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's side of its membership in the cluster: it registers with a fresh incarnation id (so the controller tells
 * this run from the previous one), then heartbeats to the controller every {@code broker.heartbeat.interval.ms} on the
 * thread {@code strata-broker-heartbeat-<node id>}; while it is fenced it heartbeats every 100 ms at most, so that it
 * is unfenced soon after it starts. At shutdown, {@link #controlledShutdown} moves its leaderships away first.
 */
public final class BrokerLifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerLifecycle.class);
    private static final long FENCED_HEARTBEAT_MS = 100;

    private final QuorumMetadataStore store;
    private final int nodeId;
    private final Optional<String> rack;
    private final Duration heartbeatInterval;
    private final Uuid incarnationId = Uuid.randomUuid();
    private final ScheduledExecutorService thread;
    private volatile BrokerRegistration registration;
    private volatile boolean stopped;
    /** Heartbeats that failed in a row (heartbeat thread only): the first is logged as a warning, the rest quietly. */
    private int failedHeartbeats;

    public BrokerLifecycle(QuorumMetadataStore store, int nodeId, Optional<String> rack, Duration heartbeatInterval) {
        this.store = store;
        this.nodeId = nodeId;
        this.rack = rack;
        this.heartbeatInterval = heartbeatInterval;
        this.thread = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("strata-broker-heartbeat-" + nodeId));
    }

    /**
     * Registers this broker with the address clients and followers reach it at; again with a new address (a port
     * picked at start) only updates it.
     */
    public void register(String host, int port) {
        register(host, port, List.of());
    }

    /**
     * Registers this broker with the address brokers reach it at and its address on each client listener; again
     * with other addresses (ports picked at start) only updates them.
     */
    public void register(String host, int port, List<ListenerEndpoint> endpoints) {
        BrokerRegistration r = new BrokerRegistration(nodeId, host, port, rack, incarnationId, endpoints);
        store.registerBroker(r);
        registration = r;
    }

    /** Starts heartbeating (after {@link #register}). */
    public void startHeartbeats() {
        thread.execute(this::heartbeat);
    }

    /**
     * Waits until the controller has unfenced this broker (seen its heartbeat).
     *
     * @throws TimeoutException if it has not within {@code timeout}
     */
    public void awaitUnfenced(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (store.broker(nodeId).map(ClusterBroker::fenced).orElse(true)) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("Broker " + nodeId + " was not unfenced by the controller within "
                        + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /**
     * Tells the controller that this broker's replicas of these partitions are offline (their log directory failed),
     * so that their leaderships move to other replicas; tried again every second until the quorum takes it.
     */
    public void reportOfflineReplicas(List<TopicPartition> replicas) {
        if (replicas.isEmpty()) {
            return;
        }
        try {
            thread.execute(() -> reportOffline(replicas));
        } catch (RejectedExecutionException e) {
            // stopping: the replicas go with the broker
        }
    }

    private void reportOffline(List<TopicPartition> replicas) {
        if (stopped) {
            return;
        }
        try {
            store.markReplicasOffline(nodeId, incarnationId, replicas);
            log.warn("Broker {} reported {} offline replicas to the controller: {}", nodeId, replicas.size(), replicas);
        } catch (RuntimeException e) {
            log.warn("Broker {} cannot report its offline replicas yet: {}", nodeId, e.toString());
            try {
                thread.schedule(() -> reportOffline(replicas), 1, TimeUnit.SECONDS);
            } catch (RejectedExecutionException stopping) {
                // stopping
            }
        }
    }

    /** Stops heartbeating and leaves the cluster's leaderships and ISRs, before the broker stops serving. */
    public void controlledShutdown() {
        stopHeartbeats();
        store.controlledShutdown(nodeId);
    }

    private void heartbeat() {
        if (stopped) {
            return;
        }
        long nextMs = FENCED_HEARTBEAT_MS;
        try {
            QuorumController.HeartbeatReply reply = store.heartbeat(nodeId, incarnationId);
            if (failedHeartbeats > 0) {
                log.info("Broker {} heartbeat answered again after {} failed", nodeId, failedHeartbeats);
                failedHeartbeats = 0;
            }
            switch (reply) {
                case UNFENCED -> nextMs = heartbeatInterval.toMillis();
                case UNKNOWN -> {
                    BrokerRegistration r = registration;
                    if (r != null) {
                        log.info("The controller does not know this run of broker {}: registering again", nodeId);
                        store.registerBroker(r);
                    }
                }
                case FENCED, NOT_CONTROLLER -> {}
            }
        } catch (RuntimeException e) {
            // each heartbeat is one short attempt (a leader change costs one or two), sent again at once
            if (failedHeartbeats++ == 0) {
                log.warn("Broker {} heartbeat failed: {}", nodeId, e.toString());
            } else {
                log.debug("Broker {} heartbeat failed again: {}", nodeId, e.toString());
            }
        }
        try {
            thread.schedule(this::heartbeat, Math.min(nextMs, heartbeatInterval.toMillis()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopped meanwhile
        }
    }

    private void stopHeartbeats() {
        stopped = true;
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stopHeartbeats();
        thread.shutdownNow();
    }
}
