package dev.strata.tiering;

import dev.strata.index.AbortedTxnSearch;
import dev.strata.index.OffsetPosition;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves fetches below the local log start offset from the remote tier: a floor lookup of the segment in the remote
 * index, the start position from its offset index entries, then ranged reads through the {@link ChunkCache}.
 *
 * <p>The bytes read are record batches as the broker wrote them: an 8-byte base offset and a 4-byte length, then
 * {@code length} bytes. The index entry points at or before the batch holding the offset, so batches that end below
 * it are skipped. Every returned batch's CRC is checked ({@link MutableRecordBatch#isValid()}), and every batch
 * must end within the segment: a corrupt object in the bucket fails the read with a {@link CorruptRecordException},
 * never reaches a consumer as records. So does whatever the chunk cache finds corrupt (bytes missing inside the
 * segment, an object its backend reports corrupt, see {@link ChunkCache}). A read returns only whole batches; when the
 * first batch is larger than {@code maxBytes} it is returned whole, as Kafka does, so a consumer always makes
 * progress.
 *
 * <p>A corrupt segment is logged at WARN with its partition, the offset read and the segment's id, once per segment
 * (of the last {@value #MAX_REPORTED_CORRUPT} reported): consumers retrying the same offsets cannot flood the log.
 * Later failures of that segment are logged at DEBUG.
 *
 * <p>Never blocks: the returned futures complete on the chunk cache's fetch threads. Each read first reserves the bytes
 * it asks for in the broker's {@link RemoteReadBudget}, and waits for them if many reads are in flight. Counts its
 * reads, the bytes they return, their failures and the reads that waited for budget ({@link #stats()}).
 */
public final class RemoteLogReader {

    private static final Logger log = LoggerFactory.getLogger(RemoteLogReader.class);
    /** How many corrupt segments are remembered as reported, so that a bucket full of them cannot grow the set. */
    static final int MAX_REPORTED_CORRUPT = 1024;
    /** How many segments' successors are remembered for read-ahead, so that it does not search the index every read. */
    static final int MAX_REMEMBERED_SUCCESSORS = 4096;

    private final RemoteLogManager manager;
    private final RemoteIndexStore store;
    private final ChunkCache cache;
    private final RemoteReadBudget budget;
    private final LongAdder reads = new LongAdder();
    private final LongAdder readBytes = new LongAdder();
    private final LongAdder readErrors = new LongAdder();
    private final Map<RemoteLogSegmentId, RemoteLogSegmentMetadata> successors =
            Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<RemoteLogSegmentId, RemoteLogSegmentMetadata> eldest) {
                    return size() > MAX_REMEMBERED_SUCCESSORS;
                }
            });
    private final Set<RemoteLogSegmentId> reportedCorrupt =
            Collections.newSetFromMap(Collections.synchronizedMap(new LinkedHashMap<RemoteLogSegmentId, Boolean>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<RemoteLogSegmentId, Boolean> eldest) {
                    return size() > MAX_REPORTED_CORRUPT;
                }
            }));

    /** A reader whose reads are not bounded in bytes. */
    public RemoteLogReader(RemoteLogManager manager, RemoteIndexStore store, ChunkCache cache) {
        this(manager, store, cache, RemoteReadBudget.unbounded());
    }

    /** A reader whose reads in flight stay within {@code budget}. */
    public RemoteLogReader(
            RemoteLogManager manager, RemoteIndexStore store, ChunkCache cache, RemoteReadBudget budget) {
        this.manager = manager;
        this.store = store;
        this.cache = cache;
        this.budget = budget;
    }

    /**
     * Reads whole record batches from the remote tier, starting with the batch holding {@code offset}, up to about
     * {@code maxBytes} (at least one batch) and at most to the end of that segment.
     *
     * @return a future of the batches' bytes (empty if the segment holds nothing from {@code offset}), failed with an
     *     {@link OffsetOutOfRangeException} when the remote tier does not hold the offset, with a
     *     {@link CorruptRecordException} when the segment's data is corrupt (a batch fails its CRC, bytes are missing,
     *     the backend reports the object corrupt), or with the backend's error
     */
    public CompletableFuture<ByteBuffer> readRecords(TopicIdPartition tip, long offset, int maxBytes) {
        reads.increment();
        CompletableFuture<ByteBuffer> read;
        try {
            read = budget.submit(Math.max(maxBytes, Records.LOG_OVERHEAD), () -> startRead(tip, offset, maxBytes));
        } catch (RuntimeException e) {
            // an index or manager failure: the caller sees it like any other failed read
            read = CompletableFuture.failedFuture(e);
        }
        return read.whenComplete((bytes, error) -> {
            if (error != null) {
                readErrors.increment();
            } else {
                readBytes.add(bytes.remaining());
            }
        });
    }

    /**
     * The aborted transactions of the partition's remote segments that overlap {@code [fetchOffset,
     * upperBoundOffset)}, for a {@code read_committed} fetch of records read from the remote tier; when the search is
     * not complete, the caller goes on in the local log after {@link AbortedTxnSearch#searchedUpTo()}. Reads only the
     * remote index, never the bucket.
     */
    public AbortedTxnSearch abortedTxns(TopicIdPartition tip, long fetchOffset, long upperBoundOffset) {
        return store.abortedTxns(RemoteLogManager.key(tip), fetchOffset, upperBoundOffset);
    }

    /** A snapshot of the counters. */
    public RemoteLogReaderStats stats() {
        return new RemoteLogReaderStats(
                reads.sum(), readBytes.sum(), readErrors.sum(), budget.deferredReads(), budget.usedBytes());
    }

    private CompletableFuture<ByteBuffer> startRead(TopicIdPartition tip, long offset, int maxBytes) {
        if (maxBytes <= 0) {
            return CompletableFuture.failedFuture(
                    new IllegalArgumentException("maxBytes must be > 0, was " + maxBytes));
        }
        Optional<RemoteSegment> segment = manager.segmentFor(tip, offset);
        Optional<OffsetPosition> start = segment.flatMap(s -> store.positionFor(s.id(), offset));
        if (segment.isEmpty() || start.isEmpty()) {
            return CompletableFuture.failedFuture(
                    new OffsetOutOfRangeException("The remote tier of " + tip + " does not hold offset " + offset));
        }
        RemoteLogSegmentMetadata metadata = manager.metadataFor(segment.get());
        return readFrom(metadata, start.get().position(), offset, maxBytes).whenComplete((bytes, error) -> {
            Throwable cause = error;
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof CorruptRecordException) {
                reportCorrupt(tip, offset, metadata, cause);
            }
        });
    }

    private void reportCorrupt(TopicIdPartition tip, long offset, RemoteLogSegmentMetadata segment, Throwable error) {
        if (reportedCorrupt.add(segment.remoteLogSegmentId())) {
            log.warn(
                    "Corrupt remote data: {} cannot be read at offset {} from remote segment {} (offsets {} to {});"
                            + " reads of it fail until it is repaired or deleted (logged once per segment): {}",
                    tip,
                    offset,
                    segment.remoteLogSegmentId().id(),
                    segment.startOffset(),
                    segment.endOffset(),
                    error.getMessage());
        } else {
            log.debug(
                    "Read of {} at offset {} from corrupt remote segment {} failed: {}",
                    tip,
                    offset,
                    segment.remoteLogSegmentId().id(),
                    error.getMessage());
        }
    }

    private CompletableFuture<ByteBuffer> readFrom(
            RemoteLogSegmentMetadata metadata, int position, long offset, int maxBytes) {
        // at least a batch header, so that the size of the first batch is known
        int readSize = Math.max(maxBytes, Records.LOG_OVERHEAD);
        return cache.read(metadata, position, readSize, this::nextSegment).thenCompose(bytes -> {
            ByteBuffer buffer = bytes.duplicate();
            int first = -1;
            int end = 0;
            while (buffer.remaining() >= Records.LOG_OVERHEAD) {
                int batchStart = buffer.position();
                int batchSize = Records.LOG_OVERHEAD + buffer.getInt(batchStart + Records.SIZE_OFFSET);
                if (batchSize <= Records.LOG_OVERHEAD) {
                    throw new CorruptRecordException("Record batch at byte " + (position + batchStart) + " of "
                            + metadata.remoteLogSegmentId() + " has an invalid size " + batchSize);
                }
                if (batchSize > buffer.remaining()) {
                    if (first < 0) {
                        if ((long) position + batchStart + batchSize > metadata.segmentSizeInBytes()) {
                            // reading it "whole" would return the same short tail again, forever
                            throw new CorruptRecordException("Record batch at byte " + (position + batchStart)
                                    + " of " + metadata.remoteLogSegmentId() + " has a size of " + batchSize
                                    + " bytes, past the end of the segment at byte "
                                    + metadata.segmentSizeInBytes());
                        }
                        // the batch we need does not fit: fetch it whole
                        return readFrom(metadata, position + batchStart, offset, batchSize);
                    }
                    break;
                }
                MutableRecordBatch batch = batchAt(buffer, batchStart, batchSize);
                if (batch.lastOffset() >= offset) {
                    if (!batch.isValid()) {
                        throw new CorruptRecordException("Record batch at byte " + (position + batchStart) + " of "
                                + metadata.remoteLogSegmentId() + " (offsets " + batch.baseOffset() + " to "
                                + batch.lastOffset() + ") fails its CRC check");
                    }
                    if (first < 0) {
                        first = batchStart;
                    }
                    end = batchStart + batchSize;
                }
                buffer.position(batchStart + batchSize);
            }
            if (first >= 0) {
                return CompletableFuture.completedFuture(
                        bytes.duplicate().position(first).limit(end).slice().asReadOnlyBuffer());
            }
            int consumed = buffer.position();
            if (consumed == 0 || position + consumed >= metadata.segmentSizeInBytes()) {
                // the end of the segment (or a tail too short to be a batch)
                return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
            }
            // every whole batch read ended below the offset: continue after them
            return readFrom(metadata, position + consumed, offset, maxBytes);
        });
    }

    /**
     * The segment after {@code segment} in its partition's remote tier, for read-ahead across segment boundaries;
     * empty when there is none yet or it cannot be looked up (read-ahead then stops there, the read goes on).
     */
    private Optional<RemoteLogSegmentMetadata> nextSegment(RemoteLogSegmentMetadata segment) {
        RemoteLogSegmentMetadata known = successors.get(segment.remoteLogSegmentId());
        if (known != null) {
            return Optional.of(known);
        }
        try {
            Optional<RemoteLogSegmentMetadata> next = manager.segmentFor(
                            segment.topicIdPartition(), segment.endOffset() + 1)
                    .map(manager::metadataFor)
                    .filter(m -> !m.remoteLogSegmentId().equals(segment.remoteLogSegmentId()));
            // only a successor that exists is remembered: the last segment gets one when the next is copied
            next.ifPresent(m -> successors.put(segment.remoteLogSegmentId(), m));
            return next;
        } catch (RuntimeException e) {
            log.debug("No read-ahead past remote segment {}: {}", segment.remoteLogSegmentId(), e.toString());
            return Optional.empty();
        }
    }

    private static MutableRecordBatch batchAt(ByteBuffer buffer, int start, int size) {
        ByteBuffer slice =
                buffer.duplicate().position(start).limit(start + size).slice();
        return MemoryRecords.readableRecords(slice).batches().iterator().next();
    }
}
