package dev.strata.broker.txn;

import static dev.strata.broker.txn.TransactionState.COMPLETE_ABORT;
import static dev.strata.broker.txn.TransactionState.COMPLETE_COMMIT;
import static dev.strata.broker.txn.TransactionState.EMPTY;
import static dev.strata.broker.txn.TransactionState.ONGOING;
import static dev.strata.broker.txn.TransactionState.PREPARE_ABORT;
import static dev.strata.broker.txn.TransactionState.PREPARE_COMMIT;

import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * One transactional id at its coordinator: what its last {@code __transaction_state} record says, and the one write
 * under way, if any. Each {@code prepare...} method decides a client request as Kafka's coordinator does (transaction
 * version 1) and answers either an error or the record to write; the caller writes it, then calls {@link #complete}
 * (or {@link #abandon} when the write failed). While a write is pending every other request is answered
 * CONCURRENT_TRANSACTIONS, so the state only ever moves from one durable record to the next.
 *
 * <p>Threads: callers hold this object's monitor around a prepare and around complete/abandon.
 */
public final class TransactionMetadata {

    /** What a request decided: an error, or a record to write (null with NONE: nothing to write, answer at once). */
    public record Decision(Errors error, TransactionLogRecords.Value write, boolean fencesOngoing) {
        static Decision fail(Errors error) {
            return new Decision(error, null, false);
        }

        static Decision write(TransactionLogRecords.Value value) {
            return new Decision(Errors.NONE, value, false);
        }
    }

    private final String transactionalId;
    private TransactionLogRecords.Value current;
    /** The epoch before the last bump: a retried InitProducerId that carries it gets the current epoch again. */
    private short lastProducerEpoch = RecordBatch.NO_PRODUCER_EPOCH;

    private TransactionLogRecords.Value pending;

    public TransactionMetadata(String transactionalId, TransactionLogRecords.Value current) {
        this.transactionalId = transactionalId;
        this.current = current;
    }

    /** A new transactional id: a fresh producer id that has no epoch yet (the first InitProducerId makes it 0). */
    public static TransactionMetadata fresh(String transactionalId, long producerId, int timeoutMs, long now) {
        return new TransactionMetadata(
                transactionalId,
                new TransactionLogRecords.Value(
                        producerId, -1, -1, RecordBatch.NO_PRODUCER_EPOCH, timeoutMs, EMPTY, Set.of(), now, -1, (short)
                                0));
    }

    public String transactionalId() {
        return transactionalId;
    }

    public TransactionLogRecords.Value current() {
        return current;
    }

    public boolean hasPendingWrite() {
        return pending != null;
    }

    /** Kafka bumps to a new producer id when the epoch could not be bumped twice more (a fence and an abort). */
    static boolean epochExhausted(short epoch) {
        return epoch >= Short.MAX_VALUE - 1;
    }

    /**
     * InitProducerId: the next epoch of this id (or a new producer id once the epoch is exhausted), after KIP-360's
     * check of the producer id and epoch the client already has ({@code expectedProducerId} -1 when it has none). An
     * ongoing transaction is aborted first with the epoch bumped, which fences its producer; the client is answered
     * CONCURRENT_TRANSACTIONS and retries once the abort completed.
     */
    public Decision prepareInitProducerId(
            int timeoutMs, long expectedProducerId, short expectedEpoch, LongSupplier newProducerId, long now) {
        if (pending != null) {
            return Decision.fail(Errors.CONCURRENT_TRANSACTIONS);
        }
        boolean expected = expectedProducerId != RecordBatch.NO_PRODUCER_ID;
        if (expected && !knowsProducer(expectedProducerId, expectedEpoch)) {
            return Decision.fail(Errors.PRODUCER_FENCED);
        }
        switch (current.state()) {
            case ONGOING -> {
                short bumped = (short) (current.producerEpoch() + 1);
                return new Decision(Errors.CONCURRENT_TRANSACTIONS, withState(PREPARE_ABORT, bumped, now), true);
            }
            case EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT -> {
                if (epochExhausted(current.producerEpoch())) {
                    return Decision.write(
                            idle(newProducerId.getAsLong(), current.producerId(), (short) 0, timeoutMs, now));
                }
                if (expected && expectedEpoch != current.producerEpoch()) {
                    if (expectedEpoch == lastProducerEpoch) {
                        return new Decision(Errors.NONE, null, false); // a retry: the epoch it already got
                    }
                    return Decision.fail(Errors.PRODUCER_FENCED);
                }
                return Decision.write(idle(
                        current.producerId(),
                        current.previousProducerId(),
                        (short) (current.producerEpoch() + 1),
                        timeoutMs,
                        now));
            }
            default -> {
                return Decision.fail(Errors.CONCURRENT_TRANSACTIONS);
            }
        }
    }

    private TransactionLogRecords.Value idle(
            long producerId, long previousProducerId, short epoch, int timeoutMs, long now) {
        return new TransactionLogRecords.Value(
                producerId,
                previousProducerId,
                -1,
                epoch,
                timeoutMs,
                EMPTY,
                Set.of(),
                now,
                -1,
                current.clientTransactionVersion());
    }

    private boolean knowsProducer(long producerId, short epoch) {
        return current.producerEpoch() == RecordBatch.NO_PRODUCER_EPOCH
                || producerId == current.producerId()
                || (producerId == current.previousProducerId() && epochExhausted(epoch));
    }

    /** AddPartitionsToTxn (and AddOffsetsToTxn, with the group's offsets partition). */
    public Decision prepareAddPartitions(long producerId, short epoch, Set<TopicPartition> partitions, long now) {
        Errors error = checkProducer(producerId, epoch);
        if (error != Errors.NONE) {
            return Decision.fail(error);
        }
        if (current.state() == ONGOING && current.partitions().containsAll(partitions)) {
            return new Decision(Errors.NONE, null, false);
        }
        if (!current.state().isIdle() && current.state() != ONGOING) {
            return Decision.fail(Errors.CONCURRENT_TRANSACTIONS);
        }
        Set<TopicPartition> all = new HashSet<>(current.partitions());
        all.addAll(partitions);
        long start = current.state() == ONGOING ? current.startTimestampMs() : now;
        return Decision.write(next(ONGOING, current.producerEpoch(), all, now, start));
    }

    /** AddPartitionsToTxn verify-only: NONE when the ongoing transaction of this producer holds the partition. */
    public Errors verify(long producerId, short epoch, TopicPartition partition) {
        if (producerId != current.producerId()) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch != current.producerEpoch()) {
            return Errors.PRODUCER_FENCED;
        }
        if (current.state().isCompleting()) {
            return Errors.CONCURRENT_TRANSACTIONS;
        }
        return current.state() == ONGOING && current.partitions().contains(partition)
                ? Errors.NONE
                : Errors.INVALID_TXN_STATE;
    }

    /** EndTxn: the decision (PrepareCommit or PrepareAbort), or NONE without a write for a retried EndTxn. */
    public Decision prepareEndTxn(long producerId, short epoch, boolean commit, long now) {
        Errors error = checkProducer(producerId, epoch);
        if (error != Errors.NONE) {
            return Decision.fail(error);
        }
        TransactionState state = current.state();
        if (state == ONGOING) {
            return Decision.write(withState(commit ? PREPARE_COMMIT : PREPARE_ABORT, current.producerEpoch(), now));
        }
        if ((state == COMPLETE_COMMIT && commit) || (state == COMPLETE_ABORT && !commit)) {
            return new Decision(Errors.NONE, null, false);
        }
        if ((state == PREPARE_COMMIT && commit) || (state == PREPARE_ABORT && !commit)) {
            return Decision.fail(Errors.CONCURRENT_TRANSACTIONS);
        }
        return Decision.fail(Errors.INVALID_TXN_STATE);
    }

    /** Once every partition has its marker: CompleteCommit or CompleteAbort, without partitions. */
    public Decision prepareComplete(long now) {
        if (pending != null || !current.state().isCompleting()) {
            return Decision.fail(Errors.CONCURRENT_TRANSACTIONS);
        }
        TransactionState done = current.state() == PREPARE_COMMIT ? COMPLETE_COMMIT : COMPLETE_ABORT;
        return Decision.write(next(done, current.producerEpoch(), Set.of(), now, current.startTimestampMs()));
    }

    /** Whether the coordinator should abort this transaction: ongoing for longer than its timeout. */
    public boolean timedOut(long now) {
        return pending == null && current.state() == ONGOING && now > current.startTimestampMs() + current.timeoutMs();
    }

    /**
     * The coordinator's abort of a transaction open longer than its timeout: PrepareAbort with the epoch bumped (unless
     * it is exhausted), which fences the producer that left it open.
     */
    public Decision prepareAbortTimedOut(long now) {
        if (!timedOut(now)) {
            return Decision.fail(Errors.INVALID_TXN_STATE);
        }
        short epoch = current.producerEpoch();
        short bumped = epochExhausted(epoch) ? epoch : (short) (epoch + 1);
        return Decision.write(withState(PREPARE_ABORT, bumped, now));
    }

    /**
     * Expiry of an id with no transaction for longer than {@code expirationMs}: Dead (the caller then writes the
     * tombstone); NONE without a write when the id is not expired.
     */
    public Decision prepareExpire(long now, long expirationMs) {
        if (pending != null || !current.state().isIdle() || now - current.lastUpdateTimestampMs() <= expirationMs) {
            return new Decision(Errors.NONE, null, false);
        }
        return Decision.write(next(TransactionState.DEAD, current.producerEpoch(), Set.of(), now, -1));
    }

    private Errors checkProducer(long producerId, short epoch) {
        if (producerId != current.producerId()) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch != current.producerEpoch()) {
            return Errors.PRODUCER_FENCED;
        }
        if (pending != null) {
            return Errors.CONCURRENT_TRANSACTIONS;
        }
        return Errors.NONE;
    }

    private TransactionLogRecords.Value withState(TransactionState state, short epoch, long now) {
        return next(state, epoch, current.partitions(), now, current.startTimestampMs());
    }

    /** The current producer id and timeout with a new state. */
    private TransactionLogRecords.Value next(
            TransactionState state, short epoch, Set<TopicPartition> partitions, long now, long startTimestampMs) {
        return new TransactionLogRecords.Value(
                current.producerId(),
                current.previousProducerId(),
                -1,
                epoch,
                current.timeoutMs(),
                state,
                partitions,
                now,
                startTimestampMs,
                current.clientTransactionVersion());
    }

    /** Marks {@code value} as being written; nothing else may start until {@link #complete} or {@link #abandon}. */
    public void begin(TransactionLogRecords.Value value) {
        if (pending != null) {
            throw new IllegalStateException("A write of " + transactionalId + " is already under way");
        }
        if (!current.state().canTransitionTo(value.state()) && current.state() != value.state()) {
            throw new IllegalStateException(
                    transactionalId + " cannot go from " + current.state() + " to " + value.state());
        }
        pending = value;
    }

    /** The pending write is durable: it is the state now. */
    public void complete() {
        if (pending.producerId() == current.producerId() && pending.producerEpoch() != current.producerEpoch()) {
            lastProducerEpoch = current.producerEpoch();
        } else if (pending.producerId() != current.producerId()) {
            lastProducerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
        }
        current = pending;
        pending = null;
    }

    /** The pending write failed: the state stays what it was. */
    public void abandon() {
        pending = null;
    }
}
