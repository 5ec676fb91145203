package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * A compacted log as the cleaner sees it when choosing what to clean: the clean section below the first dirty offset
 * (cleaned before), the dirty section after it up to the first uncleanable offset, and the uncleanable rest.
 *
 * <p>The first uncleanable offset is the base offset of the first segment that must not be touched yet: the active
 * segment, a segment reaching past the high watermark or the first unstable offset (an open transaction), or a segment
 * holding a record newer than {@code min.compaction.lag.ms}. Everything below it is whole, sealed segments.
 *
 * @param cleanable the segments wholly below the first uncleanable offset, oldest first
 * @param cleanBytes bytes of the cleanable segments wholly below the first dirty offset
 * @param dirtyBytes bytes of the cleanable segments holding dirty offsets
 * @param maxLagExceeded the oldest dirty record is older than {@code max.compaction.lag.ms}
 */
record LogToClean(
        LocalLog log,
        LocalLog.CleanerView view,
        long firstDirtyOffset,
        long firstUncleanableOffset,
        List<LogSegment> cleanable,
        long cleanBytes,
        long dirtyBytes,
        boolean maxLagExceeded) {

    static LogToClean of(LocalLog log, LocalLog.CleanerView view, long checkpointedDirtyOffset, long nowMs) {
        LogConfig config = log.config();
        long firstDirty = Math.max(view.logStartOffset(), Math.min(checkpointedDirtyOffset, view.logEndOffset()));
        long stableLimit = Math.min(view.highWatermark(), view.firstUnstableOffset());
        List<LogSegment> segments = view.segments();
        int cleanableCount = 0;
        long cleanBytes = 0;
        long dirtyBytes = 0;
        long firstDirtyTimestamp = RecordBatch.NO_TIMESTAMP;
        for (int i = 0; i + 1 < segments.size(); i++) {
            LogSegment segment = segments.get(i);
            long segmentEnd = segments.get(i + 1).baseOffset();
            boolean tooRecent =
                    config.minCompactionLagMs() > 0 && segment.largestTimestamp() > nowMs - config.minCompactionLagMs();
            if (segmentEnd > stableLimit || tooRecent) {
                break;
            }
            cleanableCount++;
            if (segmentEnd <= firstDirty) {
                cleanBytes += segment.size();
            } else {
                if (dirtyBytes == 0 && firstDirtyTimestamp == RecordBatch.NO_TIMESTAMP) {
                    firstDirtyTimestamp = firstBatchTimestamp(segment);
                }
                dirtyBytes += segment.size();
            }
        }
        long firstUncleanable = segments.get(cleanableCount).baseOffset();
        boolean maxLagExceeded =
                dirtyBytes > 0 && firstDirtyTimestamp >= 0 && nowMs - firstDirtyTimestamp > config.maxCompactionLagMs();
        return new LogToClean(
                log,
                view,
                firstDirty,
                firstUncleanable,
                List.copyOf(segments.subList(0, cleanableCount)),
                cleanBytes,
                dirtyBytes,
                maxLagExceeded);
    }

    private static long firstBatchTimestamp(LogSegment segment) {
        try {
            for (FileChannelRecordBatch batch : segment.log().batches()) {
                return batch.maxTimestamp();
            }
        } catch (KafkaException e) {
            // unreadable here means unreadable to the cleaner too; the ratio decides alone
        }
        return RecordBatch.NO_TIMESTAMP;
    }

    /** Dirty bytes over all cleanable bytes: how much cleaning would gain. */
    double dirtyRatio() {
        long total = cleanBytes + dirtyBytes;
        return total == 0 ? 0 : (double) dirtyBytes / total;
    }

    /** Whether the dirty section is worth cleaning now. */
    boolean needsCleaning() {
        return dirtyBytes > 0 && (maxLagExceeded || dirtyRatio() >= log.config().minCleanableDirtyRatio());
    }
}
