package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InconsistentTopicIdException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
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
 * partition's leader-epoch cache, producer state and {@code partition.metadata}.
 *
 * <p>Appends, rolls, truncation and retention take {@link #lock}. Readers never do: they see segments through a
 * concurrent map and the end of the log through the volatile {@link #end}, which an append publishes only after its
 * bytes are in the file, so a read never returns a batch whose offsets are not yet part of the log. A segment removed
 * by retention is renamed at once and deleted {@code file.delete.delay.ms} later, giving in-flight reads of it time
 * to finish.
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
    /** The highest offset the remote tier holds durably (tiered logs only), or -1. */
    private volatile long highestRemoteOffset = -1L;

    private volatile long highWatermark;
    private volatile long recoveryPoint;
    private volatile long lastFlushTimeMs;
    private long unflushedMessages;
    /** Counts truncations, so the log cleaner can tell that segments it read may have changed since. */
    private volatile long truncations;

    private volatile boolean closed;

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
     * Opens (creating if needed) the log in {@code dir}, recovering it if the broker did not shut down cleanly.
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
        Files.createDirectories(dir);
        Optional<Uuid> storedId = PartitionMetadataFile.read(dir);
        if (storedId.isPresent() && !storedId.get().equals(topicId)) {
            throw new InconsistentTopicIdException("Directory " + dir + " holds topic id " + storedId.get()
                    + " but the partition's topic id is " + topicId);
        }
        if (storedId.isEmpty()) {
            PartitionMetadataFile.write(dir, topicId);
        }
        TreeSet<Long> baseOffsets = removeStrayFilesAndListSegments(dir);
        LeaderEpochCache epochs = LeaderEpochCache.load(dir);
        long startMs = time.milliseconds();
        List<LogSegment> loaded = new ArrayList<>();
        try {
            RecoveryStats stats = new RecoveryStats();
            for (long baseOffset : baseOffsets) {
                loaded.add(loadSegment(dir, baseOffset, config, time, stats));
            }
            if (!hadCleanShutdown) {
                recoverFrom(loaded, recoveryPoint, epochs, stats);
            }
            if (loaded.isEmpty()) {
                loaded.add(LogSegment.open(dir, Math.max(0, logStartOffset), config, time));
            }
            LogSegment active = loaded.get(loaded.size() - 1);
            active.offsetIndex().resizeTo(config.maxIndexSize());
            active.timeIndex().resizeTo(config.maxIndexSize());
            long logEndOffset = active.readNextOffset();
            long startOffset = config.remoteStorageEnable()
                    ? Math.min(Math.max(0L, logStartOffset), logEndOffset)
                    : Math.min(Math.max(logStartOffset, loaded.get(0).baseOffset()), logEndOffset);
            epochs.truncateFromEnd(logEndOffset);
            epochs.truncateFromStart(startOffset);

            ProducerStateManager producers = ProducerStateManager.load(dir, startOffset, logEndOffset);
            int replayed = replayProducerState(loaded, producers, producers.snapshotOffset(), Long.MAX_VALUE);
            if (replayed > 0) {
                producers.takeSnapshot(logEndOffset);
            }

            LocalLog log = new LocalLog(
                    dir,
                    tp,
                    topicId,
                    config,
                    time,
                    scheduler,
                    epochs,
                    producers,
                    startOffset,
                    hadCleanShutdown ? Math.min(recoveryPoint, logEndOffset) : logEndOffset);
            if (hadCleanShutdown) {
                log.recoveryPoint = logEndOffset;
            }
            for (LogSegment segment : loaded) {
                log.segments.put(segment.baseOffset(), segment);
            }
            log.end = new EndOffset(logEndOffset, active.baseOffset(), active.size());
            log.highWatermark = logEndOffset;
            LOG.info(
                    "Loaded log {} in {}: {} segments, log start offset {}, log end offset {}, {} segments recovered, "
                            + "{} bytes truncated, {} indexes rebuilt, {} producer batches replayed, in {} ms",
                    tp,
                    dir,
                    loaded.size(),
                    startOffset,
                    logEndOffset,
                    stats.segmentsRecovered,
                    stats.bytesTruncated,
                    stats.indexesRebuilt,
                    replayed,
                    time.milliseconds() - startMs);
            return log;
        } catch (IOException | RuntimeException e) {
            for (LogSegment segment : loaded) {
                Utils.closeQuietly(segment, "segment " + segment.baseOffset());
            }
            throw e;
        }
    }

    private static final class RecoveryStats {
        int segmentsRecovered;
        long bytesTruncated;
        int indexesRebuilt;
    }

    /**
     * Deletes what an interrupted delete, compaction or checkpoint left, completes an interrupted compaction swap, and
     * returns the segments' base offsets.
     */
    private static TreeSet<Long> removeStrayFilesAndListSegments(Path dir) throws IOException {
        TreeSet<Long> logs = new TreeSet<>();
        List<Path> indexes = new ArrayList<>();
        List<Long> swaps = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(LogSegment.LOG_SUFFIX + SWAP_SUFFIX)) {
                    swaps.add(LogSegment.offsetFromFileName(name));
                } else if (name.endsWith(LogSegment.DELETED_SUFFIX)
                        || name.endsWith(CLEANED_SUFFIX)
                        || name.endsWith(SWAP_SUFFIX)
                        || name.endsWith(TMP_SUFFIX)) {
                    LOG.info("Deleting stray file {}", file);
                    Files.deleteIfExists(file);
                } else if (name.endsWith(LogSegment.LOG_SUFFIX)) {
                    logs.add(LogSegment.offsetFromFileName(name));
                } else if (name.endsWith(LogSegment.INDEX_SUFFIX) || name.endsWith(LogSegment.TIME_INDEX_SUFFIX)) {
                    indexes.add(file);
                }
            }
        }
        for (long swap : swaps) {
            completeSwap(dir, swap, logs);
        }
        for (Path index : indexes) {
            if (!logs.contains(LogSegment.offsetFromFileName(index.getFileName().toString()))) {
                LOG.info("Deleting index {} that has no log file", index);
                Files.deleteIfExists(index);
            }
        }
        return logs;
    }

    /**
     * Finishes a compaction that crashed after renaming its cleaned segment to {@code .swap}: that rename decided the
     * swap, so the segments the cleaned one replaces (those whose base offset lies in the offsets it covers) are
     * deleted and the swap file becomes the segment's log. Its indexes were deleted with the other stray files and are
     * rebuilt when the segment is loaded.
     */
    private static void completeSwap(Path dir, long baseOffset, TreeSet<Long> logs) throws IOException {
        Path swapFile = dir.resolve(LogSegment.filenamePrefix(baseOffset) + LogSegment.LOG_SUFFIX + SWAP_SUFFIX);
        long nextOffset = baseOffset + 1;
        try (FileRecords swapped = FileRecords.open(swapFile.toFile(), false)) {
            for (FileChannelRecordBatch batch : swapped.batches()) {
                nextOffset = Math.max(nextOffset, batch.nextOffset());
            }
        }
        for (long replaced : List.copyOf(logs.subSet(baseOffset, true, nextOffset, false))) {
            LOG.info("Deleting segment {} of {}, replaced by the compacted segment {}", replaced, dir, baseOffset);
            Files.deleteIfExists(LogSegment.logFile(dir, replaced));
            Files.deleteIfExists(LogSegment.indexFile(dir, replaced));
            Files.deleteIfExists(LogSegment.timeIndexFile(dir, replaced));
            logs.remove(replaced);
        }
        Files.deleteIfExists(LogSegment.indexFile(dir, baseOffset));
        Files.deleteIfExists(LogSegment.timeIndexFile(dir, baseOffset));
        Utils.atomicMoveWithFallback(swapFile, LogSegment.logFile(dir, baseOffset));
        logs.add(baseOffset);
        LOG.info("Completed the interrupted compaction swap of segment {} in {}", baseOffset, dir);
    }

    private static LogSegment loadSegment(Path dir, long baseOffset, LogConfig config, Time time, RecoveryStats stats)
            throws IOException {
        boolean indexesExisted = Files.exists(LogSegment.indexFile(dir, baseOffset))
                && Files.exists(LogSegment.timeIndexFile(dir, baseOffset));
        LogSegment segment = LogSegment.open(dir, baseOffset, config, time);
        String problem = null;
        if (!indexesExisted) {
            problem = "an index file is missing";
        } else {
            try {
                segment.sanityCheck();
            } catch (CorruptIndexException e) {
                problem = e.getMessage();
            }
        }
        if (problem != null) {
            LOG.info("Rebuilding the indexes of segment {} in {}: {}", baseOffset, dir, problem);
            stats.bytesTruncated += segment.recover();
            stats.indexesRebuilt++;
        }
        return segment;
    }

    /**
     * Recovers every segment from the one holding {@code recoveryPoint}; a segment truncated by recovery ends the log,
     * so the segments after it are deleted.
     */
    private static void recoverFrom(
            List<LogSegment> loaded, long recoveryPoint, LeaderEpochCache epochs, RecoveryStats stats)
            throws IOException {
        int first = 0;
        for (int i = 0; i < loaded.size(); i++) {
            if (loaded.get(i).baseOffset() <= recoveryPoint) {
                first = i;
            }
        }
        for (int i = first; i < loaded.size(); i++) {
            LogSegment segment = loaded.get(i);
            int truncated = segment.recover(batch -> {
                if (batch.partitionLeaderEpoch() >= 0
                        && batch.partitionLeaderEpoch() > epochs.latestEpoch().orElse(-1)) {
                    epochs.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
                }
            });
            segment.flush();
            stats.segmentsRecovered++;
            stats.bytesTruncated += truncated;
            LOG.info(
                    "Recovered segment {} of {}: {} bytes truncated",
                    segment.baseOffset(),
                    segment.log().file().getParent(),
                    truncated);
            if (truncated > 0) {
                while (loaded.size() > i + 1) {
                    LogSegment unreachable = loaded.remove(loaded.size() - 1);
                    LOG.info(
                            "Deleting segment {} after the truncated segment {}",
                            unreachable.baseOffset(),
                            segment.baseOffset());
                    unreachable.deleteIfExists();
                }
            }
        }
    }

    /** Replays the producer batches of {@code loaded} in {@code [fromOffset, toOffset)} into {@code producers}. */
    private static int replayProducerState(
            List<LogSegment> loaded, ProducerStateManager producers, long fromOffset, long toOffset) {
        int replayed = 0;
        for (LogSegment segment : loaded) {
            if (segment.baseOffset() >= toOffset) {
                break;
            }
            int position = segment.offsetIndex().lookup(fromOffset).position();
            if (segment.readNextOffset() <= fromOffset) {
                continue;
            }
            for (FileChannelRecordBatch batch : segment.log().batchesFrom(position)) {
                if (batch.baseOffset() >= toOffset) {
                    break;
                }
                if (batch.lastOffset() >= fromOffset && batch.hasProducerId()) {
                    producers.update(summaryOf(batch));
                    replayed++;
                }
            }
        }
        return replayed;
    }

    // TODO(validate): use the validate branch's factory if its BatchSummary offers one under another name
    private static BatchSummary summaryOf(RecordBatch batch) {
        return BatchSummary.of(batch);
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
            int replayed = replayProducerState(segments(), rebuilt, from, offset);
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
        return highestRemoteOffset;
    }

    /**
     * The remote tier now holds every offset up to and including {@code offset}: local segments that end at or below
     * it may be deleted once they are past local retention.
     */
    public void onHighestRemoteOffset(long offset) {
        lock.lock();
        try {
            // a copy that ends after tiering was turned off: its remote data is being deleted, it allows nothing
            if (config.remoteStorageEnable()) {
                highestRemoteOffset = Math.max(highestRemoteOffset, offset);
            }
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
            highestRemoteOffset = -1L;
            long localStart = localLogStartOffset();
            if (localStart > logStartOffset) {
                raiseLogStartOffset(localStart, "turning remote storage off");
            }
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
            long newStart = Math.min(offset, highWatermark);
            if (newStart <= logStartOffset) {
                return;
            }
            raiseLogStartOffset(newStart, "remote retention");
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
        } finally {
            lock.unlock();
        }
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
        lock.lock();
        try {
            ensureOpen();
            long nowMs = time.milliseconds();
            ValidationResult validated = LogValidator.validateAndAssignOffsets(
                    records, topicPartition, end.offset(), config, nowMs, leaderEpoch, true);
            for (BatchSummary batch : validated.batches()) {
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
            for (BatchSummary batch : validated.batches()) {
                producerState.update(batch);
            }
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
        } catch (IOException e) {
            throw new KafkaStorageException("Error appending to " + topicPartition + " in " + dir, e);
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
        } catch (IOException e) {
            throw new KafkaStorageException("Error rolling " + topicPartition, e);
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

    private interface SegmentPredicate {
        boolean test(LogSegment segment, LogSegment next);
    }

    /**
     * Applies retention: deletes the oldest segments past {@code retention.ms} (by their largest timestamp), beyond
     * {@code retention.bytes}, or wholly below the log start offset. Only segments below the high watermark go; if
     * every segment goes, a new empty one is rolled first. A log that copies to the remote tier applies local retention
     * instead; a tiered log with {@code remote.log.copy.disable=true} is retained as this describes, as in Kafka.
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
            int deleted = deleteSegmentsWhile(
                    (segment, next) -> next != null && next.baseOffset() <= logStartOffset, "log start");
            if (current.remoteCopyEnabled()) {
                return deleted + deleteLocalSegmentsOfTieredLog(current);
            }
            if (current.retentionMs() >= 0) {
                long nowMs = time.milliseconds();
                deleted += deleteSegmentsWhile(
                        (segment, next) -> {
                            long timestamp = segment.largestTimestamp() >= 0
                                    ? segment.largestTimestamp()
                                    : segment.lastModifiedMs();
                            return nowMs - timestamp > current.retentionMs();
                        },
                        "retention.ms");
            }
            if (current.retentionBytes() >= 0) {
                long[] excess = {size() - current.retentionBytes()};
                deleted += deleteSegmentsWhile(
                        (segment, next) -> {
                            if (excess[0] - segment.size() < 0) {
                                return false;
                            }
                            excess[0] -= segment.size();
                            return true;
                        },
                        "retention.bytes");
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Local retention of a tiered log: the oldest segments go while they end at or below the highest remote offset and
     * are past {@code local.retention.ms} or beyond {@code local.retention.bytes} (-2 follows {@code retention.*}).
     * Retention over the whole log is the remote log manager's: it raises the log start offset through
     * {@link #onRemoteLogStartOffset}.
     */
    private int deleteLocalSegmentsOfTieredLog(LogConfig current) {
        long remoteEnd = highestRemoteOffset;
        if (remoteEnd < 0) {
            return 0;
        }
        long retentionMs = current.localRetentionMs() == -2L ? current.retentionMs() : current.localRetentionMs();
        long retentionBytes =
                current.localRetentionBytes() == -2L ? current.retentionBytes() : current.localRetentionBytes();
        long nowMs = time.milliseconds();
        long[] excess = {size() - retentionBytes};
        return deleteSegmentsWhile(
                (segment, next) -> {
                    if (next == null || next.baseOffset() - 1 > remoteEnd) {
                        return false;
                    }
                    long timestamp =
                            segment.largestTimestamp() >= 0 ? segment.largestTimestamp() : segment.lastModifiedMs();
                    boolean pastMs = retentionMs >= 0 && nowMs - timestamp > retentionMs;
                    boolean pastBytes = retentionBytes >= 0 && excess[0] - segment.size() >= 0;
                    if (pastMs || pastBytes) {
                        excess[0] -= segment.size();
                        return true;
                    }
                    return false;
                },
                "local retention");
    }

    /** Moves the log start offset up to {@code offset} and drops the segments wholly below it. Call under the lock. */
    private void raiseLogStartOffset(long offset, String reason) {
        logStartOffset = offset;
        leaderEpochCache.truncateFromStart(offset);
        LOG.info("Log start offset of {} raised to {} by {}", topicPartition, offset, reason);
        deleteSegmentsWhile((segment, next) -> next != null && next.baseOffset() <= logStartOffset, "log start");
    }

    private int deleteSegmentsWhile(SegmentPredicate predicate, String reason) {
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
            scheduler.schedule(delete, config.fileDeleteDelayMs(), TimeUnit.MILLISECONDS);
        } else {
            delete.run();
        }
    }

    /**
     * What the log cleaner needs to know about the log, read together under the lock.
     *
     * @param segments the segments, oldest first; the last is the active one
     * @param firstUnstableOffset the first offset of the oldest open transaction, or the log end offset
     * @param producerLastDataOffsets each producer's last data offset, to keep the batch with its last sequence number
     * @param truncations the truncation count, for {@link #replaceSegments}
     */
    record CleanerView(
            List<LogSegment> segments,
            long logStartOffset,
            long logEndOffset,
            long highWatermark,
            long firstUnstableOffset,
            Map<Long, Long> producerLastDataOffsets,
            long truncations) {}

    CleanerView cleanerView() {
        lock.lock();
        try {
            ensureOpen();
            long firstUnstable = end.offset();
            Map<Long, Long> lastDataOffsets = new HashMap<>();
            for (ProducerStateEntry producer : producerState.activeProducers().values()) {
                if (producer.currentTxnFirstOffset().isPresent()) {
                    firstUnstable = Math.min(
                            firstUnstable, producer.currentTxnFirstOffset().getAsLong());
                }
                if (producer.lastDataOffset() >= 0) {
                    lastDataOffsets.put(producer.producerId(), producer.lastDataOffset());
                }
            }
            return new CleanerView(
                    List.copyOf(segments.values()),
                    logStartOffset,
                    end.offset(),
                    highWatermark,
                    firstUnstable,
                    lastDataOffsets,
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
            LOG.info("Truncated {} to offset {}", topicPartition, targetOffset);
            return true;
        } catch (IOException e) {
            throw new KafkaStorageException("Error truncating " + topicPartition, e);
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
                    throw new KafkaStorageException("Error flushing " + topicPartition + " in " + dir, e);
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
