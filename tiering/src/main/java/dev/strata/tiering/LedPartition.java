package dev.strata.tiering;

import dev.strata.index.PartitionKey;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.TopicIdPartition;

/**
 * The {@link RemoteLogManager}'s record of one partition it tiers (it leads the partition): the {@link TieredPartition},
 * the lock that serializes its copy, expiry and unregistration, its copy backoff, lag and last error, the size of its
 * remote tier, and its two scheduled tasks. Fields are read by any thread (stats, {@link RemoteLogManager#tierStatus})
 * and written under the lock by the task that holds it, except {@code unregistered} and the scheduled tasks, which the
 * manager sets without it.
 */
final class LedPartition {
    final TieredPartition partition;
    final PartitionKey key;
    final ReentrantLock lock;
    volatile boolean unregistered;
    volatile RemoteLogManagerStats.CopyLag copyLag = RemoteLogManagerStats.CopyLag.NONE;
    volatile RemoteLogManagerStats.RemoteLogSize remoteLogSize = RemoteLogManagerStats.RemoteLogSize.NONE;
    /** Written under the lock, read by {@link RemoteLogManager#tierStatus} without it. */
    volatile int failedAttempts;

    volatile String lastCopyError;
    volatile long lastCopyErrorMs = -1L;
    long nextCopyAttemptMs;
    /** When a copy last finished, or nothing waited to be copied. */
    volatile long lastCopyProgressMs;

    long lastStallWarningMs = Long.MIN_VALUE / 2;
    /** A scheduled expiry found the copy holding the lock: the copy runs the expiry when it ends. */
    volatile boolean expiryDeferred;

    volatile ScheduledFuture<?> copyTask;
    volatile ScheduledFuture<?> expiryTask;

    LedPartition(TieredPartition partition, PartitionKey key, ReentrantLock lock, long registeredMs) {
        this.partition = partition;
        this.key = key;
        this.lock = lock;
        this.lastCopyProgressMs = registeredMs;
    }

    TopicIdPartition tip() {
        return partition.topicIdPartition();
    }

    void cancelTasks() {
        ScheduledFuture<?> copy = copyTask;
        ScheduledFuture<?> expiry = expiryTask;
        if (copy != null) {
            copy.cancel(false);
        }
        if (expiry != null) {
            expiry.cancel(false);
        }
    }

    /** Whether the partition's segments have waited {@value RemoteLogManager#COPY_STALL_MS} ms or more without a copy finishing. */
    boolean stalled(long now) {
        return copyLag.segments() > 0 && now - lastCopyProgressMs >= RemoteLogManager.COPY_STALL_MS;
    }

    static RemoteLogManagerStats.CopyLag lagOf(List<LocalSegment> segments) {
        long bytes = 0;
        for (LocalSegment segment : segments) {
            bytes += segment.sizeInBytes();
        }
        return new RemoteLogManagerStats.CopyLag(segments.size(), bytes);
    }
}
