package dev.strata.broker;

import dev.strata.broker.api.BrokerEndpoint;
import dev.strata.broker.api.BrokerTxnVerifier;
import dev.strata.broker.api.TransactionAdminHandler;
import dev.strata.broker.api.TransactionHandler;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.group.TxnMarkerListener;
import dev.strata.broker.metadata.MetadataStore;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.txn.LeaderMarkerWriter;
import dev.strata.broker.txn.LocalTxnMarkers;
import dev.strata.broker.txn.RemoteMarkerSender;
import dev.strata.broker.txn.TransactionCoordinator;
import dev.strata.broker.txn.TransactionStateTopic;
import dev.strata.broker.txn.TransactionVerification;
import dev.strata.broker.txn.TxnMarkerSender;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;

/**
 * A broker's transaction coordination, as {@link StrataServer} wires it from the config: {@code __transaction_state}
 * ({@link TransactionStateTopic}), the {@link TransactionCoordinator} of the ids whose partitions this broker leads
 * (told of leadership changes by the replica manager), the markers it writes (here for the partitions this broker
 * leads, through a {@link RemoteMarkerSender} for the others), the transaction APIs' handlers, the verification of
 * transactional produces and offset commits, and the periodic abort of timed-out transactions and expiry of idle ids.
 */
final class BrokerTransactions {
    /** How long a transaction marker waits for replication: Kafka's default {@code request.timeout.ms}. */
    static final long MARKER_REPLICATION_TIMEOUT_MS = 30_000;

    private final BrokerConfig config;
    private final TopicManager topics;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService ioPool;
    private final TransactionStateTopic stateTopic;
    private final LocalTxnMarkers localMarkers;
    private final TransactionCoordinator coordinator;

    BrokerTransactions(
            BrokerConfig config,
            TopicManager topics,
            ReplicaManager replicas,
            MetadataStore store,
            LongSupplier producerIds,
            TxnMarkerListener markerListener,
            RemoteMarkerSender remoteMarkers,
            ScheduledExecutorService scheduler,
            ExecutorService ioPool) {
        this.config = config;
        this.topics = topics;
        this.scheduler = scheduler;
        this.ioPool = ioPool;
        this.stateTopic = new TransactionStateTopic(
                topics,
                replicas,
                new TransactionStateTopic.Settings(
                        config.intValue(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS),
                        config.intValue(BrokerConfig.TRANSACTION_STATE_LOG_REPLICATION_FACTOR),
                        config.intValue(BrokerConfig.TRANSACTION_STATE_LOG_MIN_ISR),
                        config.intValue(BrokerConfig.TRANSACTION_STATE_LOG_SEGMENT_BYTES),
                        TransactionStateTopic.Settings.defaults().writeTimeoutMs()),
                Time.SYSTEM);
        this.localMarkers = new LocalTxnMarkers(topics, replicas, MARKER_REPLICATION_TIMEOUT_MS, markerListener);
        this.coordinator = new TransactionCoordinator(
                stateTopic,
                new LeaderMarkerWriter(
                        tp -> store.cluster().partition(tp),
                        new TxnMarkerSender(config.nodeId(), localMarkers::append, remoteMarkers, ioPool),
                        scheduler),
                producerIds,
                config.intValue(BrokerConfig.TRANSACTION_MAX_TIMEOUT_MS),
                Time.SYSTEM,
                ioPool,
                scheduler);
        // Transaction state comes back from __transaction_state partition by partition as this broker leads them;
        // until then their ids' requests are answered COORDINATOR_LOAD_IN_PROGRESS and clients retry.
        replicas.addListener(coordinator.coordinated());
    }

    /** Appends markers to the partitions this broker leads (WriteTxnMarkers and the coordinator's own). */
    LocalTxnMarkers localMarkers() {
        return localMarkers;
    }

    TransactionHandler handler(Supplier<BrokerEndpoint> endpoint, ToIntFunction<String> offsetsPartitionFor) {
        return new TransactionHandler(endpoint, topics, stateTopic.topic(), coordinator, offsetsPartitionFor);
    }

    TransactionAdminHandler adminHandler() {
        return new TransactionAdminHandler(coordinator, Time.SYSTEM);
    }

    /**
     * Whether a producer's ongoing transaction holds a partition, asked before a transactional produce or offset
     * commit, with {@code transaction.partition.verification.enable}: this broker's coordinator answers for the ids it
     * leads the {@code __transaction_state} partition of (or is loading), {@code remote} asks the leader of the id's
     * partition for the others, and while that partition has no leader the answer is COORDINATOR_NOT_AVAILABLE (the
     * producer retries).
     */
    TransactionVerification verification(BrokerTxnVerifier remote) {
        if (!config.boolValue(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE)) {
            return TransactionVerification.NONE;
        }
        return (transactionalId, producerId, producerEpoch, partition) -> {
            if (transactionalId == null) {
                return CompletableFuture.completedFuture(Errors.NONE);
            }
            int coordinatorId = stateTopic.topic().coordinatorFor(transactionalId);
            if (coordinator.coordinates(transactionalId) || coordinatorId == config.nodeId()) {
                return coordinator.verify(transactionalId, producerId, producerEpoch, partition);
            }
            if (coordinatorId < 0) {
                return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
            }
            return remote.verify(coordinatorId, transactionalId, producerId, producerEpoch, partition);
        };
    }

    /**
     * Every {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}, on the I/O pool: aborts transactions
     * open longer than their timeout, and forgets ids idle longer than {@code transactional.id.expiration.ms}.
     */
    void scheduleTimeouts() {
        long intervalMs = config.intValue(BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS);
        long expirationMs = config.intValue(BrokerConfig.TRANSACTIONAL_ID_EXPIRATION_MS);
        scheduler.scheduleWithFixedDelay(
                () -> ioPool.execute(() -> {
                    coordinator.abortTimedOut();
                    coordinator.expireIds(expirationMs);
                }),
                intervalMs,
                intervalMs,
                TimeUnit.MILLISECONDS);
    }
}
