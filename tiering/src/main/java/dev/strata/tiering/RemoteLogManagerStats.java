package dev.strata.tiering;

import java.util.Map;
import org.apache.kafka.common.TopicIdPartition;

/**
 * A snapshot of the {@link RemoteLogManager}'s counters, for the broker's metrics.
 *
 * @param copiedBytes log bytes copied to the remote tier (COPY_FINISHED segments only)
 * @param copiedSegments segments that reached COPY_FINISHED
 * @param copyErrors copies that failed and were rolled back
 * @param deletedSegments remote segments that reached DELETE_FINISHED
 * @param deleteErrors remote deletions that failed (retried on the next run)
 * @param throttledMs milliseconds copies waited for the upload rate limit
 * @param pendingDeletions partitions of deleted topics whose remote data is not deleted yet
 * @param stalledPartitions registered partitions whose segments have waited {@link RemoteLogManager#COPY_STALL_MS} or
 *     more without a copy finishing
 * @param copyLag per registered partition: sealed segments below the high watermark not yet in the remote tier
 * @param remoteLogSize per registered partition: what its remote tier holds
 */
public record RemoteLogManagerStats(
        long copiedBytes,
        long copiedSegments,
        long copyErrors,
        long deletedSegments,
        long deleteErrors,
        long throttledMs,
        long pendingDeletions,
        long stalledPartitions,
        Map<TopicIdPartition, CopyLag> copyLag,
        Map<TopicIdPartition, RemoteLogSize> remoteLogSize) {

    public RemoteLogManagerStats {
        copyLag = Map.copyOf(copyLag);
        remoteLogSize = Map.copyOf(remoteLogSize);
    }

    /**
     * How far one partition's remote tier trails its sealed local segments, as of the last copy run (also measured while
     * the partition backs off after failed copies).
     *
     * @param segments segments waiting to be copied
     * @param bytes their size in bytes
     */
    public record CopyLag(long segments, long bytes) {
        /** No lag. */
        public static final CopyLag NONE = new CopyLag(0, 0);
    }

    /**
     * The COPY_FINISHED segments of one partition's remote tier, as the remote index listed them at the last expiry
     * run, plus the segments copied since: kept up to date without reading the index again.
     *
     * @param segments remote segments
     * @param bytes their size in bytes
     */
    public record RemoteLogSize(long segments, long bytes) {
        /** An empty remote tier. */
        public static final RemoteLogSize NONE = new RemoteLogSize(0, 0);

        /** This size with one more segment of {@code segmentBytes}. */
        public RemoteLogSize plus(long segmentBytes) {
            return new RemoteLogSize(segments + 1, bytes + segmentBytes);
        }
    }
}
