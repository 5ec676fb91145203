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
 * shorter), loaded with one ranged read through the {@link RemoteStorageManager}. A load looks in the disk tier first;
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
 * <p>Read-ahead: a read of chunk {@code n} that looks sequential (chunk {@code n - 1} is cached, or {@code n} is the
 * first chunk) starts loading chunk {@code n + 1} in the background, with at most a configured number of such loads in
 * flight; beyond that, read-ahead is skipped, never queued.
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
        List<CompletableFuture<ByteBuffer>> chunks = new ArrayList<>(last - first + 1);
        for (int index = first; index <= last; index++) {
            chunks.add(chunk(segment, index));
        }
        readAhead(segment, first, last);
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

    private CompletableFuture<ByteBuffer> chunk(RemoteLogSegmentMetadata segment, int index) {
        ChunkKey key = new ChunkKey(segment.remoteLogSegmentId(), index);
        ByteBuffer cached = memory.get(key);
        if (cached != null) {
            hits.increment();
            return CompletableFuture.completedFuture(cached);
        }
        misses.increment();
        return load(segment, key, fetchExecutor);
    }

    private void readAhead(RemoteLogSegmentMetadata segment, int first, int last) {
        int next = last + 1;
        if (config.readAheadMaxInFlight() == 0 || (long) next * config.chunkSize() >= segment.segmentSizeInBytes()) {
            return;
        }
        RemoteLogSegmentId segmentId = segment.remoteLogSegmentId();
        boolean sequential = first == 0 || isCached(new ChunkKey(segmentId, first - 1));
        ChunkKey key = new ChunkKey(segmentId, next);
        if (!sequential || isCached(key) || loading.containsKey(key) || !readAheadPermits.tryAcquire()) {
            return;
        }
        readAheads.increment();
        load(segment, key, readAheadExecutor).whenComplete((chunk, error) -> {
            readAheadPermits.release();
            if (error != null) {
                log.debug("Read-ahead of chunk {} failed", key, error);
            }
        });
    }

    private boolean isCached(ChunkKey key) {
        return memory.contains(key) || (disk != null && disk.contains(key));
    }

    /** Joins the load of {@code key} in flight, or starts one on {@code executor}. */
    private CompletableFuture<ByteBuffer> load(RemoteLogSegmentMetadata segment, ChunkKey key, Executor executor) {
        CompletableFuture<ByteBuffer> future = new CompletableFuture<>();
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
            future.complete(cached);
            return future;
        }
        // A load leaves `loading` only once done; it fills memory before completing, so no reader falls in between.
        future.whenComplete((chunk, error) -> loading.remove(key, future));
        future.orTimeout(config.fetchTimeout().toMillis(), TimeUnit.MILLISECONDS);
        try {
            executor.execute(() -> loadInto(segment, key, future));
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(e);
        }
        return future;
    }

    private void loadInto(RemoteLogSegmentMetadata segment, ChunkKey key, CompletableFuture<ByteBuffer> future) {
        if (future.isDone()) {
            return;
        }
        try {
            ByteBuffer chunk = disk == null ? null : disk.read(key).orElse(null);
            if (chunk != null) {
                diskHits.increment();
            } else {
                chunk = fetchRemote(segment, key);
                if (disk != null) {
                    disk.write(key, chunk);
                }
            }
            memory.put(key, chunk);
            future.complete(chunk);
        } catch (RemoteStorageException | IOException | RuntimeException e) {
            future.completeExceptionally(e);
        }
    }

    private ByteBuffer fetchRemote(RemoteLogSegmentMetadata segment, ChunkKey key)
            throws RemoteStorageException, IOException {
        long start = (long) key.index() * config.chunkSize();
        int length = (int) Math.min(config.chunkSize(), segment.segmentSizeInBytes() - start);
        remoteFetches.increment();
        byte[] bytes;
        try (InputStream in = storage.fetchLogSegment(segment, (int) start, (int) (start + length - 1))) {
            bytes = in.readNBytes(length);
        } catch (RemoteStorageException | IOException | RuntimeException e) {
            remoteFetchErrors.increment();
            if (reportsCorruption(e)) {
                // the backend's message names the object
                throw new CorruptRecordException(e.getMessage(), e);
            }
            throw e;
        }
        if (bytes.length != length) {
            remoteFetchErrors.increment();
            throw new CorruptRecordException(
                    "Remote segment " + segment.remoteLogSegmentId().id() + " of "
                            + segment.topicIdPartition() + " is corrupt: its log ends at byte " + (start + bytes.length)
                            + " but the remote index says it has " + segment.segmentSizeInBytes() + " bytes");
        }
        remoteFetchBytes.add(length);
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }

    /** Whether a backend's error says the data is corrupt: a {@link CorruptRecordException} among its causes. */
    private static boolean reportsCorruption(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof CorruptRecordException) {
                return true;
            }
        }
        return false;
    }
}
