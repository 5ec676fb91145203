package dev.strata.broker.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * What the cleaner knows of transactions while it walks a log in offset order, batch by batch: which data batches
 * belong to aborted transactions (and may go), and which transaction markers no longer guard any data (and may go
 * once their delete horizon has passed). It also writes the transaction index of each cleaned segment: the aborted
 * transactions whose marker it keeps.
 *
 * <p>The aborted transactions come from the transaction indexes of the segments walked ({@link
 * LocalLog#collectAbortedTransactions}), ordered by first offset. When the walk reaches a transaction's first offset,
 * the transaction becomes ongoing-aborted for its producer: that producer's transactional batches are aborted until
 * its ABORT marker. A producer's transactional batches outside an aborted transaction belong to a committed one.
 *
 * <p>A marker may go when the walk saw no batch of its transaction, which means an earlier clean removed them all (or
 * the transaction wrote nothing): an ABORT marker whose aborted batches are still being walked now is kept, so that
 * the next clean still knows those records as aborted from the index; its entry goes into the cleaned index. A COMMIT
 * marker is kept while batches of its transaction are present, since a {@code read_committed} reader needs it to read
 * them. One instance serves one walk, across every segment group of a clean; not thread-safe.
 */
final class CleanedTransactions {

    private final PriorityQueue<AbortedTxn> upcomingAborted =
            new PriorityQueue<>(Comparator.comparingLong(AbortedTxn::firstOffset));
    private final Set<AbortedTxn> known = new HashSet<>();
    /** By producer id: the aborted transaction being walked, and whether a batch of it was seen. */
    private final Map<Long, OngoingAborted> ongoingAborted = new HashMap<>();
    /** The producers whose committed transaction the walk is in and of which it saw a batch. */
    private final Set<Long> ongoingCommitted = new HashSet<>();

    private TransactionIndex cleanedIndex;
    private boolean abortedRecordsSeen;

    private static final class OngoingAborted {
        final AbortedTxn txn;
        boolean batchSeen;
        boolean recordsSeen;

        OngoingAborted(AbortedTxn txn) {
            this.txn = txn;
        }
    }

    /** Adds aborted transactions to look out for; one already added is ignored. */
    void addAborted(List<AbortedTxn> aborted) {
        for (AbortedTxn txn : aborted) {
            if (known.add(txn)) {
                upcomingAborted.add(txn);
            }
        }
    }

    /** Where the entries of the ABORT markers kept from now on go: the index of the segment being written. */
    void writeTo(TransactionIndex index) {
        this.cleanedIndex = index;
    }

    /**
     * Walks a control batch.
     *
     * @return whether it may be removed (once its delete horizon has passed): no batch of its transaction is left
     */
    boolean onControlBatch(RecordBatch batch) {
        startAbortedUpTo(batch.lastOffset());
        Iterator<Record> records = batch.iterator();
        if (!records.hasNext()) {
            return true; // a marker emptied by an earlier clean, kept only for its producer's epoch
        }
        ControlRecordType type = ControlRecordType.parse(records.next().key());
        long producerId = batch.producerId();
        return switch (type) {
            case ABORT -> {
                OngoingAborted txn = ongoingAborted.remove(producerId);
                if (txn == null || !txn.batchSeen) {
                    yield true;
                }
                appendToCleanedIndex(txn.txn);
                abortedRecordsSeen |= txn.recordsSeen;
                yield false;
            }
            case COMMIT -> !ongoingCommitted.remove(producerId);
            default -> false;
        };
    }

    /**
     * Walks a data batch.
     *
     * @return whether it belongs to an aborted transaction, so that none of its records is kept
     */
    boolean onDataBatch(RecordBatch batch) {
        startAbortedUpTo(batch.lastOffset());
        if (!batch.isTransactional()) {
            return false;
        }
        OngoingAborted aborted = ongoingAborted.get(batch.producerId());
        if (aborted != null) {
            aborted.batchSeen = true;
            Integer count = batch.countOrNull();
            aborted.recordsSeen |= count == null || count > 0;
            return true;
        }
        ongoingCommitted.add(batch.producerId());
        return false;
    }

    /**
     * Whether an ABORT marker was kept because records of its transaction were walked: the clean removes them, so the
     * next clean can let the marker go (and should come soon, as no new data may ask for one).
     */
    boolean abortedRecordsSeen() {
        return abortedRecordsSeen;
    }

    private void startAbortedUpTo(long offset) {
        while (!upcomingAborted.isEmpty() && upcomingAborted.peek().firstOffset() <= offset) {
            AbortedTxn txn = upcomingAborted.poll();
            ongoingAborted.putIfAbsent(txn.producerId(), new OngoingAborted(txn));
        }
    }

    private void appendToCleanedIndex(AbortedTxn txn) {
        if (cleanedIndex == null) {
            return;
        }
        try {
            cleanedIndex.append(txn);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to write the cleaned transaction index " + cleanedIndex.file(), e);
        }
    }
}
