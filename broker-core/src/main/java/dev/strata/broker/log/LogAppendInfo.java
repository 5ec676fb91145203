package dev.strata.broker.log;

/**
 * The outcome of an append.
 *
 * @param logAppendTime the broker time stamped into the batches, or -1 when the topic uses CreateTime
 * @param duplicate true when an idempotent producer resent a batch already in the log: nothing was appended and
 *     the offsets are those of the original
 */
public record LogAppendInfo(
        long firstOffset,
        long lastOffset,
        long maxTimestamp,
        long logAppendTime,
        long logStartOffset,
        int recordCount,
        boolean duplicate) {}
