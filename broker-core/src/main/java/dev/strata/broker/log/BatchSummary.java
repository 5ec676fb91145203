package dev.strata.broker.log;

import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * What producer-state bookkeeping and the log need to know about one validated batch, after offsets were assigned:
 * its offset range, producer identity and sequence range, and its size.
 *
 * @param baseOffset first offset assigned to the batch
 * @param lastOffset last offset assigned to the batch
 * @param producerId the producer id, or {@link RecordBatch#NO_PRODUCER_ID} for a non-idempotent producer
 * @param producerEpoch the producer epoch, or {@link RecordBatch#NO_PRODUCER_EPOCH}
 * @param baseSequence sequence number of the first record, or {@link RecordBatch#NO_SEQUENCE}
 * @param lastSequence sequence number of the last record (wrapping past {@link Integer#MAX_VALUE} to 0)
 * @param isTransactional whether the batch belongs to a transaction
 * @param maxTimestamp the batch's max timestamp as stored (the log-append time under LogAppendTime)
 * @param sizeInBytes the batch's size on disk, header included
 * @param isControlBatch whether the batch holds control records (transaction markers)
 * @param isAbortMarker whether the batch is a control batch holding an ABORT transaction marker
 */
public record BatchSummary(
        long baseOffset,
        long lastOffset,
        long producerId,
        short producerEpoch,
        int baseSequence,
        int lastSequence,
        boolean isTransactional,
        long maxTimestamp,
        int sizeInBytes,
        boolean isControlBatch,
        boolean isAbortMarker) {

    /** A data (non-control) batch. */
    public BatchSummary(
            long baseOffset,
            long lastOffset,
            long producerId,
            short producerEpoch,
            int baseSequence,
            int lastSequence,
            boolean isTransactional,
            long maxTimestamp,
            int sizeInBytes) {
        this(
                baseOffset,
                lastOffset,
                producerId,
                producerEpoch,
                baseSequence,
                lastSequence,
                isTransactional,
                maxTimestamp,
                sizeInBytes,
                false,
                false);
    }

    /** Summarises a batch as it is now, offsets included. */
    public static BatchSummary of(RecordBatch batch) {
        return new BatchSummary(
                batch.baseOffset(),
                batch.lastOffset(),
                batch.producerId(),
                batch.producerEpoch(),
                batch.baseSequence(),
                batch.lastSequence(),
                batch.isTransactional(),
                batch.maxTimestamp(),
                batch.sizeInBytes(),
                batch.isControlBatch(),
                isAbortMarker(batch));
    }

    /** Whether {@code batch} is a transactional control batch whose (only) record is an ABORT marker. */
    private static boolean isAbortMarker(RecordBatch batch) {
        if (!batch.isControlBatch() || !batch.isTransactional()) {
            return false;
        }
        try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            return records.hasNext() && ControlRecordType.parse(records.next().key()) == ControlRecordType.ABORT;
        }
    }

    /** True when the batch comes from an idempotent or transactional producer. */
    public boolean hasProducerId() {
        return producerId != RecordBatch.NO_PRODUCER_ID;
    }

    /** Number of records, derived from the offset range. */
    public int recordCount() {
        return (int) (lastOffset - baseOffset + 1);
    }
}
