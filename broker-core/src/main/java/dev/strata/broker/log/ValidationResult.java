package dev.strata.broker.log;

import java.util.List;
import org.apache.kafka.common.record.internal.MemoryRecords;

/** Records ready to append, with the offsets they were given and their producer facts batch by batch. */
public record ValidationResult(
        MemoryRecords records,
        long firstOffset,
        long lastOffset,
        long maxTimestamp,
        long logAppendTime,
        int recordCount,
        List<BatchSummary> batches) {}
