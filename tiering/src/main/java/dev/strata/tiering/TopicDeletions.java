package dev.strata.tiering;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote data of deleted topics, deleted in the background for the {@link RemoteLogManager}: a deletion is first
 * recorded durably in the {@link PendingDeletions} file (the caller holds the broker's topic lock on a request thread,
 * and the store may be slow or down), then every remote segment of the partition is deleted, unpublished (no replica
 * records the topic any more), retrying with the copy's exponential backoff until all are gone, across restarts; then
 * the record is dropped.
 *
 * <p>Threads: {@link #add} on the caller's thread; {@link #run} on the manager's task pool, under the deletion's lock,
 * which is the partition's when it was tiered here, so that it never overlaps a copy.
 */
final class TopicDeletions {
    /** The manager's logger: what operators configure for tiering. */
    private static final Logger log = LoggerFactory.getLogger(RemoteLogManager.class);

    private final PendingDeletions pendingDeletions;
    /** The pending deletions' retry state, by partition. */
    private final ConcurrentHashMap<TopicIdPartition, Deletion> deletions = new ConcurrentHashMap<>();

    private final RemoteSegmentDeleter deleter;
    private final Time time;
    /** Whether the manager closed: no deletion starts any more. */
    private final BooleanSupplier closed;

    TopicDeletions(PendingDeletions pendingDeletions, RemoteSegmentDeleter deleter, Time time, BooleanSupplier closed) {
        this.pendingDeletions = pendingDeletions;
        this.deleter = deleter;
        this.time = time;
        this.closed = closed;
        for (TopicIdPartition tip : pendingDeletions.partitions()) {
            deletions.put(tip, new Deletion(new ReentrantLock()));
        }
    }

    /**
     * Records the deletion of a partition's remote data durably.
     *
     * @param lock the partition's lock if it was tiered here, else a new one
     * @throws java.io.UncheckedIOException if the deletion cannot be recorded
     */
    void add(TopicIdPartition tip, ReentrantLock lock) {
        pendingDeletions.add(tip);
        deletions.putIfAbsent(tip, new Deletion(lock));
    }

    /** The partitions whose remote data waits to be deleted. */
    List<TopicIdPartition> pending() {
        return pendingDeletions.partitions();
    }

    /** How many deletions wait, for the stats. */
    int count() {
        return deletions.size();
    }

    /** Tries each pending topic deletion that is not backing off after a failure. */
    void runOnce() {
        for (TopicIdPartition tip : deletions.keySet()) {
            if (closed.getAsBoolean()) {
                return;
            }
            run(tip);
        }
    }

    /** Deletes the partition's remote data now, unless it is backing off after a failure. */
    void run(TopicIdPartition tip) {
        Deletion deletion = deletions.get(tip);
        if (deletion == null || time.milliseconds() < deletion.nextAttemptMs) {
            return;
        }
        deletion.lock.lock();
        try {
            if (deletions.get(tip) != deletion || closed.getAsBoolean()) {
                return;
            }
            // an explicit user action: the topic was deleted, and with it the partition's record in every replica
            deleter.deleteAll(tip, RemoteSegmentDeleter.NOT_PUBLISHED);
            pendingDeletions.remove(tip);
            deletions.remove(tip);
            log.info("Deleted the remote data of {}", tip);
        } catch (RemoteStorageException | RuntimeException e) {
            deletion.failedAttempts++;
            long backoff = RemoteLogManager.backoffMs(deletion.failedAttempts);
            deletion.nextAttemptMs = time.milliseconds() + backoff;
            log.warn(
                    "Could not delete all remote data of {} ({} attempts); retrying in {} ms",
                    tip,
                    deletion.failedAttempts,
                    backoff,
                    e);
        } finally {
            deletion.lock.unlock();
        }
    }

    /** A pending topic deletion's backoff; its lock is the partition's, so that it never overlaps a copy. */
    private static final class Deletion {
        private final ReentrantLock lock;
        private volatile int failedAttempts;
        private volatile long nextAttemptMs;

        Deletion(ReentrantLock lock) {
            this.lock = lock;
        }
    }
}
