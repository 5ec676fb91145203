package dev.strata.tiering;

import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentState;
import dev.strata.storage.api.SegmentManifestStorage;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tiering engine of one broker: copies sealed segments of the partitions it leads to the remote tier, expires
 * remote segments by retention, and answers where the remote tier holds an offset. The broker registers a
 * {@link TieredPartition} per led partition; the manager runs a copy task and an expiry task per partition on its own
 * bounded pool, never on a request thread; a copy's uploads run on an upload pool, at most two at a time per partition
 * being copied (see {@link SegmentCopier#copyPending}).
 *
 * <p><b>Jobs.</b> This class registers the partitions, schedules their tasks, serializes each partition's tasks under
 * its lock ({@link LedPartition}), answers reads of the remote tier and sums the stats; the jobs themselves are
 * {@link SegmentCopier} (copy, with its rollback on failure), {@link RemoteRetention} (expiry),
 * {@link TopicDeletions} (the remote data of deleted topics) and {@link RemoteSegmentDeleter} (the one way a remote
 * segment is deleted, which all of them use). Each of them states what it does and in which order.
 *
 * <p><b>Replicas.</b> In a cluster only the partition's leader runs its copies and expiry (the broker registers a
 * partition when it becomes leader, in each new leader epoch, and {@link #unregister}s it when it stops leading), and
 * every state change other replicas must know is published through the {@link RemoteSegmentPublisher} first:
 * COPY_FINISHED after the data and manifest are in the backend and before this index offers the segment,
 * DELETE_STARTED before any data is deleted, DELETE_FINISHED after. The publisher refuses a broker that no longer leads
 * in the copy's epoch, so a copy an ex-leader finishes is rolled back (a failed copy's cleanup, which abandons its id
 * first); and a copy whose publication may have succeeded is never deleted unless the publisher accepts the deletion.
 * The other replicas' indexes follow the published record ({@link RemoteIndexStore#applyManifest}), so a new leader
 * continues from the highest offset the old one published. A single broker publishes nothing
 * ({@link RemoteSegmentPublisher#LOCAL}).
 *
 * <p><b>Manifests.</b> With a {@link SegmentManifestStorage}, every segment in the backend has a manifest there that
 * says as much as the index: it is written in state COPY_FINISHED before the index says COPY_FINISHED, overwritten
 * with DELETE_STARTED before any data is deleted, and deleted after the data. So a manifest never points readers at
 * data that may be gone, and an index rebuilt from the manifests ({@link RemoteIndexRebuild}) resumes an interrupted
 * deletion. Without one the index is the only record of the remote tier.
 *
 * <p>Thread-safety: all public methods may be called from any thread. The copy, expiry and unregistration of one
 * partition are serialized by a per-partition lock; different partitions run in parallel up to the pool's size.
 */
public final class RemoteLogManager implements AutoCloseable {

    /** Broker setting: size of the pool running copy and expiry tasks. */
    public static final String COPIER_THREAD_POOL_SIZE_CONFIG = "remote.log.manager.copier.thread.pool.size";
    /** Broker setting: interval between two runs of a partition's copy and expiry tasks. */
    public static final String TASK_INTERVAL_MS_CONFIG = "remote.log.manager.task.interval.ms";
    /** Broker setting: the Linux nice value of the threads that upload segments ({@link ThreadNiceness}). */
    public static final String UPLOAD_THREAD_NICENESS_CONFIG = "remote.log.manager.upload.thread.niceness";
    /** Broker setting: upload byte-rate limit over all partitions; unset means unlimited. */
    public static final String COPY_MAX_BYTES_PER_SECOND_CONFIG = "remote.log.manager.copy.max.bytes.per.second";
    /** Wait after a partition's first failed copy or topic deletion; it doubles with each further failure. */
    public static final long COPY_RETRY_BACKOFF_MS = 1_000L;
    /** The longest wait between two copy or deletion attempts of a failing partition. */
    public static final long COPY_RETRY_BACKOFF_MAX_MS = 60_000L;
    /** Segments waiting this long without a copy finishing make the partition's copies stalled (WARN and metric). */
    public static final long COPY_STALL_MS = 5 * 60_000L;

    private static final Logger log = LoggerFactory.getLogger(RemoteLogManager.class);

    private final RemoteStorageManager storage;
    private final RemoteIndexStore store;
    private final ScheduledExecutorService executor;
    /** {@value #UPLOAD_THREAD_NICENESS_CONFIG}, for upload threads started from now on. */
    private volatile int uploadThreadNiceness;
    /**
     * The copies' uploads: at most two at a time per partition being copied. Only they run at a nice value of their
     * own: the task threads write to the metadata quorum, whose client may start a thread of its pool from them.
     */
    private final ExecutorService uploadPool = Executors.newCachedThreadPool(
            ThreadNiceness.daemonThreads("remote-log-upload-", () -> uploadThreadNiceness));

    private final Time time;
    /** Null for unlimited. */
    private final UploadRateLimiter rateLimiter;

    private final ConcurrentHashMap<TopicIdPartition, LedPartition> partitions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Uuid, String> topicNames = new ConcurrentHashMap<>();

    private final TieringCounters counters = new TieringCounters();
    private final SegmentCopier copier;
    private final RemoteRetention retention;
    private final TopicDeletions topicDeletions;
    private long taskIntervalMs = -1;
    private volatile boolean closed;

    /** A manager whose backend keeps no manifests: the index cannot be rebuilt from the backend. */
    public RemoteLogManager(
            int brokerId,
            RemoteStorageManager storage,
            RemoteIndexStore store,
            ScheduledExecutorService executor,
            Time time,
            OptionalLong copyMaxBytesPerSecond) {
        this(brokerId, storage, null, store, executor, time, copyMaxBytesPerSecond);
    }

    /** A manager whose pending topic deletions are lost with the process. */
    public RemoteLogManager(
            int brokerId,
            RemoteStorageManager storage,
            SegmentManifestStorage manifests,
            RemoteIndexStore store,
            ScheduledExecutorService executor,
            Time time,
            OptionalLong copyMaxBytesPerSecond) {
        this(brokerId, storage, manifests, store, PendingDeletions.inMemory(), executor, time, copyMaxBytesPerSecond);
    }

    /**
     * @param brokerId this broker's id, written into segment metadata
     * @param storage the backend (not closed by this manager)
     * @param manifests where the backend keeps segment manifests, or null when it keeps none
     * @param store the broker's remote index (not closed by this manager)
     * @param pendingDeletions the partitions of deleted topics whose remote data is still to be deleted; the manager
     *     resumes them at {@link #startup}
     * @param executor the bounded pool for copy and expiry tasks, sized by {@value #COPIER_THREAD_POOL_SIZE_CONFIG}
     *     (see {@link #newTaskPool}); owned by this manager and shut down by {@link #close()}
     * @param time the clock for state timestamps, retention, backoff and the rate limit
     * @param copyMaxBytesPerSecond {@value #COPY_MAX_BYTES_PER_SECOND_CONFIG}, empty for unlimited
     */
    public RemoteLogManager(
            int brokerId,
            RemoteStorageManager storage,
            SegmentManifestStorage manifests,
            RemoteIndexStore store,
            PendingDeletions pendingDeletions,
            ScheduledExecutorService executor,
            Time time,
            OptionalLong copyMaxBytesPerSecond) {
        this(
                brokerId,
                storage,
                manifests,
                store,
                RemoteSegmentPublisher.LOCAL,
                pendingDeletions,
                executor,
                time,
                copyMaxBytesPerSecond);
    }

    /**
     * A manager of one broker of a cluster: segment state changes are published through {@code publisher} before the
     * manager acts on them (see {@link RemoteSegmentPublisher}); the other parameters are as above.
     */
    public RemoteLogManager(
            int brokerId,
            RemoteStorageManager storage,
            SegmentManifestStorage manifests,
            RemoteIndexStore store,
            RemoteSegmentPublisher publisher,
            PendingDeletions pendingDeletions,
            ScheduledExecutorService executor,
            Time time,
            OptionalLong copyMaxBytesPerSecond) {
        Objects.requireNonNull(publisher, "publisher");
        this.storage = Objects.requireNonNull(storage, "storage");
        this.store = Objects.requireNonNull(store, "store");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.time = Objects.requireNonNull(time, "time");
        this.rateLimiter = new UploadRateLimiter(time, copyMaxBytesPerSecond.orElse(UploadRateLimiter.UNLIMITED));
        Objects.requireNonNull(pendingDeletions, "pendingDeletions");
        RemoteSegmentDeleter deleter = new RemoteSegmentDeleter(storage, manifests, store, publisher, time, counters);
        this.copier = new SegmentCopier(
                brokerId,
                storage,
                manifests,
                store,
                publisher,
                deleter,
                time,
                rateLimiter,
                counters,
                () -> closed,
                uploadPool);
        this.retention = new RemoteRetention(store, deleter, time, counters);
        this.topicDeletions = new TopicDeletions(pendingDeletions, deleter, time, () -> closed);
        for (TopicIdPartition tip : pendingDeletions.partitions()) {
            topicNames.putIfAbsent(tip.topicId(), tip.topic());
        }
    }

    /** A pool of {@code threads} daemon threads named {@code remote-log-task-N}, for the constructor. */
    public static ScheduledExecutorService newTaskPool(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException(COPIER_THREAD_POOL_SIZE_CONFIG + " must be > 0, was " + threads);
        }
        return Executors.newScheduledThreadPool(threads, ThreadNiceness.daemonThreads("remote-log-task-", 0));
    }

    /**
     * The Linux nice value of upload threads started from now on ({@value #UPLOAD_THREAD_NICENESS_CONFIG}, in [0,
     * {@value ThreadNiceness#MAX}]; 0, the manager's default, runs them at the priority of the task threads).
     */
    public void setUploadThreadNiceness(int niceness) {
        ThreadNiceness.checkRange(niceness);
        uploadThreadNiceness = niceness;
    }

    /** Starts tiering {@code partition}: this broker now leads it. Replaces an earlier registration. */
    public void register(TieredPartition partition) {
        checkOpen();
        TopicIdPartition tip = partition.topicIdPartition();
        topicNames.put(tip.topicId(), tip.topic());
        LedPartition[] replaced = new LedPartition[1];
        LedPartition state = partitions.compute(tip, (ignored, previous) -> {
            replaced[0] = previous;
            // the same lock, so that a run of the old registration never overlaps one of the new
            return new LedPartition(
                    partition, key(tip), previous == null ? new ReentrantLock() : previous.lock, time.milliseconds());
        });
        if (replaced[0] != null) {
            replaced[0].unregistered = true;
            replaced[0].cancelTasks();
        }
        synchronized (this) {
            if (taskIntervalMs > 0) {
                schedule(state, taskIntervalMs);
            }
        }
    }

    /**
     * Stops tiering a partition (leadership moved), keeping its remote data. Returns at once: the caller may be the
     * thread that applies metadata changes, which must not wait for an upload. A copy in progress stops before its
     * next step, and one that already uploaded is refused by the {@link RemoteSegmentPublisher} (this broker no longer
     * leads in the copy's epoch) and cleaned up as a failed copy.
     */
    public void unregister(TopicIdPartition tip) {
        LedPartition state = partitions.remove(tip);
        if (state != null) {
            state.cancelTasks();
            state.unregistered = true;
        }
    }

    /**
     * Remembers the topic name of a partition this broker replicates without leading, so that the segments its index
     * learns from the leader can be read as soon as this broker leads.
     */
    public void follow(TopicIdPartition tip) {
        topicNames.put(tip.topicId(), tip.topic());
    }

    /**
     * Stops tiering the partition of a deleted topic and deletes its remote data in the background, retrying until it
     * is gone. Returns once the deletion is durably recorded, without waiting for the store or for a copy in progress
     * (which stops before its next step).
     *
     * @throws java.io.UncheckedIOException if the deletion cannot be recorded
     */
    public void deletePartition(TopicIdPartition tip) {
        topicNames.putIfAbsent(tip.topicId(), tip.topic());
        LedPartition state = partitions.remove(tip);
        ReentrantLock lock = new ReentrantLock();
        if (state != null) {
            state.cancelTasks();
            state.unregistered = true;
            lock = state.lock;
        }
        topicDeletions.add(tip, lock);
        log.info("The remote data of {} is deleted in the background", tip);
        synchronized (this) {
            if (taskIntervalMs > 0 && !closed) {
                executor.execute(() -> topicDeletions.run(tip));
            }
        }
    }

    /** Tries each pending topic deletion that is not backing off after a failure. */
    public void runDeletionsOnce() {
        topicDeletions.runOnce();
    }

    /** The partitions whose remote data waits to be deleted. */
    public List<TopicIdPartition> pendingDeletions() {
        return topicDeletions.pending();
    }

    /**
     * Schedules the copy and expiry tasks of every registered partition, and of partitions registered later, every
     * {@code taskIntervalMs} ({@value #TASK_INTERVAL_MS_CONFIG}).
     */
    public synchronized void startup(long taskIntervalMs) {
        checkOpen();
        if (taskIntervalMs <= 0) {
            throw new IllegalArgumentException(TASK_INTERVAL_MS_CONFIG + " must be > 0, was " + taskIntervalMs);
        }
        if (this.taskIntervalMs > 0) {
            throw new IllegalStateException("Already started");
        }
        this.taskIntervalMs = taskIntervalMs;
        partitions.values().forEach(state -> schedule(state, taskIntervalMs));
        executor.scheduleWithFixedDelay(
                () -> {
                    try {
                        runDeletionsOnce();
                    } catch (RuntimeException e) {
                        log.error("Remote log deletion task failed", e);
                    }
                },
                0,
                taskIntervalMs,
                TimeUnit.MILLISECONDS);
    }

    /** Copies the partition's eligible segments now, unless it is backing off after a failure. */
    public void runCopyOnce(TopicIdPartition tip) {
        runLocked(tip, state -> {
            copier.copyPending(state);
            if (state.expiryDeferred && !state.unregistered && !closed) {
                // a scheduled expiry found this copy running and left its work to it
                state.expiryDeferred = false;
                retention.run(state);
            }
        });
    }

    /** Applies remote retention to the partition now. */
    public void runExpiryOnce(TopicIdPartition tip) {
        runLocked(tip, retention::run);
    }

    /**
     * The scheduled expiry: when the partition's copy holds its lock (a copy of a backlog runs for minutes), it does not
     * wait on a pool thread, which the copies of other partitions need, but leaves the expiry to that copy, which runs
     * it as it ends.
     */
    private void runExpiryUnlessCopying(TopicIdPartition tip) {
        LedPartition state = partitions.get(tip);
        if (state == null) {
            return;
        }
        if (!state.lock.tryLock()) {
            state.expiryDeferred = true;
            return;
        }
        try {
            if (state.unregistered || closed) {
                return;
            }
            state.expiryDeferred = false;
            retention.run(state);
        } finally {
            state.lock.unlock();
        }
    }

    /** Runs {@code job} on the registered partition under its lock, unless it was unregistered or the manager closed. */
    private void runLocked(TopicIdPartition tip, Consumer<LedPartition> job) {
        LedPartition state = partitions.get(tip);
        if (state == null) {
            return;
        }
        state.lock.lock();
        try {
            if (state.unregistered || closed) {
                return;
            }
            job.accept(state);
        } finally {
            state.lock.unlock();
        }
    }

    /** The COPY_FINISHED remote segment holding {@code offset}, if the remote tier has it. */
    public Optional<RemoteSegment> segmentFor(TopicIdPartition tip, long offset) {
        return store.segmentFor(key(tip), offset);
    }

    /**
     * Kafka's metadata for a segment of the index, as a {@link RemoteStorageManager} needs it to find the segment's
     * objects.
     *
     * @throws IllegalStateException if the segment's topic was never registered with this manager (its name is
     *     unknown)
     */
    public RemoteLogSegmentMetadata metadataFor(RemoteSegment segment) {
        Uuid topicId = KafkaSegmentMetadata.topicId(segment.partition().topicId());
        String topic = topicNames.get(topicId);
        if (topic == null) {
            throw new IllegalStateException("Topic " + topicId + " of " + segment.id() + " is not registered");
        }
        return KafkaSegmentMetadata.metadataFor(
                new TopicIdPartition(topicId, segment.partition().partition(), topic), segment);
    }

    /** The highest offset the remote tier holds for the partition, empty when it holds none. */
    public OptionalLong highestRemoteOffset(TopicIdPartition tip) {
        return store.highestRemoteOffset(key(tip));
    }

    /** The first offset the remote tier holds for the partition, or -1 when it holds none. */
    public long remoteLogStartOffset(TopicIdPartition tip) {
        for (RemoteSegment segment : store.segments(key(tip))) {
            if (segment.state().isReadable()) {
                return segment.startOffset();
            }
        }
        return -1L;
    }

    /**
     * The partition's remote tier as the index lists it now, with this broker's copy state of it. Reads the index: call
     * it from a thread that may wait for a disk read, not from a network event loop.
     */
    public PartitionTierStatus tierStatus(TopicIdPartition tip) {
        long segments = 0;
        long bytes = 0;
        long start = -1L;
        long highest = -1L;
        long lastCopyMs = -1L;
        for (RemoteSegment segment : store.segments(key(tip))) {
            if (segment.state().isReadable()) {
                segments++;
                bytes += segment.sizeInBytes();
                start = start < 0 ? segment.startOffset() : Math.min(start, segment.startOffset());
                highest = Math.max(highest, segment.endOffset());
                if (segment.state() == RemoteSegmentState.COPY_FINISHED) {
                    lastCopyMs = Math.max(lastCopyMs, segment.eventTimestampMs());
                }
            }
        }
        LedPartition state = partitions.get(tip);
        boolean copying = state != null;
        return new PartitionTierStatus(
                segments,
                bytes,
                start,
                highest,
                lastCopyMs,
                copying,
                copying ? state.copyLag : RemoteLogManagerStats.CopyLag.NONE,
                copying ? state.failedAttempts : 0,
                copying ? state.lastCopyError : null,
                copying ? state.lastCopyErrorMs : -1L);
    }

    /**
     * What a replica needs to start its log right after the remote tier: the first offset after the last readable
     * remote segment, and that segment's leader-epoch checkpoint (Kafka's text format, epochs up to its end) and
     * producer snapshot (the producer state at the first offset after it).
     */
    public record RemoteLogTail(long nextOffset, byte[] leaderEpochCheckpoint, byte[] producerSnapshot) {}

    /**
     * The tail of the partition's remote tier as this broker's index knows it, its files fetched from the backend;
     * empty when the remote tier holds nothing readable. Blocks on the backend: call it from a thread of its own.
     */
    public Optional<RemoteLogTail> remoteLogTail(TopicIdPartition tip) throws RemoteStorageException {
        RemoteSegment last = null;
        for (RemoteSegment segment : store.segments(key(tip))) {
            if (segment.state().isReadable()) {
                last = segment;
            }
        }
        if (last == null) {
            return Optional.empty();
        }
        RemoteLogSegmentMetadata metadata = KafkaSegmentMetadata.metadataFor(tip, last);
        return Optional.of(new RemoteLogTail(
                last.endOffset() + 1,
                readAll(storage.fetchIndex(metadata, RemoteStorageManager.IndexType.LEADER_EPOCH)),
                readAll(storage.fetchIndex(metadata, RemoteStorageManager.IndexType.PRODUCER_SNAPSHOT))));
    }

    private static byte[] readAll(java.io.InputStream in) throws RemoteStorageException {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new RemoteStorageException("Cannot read a remote index: " + e.getMessage(), e);
        }
    }

    /** A snapshot of the counters. */
    public RemoteLogManagerStats stats() {
        Map<TopicIdPartition, RemoteLogManagerStats.CopyLag> lag = new HashMap<>();
        Map<TopicIdPartition, RemoteLogManagerStats.RemoteLogSize> size = new HashMap<>();
        long now = time.milliseconds();
        long stalled = 0;
        for (Map.Entry<TopicIdPartition, LedPartition> entry : partitions.entrySet()) {
            LedPartition state = entry.getValue();
            lag.put(entry.getKey(), state.copyLag);
            size.put(entry.getKey(), state.remoteLogSize);
            // from here, not the copy task: a copy hanging on the store holds the task
            if (state.stalled(now)) {
                stalled++;
            }
        }
        return new RemoteLogManagerStats(
                counters.copiedBytes.sum(),
                counters.copiedSegments.sum(),
                counters.copyErrors.sum(),
                counters.deletedSegments.sum(),
                counters.deleteErrors.sum(),
                rateLimiter.throttledMs(),
                topicDeletions.count(),
                stalled,
                lag,
                size);
    }

    /** The upload rate limiter of {@value #COPY_MAX_BYTES_PER_SECOND_CONFIG} (unlimited when it is unset). */
    public UploadRateLimiter rateLimiter() {
        return rateLimiter;
    }

    /**
     * Changes {@value #COPY_MAX_BYTES_PER_SECOND_CONFIG} while copies run (a dynamic broker config).
     *
     * @param bytesPerSecond the new limit, empty for none
     */
    public void setCopyMaxBytesPerSecond(OptionalLong bytesPerSecond) {
        rateLimiter.setBytesPerSecond(bytesPerSecond.orElse(UploadRateLimiter.UNLIMITED));
    }

    /** Cancels every task and shuts the pool down, waiting up to 30 seconds for running copies to end. */
    @Override
    public void close() {
        closed = true;
        partitions.values().forEach(LedPartition::cancelTasks);
        executor.shutdownNow();
        uploadPool.shutdownNow();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)
                    || !uploadPool.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("Remote log tasks did not end within 30 seconds");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void schedule(LedPartition state, long intervalMs) {
        TopicIdPartition tip = state.tip();
        state.copyTask =
                executor.scheduleWithFixedDelay(() -> runTask(tip, true), 0, intervalMs, TimeUnit.MILLISECONDS);
        state.expiryTask =
                executor.scheduleWithFixedDelay(() -> runTask(tip, false), 0, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void runTask(TopicIdPartition tip, boolean copy) {
        // an exception would silently end a scheduleWithFixedDelay task
        try {
            if (copy) {
                runCopyOnce(tip);
            } else {
                runExpiryUnlessCopying(tip);
            }
        } catch (RuntimeException e) {
            log.error("Remote log {} task of {} failed", copy ? "copy" : "expiry", tip, e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("The remote log manager is closed");
        }
    }

    /** The remote index's key of a partition (tests and callers in this package). */
    static PartitionKey key(TopicIdPartition tip) {
        return KafkaSegmentMetadata.key(tip);
    }

    /** The wait after the {@code failedAttempts}-th failure in a row of a copy or deletion. */
    static long backoffMs(int failedAttempts) {
        return Math.min(COPY_RETRY_BACKOFF_MAX_MS, COPY_RETRY_BACKOFF_MS << Math.min(failedAttempts - 1, 16));
    }
}
