package dev.strata.tiering;

import dev.strata.index.AbortedTxnSearch;
import dev.strata.index.OffsetPosition;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import java.io.IOException;
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
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves fetches below the local log start offset from the remote tier: a floor lookup of the segment in the remote
 * index, the start position from its offset index entries, then ranged reads through the {@link ChunkCache}.
 *
 * <p>The bytes read are record batches as the broker wrote them: an 8-byte base offset and a 4-byte length, then
 * {@code length} bytes. The index entry points at or before the batch holding the offset, so batches that end below
 * it are skipped. Every returned batch's CRC is checked ({@link BatchScan}, as {@link MutableRecordBatch#isValid()}
 * checks it), and every batch must end within the segment: a corrupt object in the bucket fails the read with a {@link CorruptRecordException},
 * never reaches a consumer as records. So does whatever the chunk cache finds corrupt (bytes missing inside the
 * segment, an object its backend reports corrupt, see {@link ChunkCache}). A read returns only whole batches; when the
 * first batch is larger than {@code maxBytes} it is returned whole, as Kafka does, so a consumer always makes
 * progress.
 *
 * <p>A read that reaches the end of its segment with room left goes on into the segments that follow (those whose
 * start offset is the previous one's end offset plus one, at most {@value #MAX_SEGMENTS_PER_READ} in all) as far as
 * their first chunks are in memory already (read ahead, typically), with the same checks, and returns their whole
 * batches after the first segment's, a part per segment ({@link RemoteRecords}): with small segments a consumer catching up
 * then gets up to {@code maxBytes} per fetch instead of one segment's worth, while a cold read still costs exactly one
 * ranged read. A later segment that cannot be read ends the read there; the consumer's next fetch, which starts in it,
 * gets the error.
 *
 * <p>A backend whose logs are files on this machine ({@link LocalLogFiles}, the filesystem backend) is read from its
 * files instead, on the file read pool: the same batches, checks and errors, but the bytes go to the socket from the
 * file ({@link LogFileReads}), and a read goes on into the following segments whether or not anything of them is in
 * memory (the page cache is their cache).
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
    private final LogFileReads fileReads;
    private final Executor fileReadPool;
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
        this(manager, store, cache, budget, null, null);
    }

    /**
     * A reader whose reads in flight stay within {@code budget} and which reads the logs of {@code files} from their
     * files on {@code fileReadPool} (threads that may block on disk), sending them with {@code sendfile}, instead of
     * through {@code cache}.
     */
    public RemoteLogReader(
            RemoteLogManager manager,
            RemoteIndexStore store,
            ChunkCache cache,
            RemoteReadBudget budget,
            LocalLogFiles files,
            Executor fileReadPool) {
        this(manager, store, cache, budget, files, fileReadPool, LogFileReads.WINDOW_BYTES);
    }

    /** For tests: file reads that scan {@code fileReadWindow} bytes at a time. */
    RemoteLogReader(
            RemoteLogManager manager,
            RemoteIndexStore store,
            ChunkCache cache,
            RemoteReadBudget budget,
            LocalLogFiles files,
            Executor fileReadPool,
            int fileReadWindow) {
        this.manager = manager;
        this.store = store;
        this.cache = cache;
        this.budget = budget;
        this.fileReads = files == null ? null : new LogFileReads(files, fileReadWindow);
        this.fileReadPool = fileReadPool;
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
        return readRecordParts(tip, offset, maxBytes).thenApply(records -> {
            try (records) {
                return records.toBuffer();
            }
        });
    }

    /**
     * {@link #readRecords}, without copying the parts into one buffer: read-only views of the cached chunks or regions of
     * the log files, in order, each holding whole batches (one part per remote segment read; the first may be empty).
     * For a fetch response, which writes the parts to the socket as they are; the caller closes the records.
     */
    public CompletableFuture<RemoteRecords> readRecordParts(TopicIdPartition tip, long offset, int maxBytes) {
        reads.increment();
        CompletableFuture<RemoteRecords> read;
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
                readBytes.add(parts.sizeInBytes());
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

    /**
     * The reads of log files ({@link LocalLogFiles}) so far: one per segment read, the bytes read from the files (the
     * batches checked, a window at a time), and the reads that failed. All zero when the backend's logs are not files.
     */
    public record FileReadStats(long reads, long bytes, long errors) {}

    /** A snapshot of the file reads' counters. */
    public FileReadStats fileReadStats() {
        return fileReads == null ? new FileReadStats(0, 0, 0) : fileReads.stats();
    }

    /** A snapshot of the counters. */
    public RemoteLogReaderStats stats() {
        return new RemoteLogReaderStats(
                reads.sum(), readBytes.sum(), readErrors.sum(), budget.deferredReads(), budget.usedBytes());
    }

    private CompletableFuture<RemoteRecords> startRead(TopicIdPartition tip, long offset, int maxBytes) {
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
        int position = start.get().position();
        CompletableFuture<RemoteRecords> read;
        if (fileReads != null) {
            read = CompletableFuture.supplyAsync(() -> readFiles(metadata, position, offset, maxBytes), fileReadPool);
        } else {
            read = readFrom(metadata, position, offset, maxBytes, true).thenCompose(first -> {
                List<RemoteRecords.Part> parts = new ArrayList<>(List.of(first));
                return continueAfter(metadata, first, maxBytes - first.size(), parts)
                        .thenApply(done -> new RemoteRecords(parts));
            });
        }
        return read.whenComplete((records, error) -> {
            Throwable cause = error;
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof CorruptRecordException) {
                reportCorrupt(tip, offset, metadata, cause);
            }
        });
    }

    /**
     * A read from the log files, {@link #continueAfter} included: the first segment's batches, then those of the
     * segments after it while there is room (a segment that cannot be read ends the read there).
     */
    private RemoteRecords readFiles(RemoteLogSegmentMetadata segment, int position, long offset, int maxBytes) {
        List<RemoteRecords.Part> parts = new ArrayList<>();
        try {
            parts.add(fileReads.read(segment, position, offset, maxBytes, true));
        } catch (RemoteStorageException | IOException e) {
            throw new CompletionException(e);
        }
        RemoteLogSegmentMetadata current = segment;
        int left = maxBytes - parts.get(0).size();
        for (Optional<RemoteLogSegmentMetadata> next = following(current, parts.get(0), left, parts.size());
                next.isPresent();
                next = following(current, parts.get(parts.size() - 1), left, parts.size())) {
            current = next.get();
            try {
                RemoteRecords.Part part = fileReads.read(current, 0, current.startOffset(), left, false);
                parts.add(part);
                left -= part.size();
            } catch (RemoteStorageException | IOException | RuntimeException e) {
                log.debug("Read stops before remote segment {}: {}", current.remoteLogSegmentId(), e.toString());
                break;
            }
        }
        return new RemoteRecords(parts);
    }

    /**
     * Adds to {@code parts} the whole batches of the segments after {@code segment}, up to {@code left} bytes, if
     * {@code read} (what was read of {@code segment}) ends with its last offset, no further than their chunks in memory.
     * Completes normally whatever happens: a segment that cannot be read ends the read.
     */
    private CompletableFuture<Void> continueAfter(
            RemoteLogSegmentMetadata segment, RemoteRecords.Part read, int left, List<RemoteRecords.Part> parts) {
        Optional<RemoteLogSegmentMetadata> next = following(segment, read, left, parts.size());
        if (next.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        RemoteLogSegmentMetadata following = next.get();
        int inMemory = cache.inMemoryPrefix(following, left);
        if (inMemory < Records.LOG_OVERHEAD) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<RemoteRecords.Part> more;
        try {
            more = readFrom(following, 0, following.startOffset(), inMemory, false);
        } catch (RuntimeException e) {
            more = CompletableFuture.failedFuture(e);
        }
        return more.thenCompose(bytes -> {
                    parts.add(bytes);
                    return continueAfter(following, bytes, left - bytes.size(), parts);
                })
                .exceptionally(error -> {
                    log.debug(
                            "Read stops before remote segment {}: {}",
                            following.remoteLogSegmentId(),
                            error.toString());
                    return null;
                });
    }

    /**
     * The segment a read goes on into after {@code read} of {@code segment}: the next one of the partition, if the read
     * ended with the segment's last offset, {@code left} bytes hold a batch header and the read has fewer than
     * {@value #MAX_SEGMENTS_PER_READ} parts.
     */
    private Optional<RemoteLogSegmentMetadata> following(
            RemoteLogSegmentMetadata segment, RemoteRecords.Part read, int left, int parts) {
        if (left < Records.LOG_OVERHEAD
                || parts >= MAX_SEGMENTS_PER_READ
                || read.size() == 0
                || read.lastOffset() != segment.endOffset()) {
            return Optional.empty();
        }
        return nextSegment(segment).filter(n -> n.startOffset() == segment.endOffset() + 1);
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
    private CompletableFuture<RemoteRecords.Part> readFrom(
            RemoteLogSegmentMetadata metadata, int position, long offset, int maxBytes, boolean minOneBatch) {
        // at least a batch header, so that the size of the first batch is known
        int readSize = Math.max(maxBytes, Records.LOG_OVERHEAD);
        return cache.read(metadata, position, readSize, this::nextSegment).thenCompose(bytes -> {
            BatchScan scan = BatchScan.of(bytes, position, offset, metadata, minOneBatch);
            return switch (scan.kind()) {
                case FOUND -> CompletableFuture.completedFuture(new RemoteRecords.Bytes(
                        bytes.duplicate()
                                .position(scan.from())
                                .limit(scan.from() + scan.size())
                                .slice()
                                .asReadOnlyBuffer(),
                        scan.lastOffset()));
                case END -> CompletableFuture.completedFuture(RemoteRecords.EMPTY);
                case WHOLE_BATCH -> readFrom(metadata, position + scan.from(), offset, scan.size(), true);
                case SKIPPED -> readFrom(metadata, position + scan.from(), offset, maxBytes, minOneBatch);
            };
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
}
