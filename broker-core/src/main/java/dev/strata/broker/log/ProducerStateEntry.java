package dev.strata.broker.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The state one partition keeps about one idempotent or transactional producer: its current epoch, the metadata of
 * its last {@value #NUM_BATCHES_TO_RETAIN} batches (for duplicate detection), the timestamp of its last write (for
 * expiry) and the first offset of its open transaction, if any. Immutable: every change makes a new entry.
 */
public final class ProducerStateEntry {

    /** How many of a producer's most recent batches are remembered; equals the producer's max in-flight requests. */
    public static final int NUM_BATCHES_TO_RETAIN = 5;

    private final long producerId;
    private final short producerEpoch;
    private final List<BatchMetadata> batches;
    private final long lastTimestamp;
    private final long currentTxnFirstOffset;

    /**
     * @param batches oldest first, at most {@value #NUM_BATCHES_TO_RETAIN}
     * @param currentTxnFirstOffset first offset of the open transaction, or -1 when none is open
     */
    public ProducerStateEntry(
            long producerId,
            short producerEpoch,
            List<BatchMetadata> batches,
            long lastTimestamp,
            long currentTxnFirstOffset) {
        if (batches.size() > NUM_BATCHES_TO_RETAIN) {
            throw new IllegalArgumentException("At most " + NUM_BATCHES_TO_RETAIN + " batches, got " + batches.size());
        }
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.batches = List.copyOf(batches);
        this.lastTimestamp = lastTimestamp;
        this.currentTxnFirstOffset = currentTxnFirstOffset;
    }

    static ProducerStateEntry empty(long producerId, short producerEpoch) {
        return new ProducerStateEntry(producerId, producerEpoch, List.of(), RecordBatch.NO_TIMESTAMP, -1L);
    }

    public long producerId() {
        return producerId;
    }

    public short producerEpoch() {
        return producerEpoch;
    }

    /** The remembered batches, oldest first. */
    public List<BatchMetadata> batches() {
        return batches;
    }

    public long lastTimestamp() {
        return lastTimestamp;
    }

    public OptionalLong currentTxnFirstOffset() {
        return currentTxnFirstOffset < 0 ? OptionalLong.empty() : OptionalLong.of(currentTxnFirstOffset);
    }

    /** Sequence number of the last record appended, or {@link RecordBatch#NO_SEQUENCE} when no batch is known. */
    public int lastSeq() {
        return batches.isEmpty()
                ? RecordBatch.NO_SEQUENCE
                : batches.get(batches.size() - 1).lastSeq();
    }

    /** Offset of the last record appended, or -1 when no batch is known. */
    public long lastDataOffset() {
        return batches.isEmpty() ? -1L : batches.get(batches.size() - 1).lastOffset();
    }

    /** The remembered batch with exactly this epoch and sequence range: a retry of a batch already in the log. */
    public Optional<BatchMetadata> findDuplicate(short epoch, int firstSeq, int lastSeq) {
        if (epoch != producerEpoch) {
            return Optional.empty();
        }
        for (BatchMetadata b : batches) {
            if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** This entry after a data batch was appended; a new epoch forgets the batches of the old one. */
    ProducerStateEntry withDataBatch(BatchSummary batch) {
        boolean sameEpoch = batch.producerEpoch() == producerEpoch;
        List<BatchMetadata> next = new ArrayList<>(NUM_BATCHES_TO_RETAIN);
        if (sameEpoch) {
            next.addAll(batches.subList(Math.max(0, batches.size() - NUM_BATCHES_TO_RETAIN + 1), batches.size()));
        }
        next.add(new BatchMetadata(
                batch.baseSequence(),
                batch.lastSequence(),
                batch.lastOffset(),
                (int) (batch.lastOffset() - batch.baseOffset()),
                batch.maxTimestamp()));
        long txnFirst = currentTxnFirstOffset;
        if (batch.isTransactional() && txnFirst < 0) {
            txnFirst = batch.baseOffset();
        }
        return new ProducerStateEntry(producerId, batch.producerEpoch(), next, batch.maxTimestamp(), txnFirst);
    }

    /** This entry after a transaction marker was appended: the transaction is over. */
    ProducerStateEntry withEndTxnMarker(BatchSummary marker) {
        List<BatchMetadata> kept = marker.producerEpoch() == producerEpoch ? batches : List.of();
        return new ProducerStateEntry(
                producerId, marker.producerEpoch(), kept, Math.max(lastTimestamp, marker.maxTimestamp()), -1L);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProducerStateEntry e
                && producerId == e.producerId
                && producerEpoch == e.producerEpoch
                && batches.equals(e.batches)
                && lastTimestamp == e.lastTimestamp
                && currentTxnFirstOffset == e.currentTxnFirstOffset;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(producerId) * 31 + batches.hashCode();
    }

    @Override
    public String toString() {
        return "ProducerStateEntry(producerId=" + producerId + ", epoch=" + producerEpoch + ", batches=" + batches
                + ", lastTimestamp=" + lastTimestamp + ", currentTxnFirstOffset=" + currentTxnFirstOffset + ")";
    }
}
