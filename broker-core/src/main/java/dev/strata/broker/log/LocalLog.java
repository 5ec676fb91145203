package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InconsistentTopicIdException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's log on local disk: the segments in the partition directory {@code <topic>-<partition>}, with the
 * partition's leader-epoch cache, producer state and {@code partition.metadata}. It plays the role of Kafka's
 * {@code UnifiedLog} (Kafka's own {@code LocalLog} is only the segment part of it): the one object the partition,
 * the fetch and produce paths, the cleaner and tiering hold for a partition's log. Its own jobs are append, read, roll,
 * truncate, flush and the segment deletions that retention, DeleteRecords and the cleaner's swap ask for; opening and
 * recovery are {@link LogLoader}'s, the retention rules {@link LogRetention}'s, and what the remote tier holds is kept
 * by {@link RemoteOffsets}.
 *
 * <p>Threads and locks:
 *
 * <ul>
 *   <li>{@link #lock} guards every change: appends, rolls, truncation, segment deletion (retention, DeleteRecords,
 *       remote retention, turning tiering off), the cleaner's swap, the high watermark, the remote offsets and close.
 *       {@link LogRetention} and {@link RemoteOffsets} run only under it.
 *   <li>Readers never take it: they see segments through a concurrent map and the end of the log through the volatile
 *       {@link #end}, which an append publishes only after its bytes are in the file, so a read never returns a batch
 *       whose offsets are not yet part of the log. A segment removed by retention is renamed at once and deleted
 *       {@code file.delete.delay.ms} later, giving in-flight reads of it time to finish.
 *   <li>Flushes run without the lock (a roll hands its flush to the scheduler); the recovery point they advance is
 *       updated under the log's monitor ({@code synchronized (this)}).
 *   <li>{@link #producerSnapshotAt}, called by tiering, rebuilds a missing producer snapshot under its own
 *       {@link #snapshotRebuildLock}, reading segment files without the log's lock.
 * </ul>
 *
 * <p>Transactions: the producer state ({@link ProducerStateManager}) knows the open ones, which bound the last stable
 * offset ({@link #lastStableOffset()}); a marker that ends an aborted one adds it to its segment's
 * {@link TransactionIndex}, which {@link #collectAbortedTransactions} reads for {@code read_committed} fetches.
 *
 * <p>Why it is ~1260 lines: what remains reads or changes the segment map, the end offset and the log start offset
 * under the rules above; split further, those rules would be spread over several classes. The next job to leave it
 * is the leader/follower append pair, whose validation and bookkeeping could live in a class of their own.
 */
public final class LocalLog {

    private static final Logger LOG = LoggerFactory.getLogger(LocalLog.class);

    static final String CLEANED_SUFFIX = ".cleaned";
    static final String SWAP_SUFFIX = ".swap";
    static final String TMP_SUFFIX = ".tmp";

    /** Where the log ends: the next offset, and the segment and byte position it will be written at. */
    private record EndOffset(long offset, long segmentBaseOffset, int position) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    private final LeaderEpochCache leaderEpochCache;
    private final ProducerStateManager producerState;
    /** Serializes rebuilds of missing producer snapshots, which write through a temporary file of the same name. */
    private final Object snapshotRebuildLock = new Object();

    private volatile Path dir;
    private volatile LogConfig config;
    private volatile EndOffset end;
    private volatile long logStartOffset;
    private final RemoteOffsets remote = new RemoteOffsets();

    private volatile long highWatermark;
    /** {@link ProducerStateManager#firstUnstableOffset()}, or {@link Long#MAX_VALUE}; read without the lock. */
    private volatile long firstUnstableOffset = Long.MAX_VALUE;

    private volatile long recoveryPoint;
    private volatile long lastFlushTimeMs;
    private long unflushedMessages;
    /** Counts truncations, so the log cleaner can tell that segments it read may have changed since. */
    private volatile long truncations;

    private volatile boolean closed;
    /** The health of the directory this log lives in: offline after an I/O error, or short of space. */
    private volatile LogDirectory logDirectory;

    private LocalLog(
            Path dir,
            TopicPartition topicPartition,
            Uuid topicId,
            LogConfig config,
            Time time,
            ScheduledExecutorService scheduler,
            LeaderEpochCache leaderEpochCache,
            ProducerStateManager producerState,
            long logStartOffset,
            long recoveryPoint) {
        this.dir = dir;
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.config = config;
        this.time = time;
        this.scheduler = scheduler;
        this.leaderEpochCache = leaderEpochCache;
        this.producerState = producerState;
        this.logStartOffset = logStartOffset;
        this.recoveryPoint = recoveryPoint;
        this.lastFlushTimeMs = time.milliseconds();
        this.logDirectory = LogDirectory.standalone(dir.getParent());
        refreshFirstUnstableOffset();
    }

    public static LocalLog open(
            Path dir,
            TopicPartition tp,
            Uuid topicId,
            LogConfig config,
            Time time,
            long recoveryPoint,
            boolean hadCleanShutdown)
            throws IOException {
        return open(dir, tp, topicId, config, time, recoveryPoint, 0L, hadCleanShutdown, null);
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, recovering it if the broker did not shut down cleanly; the
     * loading and recovery are {@link LogLoader}'s.
     *
     * @param recoveryPoint the offset below which the log was flushed; recovery starts at the segment holding it
     * @param logStartOffset the log start offset checkpointed before the restart; the first segment's base offset
     *     applies if it is larger, unless the log is tiered ({@code remote.storage.enable}): then the remote tier may
     *     hold the offsets below its first local segment
     * @param scheduler runs delayed file deletions; null deletes files at once
     * @throws InconsistentTopicIdException if the directory belongs to another incarnation of the topic
     */
    public static LocalLog open(
            Path dir,
            TopicPartition tp,
            Uuid topicId,
            LogConfig config,
            Time time,
            long recoveryPoint,
            long logStartOffset,
            boolean hadCleanShutdown,
            ScheduledExecutorService scheduler)
            throws IOException {
        LogLoader.LoadedLog loaded =
                LogLoader.load(dir, tp, topicId, config, time, recoveryPoint, logStartOffset, hadCleanShutdown);
        LocalLog log = new LocalLog(
                dir,
                tp,
                topicId,
                config,
                time,
                scheduler,
                loaded.leaderEpochCache(),
                loaded.producerState(),
                loaded.logStartOffset(),
                loaded.recoveryPoint());
        for (LogSegment segment : loaded.segments()) {
            log.segments.put(segment.baseOffset(), segment);
        }
        LogSegment active = log.activeSegment();
        log.end = new EndOffset(loaded.logEndOffset(), active.baseOffset(), active.size());
        log.highWatermark = loaded.logEndOffset();
        return log;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    public LeaderEpochCache leaderEpochCache() {
        return leaderEpochCache;
    }

    public ProducerStateManager producerState() {
        return producerState;
    }

    /**
     * The producer-state snapshot at {@code offset}, the base offset of a segment after the first: the producer state
     * after every batch of the segments before it, which KIP-405 uploads with the segment that ends there. A roll takes
     * it; a log rolled without one (written by an older version, or recovered after a crash) or whose file was removed
     * lacks it, and then it is rebuilt here, as the roll would have taken it: from the newest snapshot below
     * {@code offset} (or the first local segment), replaying the batches in between. That reads segment files, so it
     * runs on the caller's thread (tiering's), without the log's lock.
     *
     * @throws UncheckedIOException if the snapshot cannot be written
     * @throws org.apache.kafka.common.KafkaException if a segment cannot be read
     */
    public Path producerSnapshotAt(long offset) {
        Path file = ProducerStateManager.snapshotFile(dir, offset);
        synchronized (snapshotRebuildLock) {
            if (Files.exists(file)) {
                return file;
            }
            ProducerStateManager rebuilt =
                    ProducerStateManager.loadAt(dir, logStartOffset, offset, producerState.producerIdExpirationMs());
            long from = rebuilt.snapshotOffset();
            int replayed;
            try {
                replayed = LogLoader.replayProducerState(segments(), rebuilt, from, offset, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // not thrown: only restoring a transaction index writes
            }
            rebuilt.takeSnapshot(offset);
            LOG.info(
                    "Rebuilt the missing producer snapshot at offset {} of {} from offset {}: {} producer batches replayed",
                    offset,
                    topicPartition,
                    from,
                    replayed);
            return file;
        }
    }

    /** The latest leader epoch written to the log, or -1. */
    public int latestEpoch() {
        return leaderEpochCache.latestEpoch().orElse(LeaderEpochCache.UNDEFINED_EPOCH);
    }

    /** The first offset of the whole log, in either tier. */
    public long logStartOffset() {
        return logStartOffset;
    }

    /**
     * The first offset held on local disk. It equals the log start offset unless the log is tiered and local retention
     * removed segments that the remote tier still holds.
     */
    public long localLogStartOffset() {
        Map.Entry<Long, LogSegment> first = segments.firstEntry();
        long start = logStartOffset;
        return first == null ? start : Math.max(start, first.getKey());
    }

    /** Whether the log's topic is tiered ({@code remote.storage.enable=true}). */
    public boolean remoteStorageEnabled() {
        return config.remoteStorageEnable();
    }

    /** The highest offset the remote tier holds durably, or -1 when it holds none (or the log is not tiered). */
    public long highestRemoteOffset() {
        return remote.highestRemoteOffset();
    }

    /**
     * The remote tier now holds every offset up to and including {@code offset}: local segments that end at or below
     * it may be deleted once they are past local retention.
     */
    public void onHighestRemoteOffset(long offset) {
        lock.lock();
        try {
            remote.onHighestRemoteOffset(offset, config.remoteStorageEnable());
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the state of every producer this log tracks, taken under its lock (DescribeProducers). */
    public List<ProducerStateEntry> activeProducers() {
        lock.lock();
        try {
            return List.copyOf(producerState.activeProducers().values());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Forgets the producers idle for longer than {@code producer.id.expiration.ms} (see
     * {@link ProducerStateManager#removeExpiredProducers(long, long)}), under the log's lock as appends change them.
     *
     * @return how many were forgotten
     */
    public int removeExpiredProducers(long nowMs, long expirationMs) {
        lock.lock();
        try {
            return closed ? 0 : producerState.removeExpiredProducers(nowMs, expirationMs);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Tiering of this log was turned off ({@code remote.storage.enable} set to false with
     * {@code remote.log.delete.on.disable=true}, KIP-950): its remote data is being deleted, so the log start offset
     * rises to the local log start offset, and nothing counts as held remotely any more.
     */
    public void onRemoteStorageDisabled() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            remote.onRemoteStorageDisabled(logStartOffset, localLogStartOffset())
                    .ifPresent(start -> raiseLogStartOffset(start, "turning remote storage off"));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Remote retention deleted every remote offset below {@code offset}: the log start offset rises to it (never past
     * the high watermark), and local segments wholly below it go too.
     */
    public void onRemoteLogStartOffset(long offset) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            RemoteOffsets.onRemoteLogStartOffset(offset, logStartOffset, highWatermark)
                    .ifPresent(start -> raiseLogStartOffset(start, "remote retention"));
        } finally {
            lock.unlock();
        }
    }

    public long logEndOffset() {
        return end.offset();
    }

    public long highWatermark() {
        return highWatermark;
    }

    /** Sets the high watermark, clamped to [log start offset, log end offset]. */
    public void updateHighWatermark(long hw) {
        lock.lock();
        try {
            highWatermark = Math.max(logStartOffset, Math.min(hw, end.offset()));
            producerState.onHighWatermarkUpdated(highWatermark);
            refreshFirstUnstableOffset();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The last stable offset (LSO): the high watermark, or the first offset of the oldest transaction that is still
     * open (or whose marker is not yet replicated) when that is lower. A {@code read_committed} consumer reads up to
     * it, never past it: what lies beyond may still be aborted.
     */
    public long lastStableOffset() {
        long hw = highWatermark;
        long firstUnstable = firstUnstableOffset;
        return firstUnstable < hw ? Math.max(firstUnstable, logStartOffset) : hw;
    }

    /**
     * The aborted transactions that overlap {@code [startOffset, upperBoundOffset)}, from the transaction indexes of
     * the segment holding {@code startOffset} and the ones after it, as far as they can matter. A {@code
     * read_committed} fetch returns them with its records so the consumer can drop the aborted ones.
     *
     * @throws KafkaStorageException if an index cannot be read
     */
    public List<AbortedTxn> collectAbortedTransactions(long startOffset, long upperBoundOffset) {
        Long from = segments.floorKey(startOffset);
        List<AbortedTxn> aborted = new ArrayList<>();
        try {
            for (LogSegment segment :
                    segments.tailMap(from == null ? Long.MIN_VALUE : from, true).values()) {
                TransactionIndex.SearchResult found =
                        segment.txnIndex().collectAbortedTxns(startOffset, upperBoundOffset);
                aborted.addAll(found.aborted());
                if (found.complete()) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new KafkaStorageException("Error reading the transaction index of " + topicPartition, e);
        }
        return aborted;
    }

    /** Records the transactions the batches just appended to {@code segment} completed, and moves the LSO bound. */
    private void completeTransactions(LogSegment segment, List<CompletedTxn> completed) throws IOException {
        for (CompletedTxn txn : completed) {
            segment.updateTxnIndex(txn, producerState.lastStableOffsetAfter(txn));
        }
        refreshFirstUnstableOffset();
    }

    private void refreshFirstUnstableOffset() {
        firstUnstableOffset = producerState.firstUnstableOffset().orElse(Long.MAX_VALUE);
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    public long lastFlushTimeMs() {
        return lastFlushTimeMs;
    }

    public long size() {
        long size = 0;
        for (LogSegment segment : segments.values()) {
            size += segment.size();
        }
        return size;
    }

    /** The largest record timestamp in the local segments, or -1 ({@code NO_TIMESTAMP}) when they hold none. */
    public long maxTimestamp() {
        long max = RecordBatch.NO_TIMESTAMP;
        for (LogSegment segment : segments.values()) {
            max = Math.max(max, segment.largestTimestamp());
        }
        return max;
    }

    public int numberOfSegments() {
        return segments.size();
    }

    public List<LogSegment> segments() {
        return List.copyOf(segments.values());
    }

    public LogSegment activeSegment() {
        return segments.lastEntry().getValue();
    }

    /**
     * Validates {@code records} from a producer, assigns their offsets and appends them, unless they are a retry of
     * batches already in the log.
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records, int leaderEpoch) {
        return append(records, leaderEpoch, true);
    }

    /**
     * Appends records a coordinator writes itself, such as the group coordinator's transactional offset commits: a
     * batch with the producer's id and epoch, at sequence 0 like every such batch. As for Kafka's appends of origin COORDINATOR, only
     * the producer epoch is checked, and the batch opens (or extends) the producer's transaction in this partition.
     *
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException if the batch's producer epoch is older than
     *     the producer's current epoch in this partition
     */
    public LogAppendInfo appendAsCoordinator(MemoryRecords records, int leaderEpoch) {
        return append(records, leaderEpoch, false);
    }

    /**
     * Appends the COMMIT or ABORT marker that ends the transaction of {@code producerId} in this partition, as the
     * transaction coordinator asks with WriteTxnMarkers: a control batch the broker writes, at the leader's epoch.
     *
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException if {@code producerEpoch} is older than the
     *     producer's current epoch in this partition
     */
    public LogAppendInfo appendMarkerAsLeader(
            long producerId, short producerEpoch, int coordinatorEpoch, boolean commit, int leaderEpoch) {
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(
                0L,
                time.milliseconds(),
                leaderEpoch,
                producerId,
                producerEpoch,
                new EndTransactionMarker(
                        commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch));
        return append(marker, leaderEpoch, false);
    }

    /** @param fromClient whether a producer sent {@code records} (false: the broker writes them, e.g. markers) */
    private LogAppendInfo append(MemoryRecords records, int leaderEpoch, boolean fromClient) {
        lock.lock();
        try {
            ensureOpen();
            logDirectory.checkWritable();
            long nowMs = time.milliseconds();
            ValidationResult validated = LogValidator.validateAndAssignOffsets(
                    records, topicPartition, end.offset(), config, nowMs, leaderEpoch, fromClient);
            for (BatchSummary batch : validated.batches()) {
                if (!fromClient) {
                    // the broker's own batches carry no meaningful sequences: only their epoch is checked
                    producerState.checkEpoch(batch);
                    continue;
                }
                Optional<BatchMetadata> original = producerState.checkBatch(batch);
                if (original.isPresent()) {
                    BatchMetadata meta = original.get();
                    return new LogAppendInfo(
                            meta.firstOffset(),
                            meta.lastOffset(),
                            RecordBatch.NO_TIMESTAMP,
                            RecordBatch.NO_TIMESTAMP,
                            logStartOffset,
                            0,
                            true);
                }
            }
            MemoryRecords valid = validated.records();
            if (valid.sizeInBytes() > config.segmentBytes()) {
                throw new RecordBatchTooLargeException("Batches of " + valid.sizeInBytes()
                        + " bytes do not fit segment.bytes=" + config.segmentBytes() + " of " + topicPartition);
            }
            if (validated.recordCount() == 0) {
                return new LogAppendInfo(
                        end.offset(),
                        end.offset() - 1,
                        RecordBatch.NO_TIMESTAMP,
                        validated.logAppendTime(),
                        logStartOffset,
                        0,
                        false);
            }
            LogSegment segment = maybeRoll(
                    valid.sizeInBytes(),
                    validated.maxTimestamp(),
                    validated.firstOffset(),
                    validated.lastOffset(),
                    nowMs);
            segment.append(validated.lastOffset(), validated.maxTimestamp(), validated.lastOffset(), valid);
            List<CompletedTxn> completed = new ArrayList<>();
            for (BatchSummary batch : validated.batches()) {
                producerState.update(batch).ifPresent(completed::add);
            }
            completeTransactions(segment, completed);
            for (RecordBatch batch : valid.batches()) {
                if (batch.partitionLeaderEpoch() >= 0 && batch.partitionLeaderEpoch() > latestEpoch()) {
                    leaderEpochCache.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
                }
            }
            end = new EndOffset(validated.lastOffset() + 1, segment.baseOffset(), segment.size());
            unflushedMessages += validated.recordCount();
            if (unflushedMessages >= config.flushMessages()) {
                flushLocked();
            }
            return new LogAppendInfo(
                    validated.firstOffset(),
                    validated.lastOffset(),
                    validated.maxTimestamp(),
                    validated.logAppendTime(),
                    logStartOffset,
                    validated.recordCount(),
                    false);
        } catch (IOException | UncheckedIOException e) {
            // Nothing after a torn write may be acknowledged: the whole directory stops taking writes.
            throw logDirectory.fail("appending to " + topicPartition, unwrap(e));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends batches fetched from the partition's leader, as the leader wrote them: offsets, leader epochs and
     * timestamps are the leader's and nothing is assigned. Each batch must pass its CRC and follow the previous one (the
     * first at or after the log end offset: a compacted leader log may have gaps); the leader epochs of the batches
     * extend the epoch cache and their producer ids the producer state, so that this log, once leader, answers
     * OffsetForLeaderEpoch and deduplicates retried batches as the old leader did. The high watermark is not moved: the
     * fetcher sets it from the leader's.
     *
     * @throws CorruptRecordException if a batch fails its CRC or its offsets go backwards
     */
    public LogAppendInfo appendAsFollower(MemoryRecords records) {
        lock.lock();
        try {
            ensureOpen();
            long first = -1;
            long last = -1;
            long maxTimestamp = RecordBatch.NO_TIMESTAMP;
            long offsetOfMaxTimestamp = -1;
            int count = 0;
            int validBytes = 0;
            long next = end.offset();
            for (RecordBatch batch : records.batches()) {
                batch.ensureValid();
                if (batch.baseOffset() < next || batch.lastOffset() < batch.baseOffset()) {
                    throw new CorruptRecordException("Batch at offsets " + batch.baseOffset() + ".."
                            + batch.lastOffset() + " from the leader of " + topicPartition
                            + " does not follow offset " + (next - 1));
                }
                if (first < 0) {
                    first = batch.baseOffset();
                }
                last = batch.lastOffset();
                next = last + 1;
                if (batch.maxTimestamp() > maxTimestamp) {
                    maxTimestamp = batch.maxTimestamp();
                    offsetOfMaxTimestamp = batch.lastOffset();
                }
                count += (int) (batch.lastOffset() - batch.baseOffset() + 1);
                validBytes += batch.sizeInBytes();
            }
            if (first < 0) {
                return new LogAppendInfo(
                        end.offset(),
                        end.offset() - 1,
                        RecordBatch.NO_TIMESTAMP,
                        RecordBatch.NO_TIMESTAMP,
                        logStartOffset,
                        0,
                        false);
            }
            if (validBytes < records.sizeInBytes()) {
                // the fetch's byte limit cut the last batch short: it comes whole with the next fetch
                ByteBuffer whole = records.buffer().duplicate();
                whole.limit(whole.position() + validBytes);
                records = MemoryRecords.readableRecords(whole.slice());
            }
            if (records.sizeInBytes() > config.segmentBytes()) {
                throw new RecordBatchTooLargeException("Batches of " + records.sizeInBytes()
                        + " bytes from the leader do not fit segment.bytes=" + config.segmentBytes() + " of "
                        + topicPartition);
            }
            long nowMs = time.milliseconds();
            LogSegment segment = maybeRoll(records.sizeInBytes(), maxTimestamp, first, last, nowMs);
            segment.append(last, maxTimestamp, offsetOfMaxTimestamp, records);
            List<CompletedTxn> completed = new ArrayList<>();
            for (RecordBatch batch : records.batches()) {
                if (batch.hasProducerId()) {
                    producerState.update(BatchSummary.of(batch)).ifPresent(completed::add);
                }
                if (batch.partitionLeaderEpoch() >= 0 && batch.partitionLeaderEpoch() > latestEpoch()) {
                    leaderEpochCache.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
                }
            }
            completeTransactions(segment, completed);
            end = new EndOffset(last + 1, segment.baseOffset(), segment.size());
            unflushedMessages += count;
            if (unflushedMessages >= config.flushMessages()) {
                flushLocked();
            }
            return new LogAppendInfo(first, last, maxTimestamp, RecordBatch.NO_TIMESTAMP, logStartOffset, count, false);
        } catch (IOException e) {
            throw new KafkaStorageException("Error appending to " + topicPartition + " in " + dir, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A follower learned the leader's log start offset: its own rises to it, never past its own high watermark (as
     * DeleteRecords on the leader moved it there), and the segments wholly below it go.
     */
    public void maybeIncrementLogStartOffset(long leaderLogStartOffset) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            long start = Math.min(leaderLogStartOffset, highWatermark);
            if (start > logStartOffset) {
                raiseLogStartOffset(start, "the leader's log start offset");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes every segment and starts the log empty at {@code offset}: a follower whose fetch offset the leader no
     * longer has (below the leader's log start offset) starts again from there. The epoch cache and producer state are
     * emptied; the batches fetched next rebuild them.
     */
    public void truncateFullyAndStartAt(long offset) {
        lock.lock();
        try {
            ensureOpen();
            for (LogSegment segment : List.copyOf(segments.values())) {
                segments.remove(segment.baseOffset());
                segment.renameForDeletion();
                scheduleDeletion(segment);
            }
            LogSegment fresh = LogSegment.open(dir, offset, config, time);
            segments.put(offset, fresh);
            truncations++;
            end = new EndOffset(offset, offset, fresh.size());
            logStartOffset = offset;
            highWatermark = offset;
            recoveryPoint = offset;
            leaderEpochCache.clear();
            producerState.truncateFullyAndStartAt(offset);
            refreshFirstUnstableOffset();
            LOG.info("Truncated {} fully and restarted it at offset {}", topicPartition, offset);
        } catch (IOException e) {
            throw new KafkaStorageException("Error truncating " + topicPartition, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A follower whose fetch offset only the leader's remote tier holds (KIP-405's bootstrap, replacing Kafka's
     * {@code truncateFullyAndRestartAt}): the log is emptied and restarts locally at {@code localStart}, the first
     * offset after the remote tier, while its log start offset stays at the leader's {@code logStartOffset} (the
     * remote tier holds everything between). The leader-epoch cache takes {@code epochs} and the producer state is
     * loaded from {@code producerSnapshot}, the remote tier's snapshot at {@code localStart}, so that leader-epoch
     * truncation and idempotent producers work on this replica as on the leader.
     */
    public void restartAfterRemoteTier(
            long localStart, long logStartOffset, List<EpochEntry> epochs, byte[] producerSnapshot) {
        lock.lock();
        try {
            truncateFullyAndStartAt(localStart);
            long start = Math.min(logStartOffset, localStart);
            Files.write(ProducerStateManager.snapshotFile(dir, localStart), producerSnapshot);
            producerState.truncateAndReload(start, localStart);
            refreshFirstUnstableOffset();
            for (EpochEntry entry : epochs) {
                if (entry.startOffset() < localStart) {
                    leaderEpochCache.assign(entry.epoch(), entry.startOffset());
                }
            }
            // the remote tier holds [start, localStart): consumers below it are served from there
            logStartOffset = start;
            LOG.info(
                    "Restarted {} at offset {} after the remote tier (log start offset {}, {} epochs, {} producers)",
                    topicPartition,
                    localStart,
                    start,
                    epochs.size(),
                    producerState.activeProducers().size());
        } catch (IOException e) {
            throw new KafkaStorageException("Error restarting " + topicPartition + " after the remote tier", e);
        } finally {
            lock.unlock();
        }
    }

    private LogSegment maybeRoll(int messagesSize, long maxTimestamp, long firstOffset, long lastOffset, long nowMs)
            throws IOException {
        LogSegment active = activeSegment();
        if (!active.shouldRoll(config, maxTimestamp, lastOffset, messagesSize, nowMs)) {
            return active;
        }
        return roll(firstOffset);
    }

    /** Closes the active segment to appends and starts a new one at {@code newBaseOffset}. */
    private LogSegment roll(long newBaseOffset) throws IOException {
        LogSegment active = activeSegment();
        if (active.baseOffset() == newBaseOffset || active.size() == 0 && active.baseOffset() >= newBaseOffset) {
            return active;
        }
        long start = time.milliseconds();
        active.onBecomeInactiveSegment();
        producerState.takeSnapshot(newBaseOffset);
        LogSegment segment = LogSegment.open(dir, newBaseOffset, config, time);
        segments.put(newBaseOffset, segment);
        end = new EndOffset(end.offset(), newBaseOffset, 0);
        LOG.info("Rolled new segment {} of {} in {} ms", newBaseOffset, topicPartition, time.milliseconds() - start);
        long flushUpTo = newBaseOffset;
        if (scheduler != null) {
            scheduler.execute(() -> flush(flushUpTo));
        } else {
            flush(flushUpTo);
        }
        return segment;
    }

    /** Rolls the active segment if it holds data, e.g. so that all of it can be deleted or tiered. */
    public void roll() {
        lock.lock();
        try {
            ensureOpen();
            if (activeSegment().size() > 0) {
                roll(end.offset());
            }
        } catch (IOException | UncheckedIOException e) {
            throw logDirectory.fail("rolling " + topicPartition, unwrap(e));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads batches from {@code startOffset} on local disk; never holds the log's lock.
     *
     * @param maxOffsetExclusive no batch starting at or after this offset is returned (e.g. the high watermark)
     * @param minOneMessage return the first batch whole even if it is larger than {@code maxBytes}
     * @throws OffsetOutOfRangeException if {@code startOffset} is outside [local log start offset, log end offset]
     */
    public FetchDataInfo read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage) {
        logDirectory.checkOnline();
        EndOffset endNow = end;
        long start = localLogStartOffset();
        if (startOffset < start || startOffset > endNow.offset()) {
            throw new OffsetOutOfRangeException("Offset " + startOffset + " is out of range for " + topicPartition
                    + ": local log start offset " + start + ", log end offset " + endNow.offset());
        }
        long maxOffset = Math.min(maxOffsetExclusive, endNow.offset());
        if (startOffset >= maxOffset) {
            return FetchDataInfo.empty(startOffset);
        }
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(startOffset);
        while (entry != null) {
            LogSegment segment = entry.getValue();
            FetchDataInfo info =
                    segment.read(startOffset, maxBytes, maxPosition(segment, maxOffset, endNow), minOneMessage);
            if (info != null) {
                return info;
            }
            entry = segments.higherEntry(entry.getKey());
        }
        return FetchDataInfo.empty(startOffset);
    }

    /** The byte position in {@code segment} where batches at or after {@code maxOffset} begin. */
    private long maxPosition(LogSegment segment, long maxOffset, EndOffset endNow) {
        if (segment.baseOffset() == endNow.segmentBaseOffset() && maxOffset == endNow.offset()) {
            return endNow.position();
        }
        Long nextBase = segments.higherKey(segment.baseOffset());
        if (nextBase != null && nextBase <= maxOffset) {
            return segment.size();
        }
        FileRecords.LogOffsetPosition position = segment.translateOffset(maxOffset);
        if (position == null) {
            return segment.baseOffset() == endNow.segmentBaseOffset() ? endNow.position() : segment.size();
        }
        return position.position;
    }

    /**
     * Answers ListOffsets: a timestamp >= 0 finds the first offset whose record timestamp is at or after it;
     * {@code -2} is the log start offset, {@code -1} the log end offset, {@code -3} the record with the largest
     * timestamp and {@code -4} the local log start offset.
     *
     * @return empty if no record is at or after the timestamp (or the log is empty, for {@code -3})
     */
    public Optional<TimestampAndOffset> fetchOffsetByTimestamp(long timestamp) {
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            long start = timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP ? logStartOffset : localLogStartOffset();
            return Optional.of(new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, start, epochAt(start)));
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            OptionalInt latest = leaderEpochCache.latestEpoch();
            return Optional.of(new TimestampAndOffset(
                    RecordBatch.NO_TIMESTAMP,
                    logEndOffset(),
                    latest.isPresent() ? Optional.of(latest.getAsInt()) : Optional.empty()));
        }
        if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
            LogSegment newest = null;
            for (LogSegment segment : segments.values()) {
                if (newest == null || segment.largestTimestamp() > newest.largestTimestamp()) {
                    newest = segment;
                }
            }
            if (newest == null || newest.largestTimestamp() == RecordBatch.NO_TIMESTAMP) {
                return Optional.empty();
            }
            return searchSegment(newest, newest.largestTimestamp());
        }
        if (timestamp < 0) {
            throw new IllegalArgumentException("Unsupported ListOffsets timestamp " + timestamp);
        }
        for (LogSegment segment : segments.values()) {
            if (segment.largestTimestamp() >= timestamp) {
                Optional<TimestampAndOffset> found = searchSegment(segment, timestamp);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    private Optional<TimestampAndOffset> searchSegment(LogSegment segment, long timestamp) {
        FileRecords.TimestampAndOffset found = segment.findOffsetByTimestamp(timestamp, logStartOffset);
        if (found == null) {
            return Optional.empty();
        }
        Optional<Integer> epoch = found.leaderEpoch.isPresent() ? found.leaderEpoch : epochAt(found.offset);
        return Optional.of(new TimestampAndOffset(found.timestamp, found.offset, epoch));
    }

    private Optional<Integer> epochAt(long offset) {
        OptionalInt epoch = leaderEpochCache.epochForOffset(offset);
        return epoch.isPresent() ? Optional.of(epoch.getAsInt()) : Optional.empty();
    }

    /**
     * DeleteRecords: raises the log start offset to {@code offset} and deletes the segments wholly below it.
     *
     * @throws OffsetOutOfRangeException if {@code offset} is above the high watermark
     */
    public void deleteRecordsBefore(long offset) {
        lock.lock();
        try {
            ensureOpen();
            if (offset > highWatermark) {
                throw new OffsetOutOfRangeException("Cannot delete records of " + topicPartition + " before offset "
                        + offset + ": the high watermark is " + highWatermark);
            }
            if (offset <= logStartOffset) {
                return;
            }
            raiseLogStartOffset(offset, "DeleteRecords");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies retention ({@link LogRetention}'s rules): deletes the oldest segments past {@code retention.ms}, beyond
     * {@code retention.bytes}, or wholly below the log start offset, or, for a log that copies to the remote tier,
     * past local retention and below the highest remote offset. Only segments below the high watermark go; if every
     * segment goes, a new empty one is rolled first.
     *
     * @return how many segments were deleted
     */
    public int deleteOldSegments() {
        LogConfig current = config;
        if (!current.delete()) {
            return 0;
        }
        lock.lock();
        try {
            ensureOpen();
            return LogRetention.apply(current, time.milliseconds(), retained);
        } finally {
            lock.unlock();
        }
    }

    /** The log as retention sees it; used under the lock, from {@link #deleteOldSegments}. */
    private final LogRetention.RetainedLog retained = new LogRetention.RetainedLog() {
        @Override
        public long logStartOffset() {
            return logStartOffset;
        }

        @Override
        public long highestRemoteOffset() {
            return remote.highestRemoteOffset();
        }

        @Override
        public long size() {
            return LocalLog.this.size();
        }

        @Override
        public int deleteOldestSegmentsWhile(LogRetention.SegmentPredicate predicate, String reason) {
            return deleteSegmentsWhile(predicate, reason);
        }
    };

    /** Moves the log start offset up to {@code offset} and drops the segments wholly below it. Call under the lock. */
    private void raiseLogStartOffset(long offset, String reason) {
        logStartOffset = offset;
        leaderEpochCache.truncateFromStart(offset);
        LOG.info("Log start offset of {} raised to {} by {}", topicPartition, offset, reason);
        deleteSegmentsWhile(LogRetention.belowLogStart(offset), "log start");
    }

    /**
     * Deletes the oldest segments while {@code predicate} holds and they end at or below the high watermark (an empty
     * active segment never goes; if every segment goes, a new empty one is rolled first). Call under the lock.
     */
    private int deleteSegmentsWhile(LogRetention.SegmentPredicate predicate, String reason) {
        List<LogSegment> deletable = new ArrayList<>();
        List<LogSegment> all = List.copyOf(segments.values());
        for (int i = 0; i < all.size(); i++) {
            LogSegment segment = all.get(i);
            LogSegment next = i + 1 < all.size() ? all.get(i + 1) : null;
            long segmentEnd = next == null ? end.offset() : next.baseOffset();
            boolean lastAndEmpty = next == null && segment.size() == 0;
            if (highWatermark >= segmentEnd && !lastAndEmpty && predicate.test(segment, next)) {
                deletable.add(segment);
            } else {
                break;
            }
        }
        if (deletable.isEmpty()) {
            return 0;
        }
        try {
            if (deletable.size() == segments.size()) {
                roll(end.offset());
            }
            for (LogSegment segment : deletable) {
                segments.remove(segment.baseOffset());
                segment.renameForDeletion();
                scheduleDeletion(segment);
            }
        } catch (IOException e) {
            throw new KafkaStorageException("Error deleting segments of " + topicPartition, e);
        }
        long newStart = segments.firstKey();
        // a log that copies to the remote tier keeps its log start offset: the remote tier still holds what was deleted
        // here; with copying disabled (KIP-950) local retention ends the log there, and remote retention follows
        if (newStart > logStartOffset && !config.remoteCopyEnabled()) {
            logStartOffset = newStart;
            leaderEpochCache.truncateFromStart(newStart);
        }
        producerState.deleteSnapshotsBelow(segments.firstKey());
        LOG.info(
                "Deleted {} segments of {} by {}: base offsets {}; log start offset now {}, local log start offset {}",
                deletable.size(),
                topicPartition,
                reason,
                deletable.stream().map(LogSegment::baseOffset).toList(),
                logStartOffset,
                segments.firstKey());
        return deletable.size();
    }

    private void scheduleDeletion(LogSegment segment) {
        Runnable delete = () -> {
            try {
                segment.deleteIfExists();
            } catch (IOException e) {
                LOG.warn("Failed to delete segment {} of {}", segment.baseOffset(), topicPartition, e);
            }
        };
        if (scheduler != null && config.fileDeleteDelayMs() > 0) {
            try {
                scheduler.schedule(delete, config.fileDeleteDelayMs(), TimeUnit.MILLISECONDS);
                return;
            } catch (RejectedExecutionException shuttingDown) {
                // the broker is stopping: the segment is already out of the log, so its files go now
            }
        }
        delete.run();
    }

    /**
     * What the log cleaner needs to know about the log, read together under the lock.
     *
     * @param segments the segments, oldest first; the last is the active one
     * @param firstUnstableOffset the first offset of the oldest open (or not yet replicated) transaction, or the log
     *     end offset
     * @param producerLastRecords each producer's last data offset and epoch, to keep the batch with its last sequence
     *     number, or the marker with its last epoch when no data batch of that epoch is known
     * @param truncations the truncation count, for {@link #replaceSegments}
     */
    record CleanerView(
            List<LogSegment> segments,
            long logStartOffset,
            long logEndOffset,
            long highWatermark,
            long firstUnstableOffset,
            Map<Long, ProducerLastRecord> producerLastRecords,
            long truncations) {}

    /**
     * What the cleaner must keep of one producer still tracked: the batch holding its last data offset (its last
     * sequence number), or, with none known ({@code lastDataOffset} -1), a marker of its epoch so that fencing survives
     * a reload of the producer state from the log.
     */
    record ProducerLastRecord(long lastDataOffset, short producerEpoch) {}

    CleanerView cleanerView() {
        lock.lock();
        try {
            ensureOpen();
            long firstUnstable =
                    Math.min(end.offset(), producerState.firstUnstableOffset().orElse(Long.MAX_VALUE));
            Map<Long, ProducerLastRecord> lastRecords = new HashMap<>();
            for (ProducerStateEntry producer : producerState.activeProducers().values()) {
                lastRecords.put(
                        producer.producerId(),
                        new ProducerLastRecord(producer.lastDataOffset(), producer.producerEpoch()));
            }
            return new CleanerView(
                    List.copyOf(segments.values()),
                    logStartOffset,
                    end.offset(),
                    highWatermark,
                    firstUnstable,
                    lastRecords,
                    truncations);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The log cleaner's swap: replaces {@code replaced}, consecutive non-active segments, by {@code cleaned}, a flushed
     * segment with the first one's base offset whose files end in {@code .cleaned}. Renaming them to {@code .swap}
     * decides the swap (see {@link #open}); the replaced segments are then renamed for deletion, the swap files take the
     * segment names and the map switches to the cleaned segment. Readers holding a replaced segment keep reading its
     * files until they are deleted {@code file.delete.delay.ms} later.
     *
     * @param truncationsSeen the truncation count from the {@link CleanerView} the cleaner worked from
     * @return false, with nothing changed, if the log changed under the cleaner: a replaced segment was deleted or
     *     became active, or the log was truncated
     */
    boolean replaceSegments(List<LogSegment> replaced, LogSegment cleaned, long truncationsSeen) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            long activeBase = segments.lastKey();
            for (LogSegment segment : replaced) {
                if (segments.get(segment.baseOffset()) != segment || segment.baseOffset() >= activeBase) {
                    return false;
                }
            }
            if (truncations != truncationsSeen
                    || cleaned.baseOffset() != replaced.get(0).baseOffset()) {
                return false;
            }
            cleaned.changeFileSuffixes(CLEANED_SUFFIX, SWAP_SUFFIX);
            try {
                Utils.flushDir(dir);
                for (LogSegment segment : replaced) {
                    segment.renameForDeletion();
                }
                cleaned.changeFileSuffixes(SWAP_SUFFIX, "");
                Utils.flushDir(dir);
            } catch (IOException e) {
                throw new KafkaStorageException(
                        "Error swapping the compacted segment " + cleaned.baseOffset() + " into " + topicPartition
                                + "; the swap completes when the log is next opened",
                        e);
            }
            segments.put(cleaned.baseOffset(), cleaned);
            for (LogSegment segment : replaced.subList(1, replaced.size())) {
                segments.remove(segment.baseOffset());
            }
            for (LogSegment segment : replaced) {
                scheduleDeletion(segment);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every batch at or after {@code targetOffset}, e.g. when a follower's log diverged from the leader's.
     *
     * @return true if anything was removed
     */
    public boolean truncateTo(long targetOffset) {
        lock.lock();
        try {
            ensureOpen();
            if (targetOffset >= end.offset()) {
                return false;
            }
            if (targetOffset < logStartOffset) {
                throw new OffsetOutOfRangeException("Cannot truncate " + topicPartition + " to " + targetOffset
                        + " below its log start offset " + logStartOffset);
            }
            for (LogSegment segment :
                    List.copyOf(segments.tailMap(targetOffset, false).values())) {
                boolean wholeSegmentGoes = segment.baseOffset() > targetOffset
                        || segments.size() > 1 && segment.baseOffset() == targetOffset;
                if (wholeSegmentGoes) {
                    segments.remove(segment.baseOffset());
                    segment.renameForDeletion();
                    scheduleDeletion(segment);
                }
            }
            truncations++;
            LogSegment active = activeSegment();
            active.truncateTo(targetOffset);
            active.offsetIndex().resizeTo(config.maxIndexSize());
            active.timeIndex().resizeTo(config.maxIndexSize());
            end = new EndOffset(targetOffset, active.baseOffset(), active.size());
            highWatermark = Math.min(highWatermark, targetOffset);
            recoveryPoint = Math.min(recoveryPoint, targetOffset);
            leaderEpochCache.truncateFromEnd(targetOffset);
            // the producer state must forget the removed batches, or a new leader would answer a retry of one of
            // them as a duplicate of data it no longer has
            producerState.truncateAndReload(logStartOffset, targetOffset);
            LogLoader.replayProducerState(
                    segments(), producerState, producerState.snapshotOffset(), targetOffset, false);
            producerState.onHighWatermarkUpdated(highWatermark);
            refreshFirstUnstableOffset();
            LOG.info("Truncated {} to offset {}", topicPartition, targetOffset);
            return true;
        } catch (IOException e) {
            throw logDirectory.fail("truncating " + topicPartition, e);
        } finally {
            lock.unlock();
        }
    }

    /** Flushes every segment and advances the recovery point to the log end offset. */
    public void flush() {
        flush(end.offset());
    }

    private void flushLocked() {
        flush(end.offset());
        unflushedMessages = 0;
    }

    /** Fsyncs the segments holding offsets below {@code offset}, without holding the log's lock. */
    private void flush(long offset) {
        long from = recoveryPoint;
        if (offset <= from) {
            return;
        }
        Long firstKey = segments.floorKey(from);
        for (LogSegment segment : segments.subMap(firstKey == null ? Long.MIN_VALUE : firstKey, true, offset, false)
                .values()) {
            try {
                segment.flush();
            } catch (IOException e) {
                if (segments.containsKey(segment.baseOffset())) {
                    throw logDirectory.fail("flushing " + topicPartition, e);
                }
                // the segment was deleted by retention while we flushed it
            }
        }
        synchronized (this) {
            recoveryPoint = Math.max(recoveryPoint, offset);
        }
        lastFlushTimeMs = time.milliseconds();
    }

    /** Flushes, snapshots the producer state and closes every segment; the log is unusable afterwards. */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            producerState.takeSnapshot(end.offset());
            flush(end.offset());
            for (LogSegment segment : segments.values()) {
                segment.close();
            }
            LOG.info("Closed log {} at log end offset {}", topicPartition, end.offset());
        } catch (IOException e) {
            throw new KafkaStorageException("Error closing " + topicPartition, e);
        } finally {
            lock.unlock();
        }
    }

    /** Closes the log and deletes its directory. */
    public void closeAndDelete() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                for (LogSegment segment : segments.values()) {
                    segment.close();
                }
            }
            segments.clear();
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            throw new KafkaStorageException("Error deleting " + topicPartition + " in " + dir, e);
        } finally {
            lock.unlock();
        }
    }

    /** Whether this log's directory went offline after an I/O error: it neither takes nor serves records. */
    public boolean isOffline() {
        return logDirectory.isOffline();
    }

    /** The directory this log lives in, shared with its other logs: set by the {@link LogManager} that opens it. */
    void logDirectory(LogDirectory directory) {
        this.logDirectory = directory;
    }

    private static Exception unwrap(Exception e) {
        return e instanceof UncheckedIOException u ? u.getCause() : e;
    }

    private void ensureOpen() {
        if (closed) {
            throw new KafkaStorageException("Log " + topicPartition + " in " + dir + " is closed");
        }
    }

    @Override
    public String toString() {
        return "LocalLog(" + topicPartition + ", dir=" + dir + ", logStartOffset=" + logStartOffset + ", logEndOffset="
                + end.offset() + ", segments=" + segments.size() + ")";
    }
}
