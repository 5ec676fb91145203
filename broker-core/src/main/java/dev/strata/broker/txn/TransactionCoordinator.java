package dev.strata.broker.txn;

import dev.strata.broker.coordinator.CoordinatedPartitions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction coordinator of the transactional ids whose {@code __transaction_state} partitions this broker leads:
 * it decides each request with the id's {@link TransactionMetadata}, makes the decision durable in
 * {@link TransactionStateTopic} before answering, and ends a transaction by writing its markers
 * ({@link MarkerWriter}) between the Prepare and the Complete record, as Kafka's coordinator does (transaction version
 * 1). The state of a partition arrives through {@link #loader()} when this broker becomes its leader.
 *
 * <p>Threads: any request thread; each id's decisions are taken under its metadata's monitor, and writes complete
 * without a thread waiting.
 */
public final class TransactionCoordinator implements TransactionVerification {
    private static final Logger log = LoggerFactory.getLogger(TransactionCoordinator.class);
    /** The first wait before markers are written again, doubled at each failure up to the maximum. */
    private static final long RETRY_BACKOFF_MS = 100;

    private static final long MAX_RETRY_BACKOFF_MS = 5_000;

    /** Writes a transaction's markers to every partition; completes once each has its marker (or is gone). */
    public interface MarkerWriter {
        CompletableFuture<Void> write(
                long producerId, short epoch, boolean commit, int coordinatorEpoch, Set<TopicPartition> partitions);
    }

    /** The answer to InitProducerId. */
    public record InitResult(Errors error, long producerId, short epoch) {}

    private final TransactionStateTopic stateTopic;
    private final MarkerWriter markers;
    private final LongSupplier producerIds;
    private final int maxTimeoutMs;
    private final Time time;
    private final CoordinatedPartitions coordinated;
    private final Map<String, TransactionMetadata> ids = new ConcurrentHashMap<>();
    /**
     * Marker writes in progress, by transactional id: cancelled when this broker stops coordinating the id, as Kafka
     * drops a transaction's markers once it is no longer the coordinator (the new one writes them from the Prepare
     * record), so that retries here do not go on beside the new coordinator's.
     */
    private final Map<String, CompletableFuture<Void>> markersInFlight = new ConcurrentHashMap<>();

    private final ScheduledExecutorService retries;

    public TransactionCoordinator(
            TransactionStateTopic stateTopic,
            MarkerWriter markers,
            LongSupplier producerIds,
            int maxTimeoutMs,
            Time time,
            Executor loadExecutor,
            ScheduledExecutorService retries) {
        this.stateTopic = stateTopic;
        this.markers = markers;
        this.producerIds = producerIds;
        this.maxTimeoutMs = maxTimeoutMs;
        this.time = time;
        this.retries = retries;
        this.coordinated =
                new CoordinatedPartitions(TransactionStateTopic.NAME, stateTopic::partitionFor, loader(), loadExecutor);
    }

    /** The partitions this coordinator serves, to register with the replica manager. */
    public CoordinatedPartitions coordinated() {
        return coordinated;
    }

    private CoordinatedPartitions.Loader loader() {
        return new CoordinatedPartitions.Loader() {
            @Override
            public void load(int p) {
                Map<String, TransactionMetadata> loaded = stateTopic.load(p);
                ids.putAll(loaded);
                // a decision taken before the last coordinator stopped: its markers are written again
                loaded.values().forEach(TransactionCoordinator.this::completeIfPrepared);
                // an id that expired without its tombstone: removed now
                loaded.values().stream()
                        .filter(txn -> txn.current().state() == TransactionState.DEAD)
                        .forEach(txn -> removeDead(txn, 0));
            }

            @Override
            public void unload(int p) {
                ids.keySet().removeIf(id -> stateTopic.partitionFor(id) == p);
                markersInFlight.entrySet().removeIf(e -> {
                    if (stateTopic.partitionFor(e.getKey()) != p) {
                        return false;
                    }
                    e.getValue().cancel(false);
                    return true;
                });
            }
        };
    }

    public CompletableFuture<InitResult> initProducerId(
            String transactionalId, int timeoutMs, long expectedProducerId, short expectedEpoch) {
        if (transactionalId.isEmpty()) {
            return CompletableFuture.completedFuture(new InitResult(Errors.INVALID_REQUEST, -1, (short) -1));
        }
        if (timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
            return CompletableFuture.completedFuture(
                    new InitResult(Errors.INVALID_TRANSACTION_TIMEOUT, -1, (short) -1));
        }
        Errors coordinator = coordinated.errorFor(transactionalId);
        if (coordinator != Errors.NONE) {
            return CompletableFuture.completedFuture(new InitResult(coordinator, -1, (short) -1));
        }
        TransactionMetadata txn = ids.computeIfAbsent(
                transactionalId,
                id -> TransactionMetadata.fresh(id, producerIds.getAsLong(), timeoutMs, time.milliseconds()));
        TransactionMetadata.Decision decision;
        synchronized (txn) {
            decision = begin(
                    txn,
                    txn.prepareInitProducerId(
                            timeoutMs, expectedProducerId, expectedEpoch, producerIds, time.milliseconds()));
        }
        if (decision.write() == null) {
            TransactionLogRecords.Value v = txn.current();
            return CompletableFuture.completedFuture(
                    new InitResult(decision.error(), v.producerId(), v.producerEpoch()));
        }
        return write(txn, decision.write()).thenApply(error -> {
            if (error != Errors.NONE) {
                return new InitResult(error, -1, (short) -1);
            }
            if (decision.fencesOngoing()) {
                completeIfPrepared(txn); // the fenced transaction's abort goes on; the client retries meanwhile
                return new InitResult(Errors.CONCURRENT_TRANSACTIONS, -1, (short) -1);
            }
            TransactionLogRecords.Value v = txn.current();
            return new InitResult(Errors.NONE, v.producerId(), v.producerEpoch());
        });
    }

    public CompletableFuture<Errors> addPartitions(
            String transactionalId, long producerId, short epoch, Set<TopicPartition> partitions) {
        if (transactionalId == null || transactionalId.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.INVALID_REQUEST);
        }
        TransactionMetadata txn = known(transactionalId);
        if (txn == null) {
            return CompletableFuture.completedFuture(unknown(transactionalId));
        }
        TransactionMetadata.Decision decision;
        synchronized (txn) {
            decision = begin(txn, txn.prepareAddPartitions(producerId, epoch, partitions, time.milliseconds()));
        }
        return decision.write() == null
                ? CompletableFuture.completedFuture(decision.error())
                : write(txn, decision.write());
    }

    /** EndTxn: answered once the decision is durable; the markers and the Complete record follow. */
    public CompletableFuture<Errors> endTxn(String transactionalId, long producerId, short epoch, boolean commit) {
        if (transactionalId == null || transactionalId.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.INVALID_REQUEST);
        }
        TransactionMetadata txn = known(transactionalId);
        if (txn == null) {
            return CompletableFuture.completedFuture(unknown(transactionalId));
        }
        TransactionMetadata.Decision decision;
        synchronized (txn) {
            decision = begin(txn, txn.prepareEndTxn(producerId, epoch, commit, time.milliseconds()));
        }
        if (decision.write() == null) {
            return CompletableFuture.completedFuture(decision.error());
        }
        return write(txn, decision.write()).thenApply(error -> {
            if (error == Errors.NONE) {
                completeIfPrepared(txn);
            }
            return error;
        });
    }

    @Override
    public CompletableFuture<Errors> verify(
            String transactionalId, long producerId, short producerEpoch, TopicPartition partition) {
        TransactionMetadata txn = known(transactionalId);
        if (txn == null) {
            return CompletableFuture.completedFuture(unknown(transactionalId));
        }
        synchronized (txn) {
            return CompletableFuture.completedFuture(txn.verify(producerId, producerEpoch, partition));
        }
    }

    /** A transactional id's state as DescribeTransactions and ListTransactions show it, or why it cannot be shown. */
    public record Described(Errors error, TransactionLogRecords.Value state) {}

    /**
     * The id's current state (DescribeTransactions): NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS as for any
     * request, TRANSACTIONAL_ID_NOT_FOUND for an id this coordinator does not know or is expiring (Dead).
     */
    public Described describe(String transactionalId) {
        Errors coordinator = coordinated.errorFor(transactionalId);
        if (coordinator != Errors.NONE) {
            return new Described(coordinator, null);
        }
        TransactionMetadata txn = ids.get(transactionalId);
        if (txn == null) {
            return new Described(Errors.TRANSACTIONAL_ID_NOT_FOUND, null);
        }
        synchronized (txn) {
            TransactionLogRecords.Value v = txn.current();
            return v.state() == TransactionState.DEAD
                    ? new Described(Errors.TRANSACTIONAL_ID_NOT_FOUND, null)
                    : new Described(Errors.NONE, v);
        }
    }

    /**
     * The state of every id this broker coordinates but those expiring (Dead), for ListTransactions; empty with
     * COORDINATOR_LOAD_IN_PROGRESS while a partition of {@code __transaction_state} is loading here, as Kafka answers.
     */
    public Listing list() {
        if (coordinated.loading()) {
            return new Listing(Errors.COORDINATOR_LOAD_IN_PROGRESS, Map.of());
        }
        Map<String, TransactionLogRecords.Value> states = new java.util.TreeMap<>();
        ids.forEach((id, txn) -> {
            if (coordinated.coordinates(id)) {
                synchronized (txn) {
                    if (txn.current().state() != TransactionState.DEAD) {
                        states.put(id, txn.current());
                    }
                }
            }
        });
        return new Listing(Errors.NONE, states);
    }

    /** The answer to a listing: the states by transactional id, or an error. */
    public record Listing(Errors error, Map<String, TransactionLogRecords.Value> states) {}

    private TransactionMetadata known(String transactionalId) {
        return coordinated.errorFor(transactionalId) == Errors.NONE ? ids.get(transactionalId) : null;
    }

    private Errors unknown(String transactionalId) {
        Errors coordinator = coordinated.errorFor(transactionalId);
        return coordinator != Errors.NONE ? coordinator : Errors.INVALID_PRODUCER_ID_MAPPING;
    }

    /** Whether this broker coordinates the id now (its partition of {@code __transaction_state} is loaded here). */
    public boolean coordinates(String transactionalId) {
        return coordinated.coordinates(transactionalId);
    }

    /**
     * Aborts every transaction this broker coordinates that has been ongoing for longer than its timeout, with the
     * producer's epoch bumped, so that the producer is fenced, as Kafka's coordinator does (transaction version 1).
     */
    public void abortTimedOut() {
        long now = time.milliseconds();
        decideEach(txn -> txn.prepareAbortTimedOut(now), (txn, value) -> {
            log.info("Aborting the transaction of {}: open longer than its timeout", txn.transactionalId());
            write(txn, value).thenAccept(error -> {
                if (error == Errors.NONE) {
                    completeIfPrepared(txn);
                }
            });
        });
    }

    /**
     * Forgets every transactional id this broker coordinates that has had no transaction for longer than
     * {@code expirationMs}: a Dead record, then a tombstone, as Kafka's coordinator removes an expired id.
     */
    public void expireIds(long expirationMs) {
        long now = time.milliseconds();
        decideEach(txn -> txn.prepareExpire(now, expirationMs), (txn, value) -> write(txn, value)
                .thenAccept(error -> {
                    if (error == Errors.NONE) {
                        removeDead(txn, 0);
                    }
                }));
    }

    /**
     * Writes the tombstone of an id whose Dead record is written, then forgets it; a tombstone that fails is written
     * again after a backoff while this broker coordinates the id (until then the id answers CONCURRENT_TRANSACTIONS,
     * so it must not stay Dead).
     */
    private void removeDead(TransactionMetadata txn, int attempt) {
        String id = txn.transactionalId();
        stateTopic.remove(id).whenComplete((offset, e) -> {
            if (e == null) {
                ids.remove(id, txn);
                log.info("Transactional id {} expired", id);
                return;
            }
            long backoffMs = Math.min(MAX_RETRY_BACKOFF_MS, RETRY_BACKOFF_MS << Math.min(attempt, 10));
            if (attempt % 20 == 0) {
                log.warn(
                        "Tombstone of expired transactional id {} not written (attempt {}), retrying: {}",
                        id,
                        attempt + 1,
                        e.toString());
            }
            try {
                retries.schedule(
                        () -> {
                            if (ids.get(id) == txn && coordinated.coordinates(id)) {
                                removeDead(txn, attempt + 1);
                            }
                        },
                        backoffMs,
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException shuttingDown) {
                // the next coordinator loads the Dead record and writes the tombstone
            }
        });
    }

    /** For each id this broker coordinates: a decision under its monitor, and what follows when it writes. */
    private void decideEach(
            Function<TransactionMetadata, TransactionMetadata.Decision> decide,
            BiConsumer<TransactionMetadata, TransactionLogRecords.Value> written) {
        ids.forEach((id, txn) -> {
            if (!coordinated.coordinates(id)) {
                return;
            }
            TransactionMetadata.Decision decision;
            synchronized (txn) {
                decision = begin(txn, decide.apply(txn));
            }
            if (decision.write() != null) {
                written.accept(txn, decision.write());
            }
        });
    }

    /**
     * Writes the markers of a prepared transaction, then its Complete record. Markers that fail are written again
     * after a backoff, for as long as this broker coordinates the id (Kafka's coordinator retries forever); a new
     * leader of the id's partition takes over when it loads the Prepare record.
     */
    private void completeIfPrepared(TransactionMetadata txn) {
        completeIfPrepared(txn, 0);
    }

    private void completeIfPrepared(TransactionMetadata txn, int attempt) {
        TransactionLogRecords.Value v;
        synchronized (txn) {
            v = txn.current();
            if (!v.state().isCompleting() || txn.hasPendingWrite()) {
                return;
            }
        }
        boolean commit = v.state() == TransactionState.PREPARE_COMMIT;
        String id = txn.transactionalId();
        int coordinatorEpoch =
                stateTopic.topic().leaderEpoch(stateTopic.partitionFor(id)).orElse(0);
        CompletableFuture<Void> written;
        try {
            written = markers.write(v.producerId(), v.producerEpoch(), commit, coordinatorEpoch, v.partitions());
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        markersInFlight.put(id, written);
        CompletableFuture<Void> thisWrite = written;
        written.whenComplete((ok, e) -> {
            markersInFlight.remove(id, thisWrite);
            if (e != null) {
                retryLater(txn, attempt, "markers not written: " + e);
                return;
            }
            TransactionMetadata.Decision complete;
            synchronized (txn) {
                complete = begin(txn, txn.prepareComplete(time.milliseconds()));
            }
            if (complete.write() != null) {
                write(txn, complete.write()).thenAccept(error -> {
                    if (error != Errors.NONE) {
                        retryLater(txn, attempt, "Complete record not written: " + error.name());
                    }
                });
            }
        });
    }

    /** Tries to complete the transaction again after a backoff, while this broker still coordinates the id. */
    private void retryLater(TransactionMetadata txn, int attempt, String why) {
        String id = txn.transactionalId();
        long backoffMs = Math.min(MAX_RETRY_BACKOFF_MS, RETRY_BACKOFF_MS << Math.min(attempt, 10));
        if (attempt % 20 == 0) {
            log.warn("Transaction of {} not completed (attempt {}), retrying: {}", id, attempt + 1, why);
        }
        try {
            retries.schedule(
                    () -> {
                        if (ids.get(id) == txn && coordinated.coordinates(id)) {
                            completeIfPrepared(txn, attempt + 1);
                        }
                    },
                    backoffMs,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // the broker stops: the next coordinator writes the markers when it loads the Prepare record
        }
    }

    /** Under the id's monitor: marks the decision's write as pending, so no other decision races it. */
    private static TransactionMetadata.Decision begin(TransactionMetadata txn, TransactionMetadata.Decision decision) {
        if (decision.write() != null) {
            txn.begin(decision.write());
        }
        return decision;
    }

    /** Writes the begun {@code value}; completes with NONE once durable, or the coordinator's error. */
    private CompletableFuture<Errors> write(TransactionMetadata txn, TransactionLogRecords.Value value) {
        return stateTopic.write(txn.transactionalId(), value).handle((offset, e) -> {
            synchronized (txn) {
                if (e == null) {
                    txn.complete();
                    return Errors.NONE;
                }
                txn.abandon();
            }
            Throwable cause =
                    e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            return cause instanceof ApiException api ? Errors.forException(api) : Errors.COORDINATOR_NOT_AVAILABLE;
        });
    }
}
