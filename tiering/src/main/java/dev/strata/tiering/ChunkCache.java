package dev.strata.tiering;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves byte ranges of remote log segments from fixed-size chunks, cached in memory and optionally on disk, so that
 * every storage backend gets caching and read-ahead without doing anything.
 *
 * <p>Chunk {@code n} of a segment is its log's bytes {@code [n * chunkSize, (n + 1) * chunkSize)} (the last chunk is
 * shorter), loaded through the {@link RemoteStorageManager}: the chunks a read needs that are neither cached nor being
 * loaded come with one ranged read (so a read across a chunk boundary costs one GET, not one per chunk). A load looks
 * in the disk tier first;
 * whatever it gets goes into the memory tier (and a remote chunk into the disk tier too) before its readers are
 * answered. Both tiers evict least recently used chunks to stay within their byte budgets.
 *
 * <p>Concurrent readers of a chunk that is not in memory share one load: no thundering herd on the backend. A load
 * that fails or times out answers its readers with the error and caches nothing, so the next reader tries again.
 *
 * <p>Corrupt data is told apart from a backend that failed. A backend says that the bytes it holds are not those
 * uploaded by throwing, from its fetch or from the stream it returned, an exception caused by Kafka's
 * {@link CorruptRecordException}; a chunk shorter than the segment's size in the remote index says (bytes missing
 * inside the segment) is corrupt too, whatever the backend. Either fails the read with a {@link CorruptRecordException},
 * on which a reader should give up; any other failure is the backend's own, and retriable.
 *
 * <p>Read-ahead: {@link ReadAhead} follows each partition's stream of reads and names the chunks to load ahead of it,
 * a window that grows while the reader outruns it and reaches into the following segments when the caller says which
 * they are ({@link #read(RemoteLogSegmentMetadata, long, int, ReadAhead.NextSegment)}). Each of those chunks that is
 * neither in memory nor loading is loaded in the background, one ranged read per chunk so that a sequential reader has
 * several in flight at once, with at most a configured number of such loads in flight; beyond that, read-ahead is
 * skipped, never queued (the next read asks again).
 *
 * <p>Nothing here blocks the caller: loads run on executors the caller provides (never a network event loop), and
 * {@link #read} answers with a future that completes within the configured fetch timeout.
 */
public final class ChunkCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChunkCache.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private volatile ChunkCacheConfig config;
    private final RemoteStorageManager storage;
    private final Executor fetchExecutor;
    private final Executor readAheadExecutor;
    private final MemoryChunkTier memory;
    private final DiskChunkTier disk;
    private final Semaphore readAheadPermits;
    private final ConcurrentHashMap<ChunkKey, CompletableFuture<ByteBuffer>> loading = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder diskHits = new LongAdder();
    private final LongAdder remoteFetches = new LongAdder();
    private final LongAdder remoteFetchErrors = new LongAdder();
    private final LongAdder remoteFetchBytes = new LongAdder();
    private final LongAdder readAheads = new LongAdder();
    private final ReadAhead readAhead = new ReadAhead();
    private volatile boolean closed;

    /**
     * @param storage the backend chunks are read from (not closed by this cache)
     * @param fetchExecutor runs the loads readers wait for; bounded by the caller
     * @param readAheadExecutor runs read-ahead loads; may be the same as {@code fetchExecutor}
     * @throws UncheckedIOException if the disk tier's directory cannot be prepared
     */
    public ChunkCache(
            ChunkCacheConfig config, RemoteStorageManager storage, Executor fetchExecutor, Executor readAheadExecutor) {
        this.config = config;
        this.storage = storage;
        this.fetchExecutor = fetchExecutor;
        this.readAheadExecutor = readAheadExecutor;
        this.memory = new MemoryChunkTier(config.memoryBytes());
        this.readAheadPermits = new Semaphore(config.readAheadMaxInFlight());
        if (config.diskDirectory().isPresent()) {
            try {
                this.disk = new DiskChunkTier(config.diskDirectory().get(), config.diskBytes());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot prepare the chunk cache directory " + config.diskDirectory(), e);
            }
        } else {
            this.disk = null;
        }
    }

    /**
     * Reads bytes {@code [position, position + maxBytes)} of a remote segment's log, cut at the segment's end.
     *
     * @return a future of a read-only buffer with exactly those bytes (empty at the end of the segment), failed with a
     *     {@link CorruptRecordException} when the segment's bytes are corrupt or missing, with the backend's error, or
     *     with a {@link java.util.concurrent.TimeoutException} after the fetch timeout
     * @throws IllegalArgumentException if {@code position} is outside the segment or {@code maxBytes} is negative
     */
    public CompletableFuture<ByteBuffer> read(RemoteLogSegmentMetadata segment, long position, int maxBytes) {
        return read(segment, position, maxBytes, ReadAhead.NextSegment.NONE);
    }

    /**
     * Like {@link #read(RemoteLogSegmentMetadata, long, int)}, with read-ahead that goes on into the segments after
     * this one: {@code next} names the segment after a segment of the same partition.
     */
    CompletableFuture<ByteBuffer> read(
            RemoteLogSegmentMetadata segment, long position, int maxBytes, ReadAhead.NextSegment next) {
        if (closed) {
            throw new IllegalStateException("The chunk cache is closed");
        }
        long size = segment.segmentSizeInBytes();
        if (position < 0 || position > size || maxBytes < 0) {
            throw new IllegalArgumentException("Cannot read " + maxBytes + " bytes at " + position + " of "
                    + segment.remoteLogSegmentId() + ", which has " + size + " bytes");
        }
        long end = Math.min(size, position + maxBytes);
        if (end == position) {
            return CompletableFuture.completedFuture(EMPTY);
        }
        int chunkSize = config.chunkSize();
        int first = (int) (position / chunkSize);
        int last = (int) ((end - 1) / chunkSize);
        Lookup lookup = chunks(segment, first, last);
        List<CompletableFuture<ByteBuffer>> chunks = lookup.chunks();
        readAhead(segment, position, last, lookup.missed(), next);
        long firstChunkStart = (long) first * chunkSize;
        if (first == last) {
            return chunks.get(0)
                    .thenApply(chunk -> chunk.slice((int) (position - firstChunkStart), (int) (end - position))
                            .asReadOnlyBuffer());
        }
        return CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new)).thenApply(done -> {
            ByteBuffer result = ByteBuffer.allocate((int) (end - position));
            for (int i = 0; i < chunks.size(); i++) {
                ByteBuffer chunk = chunks.get(i).join().duplicate();
                long chunkStart = firstChunkStart + (long) i * chunkSize;
                chunk.position((int) Math.max(0, position - chunkStart));
                chunk.limit((int) Math.min(chunk.capacity(), end - chunkStart));
                result.put(chunk);
            }
            return result.flip().asReadOnlyBuffer();
        });
    }

    /**
     * How many of the segment's first bytes, up to {@code maxBytes}, are in memory (its first chunks, consecutive):
     * reading them costs no load.
     */
    int inMemoryPrefix(RemoteLogSegmentMetadata segment, int maxBytes) {
        int chunkSize = config.chunkSize();
        long bytes = 0;
        for (int index = 0;
                bytes < maxBytes
                        && bytes < segment.segmentSizeInBytes()
                        && memory.contains(new ChunkKey(segment.remoteLogSegmentId(), index));
                index++) {
            bytes += chunkSize;
        }
        return (int) Math.min(bytes, Math.min(maxBytes, segment.segmentSizeInBytes()));
    }

    /** Drops every cached chunk of a segment, for example once it is deleted from the remote tier. */
    public void invalidate(RemoteLogSegmentId segmentId) {
        memory.removeSegment(segmentId);
        if (disk != null) {
            disk.removeSegment(segmentId);
        }
    }

    public ChunkCacheStats stats() {
        return new ChunkCacheStats(
                hits.sum(),
                misses.sum(),
                diskHits.sum(),
                remoteFetches.sum(),
                remoteFetchErrors.sum(),
                remoteFetchBytes.sum(),
                readAheads.sum(),
                memory.evictions(),
                memory.usedBytes(),
                disk == null ? 0 : disk.usedBytes());
    }

    public ChunkCacheConfig config() {
        return config;
    }

    /**
     * Changes the memory tier's budget ({@value ChunkCacheConfig#MEMORY_BYTES_CONFIG}, a dynamic broker config); a
     * smaller budget evicts the least recently used chunks at once.
     *
     * @throws org.apache.kafka.common.config.ConfigException if the budget does not hold one chunk
     */
    public synchronized void resizeMemory(long memoryBytes) {
        ChunkCacheConfig c = config;
        config = new ChunkCacheConfig(
                c.chunkSize(),
                memoryBytes,
                c.diskDirectory(),
                c.diskBytes(),
                c.fetchTimeout(),
                c.readAheadMaxInFlight());
        memory.resize(memoryBytes);
    }

    /** Empties both tiers. Loads in flight still answer their readers; the executors belong to the caller. */
    @Override
    public void close() {
        closed = true;
        memory.clear();
        if (disk != null) {
            disk.clear();
        }
    }

    /**
     * Chunks {@code first..last} of a segment: those in memory at once, loads in flight joined, and the others loaded
     * together, one load per run of consecutive chunks.
     */
    private Lookup chunks(RemoteLogSegmentMetadata segment, int first, int last) {
        List<CompletableFuture<ByteBuffer>> chunks = new ArrayList<>(last - first + 1);
        boolean missed = false;
        List<ChunkKey> run = new ArrayList<>();
        List<CompletableFuture<ByteBuffer>> runFutures = new ArrayList<>();
        for (int index = first; index <= last; index++) {
            ChunkKey key = new ChunkKey(segment.remoteLogSegmentId(), index);
            ByteBuffer cached = memory.get(key);
            CompletableFuture<ByteBuffer> chunk;
            if (cached != null) {
                hits.increment();
                chunk = CompletableFuture.completedFuture(cached);
            } else {
                misses.increment();
                missed = true;
                CompletableFuture<ByteBuffer> own = new CompletableFuture<>();
                chunk = claim(key, own);
                if (chunk == own) {
                    run.add(key);
                    runFutures.add(own);
                    chunks.add(own);
                    continue;
                }
            }
            startLoad(segment, run, runFutures, fetchExecutor);
            run = new ArrayList<>();
            runFutures = new ArrayList<>();
            chunks.add(chunk);
        }
        startLoad(segment, run, runFutures, fetchExecutor);
        return new Lookup(chunks, missed);
    }

    /** The chunks a read needs, and whether any of them was not in memory. */
    private record Lookup(List<CompletableFuture<ByteBuffer>> chunks, boolean missed) {}

    private void readAhead(
            RemoteLogSegmentMetadata segment, long position, int last, boolean missed, ReadAhead.NextSegment next) {
        ChunkCacheConfig c = config;
        if (c.readAheadMaxInFlight() == 0) {
            return;
        }
        for (ReadAhead.Chunk chunk :
                readAhead.onRead(segment, position, last, missed, c.chunkSize(), c.memoryBytes(), next)) {
            ChunkKey key = new ChunkKey(chunk.segment().remoteLogSegmentId(), chunk.index());
            if (isCached(key) || loading.containsKey(key)) {
                continue;
            }
            if (!readAheadPermits.tryAcquire()) {
                return;
            }
            readAheads.increment();
            load(chunk.segment(), key, readAheadExecutor).whenComplete((bytes, error) -> {
                readAheadPermits.release();
                if (error != null) {
                    log.debug("Read-ahead of chunk {} failed", key, error);
                }
            });
        }
    }

    private boolean isCached(ChunkKey key) {
        return memory.contains(key) || (disk != null && disk.contains(key));
    }

    /** Joins the load of {@code key} in flight, or starts one on {@code executor}. */
    private CompletableFuture<ByteBuffer> load(RemoteLogSegmentMetadata segment, ChunkKey key, Executor executor) {
        CompletableFuture<ByteBuffer> future = new CompletableFuture<>();
        CompletableFuture<ByteBuffer> chunk = claim(key, future);
        if (chunk == future) {
            startLoad(segment, List.of(key), List.of(future), executor);
        }
        return chunk;
    }

    /**
     * Makes {@code future} the load of {@code key} and returns it, for the caller to start; or returns the load already
     * in flight, or a future completed with the chunk that a load just put in memory.
     */
    private CompletableFuture<ByteBuffer> claim(ChunkKey key, CompletableFuture<ByteBuffer> future) {
        for (CompletableFuture<ByteBuffer> inFlight = loading.putIfAbsent(key, future);
                inFlight != null;
                inFlight = loading.putIfAbsent(key, future)) {
            if (!inFlight.isCompletedExceptionally()) {
                return inFlight;
            }
            // A failed load whose clean-up has not run yet: a failure is never handed to a new reader.
            loading.remove(key, inFlight);
        }
        // A load that just finished may have filled memory between the caller's lookup and putIfAbsent.
        ByteBuffer cached = memory.get(key);
        if (cached != null) {
            loading.remove(key, future);
            return CompletableFuture.completedFuture(cached);
        }
        // A load leaves `loading` only once done; it fills memory before completing, so no reader falls in between.
        future.whenComplete((chunk, error) -> loading.remove(key, future));
        future.orTimeout(config.fetchTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return future;
    }

    /** Loads the claimed chunks {@code keys} (consecutive, of one segment) on {@code executor}. */
    private void startLoad(
            RemoteLogSegmentMetadata segment,
            List<ChunkKey> keys,
            List<CompletableFuture<ByteBuffer>> futures,
            Executor executor) {
        if (keys.isEmpty()) {
            return;
        }
        try {
            executor.execute(() -> loadInto(segment, keys, futures));
        } catch (RejectedExecutionException e) {
            futures.forEach(f -> f.completeExceptionally(e));
        }
    }

    /**
     * Each chunk from the disk tier when it is there; the others from the backend, each run of consecutive ones with
     * one ranged read. What comes from the backend goes to the disk tier, everything to memory, before its readers are
     * answered.
     */
    private void loadInto(
            RemoteLogSegmentMetadata segment, List<ChunkKey> keys, List<CompletableFuture<ByteBuffer>> futures) {
        List<ChunkKey> remote = new ArrayList<>();
        List<CompletableFuture<ByteBuffer>> remoteFutures = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            ChunkKey key = keys.get(i);
            CompletableFuture<ByteBuffer> future = futures.get(i);
            if (future.isDone()) {
                continue;
            }
            try {
                ByteBuffer chunk = disk == null ? null : disk.read(key).orElse(null);
                if (chunk == null) {
                    if (!remote.isEmpty() && remote.get(remote.size() - 1).index() != key.index() - 1) {
                        loadRemote(segment, remote, remoteFutures);
                        remote = new ArrayList<>();
                        remoteFutures = new ArrayList<>();
                    }
                    remote.add(key);
                    remoteFutures.add(future);
                    continue;
                }
                diskHits.increment();
                memory.put(key, chunk);
                future.complete(chunk);
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
        }
        if (!remote.isEmpty()) {
            loadRemote(segment, remote, remoteFutures);
        }
    }

    private void loadRemote(
            RemoteLogSegmentMetadata segment, List<ChunkKey> keys, List<CompletableFuture<ByteBuffer>> futures) {
        try {
            List<ByteBuffer> chunks = fetchRemote(segment, keys.get(0).index(), keys.size());
            for (int i = 0; i < keys.size(); i++) {
                if (disk != null) {
                    disk.write(keys.get(i), chunks.get(i));
                }
                memory.put(keys.get(i), chunks.get(i));
                futures.get(i).complete(chunks.get(i));
            }
        } catch (RemoteStorageException | IOException | RuntimeException e) {
            futures.forEach(f -> f.completeExceptionally(e));
        }
    }

    /** Chunks {@code first .. first + count - 1} of a segment's log, with one ranged read. */
    private List<ByteBuffer> fetchRemote(RemoteLogSegmentMetadata segment, int first, int count)
            throws RemoteStorageException, IOException {
        long start = (long) first * config.chunkSize();
        long end = Math.min((long) (first + count) * config.chunkSize(), segment.segmentSizeInBytes());
        remoteFetches.increment();
        List<ByteBuffer> chunks = new ArrayList<>(count);
        long read = start;
        try (InputStream in = storage.fetchLogSegment(segment, (int) start, (int) (end - 1))) {
            while (read < end) {
                int length = (int) Math.min(config.chunkSize(), end - read);
                // read into the chunk's own array: readNBytes(length) would gather 8 KiB pieces and copy them again
                byte[] bytes = new byte[length];
                int n = in.readNBytes(bytes, 0, length);
                read += n;
                if (n != length) {
                    break;
                }
                chunks.add(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
            }
        } catch (RemoteStorageException | IOException | RuntimeException e) {
            remoteFetchErrors.increment();
            if (reportsCorruption(e)) {
                // the backend's message names the object
                throw new CorruptRecordException(e.getMessage(), e);
            }
            throw e;
        }
        if (read != end) {
            remoteFetchErrors.increment();
            throw new CorruptRecordException(
                    "Remote segment " + segment.remoteLogSegmentId().id() + " of "
                            + segment.topicIdPartition() + " is corrupt: its log ends at byte " + read
                            + " but the remote index says it has " + segment.segmentSizeInBytes() + " bytes");
        }
        remoteFetchBytes.add(end - start);
        return chunks;
    }

    /** Whether a backend's error says the data is corrupt: a {@link CorruptRecordException} among its causes. */
    static boolean reportsCorruption(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof CorruptRecordException) {
                return true;
            }
        }
        return false;
    }
}
