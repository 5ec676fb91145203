package dev.strata.broker.log;

import org.apache.kafka.common.record.internal.RecordBatch;

/** The producer-related facts of one batch, with the offsets the log assigned it. */
public record BatchSummary(
        long producerId,
        short producerEpoch,
        int baseSequence,
        int lastSequence,
        long firstOffset,
        long lastOffset,
        long maxTimestamp,
        boolean isTransactional) {

    public static BatchSummary of(RecordBatch b) {
        return new BatchSummary(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence(),
                b.baseOffset(), b.lastOffset(), b.maxTimestamp(), b.isTransactional());
    }

    public boolean hasProducerId() {
        return producerId >= 0;
    }
}
