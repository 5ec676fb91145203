package dev.strata.broker.txn;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a transactional id at its coordinator, Kafka's eight with Kafka's ids (the {@code TransactionStatus}
 * byte of a {@code __transaction_state} record) and names (what DescribeTransactions and ListTransactions answer). The
 * legal transitions are in {@link #canTransitionTo}, in one place.
 *
 * <p>A transaction goes Empty (or CompleteX) → Ongoing when its first partition is added, Ongoing → PrepareCommit or
 * PrepareAbort at EndTxn (the decision, durable before markers go out), then CompleteCommit or CompleteAbort once every
 * partition has its marker. PrepareEpochFence is the coordinator's own abort of an ongoing transaction whose producer
 * is being fenced (a new producer with the same id, or a timeout); Dead is an expired id, removed by a tombstone.
 */
public enum TransactionState {
    EMPTY(0, "Empty"),
    ONGOING(1, "Ongoing"),
    PREPARE_COMMIT(2, "PrepareCommit"),
    PREPARE_ABORT(3, "PrepareAbort"),
    COMPLETE_COMMIT(4, "CompleteCommit"),
    COMPLETE_ABORT(5, "CompleteAbort"),
    DEAD(6, "Dead"),
    PREPARE_EPOCH_FENCE(7, "PrepareEpochFence");

    private final byte id;
    private final String kafkaName;

    TransactionState(int id, String kafkaName) {
        this.id = (byte) id;
        this.kafkaName = kafkaName;
    }

    /** The {@code TransactionStatus} byte of the state record. */
    public byte id() {
        return id;
    }

    /** The name Kafka's admin APIs use ({@code "Ongoing"}, {@code "CompleteCommit"}, ...). */
    public String kafkaName() {
        return kafkaName;
    }

    /** @throws IllegalArgumentException for a byte that names no state */
    public static TransactionState fromId(byte id) {
        for (TransactionState s : values()) {
            if (s.id == id) {
                return s;
            }
        }
        throw new IllegalArgumentException("Unknown transaction state " + id);
    }

    /** The states this one may follow, as Kafka's coordinator allows them. */
    public Set<TransactionState> validPrevious() {
        return switch (this) {
            case EMPTY -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case ONGOING -> EnumSet.of(ONGOING, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_COMMIT -> EnumSet.of(ONGOING);
            case PREPARE_ABORT -> EnumSet.of(ONGOING, PREPARE_EPOCH_FENCE);
            case COMPLETE_COMMIT -> EnumSet.of(PREPARE_COMMIT);
            case COMPLETE_ABORT -> EnumSet.of(PREPARE_ABORT);
            case DEAD -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_EPOCH_FENCE -> EnumSet.of(ONGOING);
        };
    }

    public boolean canTransitionTo(TransactionState next) {
        return next.validPrevious().contains(this);
    }

    /** Whether no transaction is open: a new one may start, and the id may expire. */
    public boolean isIdle() {
        return this == EMPTY || this == COMPLETE_COMMIT || this == COMPLETE_ABORT;
    }

    /** Whether the decision is taken and markers are still being written: clients get CONCURRENT_TRANSACTIONS. */
    public boolean isCompleting() {
        return this == PREPARE_COMMIT || this == PREPARE_ABORT;
    }
}
