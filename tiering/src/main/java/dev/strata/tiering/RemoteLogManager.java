package dev.strata.tiering;

import dev.strata.index.OffsetPosition;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.index.TimestampOffset;
import dev.strata.storage.api.SegmentManifestStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentState;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tiering engine of one broker: copies sealed segments of the partitions it leads to the remote tier, expires
 * remote segments by retention, and answers where the remote tier holds an offset. The broker registers a
 * {@link TieredPartition} per led partition; the manager runs a copy task and an expiry task per partition on its own
 * bounded pool, never on a request thread.
 *
 * <p><b>Copy.</b> Sealed segments that end below the high watermark and above the highest COPY_FINISHED offset are
 * copied oldest first. Per segment: COPY_STARTED is written to the {@link RemoteIndexStore} (durably, under a new
 * segment id), the upload byte-rate limit is paid, the backend copies the files, the segment's offset and time index
 * entries are written, then its manifest (when there is a {@link SegmentManifestStorage}), then COPY_FINISHED, and
 * only then is the partition told its new highest remote offset, which allows local deletion. A failure, also of the
 * manifest, rolls the attempt back (DELETE_STARTED, backend delete, DELETE_FINISHED, removed from the index) and the
 * partition waits an exponential backoff before the next attempt. A COPY_STARTED segment left by a crash is rolled
 * back the same way on the next run, and so is a copy during which the partition's leader epoch changed (this broker
 * may no longer lead). Nothing is data before COPY_FINISHED is durable.
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
 * <p><b>Expiry.</b> The oldest COPY_FINISHED segments are deleted while they lie wholly below the log start offset,
 * are older than {@code retention.ms} (by their max timestamp), or can go without the log (local segments not yet
 * copied plus remote segments) falling below {@code retention.bytes}; deletion stops at the first segment that must
 * stay, so the remote tier stays contiguous. Then the partition hears its new remote log start offset. Turning
 * tiering off with {@code remote.log.delete.on.disable} deletes everything remote (KIP-950).
 *
 * <p><b>Topic deletion.</b> {@link #deletePartition} only records the deletion in the {@link PendingDeletions} file
 * and returns: the caller holds the broker's topic lock on a request thread, and the store may be slow or down. A
 * background task deletes every remote segment of each pending partition, retrying with exponential backoff (the
 * copy's) until all are gone, across restarts, and then drops the record.
 *
 * <p><b>Manifests.</b> With a {@link SegmentManifestStorage}, every segment in the backend has a manifest there that
 * says as much as the index: it is written in state COPY_FINISHED before the index says COPY_FINISHED, overwritten
 * with DELETE_STARTED before any data is deleted, and deleted after the data. So a manifest never points readers at
 * data that may be gone, and an index rebuilt from the manifests ({@link RemoteIndexRebuild}) resumes an interrupted
 * deletion. Without one the index is the only record of the remote tier.
 *
 * <p>Thread-safety: all public methods may be called from any thread. The copy, expiry and unregistration of one
 * partition are serialized by a per-partition lock; different partitions run in parallel up to the pool's size.
 *
 * <p>Why one class of ~700 lines: copy, expiry and rollback are one lifecycle, a remote segment's KIP-405 states
 * (COPY_STARTED to DELETE_FINISHED) with the manifest written at each step, run under one per-partition lock; split,
 * the order of index, manifest and backend writes that keeps the tier consistent would no longer be readable in one
 * place.
 */
public final class RemoteLogManager implements AutoCloseable {

    /** Broker setting: size of the pool running copy and expiry tasks. */
    public static final String COPIER_THREAD_POOL_SIZE_CONFIG = "remote.log.manager.copier.thread.pool.size";
    /** Broker setting: interval between two runs of a partition's copy and expiry tasks. */
    public static final String TASK_INTERVAL_MS_CONFIG = "remote.log.manager.task.interval.ms";
    /** Broker setting: upload byte-rate limit over all partitions; unset means unlimited. */
    public static final String COPY_MAX_BYTES_PER_SECOND_CONFIG = "remote.log.manager.copy.max.bytes.per.second";
    /** Wait after a partition's first failed copy or topic deletion; it doubles with each further failure. */
    public static final long COPY_RETRY_BACKOFF_MS = 1_000L;
    /** The longest wait between two copy or deletion attempts of a failing partition. */
    public static final long COPY_RETRY_BACKOFF_MAX_MS = 60_000L;
    /** Segments waiting this long without a copy finishing make the partition's copies stalled (WARN and metric). */
    public static final long COPY_STALL_MS = 5 * 60_000L;

    private static final Logger log = LoggerFactory.getLogger(RemoteLogManager.class);
    /** The leader epoch argument of a deletion that is not published: that of a deleted topic's segments. */
    private static final int NOT_PUBLISHED = -1;

    private final int brokerId;
    private final RemoteStorageManager storage;
    /** The backend's manifests, or null when the backend keeps none. */
    private final SegmentManifestStorage manifests;

    private final RemoteIndexStore store;
    private final RemoteSegmentPublisher publisher;
    private final ScheduledExecutorService executor;
    private final Time time;
    private final UploadRateLimiter rateLimiter;
    private final ConcurrentHashMap<TopicIdPartition, PartitionState> partitions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Uuid, String> topicNames = new ConcurrentHashMap<>();
    private final PendingDeletions pendingDeletions;
    /** The pending deletions' retry state, by partition. */
    private final ConcurrentHashMap<TopicIdPartition, Deletion> deletions = new ConcurrentHashMap<>();

    private final LongAdder copiedBytes = new LongAdder();
    private final LongAdder copiedSegments = new LongAdder();
    private final LongAdder copyErrors = new LongAdder();
    private final LongAdder deletedSegments = new LongAdder();
    private final LongAdder deleteErrors = new LongAdder();
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
        this.brokerId = brokerId;
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.storage = Objects.requireNonNull(storage, "storage");
        this.manifests = manifests;
        this.store = Objects.requireNonNull(store, "store");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.time = Objects.requireNonNull(time, "time");
        this.rateLimiter = copyMaxBytesPerSecond.isPresent()
                ? new UploadRateLimiter(time, copyMaxBytesPerSecond.getAsLong())
                : null;
        this.pendingDeletions = Objects.requireNonNull(pendingDeletions, "pendingDeletions");
        for (TopicIdPartition tip : pendingDeletions.partitions()) {
            topicNames.putIfAbsent(tip.topicId(), tip.topic());
            deletions.put(tip, new Deletion(new ReentrantLock()));
        }
    }

    /** A pool of {@code threads} daemon threads named {@code remote-log-task-N}, for the constructor. */
    public static ScheduledExecutorService newTaskPool(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException(COPIER_THREAD_POOL_SIZE_CONFIG + " must be > 0, was " + threads);
        }
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, "remote-log-task-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return Executors.newScheduledThreadPool(threads, factory);
    }

    /** Starts tiering {@code partition}: this broker now leads it. Replaces an earlier registration. */
    public void register(TieredPartition partition) {
        checkOpen();
        TopicIdPartition tip = partition.topicIdPartition();
        topicNames.put(tip.topicId(), tip.topic());
        PartitionState[] replaced = new PartitionState[1];
        PartitionState state = partitions.compute(tip, (ignored, previous) -> {
            replaced[0] = previous;
            // the same lock, so that a run of the old registration never overlaps one of the new
            return new PartitionState(
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
        PartitionState state = partitions.remove(tip);
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
        PartitionState state = partitions.remove(tip);
        ReentrantLock lock = new ReentrantLock();
        if (state != null) {
            state.cancelTasks();
            state.unregistered = true;
            lock = state.lock;
        }
        pendingDeletions.add(tip);
        deletions.putIfAbsent(tip, new Deletion(lock));
        log.info("The remote data of {} is deleted in the background", tip);
        synchronized (this) {
            if (taskIntervalMs > 0 && !closed) {
                executor.execute(() -> runDeletion(tip));
            }
        }
    }

    /** Tries each pending topic deletion that is not backing off after a failure. */
    public void runDeletionsOnce() {
        for (TopicIdPartition tip : deletions.keySet()) {
            if (closed) {
                return;
            }
            runDeletion(tip);
        }
    }

    /** The partitions whose remote data waits to be deleted. */
    public List<TopicIdPartition> pendingDeletions() {
        return pendingDeletions.partitions();
    }

    private void runDeletion(TopicIdPartition tip) {
        Deletion deletion = deletions.get(tip);
        if (deletion == null || time.milliseconds() < deletion.nextAttemptMs) {
            return;
        }
        deletion.lock.lock();
        try {
            if (deletions.get(tip) != deletion || closed) {
                return;
            }
            // an explicit user action: the topic was deleted, and with it the partition's record in every replica
            deleteAll(tip, NOT_PUBLISHED);
            pendingDeletions.remove(tip);
            deletions.remove(tip);
            log.info("Deleted the remote data of {}", tip);
        } catch (RemoteStorageException | RuntimeException e) {
            deletion.failedAttempts++;
            long backoff = backoffMs(deletion.failedAttempts);
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
        PartitionState state = partitions.get(tip);
        if (state == null) {
            return;
        }
        state.lock.lock();
        try {
            if (state.unregistered || closed) {
                return;
            }
            TieringConfig config = state.partition.config();
            if (!config.remoteStorageEnable() || config.copyDisabled()) {
                state.copyLag = RemoteLogManagerStats.CopyLag.NONE;
                return;
            }
            // the lag and the stall are measured while backing off too: that is when they grow
            List<LocalSegment> pending = pendingCopies(state);
            state.copyLag = lagOf(pending);
            warnIfStalled(state, pending.isEmpty());
            if (time.milliseconds() < state.nextCopyAttemptMs) {
                return;
            }
            rollBackUnfinishedCopies(state);
            for (int i = 0; i < pending.size(); i++) {
                state.copyLag = lagOf(pending.subList(i, pending.size()));
                if (state.unregistered || closed) {
                    return;
                }
                LocalSegment segment = pending.get(i);
                if (!copySegment(state, segment)) {
                    state.failedAttempts++;
                    long backoff = backoffMs(state.failedAttempts);
                    state.nextCopyAttemptMs = time.milliseconds() + backoff;
                    return;
                }
                state.failedAttempts = 0;
                state.nextCopyAttemptMs = 0;
                state.lastCopyProgressMs = time.milliseconds();
                state.partition.onHighestRemoteOffset(segment.endOffset());
            }
            state.copyLag = RemoteLogManagerStats.CopyLag.NONE;
        } finally {
            state.lock.unlock();
        }
    }

    /** The sealed segments below the high watermark that the remote tier does not hold yet, oldest first. */
    private List<LocalSegment> pendingCopies(PartitionState state) {
        // the partition's own mark too: remote retention may have deleted every segment the index knew
        long highest =
                Math.max(store.highestRemoteOffset(state.key).orElse(-1L), state.partition.highestRemoteOffset());
        long highWatermark = state.partition.highWatermark();
        List<LocalSegment> pending = new ArrayList<>();
        for (LocalSegment segment : state.partition.sealedSegments()) {
            if (segment.endOffset() < highWatermark && segment.endOffset() > highest) {
                pending.add(segment);
            }
        }
        return pending;
    }

    /**
     * Logs a WARN, once per {@value #COPY_STALL_MS} ms, while segments have waited that long without a copy finishing:
     * the store is down or too slow, and the local disk of tiered topics grows meanwhile.
     */
    private void warnIfStalled(PartitionState state, boolean nothingWaits) {
        long now = time.milliseconds();
        if (nothingWaits) {
            state.lastCopyProgressMs = now;
            return;
        }
        long stalledMs = now - state.lastCopyProgressMs;
        if (stalledMs >= COPY_STALL_MS && now - state.lastStallWarningMs >= COPY_STALL_MS) {
            state.lastStallWarningMs = now;
            log.warn(
                    "Copies of {} to the remote tier have made no progress for {} s: {} segments ({} bytes) wait on"
                            + " the local disk",
                    state.tip(),
                    stalledMs / 1000,
                    state.copyLag.segments(),
                    state.copyLag.bytes());
        }
    }

    /** Whether the partition's segments have waited {@value #COPY_STALL_MS} ms or more without a copy finishing. */
    private boolean stalled(PartitionState state, long now) {
        return state.copyLag.segments() > 0 && now - state.lastCopyProgressMs >= COPY_STALL_MS;
    }

    /** Applies remote retention to the partition now. */
    public void runExpiryOnce(TopicIdPartition tip) {
        PartitionState state = partitions.get(tip);
        if (state == null) {
            return;
        }
        state.lock.lock();
        try {
            if (state.unregistered || closed) {
                return;
            }
            finishInterruptedDeletes(state);
            TieringConfig config = state.partition.config();
            if (!config.remoteStorageEnable()) {
                if (config.deleteOnDisable()) {
                    // an explicit user action (KIP-950)
                    deleteAll(state.tip(), state.partition.leaderEpoch());
                    state.remoteLogSize = RemoteLogManagerStats.RemoteLogSize.NONE;
                }
                return;
            }
            expire(state, config);
        } catch (RemoteStorageException e) {
            log.warn("Could not delete all remote data of {}; retrying on the next run", state.tip(), e);
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
        Uuid topicId = topicId(segment.partition().topicId());
        String topic = topicNames.get(topicId);
        if (topic == null) {
            throw new IllegalStateException("Topic " + topicId + " of " + segment.id() + " is not registered");
        }
        return metadataFor(new TopicIdPartition(topicId, segment.partition().partition(), topic), segment);
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
        PartitionState state = partitions.get(tip);
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
        RemoteLogSegmentMetadata metadata = metadataFor(tip, last);
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
        for (Map.Entry<TopicIdPartition, PartitionState> entry : partitions.entrySet()) {
            PartitionState state = entry.getValue();
            lag.put(entry.getKey(), state.copyLag);
            size.put(entry.getKey(), state.remoteLogSize);
            // from here, not the copy task: a copy hanging on the store holds the task
            if (stalled(state, now)) {
                stalled++;
            }
        }
        return new RemoteLogManagerStats(
                copiedBytes.sum(),
                copiedSegments.sum(),
                copyErrors.sum(),
                deletedSegments.sum(),
                deleteErrors.sum(),
                rateLimiter == null ? 0L : rateLimiter.throttledMs(),
                deletions.size(),
                stalled,
                lag,
                size);
    }

    /** The upload rate limiter, when {@value #COPY_MAX_BYTES_PER_SECOND_CONFIG} is set. */
    public Optional<UploadRateLimiter> rateLimiter() {
        return Optional.ofNullable(rateLimiter);
    }

    /** Cancels every task and shuts the pool down, waiting up to 30 seconds for running copies to end. */
    @Override
    public void close() {
        closed = true;
        partitions.values().forEach(PartitionState::cancelTasks);
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("Remote log tasks did not end within 30 seconds");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean copySegment(PartitionState state, LocalSegment local) {
        int leaderEpoch = state.partition.leaderEpoch();
        RemoteSegment started = new RemoteSegment(
                RemoteSegmentId.random(state.key),
                local.baseOffset(),
                local.endOffset(),
                local.maxTimestampMs(),
                local.sizeInBytes(),
                local.segmentLeaderEpochs(),
                brokerId,
                RemoteSegmentState.COPY_STARTED,
                time.milliseconds(),
                null);
        try {
            store.putSegment(started);
        } catch (RuntimeException e) {
            recordCopyError(state, e);
            log.warn("Could not record the start of a copy of {}; retrying later", started, e);
            return false;
        }
        try {
            if (rateLimiter != null) {
                rateLimiter.acquire(local.sizeInBytes());
            }
            LogSegmentData data = new LogSegmentData(
                    local.log(),
                    local.offsetIndex(),
                    local.timeIndex(),
                    local.txnIndex(),
                    local.producerSnapshot(),
                    local.leaderEpochCheckpoint());
            Optional<CustomMetadata> custom = storage.copyLogSegmentData(metadataFor(state.tip(), started), data);
            List<OffsetPosition> offsetEntries = LocalIndexFiles.offsetEntries(
                    local.offsetIndex(), local.baseOffset(), local.endOffset(), local.sizeInBytes());
            List<TimestampOffset> timeEntries =
                    LocalIndexFiles.timeEntries(local.timeIndex(), local.baseOffset(), local.endOffset());
            RemoteSegment finished = new RemoteSegment(
                    started.id(),
                    started.startOffset(),
                    started.endOffset(),
                    started.maxTimestampMs(),
                    started.sizeInBytes(),
                    started.leaderEpochs(),
                    brokerId,
                    RemoteSegmentState.COPY_FINISHED,
                    time.milliseconds(),
                    custom.map(CustomMetadata::value).orElse(null));
            SegmentManifest manifest = new SegmentManifest(finished, offsetEntries, timeEntries);
            if (manifests != null) {
                // a fenced leader publishes no COPY_FINISHED manifest, which a rebuild would take for history
                checkLeaderEpoch(state, leaderEpoch);
                // before the index says COPY_FINISHED: a segment the index offers to readers can always be rebuilt
                manifests.putManifest(metadataFor(state.tip(), finished), manifest.toBytes());
            }
            checkLeaderEpoch(state, leaderEpoch);
            // the replicas hear of it before this index offers it, so no reader here sees a segment they may not know
            publisher.copyFinished(state.tip(), leaderEpoch, manifest);
            store.applyManifest(manifest);
        } catch (RemoteStorageException | IOException | RuntimeException e) {
            recordCopyError(state, e);
            log.warn("Copy of {} failed; rolling it back and retrying later", started, e);
            try {
                // a finished copy's cleanup: published, so that a copy whose publication is uncertain stays
                delete(state.tip(), started, state.partition.leaderEpoch());
            } catch (RemoteStorageException | RuntimeException cleanup) {
                // the COPY_STARTED or DELETE_STARTED record stays; the next run cleans it up
                log.warn("Could not roll back the failed copy of {}", started, cleanup);
            }
            return false;
        }
        copiedBytes.add(local.sizeInBytes());
        copiedSegments.increment();
        state.remoteLogSize = state.remoteLogSize.plus(local.sizeInBytes());
        log.debug("Copied {}", started.id());
        return true;
    }

    private void recordCopyError(PartitionState state, Exception e) {
        copyErrors.increment();
        state.lastCopyError = e.toString();
        state.lastCopyErrorMs = time.milliseconds();
    }

    /** Another broker may lead and copy now: only the leader of one epoch may finish a copy. */
    private static void checkLeaderEpoch(PartitionState state, int leaderEpoch) throws RemoteStorageException {
        if (state.partition.leaderEpoch() != leaderEpoch) {
            throw new RemoteStorageException("The leader epoch of " + state.tip() + " moved from " + leaderEpoch
                    + " to " + state.partition.leaderEpoch() + " during the copy");
        }
    }

    private void expire(PartitionState state, TieringConfig config) throws RemoteStorageException {
        List<RemoteSegment> finished = new ArrayList<>();
        long total = 0;
        for (RemoteSegment segment : store.segments(state.key)) {
            if (segment.state().isReadable()) {
                finished.add(segment);
                total += segment.sizeInBytes();
            }
        }
        long remoteBytes = total;
        state.remoteLogSize = new RemoteLogManagerStats.RemoteLogSize(finished.size(), remoteBytes);
        if (finished.isEmpty()) {
            return;
        }
        long highest = finished.get(finished.size() - 1).endOffset();
        for (LocalSegment local : state.partition.sealedSegments()) {
            if (local.endOffset() > highest) {
                total += local.sizeInBytes();
            }
        }
        long logStartOffset = state.partition.logStartOffset();
        long now = time.milliseconds();
        RemoteSegment lastDeleted = null;
        int deleted = 0;
        for (RemoteSegment segment : finished) {
            boolean belowLogStart = segment.endOffset() < logStartOffset;
            boolean pastRetentionMs =
                    config.retentionMs() >= 0 && now - segment.maxTimestampMs() > config.retentionMs();
            boolean pastRetentionBytes =
                    config.retentionBytes() >= 0 && total - segment.sizeInBytes() >= config.retentionBytes();
            if (!belowLogStart && !pastRetentionMs && !pastRetentionBytes) {
                break;
            }
            // remote retention
            delete(state.tip(), segment, state.partition.leaderEpoch());
            deletedSegments.increment();
            total -= segment.sizeInBytes();
            remoteBytes -= segment.sizeInBytes();
            lastDeleted = segment;
            deleted++;
            state.remoteLogSize = new RemoteLogManagerStats.RemoteLogSize(finished.size() - deleted, remoteBytes);
        }
        if (lastDeleted != null) {
            long remoteLogStart =
                    deleted < finished.size() ? finished.get(deleted).startOffset() : lastDeleted.endOffset() + 1;
            log.info(
                    "Expired {} remote segments of {}; the remote log now starts at {}",
                    deleted,
                    state.tip(),
                    remoteLogStart);
            state.partition.onRemoteLogStartOffset(remoteLogStart);
        }
    }

    private void rollBackUnfinishedCopies(PartitionState state) {
        for (RemoteSegment segment : store.segments(state.key)) {
            if (segment.state() != RemoteSegmentState.COPY_FINISHED) {
                try {
                    // a failed copy's cleanup, or a deletion the previous leader started
                    delete(state.tip(), segment, state.partition.leaderEpoch());
                } catch (RemoteStorageException | RuntimeException e) {
                    log.warn("Could not clean up the unfinished {}", segment, e);
                }
            }
        }
    }

    private void finishInterruptedDeletes(PartitionState partition) throws RemoteStorageException {
        for (RemoteSegment segment : store.segments(partition.key)) {
            RemoteSegmentState state = segment.state();
            if (state == RemoteSegmentState.DELETE_STARTED || state == RemoteSegmentState.DELETE_FINISHED) {
                delete(partition.tip(), segment, partition.partition.leaderEpoch());
            }
        }
    }

    private void deleteAll(TopicIdPartition tip, int leaderEpoch) throws RemoteStorageException {
        RemoteStorageException failure = null;
        for (RemoteSegment segment : store.segments(key(tip))) {
            try {
                delete(tip, segment, leaderEpoch);
                deletedSegments.increment();
            } catch (RemoteStorageException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        store.deletePartition(key(tip));
    }

    /**
     * Takes a segment in any state through DELETE_STARTED, backend delete and DELETE_FINISHED, out of the index; its
     * manifest says DELETE_STARTED before the data goes and is deleted after it. Unless {@code leaderEpoch} is
     * {@link #NOT_PUBLISHED} (a deleted topic, which no replica records any more), DELETE_STARTED is published as this
     * broker's decision in that leader epoch before anything is deleted, and DELETE_FINISHED once the data is gone.
     */
    private void delete(TopicIdPartition tip, RemoteSegment segment, int leaderEpoch) throws RemoteStorageException {
        try {
            RemoteSegment deleting = segment;
            if (leaderEpoch != NOT_PUBLISHED && segment.state() != RemoteSegmentState.DELETE_FINISHED) {
                // also when resuming: an index rebuilt from a DELETE_STARTED manifest may know more than the record
                publisher.deleteStarted(tip, leaderEpoch, segment);
            }
            if (segment.state() == RemoteSegmentState.COPY_STARTED
                    || segment.state() == RemoteSegmentState.COPY_FINISHED) {
                deleting = store.updateState(segment.id(), RemoteSegmentState.DELETE_STARTED, time.milliseconds());
            }
            if (deleting.state() == RemoteSegmentState.DELETE_STARTED) {
                // again when resuming a deletion: the write that should have done it may have failed
                putDeleteStartedManifest(tip, deleting);
                storage.deleteLogSegmentData(metadataFor(tip, deleting));
                if (leaderEpoch != NOT_PUBLISHED) {
                    publisher.deleteFinished(tip, deleting);
                }
                markDeleteFinished(segment.id());
            }
            if (manifests != null) {
                manifests.deleteManifest(metadataFor(tip, segment));
            }
            store.removeSegment(segment.id());
        } catch (RemoteStorageException | RuntimeException e) {
            deleteErrors.increment();
            throw e;
        }
    }

    /** Tolerates the broker's record applier having got there first: it applies the published DELETE_FINISHED too. */
    private void markDeleteFinished(RemoteSegmentId id) {
        try {
            store.updateState(id, RemoteSegmentState.DELETE_FINISHED, time.milliseconds());
        } catch (java.util.NoSuchElementException e) {
            // removed already
        }
    }

    private void putDeleteStartedManifest(TopicIdPartition tip, RemoteSegment deleting) throws RemoteStorageException {
        if (manifests == null) {
            return;
        }
        SegmentManifest manifest = store.manifest(deleting.id()).orElseThrow();
        manifests.putManifest(metadataFor(tip, deleting), manifest.toBytes());
    }

    private static RemoteLogSegmentMetadata metadataFor(TopicIdPartition tip, RemoteSegment segment) {
        byte[] custom = segment.customMetadata();
        return new RemoteLogSegmentMetadata(
                new RemoteLogSegmentId(tip, topicId(segment.id().segmentId())),
                segment.startOffset(),
                segment.endOffset(),
                segment.maxTimestampMs(),
                segment.brokerId(),
                segment.eventTimestampMs(),
                Math.toIntExact(segment.sizeInBytes()),
                custom.length == 0 ? Optional.empty() : Optional.of(new CustomMetadata(custom)),
                kafkaState(segment.state()),
                segment.leaderEpochs());
    }

    private static RemoteLogSegmentState kafkaState(RemoteSegmentState state) {
        return switch (state) {
            case COPY_STARTED -> RemoteLogSegmentState.COPY_SEGMENT_STARTED;
            case COPY_FINISHED -> RemoteLogSegmentState.COPY_SEGMENT_FINISHED;
            case DELETE_STARTED -> RemoteLogSegmentState.DELETE_SEGMENT_STARTED;
            case DELETE_FINISHED -> RemoteLogSegmentState.DELETE_SEGMENT_FINISHED;
        };
    }

    private static RemoteLogManagerStats.CopyLag lagOf(List<LocalSegment> segments) {
        long bytes = 0;
        for (LocalSegment segment : segments) {
            bytes += segment.sizeInBytes();
        }
        return new RemoteLogManagerStats.CopyLag(segments.size(), bytes);
    }

    private void schedule(PartitionState state, long intervalMs) {
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
                runExpiryOnce(tip);
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

    static PartitionKey key(TopicIdPartition tip) {
        Uuid id = tip.topicId();
        return new PartitionKey(new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()), tip.partition());
    }

    private static Uuid topicId(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    /** The wait after the {@code failedAttempts}-th failure in a row of a copy or deletion. */
    private static long backoffMs(int failedAttempts) {
        return Math.min(COPY_RETRY_BACKOFF_MAX_MS, COPY_RETRY_BACKOFF_MS << Math.min(failedAttempts - 1, 16));
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

    /** A registered partition, its copy backoff and lag, the size of its remote tier, and its scheduled tasks. */
    private static final class PartitionState {
        private final TieredPartition partition;
        private final PartitionKey key;
        private final ReentrantLock lock;
        private volatile boolean unregistered;
        private volatile RemoteLogManagerStats.CopyLag copyLag = RemoteLogManagerStats.CopyLag.NONE;
        private volatile RemoteLogManagerStats.RemoteLogSize remoteLogSize = RemoteLogManagerStats.RemoteLogSize.NONE;
        /** Written under the lock, read by {@link #tierStatus} without it. */
        private volatile int failedAttempts;

        private volatile String lastCopyError;
        private volatile long lastCopyErrorMs = -1L;
        private long nextCopyAttemptMs;
        /** When a copy last finished, or nothing waited to be copied. */
        private volatile long lastCopyProgressMs;

        private long lastStallWarningMs = Long.MIN_VALUE / 2;
        private volatile ScheduledFuture<?> copyTask;
        private volatile ScheduledFuture<?> expiryTask;

        PartitionState(TieredPartition partition, PartitionKey key, ReentrantLock lock, long registeredMs) {
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
    }
}
