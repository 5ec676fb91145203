package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InconsistentTopicIdException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one partition's log directory for {@link LocalLog#open}, as Kafka's {@code LogLoader} does: checks the
 * directory's topic id, removes what an interrupted delete, compaction or checkpoint left, completes an interrupted
 * compaction swap, opens every segment (rebuilding missing or corrupt indexes), recovers the segments from the
 * recovery point on after an unclean shutdown, and rebuilds the leader-epoch cache and the producer state.
 *
 * <p>It runs once per log, on the thread that opens it, before the {@link LocalLog} exists: nothing else can see the
 * directory's segments yet, so it takes no lock. The one piece that runs later, {@link #replayProducerState}, is
 * called by {@link LocalLog#producerSnapshotAt} under that method's own lock.
 */
final class LogLoader {

    private static final Logger LOG = LoggerFactory.getLogger(LogLoader.class);

    /**
     * What loading found.
     *
     * @param segments the segments, oldest first; the last is the active one
     * @param recoveryPoint the offset below which the log is known flushed (the log end offset once loaded)
     */
    record LoadedLog(
            List<LogSegment> segments,
            LeaderEpochCache leaderEpochCache,
            ProducerStateManager producerState,
            long logStartOffset,
            long logEndOffset,
            long recoveryPoint) {}

    private static final class RecoveryStats {
        int segmentsRecovered;
        long bytesTruncated;
        int indexesRebuilt;
    }

    private LogLoader() {}

    /**
     * Opens (creating if needed) the log in {@code dir}, recovering it if the broker did not shut down cleanly; see
     * {@link LocalLog#open(Path, TopicPartition, Uuid, LogConfig, Time, long, long, boolean,
     * java.util.concurrent.ScheduledExecutorService)} for the parameters. On failure every segment it opened is closed.
     */
    static LoadedLog load(
            Path dir,
            TopicPartition tp,
            Uuid topicId,
            LogConfig config,
            Time time,
            long recoveryPoint,
            long logStartOffset,
            boolean hadCleanShutdown)
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
            int replayed = replayProducerState(loaded, producers, producers.snapshotOffset(), Long.MAX_VALUE, true);
            if (replayed > 0) {
                producers.takeSnapshot(logEndOffset);
            }
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
            // after a clean shutdown everything was flushed; after a crash, recovery flushed what it kept
            return new LoadedLog(loaded, epochs, producers, startOffset, logEndOffset, logEndOffset);
        } catch (IOException | RuntimeException e) {
            for (LogSegment segment : loaded) {
                Utils.closeQuietly(segment, "segment " + segment.baseOffset());
            }
            throw e;
        }
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
                if (name.endsWith(LogSegment.LOG_SUFFIX + LocalLog.SWAP_SUFFIX)) {
                    swaps.add(LogSegment.offsetFromFileName(name));
                } else if (name.endsWith(TransactionIndex.SUFFIX + LocalLog.SWAP_SUFFIX)) {
                    // kept for completeSwap: unlike the sparse indexes, it cannot be rebuilt from the segment alone
                    continue;
                } else if (name.endsWith(LogSegment.DELETED_SUFFIX)
                        || name.endsWith(LocalLog.CLEANED_SUFFIX)
                        || name.endsWith(LocalLog.SWAP_SUFFIX)
                        || name.endsWith(LocalLog.TMP_SUFFIX)) {
                    LOG.info("Deleting stray file {}", file);
                    Files.deleteIfExists(file);
                } else if (name.endsWith(LogSegment.LOG_SUFFIX)) {
                    logs.add(LogSegment.offsetFromFileName(name));
                } else if (name.endsWith(LogSegment.INDEX_SUFFIX)
                        || name.endsWith(LogSegment.TIME_INDEX_SUFFIX)
                        || name.endsWith(TransactionIndex.SUFFIX)) {
                    indexes.add(file);
                }
            }
        }
        for (long swap : swaps) {
            completeSwap(dir, swap, logs);
        }
        try (DirectoryStream<Path> files =
                Files.newDirectoryStream(dir, "*" + TransactionIndex.SUFFIX + LocalLog.SWAP_SUFFIX)) {
            for (Path file : files) {
                LOG.info("Deleting stray file {}", file);
                Files.deleteIfExists(file);
            }
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
     * deleted and the swap file becomes the segment's log. Its sparse indexes were deleted with the other stray files
     * and are rebuilt when the segment is loaded. Its transaction index, which the segment alone cannot rebuild, is the
     * cleaner's: renamed to {@code .swap} before the log (see {@link LogSegment#changeFileSuffixes}) and always written,
     * so it is there whenever the log's swap file is, unless the crash came after it took its final name. A swap left
     * by an older cleaner that wrote no index when it had no entry has none: the union of the replaced segments'
     * indexes stands in for it, which keeps every aborted transaction whose records may still be present.
     */
    private static void completeSwap(Path dir, long baseOffset, TreeSet<Long> logs) throws IOException {
        Path swapFile =
                dir.resolve(LogSegment.filenamePrefix(baseOffset) + LogSegment.LOG_SUFFIX + LocalLog.SWAP_SUFFIX);
        long nextOffset = baseOffset + 1;
        try (FileRecords swapped = FileRecords.open(swapFile.toFile(), false)) {
            for (FileChannelRecordBatch batch : swapped.batches()) {
                nextOffset = Math.max(nextOffset, batch.nextOffset());
            }
        }
        Path txnIndexSwap =
                dir.resolve(LogSegment.filenamePrefix(baseOffset) + TransactionIndex.SUFFIX + LocalLog.SWAP_SUFFIX);
        if (Files.exists(txnIndexSwap)) {
            try (TransactionIndex cleaned = new TransactionIndex(txnIndexSwap)) {
                cleaned.sanityCheck();
            }
        } else {
            writeUnionOfReplaced(dir, txnIndexSwap, logs.subSet(baseOffset, true, nextOffset, false));
        }
        for (long replaced : List.copyOf(logs.subSet(baseOffset, true, nextOffset, false))) {
            LOG.info("Deleting segment {} of {}, replaced by the compacted segment {}", replaced, dir, baseOffset);
            Files.deleteIfExists(LogSegment.logFile(dir, replaced));
            Files.deleteIfExists(LogSegment.indexFile(dir, replaced));
            Files.deleteIfExists(LogSegment.timeIndexFile(dir, replaced));
            Files.deleteIfExists(LogSegment.txnIndexFile(dir, replaced));
            logs.remove(replaced);
        }
        Files.deleteIfExists(LogSegment.indexFile(dir, baseOffset));
        Files.deleteIfExists(LogSegment.timeIndexFile(dir, baseOffset));
        if (Files.exists(txnIndexSwap)) {
            Utils.atomicMoveWithFallback(txnIndexSwap, LogSegment.txnIndexFile(dir, baseOffset));
        }
        Utils.atomicMoveWithFallback(swapFile, LogSegment.logFile(dir, baseOffset));
        logs.add(baseOffset);
        LOG.info("Completed the interrupted compaction swap of segment {} in {}", baseOffset, dir);
    }

    /** Writes the union of the transaction indexes of {@code replaced} to {@code target}, if it has any entry. */
    private static void writeUnionOfReplaced(Path dir, Path target, Set<Long> replaced) throws IOException {
        TreeMap<Long, AbortedTxn> aborted = new TreeMap<>();
        for (long offset : replaced) {
            try (TransactionIndex index = new TransactionIndex(LogSegment.txnIndexFile(dir, offset))) {
                index.sanityCheck();
                index.entries().forEach(e -> aborted.put(e.lastOffset(), e));
            }
        }
        if (aborted.isEmpty()) {
            return;
        }
        // written whole beside, then moved in, so that a crash at any step leaves either nothing or the union
        Path unionFile = target.resolveSibling(target.getFileName() + LocalLog.TMP_SUFFIX);
        Files.deleteIfExists(unionFile);
        try (TransactionIndex union = new TransactionIndex(unionFile)) {
            for (AbortedTxn txn : aborted.values()) {
                union.append(txn);
            }
            union.flush();
        }
        Utils.atomicMoveWithFallback(unionFile, target);
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

    /**
     * Replays the producer batches of {@code loaded} in {@code [fromOffset, toOffset)} into {@code producers}.
     *
     * @param restoreTxnIndex whether an aborted transaction the replay completes goes into its segment's transaction
     *     index when the index does not have it yet (a crash between the marker's append and the index's)
     */
    static int replayProducerState(
            List<LogSegment> loaded,
            ProducerStateManager producers,
            long fromOffset,
            long toOffset,
            boolean restoreTxnIndex)
            throws IOException {
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
                    Optional<CompletedTxn> completed = producers.update(summaryOf(batch));
                    if (restoreTxnIndex
                            && completed.isPresent()
                            && completed.get().lastOffset() > segment.txnIndex().lastOffset()) {
                        segment.updateTxnIndex(completed.get(), producers.lastStableOffsetAfter(completed.get()));
                    }
                    replayed++;
                }
            }
        }
        return replayed;
    }

    private static BatchSummary summaryOf(RecordBatch batch) {
        return BatchSummary.of(batch);
    }
}
