package dev.strata.broker.log;

import org.apache.kafka.common.record.internal.RecordBatch;

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
        boolean isControlBatch) {

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
                batch.isControlBatch());
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
