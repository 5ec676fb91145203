package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;

/**
 * The retention rules of one log: which of its oldest segments go, by {@code retention.ms} (a segment's largest
 * timestamp, or its file's modification time when it holds none), {@code retention.bytes}, the log start offset, and,
 * for a log that copies to the remote tier, local retention ({@code local.retention.ms}, {@code
 * local.retention.bytes}) below the highest remote offset. These rules only decide; the deleting (never past the high
 * watermark, rolling first if every segment goes, renaming and deleting the files later, moving the log start
 * offset) is {@link LocalLog}'s, through {@link RetainedLog}.
 *
 * <p>Every rule deletes the oldest segments while it holds and stops at the first segment it keeps, so what remains
 * is always a contiguous suffix of the log. {@link #apply} runs under the log's lock, which {@link LocalLog#deleteOldSegments}
 * holds; the predicates it builds are used only during that call.
 */
final class LogRetention {

    /** Decides whether {@code segment}, the oldest one left, goes; {@code next} is the one after it, null if none. */
    interface SegmentPredicate {
        boolean test(LogSegment segment, LogSegment next);
    }

    /** What retention needs of the log. Called under the log's lock. */
    interface RetainedLog {
        long logStartOffset();

        /** The highest offset the remote tier holds durably, or -1. */
        long highestRemoteOffset();

        /** The bytes of every local segment. */
        long size();

        /**
         * Deletes the oldest segments while {@code predicate} holds for them and they end at or below the high
         * watermark.
         *
         * @return how many were deleted
         */
        int deleteOldestSegmentsWhile(SegmentPredicate predicate, String reason);
    }

    private LogRetention() {}

    /**
     * Applies retention: deletes the oldest segments past {@code retention.ms}, beyond {@code retention.bytes}, or
     * wholly below the log start offset. A log that copies to the remote tier applies local retention instead; a
     * tiered log with {@code remote.log.copy.disable=true} is retained as a local one, as in Kafka.
     *
     * @return how many segments were deleted
     */
    static int apply(LogConfig config, long nowMs, RetainedLog log) {
        int deleted = log.deleteOldestSegmentsWhile(belowLogStart(log.logStartOffset()), "log start");
        if (config.remoteCopyEnabled()) {
            return deleted + applyLocalRetention(config, nowMs, log);
        }
        if (config.retentionMs() >= 0) {
            deleted += log.deleteOldestSegmentsWhile(
                    (segment, next) -> nowMs - timestampOf(segment) > config.retentionMs(), "retention.ms");
        }
        if (config.retentionBytes() >= 0) {
            deleted +=
                    log.deleteOldestSegmentsWhile(whileBeyond(log.size() - config.retentionBytes()), "retention.bytes");
        }
        return deleted;
    }

    /** Segments wholly below {@code logStartOffset}: the next segment starts at or below it. */
    static SegmentPredicate belowLogStart(long logStartOffset) {
        return (segment, next) -> next != null && next.baseOffset() <= logStartOffset;
    }

    /**
     * Local retention of a tiered log: the oldest segments go while they end at or below the highest remote offset and
     * are past {@code local.retention.ms} or beyond {@code local.retention.bytes} (-2 follows {@code retention.*}).
     * Retention over the whole log is the remote log manager's: it raises the log start offset through
     * {@link LocalLog#onRemoteLogStartOffset}.
     */
    private static int applyLocalRetention(LogConfig config, long nowMs, RetainedLog log) {
        long remoteEnd = log.highestRemoteOffset();
        if (remoteEnd < 0) {
            return 0;
        }
        long retentionMs = config.localRetentionMs() == -2L ? config.retentionMs() : config.localRetentionMs();
        long retentionBytes =
                config.localRetentionBytes() == -2L ? config.retentionBytes() : config.localRetentionBytes();
        long[] excess = {log.size() - retentionBytes};
        return log.deleteOldestSegmentsWhile(
                (segment, next) -> {
                    if (next == null || next.baseOffset() - 1 > remoteEnd) {
                        return false;
                    }
                    boolean pastMs = retentionMs >= 0 && nowMs - timestampOf(segment) > retentionMs;
                    boolean pastBytes = retentionBytes >= 0 && excess[0] - segment.size() >= 0;
                    if (pastMs || pastBytes) {
                        excess[0] -= segment.size();
                        return true;
                    }
                    return false;
                },
                "local retention");
    }

    /** Segments while deleting them leaves the log no smaller than {@code excessBytes} below its limit. */
    private static SegmentPredicate whileBeyond(long excessBytes) {
        long[] excess = {excessBytes};
        return (segment, next) -> {
            if (excess[0] - segment.size() < 0) {
                return false;
            }
            excess[0] -= segment.size();
            return true;
        };
    }

    /** The time retention.ms counts from: the segment's largest timestamp, or its file's mtime when it has none. */
    private static long timestampOf(LogSegment segment) {
        return segment.largestTimestamp() >= 0 ? segment.largestTimestamp() : segment.lastModifiedMs();
    }
}
