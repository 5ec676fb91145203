package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One segment of a partition's log: the {@code <base offset>.log} file of record batches, its two sparse indexes and
 * the index of the transactions aborted in it ({@link TransactionIndex}, a file only once one was).
 *
 * <p>The log file is RecordBatch v2 bytes back to back, exactly as producers sent them apart from the base offset and
 * partition leader epoch the broker stamps into each batch header (both outside the CRC). The segment's base offset,
 * zero-padded to 20 digits, names all its files so that a directory listing sorts segments by offset and the indexes
 * can store 4-byte offsets relative to it. Batches are not framed any further: a batch's own length field finds the
 * next one, and its CRC tells a torn write from data, which is how {@link #recover} finds the end of valid data after
 * a crash.
 *
 * <p>Not thread-safe for writers: {@link LocalLog} serialises appends, truncation and recovery; reads may run
 * concurrently with an append because {@link FileRecords} publishes its size only after the bytes are written.
 */
public final class LogSegment implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(LogSegment.class);

    public static final String LOG_SUFFIX = ".log";
    public static final String INDEX_SUFFIX = ".index";
    public static final String TIME_INDEX_SUFFIX = ".timeindex";
    public static final String DELETED_SUFFIX = ".deleted";

    private final FileRecords log;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final TransactionIndex txnIndex;
    private final long baseOffset;
    private final int indexIntervalBytes;
    private final Time time;
    private volatile long createdMs;
    private int bytesSinceLastIndexEntry;
    private volatile TimestampOffset maxTimestampAndOffsetSoFar;
    /** Timestamp of the first batch, which {@code segment.ms} counts from; -1 while unknown. */
    private volatile long rollingBasedTimestamp = RecordBatch.NO_TIMESTAMP;

    private LogSegment(
            FileRecords log,
            OffsetIndex offsetIndex,
            TimeIndex timeIndex,
            TransactionIndex txnIndex,
            long baseOffset,
            int indexIntervalBytes,
            Time time) {
        this.log = log;
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.txnIndex = txnIndex;
        this.baseOffset = baseOffset;
        this.indexIntervalBytes = indexIntervalBytes;
        this.time = time;
        this.createdMs = time.milliseconds();
        loadLargestTimestamp();
    }

    /**
     * Opens the segment with {@code baseOffset} in {@code dir}, creating empty files if they do not exist. The indexes
     * are not checked; call {@link #sanityCheck()} and {@link #recover} as needed.
     */
    public static LogSegment open(Path dir, long baseOffset, LogConfig config, Time time) throws IOException {
        return open(dir, baseOffset, config, time, "");
    }

    /**
     * Opens the segment whose three file names end in {@code fileSuffix} after the usual suffix, e.g. the log
     * cleaner's {@code 00000000000000000042.log.cleaned}.
     */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, Time time, String fileSuffix)
            throws IOException {
        FileRecords log = FileRecords.open(
                withSuffix(logFile(dir, baseOffset), fileSuffix).toFile(), true, false, 0, false);
        OffsetIndex offsetIndex = null;
        try {
            offsetIndex = new OffsetIndex(
                    withSuffix(indexFile(dir, baseOffset), fileSuffix), baseOffset, config.maxIndexSize());
            TimeIndex timeIndex = new TimeIndex(
                    withSuffix(timeIndexFile(dir, baseOffset), fileSuffix), baseOffset, config.maxIndexSize());
            TransactionIndex txnIndex = new TransactionIndex(withSuffix(txnIndexFile(dir, baseOffset), fileSuffix));
            return new LogSegment(log, offsetIndex, timeIndex, txnIndex, baseOffset, config.indexIntervalBytes(), time);
        } catch (IOException | RuntimeException e) {
            log.close();
            if (offsetIndex != null) {
                offsetIndex.close();
            }
            throw e;
        }
    }

    public static String filenamePrefix(long offset) {
        return String.format("%020d", offset);
    }

    public static Path logFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + LOG_SUFFIX);
    }

    public static Path indexFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + INDEX_SUFFIX);
    }

    public static Path timeIndexFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + TIME_INDEX_SUFFIX);
    }

    /** The base offset encoded in a segment file's name, e.g. 42 for {@code 00000000000000000042.log}. */
    public static Path txnIndexFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + TransactionIndex.SUFFIX);
    }

    public static long offsetFromFileName(String fileName) {
        return Long.parseLong(fileName.substring(0, fileName.indexOf('.')));
    }

    public long baseOffset() {
        return baseOffset;
    }

    public FileRecords log() {
        return log;
    }

    public OffsetIndex offsetIndex() {
        return offsetIndex;
    }

    public TimeIndex timeIndex() {
        return timeIndex;
    }

    public TransactionIndex txnIndex() {
        return txnIndex;
    }

    /** Records {@code txn}, whose marker is in this segment, in the transaction index if it was aborted. */
    public void updateTxnIndex(CompletedTxn txn, long lastStableOffset) throws IOException {
        if (txn.aborted()) {
            txnIndex.append(new AbortedTxn(txn.producerId(), txn.firstOffset(), txn.lastOffset(), lastStableOffset));
        }
    }

    public int size() {
        return log.sizeInBytes();
    }

    /** The largest record timestamp in the segment, or -1 if it is empty. */
    public long largestTimestamp() {
        return maxTimestampAndOffsetSoFar.timestamp();
    }

    /** The last offset of the batch holding the largest timestamp. */
    public long offsetOfLargestTimestamp() {
        return maxTimestampAndOffsetSoFar.offset();
    }

    /** When the segment's file was last modified, the fallback for time retention of a segment without timestamps. */
    public long lastModifiedMs() {
        return log.file().lastModified();
    }

    public boolean canConvertToRelativeOffset(long offset) {
        long relative = offset - baseOffset;
        return relative >= 0 && relative <= Integer.MAX_VALUE;
    }

    /**
     * Appends batches whose offsets are already assigned, indexing a batch whenever {@code index.interval.bytes} of
     * log have been written since the last index entry.
     *
     * @param largestOffset the last offset in {@code records}
     * @param largestTimestamp the largest timestamp in {@code records}
     * @param offsetOfLargestTimestamp the offset of the record holding {@code largestTimestamp}
     */
    public void append(long largestOffset, long largestTimestamp, long offsetOfLargestTimestamp, MemoryRecords records)
            throws IOException {
        if (records.sizeInBytes() == 0) {
            return;
        }
        if (!canConvertToRelativeOffset(largestOffset)) {
            throw new IllegalArgumentException("Offset " + largestOffset + " does not fit segment " + baseOffset);
        }
        int physicalPosition = log.sizeInBytes();
        if (physicalPosition == 0) {
            rollingBasedTimestamp = largestTimestamp;
        }
        log.append(records);
        for (RecordBatch batch : records.batches()) {
            if (batch.maxTimestamp() > largestTimestamp()) {
                maxTimestampAndOffsetSoFar = new TimestampOffset(batch.maxTimestamp(), batch.lastOffset());
            }
            if (bytesSinceLastIndexEntry > indexIntervalBytes) {
                offsetIndex.append(batch.lastOffset(), physicalPosition);
                timeIndex.maybeAppend(largestTimestamp(), offsetOfLargestTimestamp());
                bytesSinceLastIndexEntry = 0;
            }
            physicalPosition += batch.sizeInBytes();
            bytesSinceLastIndexEntry += batch.sizeInBytes();
        }
    }

    /**
     * The position of the first batch holding an offset >= {@code offset}, with that batch's last offset and size,
     * or null if the segment has no such batch.
     */
    FileRecords.LogOffsetPosition translateOffset(long offset) {
        OffsetPosition floor = offsetIndex.lookup(offset);
        return log.searchForOffsetFromPosition(offset, floor.position());
    }

    /**
     * Reads up to {@code maxSize} bytes from the first batch holding {@code startOffset}, not past byte
     * {@code maxPosition}.
     *
     * @param minOneMessage return the whole first batch even if it is larger than {@code maxSize}
     * @return the data, or null if {@code startOffset} is beyond the segment's last offset
     */
    public FetchDataInfo read(long startOffset, int maxSize, long maxPosition, boolean minOneMessage) {
        if (maxSize < 0) {
            throw new IllegalArgumentException("Invalid max size " + maxSize + " for a read of segment " + baseOffset);
        }
        FileRecords.LogOffsetPosition start = translateOffset(startOffset);
        if (start == null) {
            return null;
        }
        int adjustedMaxSize = minOneMessage ? Math.max(maxSize, start.size) : maxSize;
        long available = Math.min(maxPosition, log.sizeInBytes()) - start.position;
        if (adjustedMaxSize == 0 || available <= 0) {
            return FetchDataInfo.empty(startOffset);
        }
        int fetchSize = (int) Math.min(available, adjustedMaxSize);
        return new FetchDataInfo(startOffset, log.slice(start.position, fetchSize), adjustedMaxSize < start.size);
    }

    public FetchDataInfo read(long startOffset, int maxSize) {
        return read(startOffset, maxSize, log.sizeInBytes(), false);
    }

    /** The offset after the last batch in the segment, or the base offset when it is empty. */
    public long readNextOffset() {
        long next = baseOffset;
        for (FileChannelRecordBatch batch :
                log.batchesFrom(offsetIndex.lastEntry().position())) {
            next = batch.nextOffset();
        }
        return next;
    }

    /**
     * Rebuilds both indexes from the log, checking every batch's CRC and offsets, and truncates the log at the first
     * batch that is torn or invalid.
     *
     * @param validBatchVisitor sees every valid batch in order, e.g. to rebuild producer state and leader epochs
     * @return the number of bytes truncated from the end of the log
     */
    public int recover(Consumer<RecordBatch> validBatchVisitor) throws IOException {
        offsetIndex.reset();
        timeIndex.reset();
        maxTimestampAndOffsetSoFar = TimestampOffset.unknown(baseOffset);
        bytesSinceLastIndexEntry = 0;
        int validBytes = 0;
        long nextExpectedOffset = baseOffset;
        try {
            for (FileChannelRecordBatch batch : log.batches()) {
                if (batch.magic() < RecordBatch.MAGIC_VALUE_V2) {
                    LOG.warn(
                            "Found a batch with unsupported magic {} at position {} in {}",
                            batch.magic(),
                            validBytes,
                            log.file());
                    break;
                }
                batch.ensureValid();
                if (batch.baseOffset() < nextExpectedOffset || !canConvertToRelativeOffset(batch.lastOffset())) {
                    LOG.warn(
                            "Found a batch with out-of-order base offset {} (expected at least {}) in {}",
                            batch.baseOffset(),
                            nextExpectedOffset,
                            log.file());
                    break;
                }
                if (batch.maxTimestamp() > largestTimestamp()) {
                    maxTimestampAndOffsetSoFar = new TimestampOffset(batch.maxTimestamp(), batch.lastOffset());
                }
                if (bytesSinceLastIndexEntry > indexIntervalBytes) {
                    offsetIndex.append(batch.lastOffset(), validBytes);
                    timeIndex.maybeAppend(largestTimestamp(), offsetOfLargestTimestamp());
                    bytesSinceLastIndexEntry = 0;
                }
                validBytes += batch.sizeInBytes();
                bytesSinceLastIndexEntry += batch.sizeInBytes();
                nextExpectedOffset = batch.nextOffset();
                validBatchVisitor.accept(batch);
            }
        } catch (KafkaException e) {
            LOG.warn("Found invalid data at position {} in {}: {}", validBytes, log.file(), e.getMessage());
        }
        int truncated = log.sizeInBytes() - validBytes;
        if (truncated > 0) {
            LOG.info("Truncating {} invalid bytes at the end of {}", truncated, log.file());
            log.truncateTo(validBytes);
        }
        txnIndex.sanityCheck();
        txnIndex.truncateTo(nextExpectedOffset);
        rollingBasedTimestamp = RecordBatch.NO_TIMESTAMP;
        timeIndex.maybeAppend(largestTimestamp(), offsetOfLargestTimestamp(), true);
        return truncated;
    }

    public int recover() throws IOException {
        return recover(batch -> {});
    }

    /**
     * Checks both sparse indexes, and cuts a torn entry off the transaction index; throws
     * {@link CorruptIndexException} if a sparse index must be rebuilt.
     */
    public void sanityCheck() throws IOException {
        txnIndex.sanityCheck();
        offsetIndex.sanityCheck(log.sizeInBytes());
        timeIndex.sanityCheck();
        if (timeIndex.entries() > 0 && log.sizeInBytes() == 0) {
            throw new CorruptIndexException("Time index " + timeIndex.file() + " has entries for an empty log");
        }
    }

    /**
     * Finds the first record whose timestamp is >= {@code timestamp} and whose offset is >= {@code startingOffset}.
     *
     * @return the match, or null if every record in the segment is older
     */
    public FileRecords.TimestampAndOffset findOffsetByTimestamp(long timestamp, long startingOffset) {
        TimestampOffset floor = timeIndex.lookup(timestamp);
        int position =
                offsetIndex.lookup(Math.max(floor.offset(), startingOffset)).position();
        return log.searchForTimestamp(timestamp, position, startingOffset);
    }

    /**
     * Removes every batch holding an offset >= {@code offset}; a batch straddling it goes entirely.
     *
     * @return the number of bytes removed
     */
    public int truncateTo(long offset) throws IOException {
        FileRecords.LogOffsetPosition mapping = translateOffset(offset);
        offsetIndex.truncateTo(offset);
        timeIndex.truncateTo(offset);
        txnIndex.truncateTo(offset);
        if (mapping == null) {
            return 0;
        }
        int truncated = log.truncateTo(mapping.position);
        if (log.sizeInBytes() == 0) {
            createdMs = time.milliseconds();
            rollingBasedTimestamp = RecordBatch.NO_TIMESTAMP;
        }
        bytesSinceLastIndexEntry = 0;
        loadLargestTimestamp();
        return truncated;
    }

    private void loadLargestTimestamp() {
        TimestampOffset last = timeIndex.lastEntry();
        maxTimestampAndOffsetSoFar = last;
        int position = offsetIndex.lookup(last.offset()).position();
        try {
            for (FileChannelRecordBatch batch : log.batchesFrom(position)) {
                if (batch.maxTimestamp() > maxTimestampAndOffsetSoFar.timestamp()) {
                    maxTimestampAndOffsetSoFar = new TimestampOffset(batch.maxTimestamp(), batch.lastOffset());
                }
            }
        } catch (KafkaException e) {
            // a torn tail: recovery will truncate it and recompute the maximum
            LOG.debug("Stopped reading timestamps of {} at invalid data: {}", log.file(), e.getMessage());
        }
    }

    /**
     * Whether the next append of {@code messagesSize} bytes must go to a new segment: this one would pass
     * {@code segment.bytes}, has been open longer than {@code segment.ms}, has a full index, or cannot store the
     * appended offsets relative to its base offset.
     */
    public boolean shouldRoll(
            LogConfig config, long maxTimestampInMessages, long maxOffsetInMessages, int messagesSize, long nowMs) {
        boolean reachedRollMs = timeWaitedForRoll(nowMs, maxTimestampInMessages) > config.segmentMs();
        int size = size();
        return (long) size + messagesSize > config.segmentBytes()
                || (size > 0 && reachedRollMs)
                || offsetIndex.isFull()
                || timeIndex.isFull()
                || !canConvertToRelativeOffset(maxOffsetInMessages);
    }

    /** How long the segment has been open, by record timestamps where known and by the wall clock otherwise. */
    public long timeWaitedForRoll(long nowMs, long messageTimestamp) {
        long first = rollingBasedTimestamp;
        if (first == RecordBatch.NO_TIMESTAMP && log.sizeInBytes() > 0) {
            for (FileChannelRecordBatch batch : log.batches()) {
                first = batch.maxTimestamp();
                rollingBasedTimestamp = first;
                break;
            }
        }
        if (first >= 0 && messageTimestamp >= 0) {
            return messageTimestamp - first;
        }
        return nowMs - createdMs;
    }

    /** Called on roll: records the final maximum timestamp and trims the indexes and log file to their content. */
    public void onBecomeInactiveSegment() throws IOException {
        timeIndex.maybeAppend(largestTimestamp(), offsetOfLargestTimestamp(), true);
        offsetIndex.trimToValidSize();
        timeIndex.trimToValidSize();
        log.trim();
    }

    public void flush() throws IOException {
        log.flush();
        offsetIndex.flush();
        timeIndex.flush();
        txnIndex.flush();
    }

    /** Renames every file of the segment with a {@code .deleted} suffix, so a restart finishes the deletion. */
    public void renameForDeletion() throws IOException {
        Path logPath = log.file().toPath();
        log.renameTo(
                logPath.resolveSibling(logPath.getFileName() + DELETED_SUFFIX).toFile());
        offsetIndex.renameTo(
                offsetIndex.file().resolveSibling(offsetIndex.file().getFileName() + DELETED_SUFFIX));
        timeIndex.renameTo(timeIndex.file().resolveSibling(timeIndex.file().getFileName() + DELETED_SUFFIX));
        txnIndex.renameTo(txnIndex.file().resolveSibling(txnIndex.file().getFileName() + DELETED_SUFFIX));
    }

    /**
     * Renames the segment's files from names ending in {@code oldSuffix} to names ending in {@code newSuffix}, the
     * indexes first, so that the log file having the new name means that all of them do.
     */
    void changeFileSuffixes(String oldSuffix, String newSuffix) throws IOException {
        offsetIndex.renameTo(replaceSuffix(offsetIndex.file(), oldSuffix, newSuffix));
        timeIndex.renameTo(replaceSuffix(timeIndex.file(), oldSuffix, newSuffix));
        txnIndex.renameTo(replaceSuffix(txnIndex.file(), oldSuffix, newSuffix));
        log.renameTo(replaceSuffix(log.file().toPath(), oldSuffix, newSuffix).toFile());
    }

    private static Path withSuffix(Path file, String suffix) {
        return suffix.isEmpty() ? file : file.resolveSibling(file.getFileName() + suffix);
    }

    private static Path replaceSuffix(Path file, String oldSuffix, String newSuffix) {
        String name = file.getFileName().toString();
        if (!name.endsWith(oldSuffix)) {
            throw new IllegalArgumentException("File " + file + " does not end with " + oldSuffix);
        }
        return file.resolveSibling(name.substring(0, name.length() - oldSuffix.length()) + newSuffix);
    }

    /** Closes the segment and deletes its files. */
    public void deleteIfExists() throws IOException {
        log.closeHandlers();
        Files.deleteIfExists(log.file().toPath());
        offsetIndex.deleteIfExists();
        timeIndex.deleteIfExists();
        txnIndex.deleteIfExists();
    }

    @Override
    public void close() throws IOException {
        if (largestTimestamp() != RecordBatch.NO_TIMESTAMP) {
            timeIndex.maybeAppend(largestTimestamp(), offsetOfLargestTimestamp(), true);
        }
        offsetIndex.close();
        timeIndex.close();
        txnIndex.close();
        log.close();
    }

    @Override
    public String toString() {
        return "LogSegment(baseOffset=" + baseOffset + ", size=" + size() + ", largestTimestamp=" + largestTimestamp()
                + ")";
    }
}
