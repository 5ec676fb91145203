package dev.strata.broker.log;

import dev.strata.broker.config.LogConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecords.FilterResult;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter.BatchRetention;
import org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter.BatchRetentionResult;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cleans one compacted log: keeps only the latest record of each key, and drops tombstones whose delete horizon has
 * passed. One per cleaner thread, with its own {@link OffsetMap} and I/O buffers; not thread-safe.
 *
 * <p>A clean first maps every key in the dirty section (from the first dirty offset to the first uncleanable offset) to
 * its latest offset, then rewrites every cleanable segment up to the end of what was mapped, clean section included,
 * since the dirty section's new values make older records there obsolete too. Consecutive segments are merged while the
 * result fits {@code segment.bytes} and the index size, so segments do not shrink forever. Offsets never change:
 * compaction leaves gaps, and a cleaned segment's first batch may start above its base offset.
 *
 * <p>Batches are filtered with kafka-clients' {@link MemoryRecords#filterTo}, as Kafka's cleaner does: a batch that
 * keeps all its records is copied byte for byte; one that loses records is re-encoded with its producer id, epoch,
 * base sequence, transactional flag and compression. The rules follow Kafka:
 *
 * <ul>
 *   <li>A tombstone (null value) that is the latest record of its key is kept; the first clean that keeps it stamps its
 *       batch with a delete horizon of now plus {@code delete.retention.ms} (KIP-534; this re-encodes that batch once),
 *       and the first clean after the horizon drops it. The horizon travels in the batch header, so it survives
 *       restarts and replication.
 *   <li>The records of aborted transactions are removed, and never enter the offset map, so that they cannot hide an
 *       older committed value of their key. Which batches are aborted is learnt from the transaction indexes, walking
 *       the log in offset order ({@link CleanedTransactions}).
 *   <li>A transaction marker stays while any batch of its transaction does. Once none does, it is stamped with a
 *       delete horizon like a tombstone and dropped by the first clean after it.
 *   <li>The cleaned segment's transaction index holds the aborted transactions whose marker it keeps and whose records
 *       are still present (none after a clean, unless the map ended inside one). It is always written, even empty, so
 *       that a restart finishing an interrupted swap knows it from the index of an older swap ({@link LogLoader}).
 *   <li>A batch emptied by compaction disappears, unless it holds the last data offset of a producer the log still
 *       tracks (or is that producer's last marker when no data batch of its epoch is known): that one stays as an
 *       empty batch so the producer's last sequence number and epoch survive a reload of the producer state from the
 *       log.
 *   <li>Records without a key (from before the topic was compacted) are dropped.
 * </ul>
 *
 * <p>Open transactions are never touched: the cleanable segments end below the first unstable offset ({@link
 * LogToClean}).
 */
final class Cleaner {

    private static final Logger LOG = LoggerFactory.getLogger(Cleaner.class);

    /** Thrown through a clean that must stop because its log is being deleted or the cleaner is shutting down. */
    static final class AbortedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AbortedException(String message) {
            super(message, null, false, false);
        }
    }

    /** Called between batches; throws {@link AbortedException} to stop a clean. */
    interface AbortCheck {
        void check(LocalLog log);
    }

    /**
     * What a clean did.
     *
     * @param swapped false if the log changed under the cleaner and nothing was swapped in
     * @param nextDirtyOffset the new first dirty offset
     * @param nextDeleteHorizonMs the earliest delete horizon among the tombstones kept, or {@code Long.MAX_VALUE}
     */
    record Result(
            boolean swapped,
            long nextDirtyOffset,
            long nextDeleteHorizonMs,
            long bytesRead,
            long bytesWritten,
            long recordsRead,
            long recordsWritten) {}

    private final OffsetMap offsetMap;
    private final int ioBufferSize;
    private final Time time;
    private final AbortCheck abortCheck;
    private ByteBuffer readBuffer;
    private ByteBuffer writeBuffer;

    Cleaner(long dedupeBytes, int ioBufferSize, Time time, AbortCheck abortCheck) {
        this.offsetMap = new OffsetMap(dedupeBytes);
        this.ioBufferSize = ioBufferSize;
        this.time = time;
        this.abortCheck = abortCheck;
        this.readBuffer = ByteBuffer.allocate(ioBufferSize);
        this.writeBuffer = ByteBuffer.allocate(ioBufferSize);
    }

    Result clean(LogToClean target) throws IOException {
        LocalLog log = target.log();
        LogConfig config = log.config();
        long nowMs = time.milliseconds();
        long mapEnd = buildOffsetMap(target);
        long endOffset = Math.max(mapEnd, Math.min(target.firstDirtyOffset(), target.firstUncleanableOffset()));
        List<LogSegment> toClean = new ArrayList<>();
        for (LogSegment segment : target.cleanable()) {
            if (segment.baseOffset() < endOffset) {
                toClean.add(segment);
            }
        }
        LOG.info(
                "Cleaning {}: {} keys mapped in the dirty offsets [{}, {}), rewriting segments {} (dirty ratio {})",
                log.topicPartition(),
                offsetMap.size(),
                target.firstDirtyOffset(),
                mapEnd,
                toClean.stream().map(LogSegment::baseOffset).toList(),
                String.format("%.3f", target.dirtyRatio()));
        CleanedTransactions transactions = new CleanedTransactions();
        if (!toClean.isEmpty()) {
            transactions.addAborted(
                    log.collectAbortedTransactions(toClean.get(0).baseOffset(), target.firstUncleanableOffset()));
        }
        CleaningFilter filter = new CleaningFilter(
                nowMs, config.deleteRetentionMs(), mapEnd, target.view().producerLastRecords(), transactions);
        for (List<LogSegment> group : groupBySize(toClean, config, target.firstUncleanableOffset())) {
            LogSegment cleaned = cleanInto(log, group, filter, config);
            boolean swapped;
            try {
                swapped = log.replaceSegments(group, cleaned, target.view().truncations());
            } catch (IOException | RuntimeException e) {
                deleteQuietly(cleaned);
                throw e;
            }
            if (!swapped) {
                deleteQuietly(cleaned);
                LOG.info("Log {} changed while it was cleaned; the clean is abandoned", log.topicPartition());
                return new Result(
                        false,
                        target.firstDirtyOffset(),
                        Long.MAX_VALUE,
                        filter.bytesRead,
                        filter.bytesWritten,
                        filter.recordsRead,
                        filter.recordsWritten);
            }
        }
        if (transactions.abortedRecordsSeen()) {
            // their markers may go from the next clean on: it must not wait for new dirty data
            filter.nextDeleteHorizonMs = nowMs;
        }
        LOG.info(
                "Cleaned {}: {} of {} records and {} of {} bytes kept; first dirty offset now {}",
                log.topicPartition(),
                filter.recordsWritten,
                filter.recordsRead,
                filter.bytesWritten,
                filter.bytesRead,
                endOffset);
        return new Result(
                true,
                endOffset,
                filter.nextDeleteHorizonMs,
                filter.bytesRead,
                filter.bytesWritten,
                filter.recordsRead,
                filter.recordsWritten);
    }

    /**
     * Maps each key in [first dirty offset, first uncleanable offset) to its latest offset, stopping early at a batch
     * boundary if the map fills up.
     *
     * @return the offset up to which the log was mapped
     */
    private long buildOffsetMap(LogToClean target) throws IOException {
        offsetMap.clear();
        long start = target.firstDirtyOffset();
        long end = target.firstUncleanableOffset();
        if (start >= end) {
            return start;
        }
        long mapped = start;
        CleanedTransactions transactions = new CleanedTransactions();
        transactions.addAborted(target.log().collectAbortedTransactions(start, end));
        List<LogSegment> cleanable = target.cleanable();
        for (int i = 0; i < cleanable.size(); i++) {
            LogSegment segment = cleanable.get(i);
            long segmentEnd = i + 1 < cleanable.size() ? cleanable.get(i + 1).baseOffset() : end;
            if (segmentEnd <= start) {
                continue;
            }
            int position = segment.offsetIndex().lookup(start).position();
            while (position < segment.size()) {
                abortCheck.check(target.log());
                MemoryRecords records = read(segment, position, target.log().config());
                int positionBefore = position;
                for (RecordBatch batch : records.batches()) {
                    if (batch.isControlBatch()) {
                        transactions.onControlBatch(batch);
                    } else if (transactions.onDataBatch(batch)) {
                        // aborted: its records must not hide older committed values of their keys
                    } else if (batch.lastOffset() >= start) {
                        Integer count = batch.countOrNull();
                        if (offsetMap.wouldOverflow(count == null ? 0 : count)) {
                            if (mapped == start) {
                                throw new IllegalStateException("log.cleaner.dedupe.buffer.size is too small for a "
                                        + "single batch of " + target.log().topicPartition() + " at offset "
                                        + batch.baseOffset());
                            }
                            LOG.info(
                                    "The offset map of {} is full at offset {}",
                                    target.log().topicPartition(),
                                    mapped);
                            return mapped;
                        }
                        for (Record record : batch) {
                            if (record.hasKey() && record.offset() >= start) {
                                offsetMap.put(record.key(), record.offset());
                            }
                        }
                    }
                    mapped = Math.max(mapped, batch.nextOffset());
                    position += batch.sizeInBytes();
                }
                if (position == positionBefore) {
                    throw new IllegalStateException("No complete batch at position " + position + " of "
                            + segment.log().file());
                }
            }
        }
        return end;
    }

    /** The complete batches from {@code position} that fit the read buffer, growing it for a larger batch. */
    private MemoryRecords read(LogSegment segment, int position, LogConfig config) throws IOException {
        while (true) {
            readBuffer.clear();
            segment.log().readInto(readBuffer, position);
            MemoryRecords records = MemoryRecords.readableRecords(readBuffer);
            if (records.firstBatchSize() == null || records.firstBatchSize() <= readBuffer.limit()) {
                return records;
            }
            int needed = records.firstBatchSize();
            if (needed > Math.max(config.maxMessageBytes(), config.segmentBytes()) + Records.LOG_OVERHEAD) {
                throw new IllegalStateException("Batch of " + needed + " bytes at position " + position + " of "
                        + segment.log().file() + " exceeds the largest batch a segment can hold");
            }
            readBuffer = ByteBuffer.allocate(needed);
            writeBuffer = ByteBuffer.allocate(Math.max(writeBuffer.capacity(), needed));
        }
    }

    /** Writes the retained batches of {@code group} into a new segment named {@code <first base offset>.log.cleaned}. */
    private LogSegment cleanInto(LocalLog log, List<LogSegment> group, CleaningFilter filter, LogConfig config)
            throws IOException {
        Path dir = log.dir();
        long baseOffset = group.get(0).baseOffset();
        for (Path file : List.of(
                LogSegment.logFile(dir, baseOffset),
                LogSegment.indexFile(dir, baseOffset),
                LogSegment.timeIndexFile(dir, baseOffset),
                LogSegment.txnIndexFile(dir, baseOffset))) {
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + LocalLog.CLEANED_SUFFIX));
        }
        LogSegment cleaned = LogSegment.open(dir, baseOffset, config, time, LocalLog.CLEANED_SUFFIX);
        try {
            cleaned.txnIndex().createFile();
            filter.transactions.writeTo(cleaned.txnIndex());
            for (LogSegment source : group) {
                int position = 0;
                while (position < source.size()) {
                    abortCheck.check(log);
                    MemoryRecords records = read(source, position, config);
                    writeBuffer.clear();
                    FilterResult result = records.filterTo(filter, writeBuffer, BufferSupplier.NO_CACHING);
                    if (result.bytesRead() == 0) {
                        throw new IllegalStateException("No complete batch at position " + position + " of "
                                + source.log().file());
                    }
                    position += result.bytesRead();
                    filter.bytesRead += result.bytesRead();
                    filter.recordsRead += result.messagesRead();
                    ByteBuffer output = result.outputBuffer();
                    if (output.position() > 0) {
                        output.flip();
                        MemoryRecords retained = MemoryRecords.readableRecords(output);
                        cleaned.append(
                                result.maxOffset(),
                                result.maxTimestamp(),
                                result.shallowOffsetOfMaxTimestamp(),
                                retained);
                        filter.bytesWritten += retained.sizeInBytes();
                        filter.recordsWritten += result.messagesRetained();
                    }
                    if (output.capacity() > writeBuffer.capacity()) {
                        writeBuffer = ByteBuffer.allocate(output.capacity());
                    }
                }
            }
            cleaned.onBecomeInactiveSegment();
            cleaned.flush();
            restoreBuffers();
            return cleaned;
        } catch (IOException | RuntimeException e) {
            deleteQuietly(cleaned);
            throw e;
        }
    }

    private void restoreBuffers() {
        if (readBuffer.capacity() > ioBufferSize) {
            readBuffer = ByteBuffer.allocate(ioBufferSize);
        }
        if (writeBuffer.capacity() > ioBufferSize) {
            writeBuffer = ByteBuffer.allocate(ioBufferSize);
        }
    }

    /**
     * Splits consecutive segments into groups that each fit one segment: at most {@code segment.bytes} of log, at most
     * the index size in each index, and offsets within 2^31 of the group's base offset.
     */
    static List<List<LogSegment>> groupBySize(List<LogSegment> segments, LogConfig config, long firstUncleanable) {
        List<List<LogSegment>> groups = new ArrayList<>();
        int i = 0;
        while (i < segments.size()) {
            List<LogSegment> group = new ArrayList<>();
            LogSegment first = segments.get(i);
            group.add(first);
            long logBytes = first.size();
            long indexBytes = first.offsetIndex().sizeInBytes();
            long timeIndexBytes = first.timeIndex().sizeInBytes();
            i++;
            while (i < segments.size()) {
                LogSegment next = segments.get(i);
                long nextEnd = i + 1 < segments.size() ? segments.get(i + 1).baseOffset() : firstUncleanable;
                if (logBytes + next.size() > config.segmentBytes()
                        || indexBytes + next.offsetIndex().sizeInBytes() > config.maxIndexSize()
                        || timeIndexBytes + next.timeIndex().sizeInBytes() > config.maxIndexSize()
                        || nextEnd - 1 - first.baseOffset() > Integer.MAX_VALUE) {
                    break;
                }
                group.add(next);
                logBytes += next.size();
                indexBytes += next.offsetIndex().sizeInBytes();
                timeIndexBytes += next.timeIndex().sizeInBytes();
                i++;
            }
            groups.add(group);
        }
        return groups;
    }

    /** Deletes a cleaned segment, unless its rename to {@code .swap} decided its swap and a restart must finish it. */
    private static void deleteQuietly(LogSegment segment) {
        if (!segment.log().file().getName().endsWith(LocalLog.CLEANED_SUFFIX)) {
            return;
        }
        try {
            segment.deleteIfExists();
        } catch (IOException e) {
            LOG.warn("Failed to delete the cleaned segment {}", segment.log().file(), e);
        }
    }

    /** Decides, batch by batch and record by record, what a clean keeps; also counts what it saw. */
    private final class CleaningFilter extends RecordFilter {

        private final long mapEnd;
        private final Map<Long, LocalLog.ProducerLastRecord> producerLastRecords;
        final CleanedTransactions transactions;
        long bytesRead;
        long bytesWritten;
        long recordsRead;
        long recordsWritten;
        /** The earliest delete horizon of the tombstones and removable markers kept. */
        long nextDeleteHorizonMs = Long.MAX_VALUE;
        /** The batch being filtered goes, or keeps only its header: aborted data, or a marker past its horizon. */
        private boolean discardRecords;

        CleaningFilter(
                long nowMs,
                long deleteRetentionMs,
                long mapEnd,
                Map<Long, LocalLog.ProducerLastRecord> producerLastRecords,
                CleanedTransactions transactions) {
            super(nowMs, deleteRetentionMs);
            this.mapEnd = mapEnd;
            this.producerLastRecords = producerLastRecords;
            this.transactions = transactions;
        }

        @Override
        protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
            boolean removable;
            if (batch.isControlBatch()) {
                removable = transactions.onControlBatch(batch);
                // filterTo stamps a removable marker that has no horizon yet with now + delete.retention.ms
                long horizon = batch.deleteHorizonMs().orElse(currentTime + deleteRetentionMs);
                discardRecords = removable && batch.deleteHorizonMs().isPresent() && currentTime >= horizon;
                Integer count = batch.countOrNull();
                if (removable && !discardRecords && count != null && count > 0) {
                    nextDeleteHorizonMs = Math.min(nextDeleteHorizonMs, horizon);
                }
            } else {
                removable = transactions.onDataBatch(batch);
                discardRecords = removable;
            }
            BatchRetention retention;
            if (batch.hasProducerId() && isLastOfProducer(batch)) {
                retention = BatchRetention.RETAIN_EMPTY;
            } else if (discardRecords) {
                retention = BatchRetention.DELETE;
            } else {
                retention = BatchRetention.DELETE_EMPTY;
            }
            return new BatchRetentionResult(retention, removable && batch.isControlBatch());
        }

        private boolean isLastOfProducer(RecordBatch batch) {
            LocalLog.ProducerLastRecord last = producerLastRecords.get(batch.producerId());
            if (last == null) {
                return false;
            }
            return last.lastDataOffset() >= 0
                    ? batch.lastOffset() == last.lastDataOffset()
                    : batch.isControlBatch() && batch.producerEpoch() == last.producerEpoch();
        }

        @Override
        protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
            if (discardRecords) {
                return false;
            }
            if (batch.isControlBatch() || record.offset() >= mapEnd) {
                return true;
            }
            if (!record.hasKey()) {
                return false;
            }
            if (offsetMap.get(record.key()) > record.offset()) {
                return false;
            }
            if (!record.hasValue()) {
                // filterTo stamps a batch that keeps a tombstone and has no horizon yet with now + delete.retention.ms
                long horizon = batch.deleteHorizonMs().orElse(currentTime + deleteRetentionMs);
                if (currentTime >= horizon) {
                    return false;
                }
                nextDeleteHorizonMs = Math.min(nextDeleteHorizonMs, horizon);
            }
            return true;
        }
    }
}
