package dev.strata.broker.log;

import java.util.List;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * The outcome of {@link LogValidator#validateAndAssignOffsets}: the batches of one produce request, validated and
 * stamped with offsets and leader epoch, ready to be appended to the log.
 *
 * @param records the batches to append; the request's own buffer when nothing had to be re-encoded
 * @param firstOffset offset of the first record
 * @param lastOffset offset of the last record
 * @param maxTimestamp largest timestamp over all batches (the log-append time under LogAppendTime)
 * @param logAppendTime the time stamped into the batches under LogAppendTime, -1 under CreateTime
 * @param recordCount number of records over all batches
 * @param batches one summary per batch, in log order
 */
public record ValidationResult(
        MemoryRecords records,
        long firstOffset,
        long lastOffset,
        long maxTimestamp,
        long logAppendTime,
        int recordCount,
        List<BatchSummary> batches) {

    public ValidationResult {
        batches = List.copyOf(batches);
    }
}
