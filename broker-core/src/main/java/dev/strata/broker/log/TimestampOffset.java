package dev.strata.broker.log;

import org.apache.kafka.common.record.internal.RecordBatch;

/** A time index entry: the largest timestamp seen up to and including {@code offset}. */
public record TimestampOffset(long timestamp, long offset) {

    static TimestampOffset unknown(long baseOffset) {
        return new TimestampOffset(RecordBatch.NO_TIMESTAMP, baseOffset);
    }
}
