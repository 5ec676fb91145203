package dev.strata.tiering;

import dev.strata.tiering.RemoteLogManagerStats.CopyLag;

/**
 * What one partition's remote tier holds and how its copies fare, for {@code strata tier status} and the broker's
 * {@code /api/v1/tiers} endpoint. The remote figures come from the remote index; the copy figures from the
 * {@link RemoteLogManager}'s state of the partition, and are zero when this broker does not tier it (it does not lead
 * it, or tiering is off).
 *
 * @param remoteSegments COPY_FINISHED segments in the remote tier
 * @param remoteBytes their size in bytes
 * @param remoteLogStartOffset the first offset the remote tier holds, or -1 when it holds none
 * @param highestRemoteOffset the last offset the remote tier holds, or -1 when it holds none
 * @param lastCopyMs when the latest of those segments finished copying (epoch milliseconds), or -1 when none did
 * @param copying whether this broker's remote log manager tiers the partition now
 * @param copyLag sealed segments below the high watermark not yet copied, as of the last copy run
 * @param failedCopies copy attempts that failed in a row since the last one that succeeded
 * @param lastCopyError the latest failed copy's error, or null when none failed since this broker started tiering it
 * @param lastCopyErrorMs when it failed (epoch milliseconds), or -1
 */
public record PartitionTierStatus(
        long remoteSegments,
        long remoteBytes,
        long remoteLogStartOffset,
        long highestRemoteOffset,
        long lastCopyMs,
        boolean copying,
        CopyLag copyLag,
        int failedCopies,
        String lastCopyError,
        long lastCopyErrorMs) {}
