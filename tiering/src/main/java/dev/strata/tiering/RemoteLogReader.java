package dev.strata.tiering;

import dev.strata.index.AbortedTxnSearch;
import dev.strata.index.OffsetPosition;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
 * it are skipped. Every returned batch's CRC is checked ({@link BatchChecksum}, as {@link MutableRecordBatch#isValid()} checks it), and every batch
 * must end within the segment: a corrupt object in the bucket fails the read with a {@link CorruptRecordException},
 * never reaches a consumer as records. So does whatever the chunk cache finds corrupt (bytes missing inside the
 * segment, an object its backend reports corrupt, see {@link ChunkCache}). A read returns only whole batches; when the
 * first batch is larger than {@code maxBytes} it is returned whole, as Kafka does, so a consumer always makes
 * progress.
 *
 * <p>A read that reaches the end of its segment with room left goes on into the segments that follow (those whose
 * start offset is the previous one's end offset plus one, at most {@value #MAX_SEGMENTS_PER_READ} in all) as far as
 * their first chunks are in memory already (read ahead, typically), with the same checks, and returns their whole
 * batches after the first segment's in one buffer (one copy of the bytes): with small segments a consumer catching up
 * then gets up to {@code maxBytes} per fetch instead of one segment's worth, while a cold read still costs exactly one
 * ranged read. A later segment that cannot be read ends the read there; the consumer's next fetch, which starts in it,
 * gets the error.
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
    /** The most segments one read returns batches of. */
    static final int MAX_SEGMENTS_PER_READ = 64;

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
     * {@code maxBytes} (at least one batch), going on into the following segments if it reaches the end of that one.
     *
     * @return a future of the batches' bytes (empty if the segment holds nothing from {@code offset}), failed with an
     *     {@link OffsetOutOfRangeException} when the remote tier does not hold the offset, with a
     *     {@link CorruptRecordException} when the segment's data is corrupt (a batch fails its CRC, bytes are missing,
     *     the backend reports the object corrupt), or with the backend's error
     */
    public CompletableFuture<ByteBuffer> readRecords(TopicIdPartition tip, long offset, int maxBytes) {
        return readRecordParts(tip, offset, maxBytes).thenApply(RemoteLogReader::concat);
    }

    /**
     * {@link #readRecords}, without copying the parts into one buffer: read-only views of the cached chunks, in order,
     * each holding whole batches (one part per remote segment read; the first may be empty). For a fetch response, which
     * writes the parts to the socket as they are.
     */
    public CompletableFuture<List<ByteBuffer>> readRecordParts(TopicIdPartition tip, long offset, int maxBytes) {
        reads.increment();
        CompletableFuture<List<ByteBuffer>> read;
        try {
            read = budget.submit(Math.max(maxBytes, Records.LOG_OVERHEAD), () -> startRead(tip, offset, maxBytes));
        } catch (RuntimeException e) {
            // an index or manager failure: the caller sees it like any other failed read
            read = CompletableFuture.failedFuture(e);
        }
        return read.whenComplete((parts, error) -> {
            if (error != null) {
                readErrors.increment();
            } else {
                readBytes.add(parts.stream().mapToLong(ByteBuffer::remaining).sum());
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

    private CompletableFuture<List<ByteBuffer>> startRead(TopicIdPartition tip, long offset, int maxBytes) {
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
        return readFrom(metadata, start.get().position(), offset, maxBytes, true)
                .whenComplete((bytes, error) -> {
                    Throwable cause = error;
                    while (cause instanceof CompletionException && cause.getCause() != null) {
                        cause = cause.getCause();
                    }
                    if (cause instanceof CorruptRecordException) {
                        reportCorrupt(tip, offset, metadata, cause);
                    }
                })
                .thenCompose(bytes -> {
                    List<ByteBuffer> parts = new ArrayList<>(List.of(bytes));
                    return continueAfter(metadata, bytes, maxBytes - bytes.remaining(), parts)
                            .thenApply(done -> List.copyOf(parts));
                });
    }

    /**
     * Adds to {@code parts} the whole batches of the segments after {@code segment}, up to {@code left} bytes, if
     * {@code read} (what was read of {@code segment}) ends with its last offset. Completes normally whatever happens:
     * a segment that cannot be read ends the read.
     */
    private CompletableFuture<Void> continueAfter(
            RemoteLogSegmentMetadata segment, ByteBuffer read, int left, List<ByteBuffer> parts) {
        if (left < Records.LOG_OVERHEAD
                || parts.size() >= MAX_SEGMENTS_PER_READ
                || !read.hasRemaining()
                || lastOffset(read) != segment.endOffset()) {
            return CompletableFuture.completedFuture(null);
        }
        Optional<RemoteLogSegmentMetadata> next =
                nextSegment(segment).filter(n -> n.startOffset() == segment.endOffset() + 1);
        if (next.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        RemoteLogSegmentMetadata following = next.get();
        // no further than its chunks in memory
        int inMemory = cache.inMemoryPrefix(following, left);
        if (inMemory < Records.LOG_OVERHEAD) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<ByteBuffer> more;
        try {
            more = readFrom(following, 0, following.startOffset(), inMemory, false);
        } catch (RuntimeException e) {
            more = CompletableFuture.failedFuture(e);
        }
        return more.thenCompose(bytes -> {
                    parts.add(bytes);
                    return continueAfter(following, bytes, left - bytes.remaining(), parts);
                })
                .exceptionally(error -> {
                    log.debug(
                            "Read stops before remote segment {}: {}",
                            following.remoteLogSegmentId(),
                            error.toString());
                    return null;
                });
    }

    private static long lastOffset(ByteBuffer batches) {
        long last = -1;
        for (MutableRecordBatch batch :
                MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            last = batch.lastOffset();
        }
        return last;
    }

    /** The parts in one read-only buffer: the first as it is when it is the only one with bytes. */
    static ByteBuffer concat(List<ByteBuffer> parts) {
        int total = parts.stream().mapToInt(ByteBuffer::remaining).sum();
        if (total == parts.get(0).remaining()) {
            return parts.get(0);
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        parts.forEach(part -> all.put(part.duplicate()));
        return all.flip().asReadOnlyBuffer();
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

    /**
     * The whole batches of the segment from the one holding {@code offset}, at {@code position} or after, up to
     * {@code maxBytes}; a first batch larger than that is read whole if {@code minOneBatch}, else the result is empty.
     */
    private CompletableFuture<ByteBuffer> readFrom(
            RemoteLogSegmentMetadata metadata, int position, long offset, int maxBytes, boolean minOneBatch) {
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
                        if (!minOneBatch) {
                            return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
                        }
                        // the batch we need does not fit: fetch it whole
                        return readFrom(metadata, position + batchStart, offset, batchSize, true);
                    }
                    break;
                }
                MutableRecordBatch batch = batchAt(buffer, batchStart, batchSize);
                if (batch.lastOffset() >= offset) {
                    if (!BatchChecksum.isValid(buffer, batchStart, batchSize, batch)) {
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
            return readFrom(metadata, position + consumed, offset, maxBytes, minOneBatch);
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
