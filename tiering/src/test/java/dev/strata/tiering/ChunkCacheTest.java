package dev.strata.tiering;

import static dev.strata.tiering.TestSegments.metadata;
import static dev.strata.tiering.TestSegments.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkCacheTest {

    private static final int CHUNK = 1000;
    private static final Executor DIRECT = Runnable::run;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path temp;

    private final CountingStorageManager storage = new CountingStorageManager();
    private final List<ExecutorService> pools = new ArrayList<>();
    private final RemoteLogSegmentMetadata segment = metadata(0, 10_500);
    private final byte[] log = randomBytes(10_500, 7);

    @AfterEach
    void tearDown() throws InterruptedException {
        storage.openGate();
        for (ExecutorService pool : pools) {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void readsReturnExactlyTheRequestedBytesAcrossChunks() throws Exception {
        ChunkCache cache = cache(config(11 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);

        long[][] ranges = {{0, 1}, {0, 1000}, {999, 2}, {1500, 2000}, {250, 9000}, {10_400, 1000}, {10_499, 5}};
        for (long[] range : ranges) {
            int from = (int) range[0];
            int to = (int) Math.min(log.length, range[0] + range[1]);
            assertThat(await(cache.read(segment, range[0], (int) range[1])))
                    .as("%d bytes at %d", range[1], range[0])
                    .isEqualTo(Arrays.copyOfRange(log, from, to));
        }
        assertThat(await(cache.read(segment, 10_500, 100)))
                .as("at the end of the segment")
                .isEmpty();
        assertThat(await(cache.read(segment, 10, 0))).isEmpty();
        assertThat(cache.read(segment, 0, 10).join().isReadOnly()).isTrue();
        assertThatThrownBy(() -> cache.read(segment, 10_501, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cache.read(segment, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cache.read(segment, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(storage.fetchedStarts())
                .as("one ranged read per run of chunks a read missed: 0, 1, 2-3, 4-9, 10")
                .containsExactly(0, 1000, 2000, 4000, 10_000);
    }

    @Test
    void aReadAcrossChunksNeitherCachedNorLoadingCostsOneRangedRead() throws Exception {
        ChunkCache cache = cache(diskConfig(temp.resolve("chunks"), 20 * CHUNK, 20 * CHUNK), DIRECT, DIRECT);
        storage.add(segment, log);

        // the middle of a segment, across a chunk boundary: one GET, as a cold first fetch should cost
        assertThat(await(cache.read(segment, 4500, 1000))).isEqualTo(Arrays.copyOfRange(log, 4500, 5500));
        assertThat(storage.fetchedStarts()).containsExactly(4000);
        assertThat(cache.stats().remoteFetches()).isEqualTo(1);
        assertThat(cache.stats().remoteFetchBytes()).isEqualTo(2 * CHUNK);
        assertThat(cache.stats().memoryBytes()).as("kept as two chunks").isEqualTo(2 * CHUNK);

        // chunks 3 and 6 missing around cached 4-5: a read of 3-6 loads 3 and 6, each with a read of its own
        assertThat(await(cache.read(segment, 3000, 4000))).isEqualTo(Arrays.copyOfRange(log, 3000, 7000));
        assertThat(storage.fetchedStarts()).containsExactly(4000, 3000, 6000);
    }

    @Test
    void secondReadOfAChunkIsServedFromMemory() throws Exception {
        ChunkCache cache = cache(config(4 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);

        await(cache.read(segment, 0, 100));
        assertThat(await(cache.read(segment, 200, 300))).isEqualTo(Arrays.copyOfRange(log, 200, 500));

        ChunkCacheStats stats = cache.stats();
        assertThat(stats.hits()).isEqualTo(1);
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.remoteFetches()).isEqualTo(1);
        assertThat(stats.remoteFetchBytes()).isEqualTo(CHUNK);
        assertThat(stats.memoryBytes()).isEqualTo(CHUNK);
        assertThat(stats.hitRatio()).isEqualTo(0.5);
    }

    @Test
    void memoryEvictsTheLeastRecentlyUsedChunksToStayWithinItsBudget() throws Exception {
        ChunkCache cache = cache(config(3 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);

        for (int chunk = 0; chunk < 3; chunk++) {
            await(cache.read(segment, chunk * CHUNK, 10));
        }
        await(cache.read(segment, 0, 10)); // chunk 0 becomes the most recently used
        await(cache.read(segment, 5 * CHUNK, 10));
        await(cache.read(segment, 6 * CHUNK, 10));

        assertThat(cache.stats().memoryBytes()).isLessThanOrEqualTo(3 * CHUNK);
        assertThat(cache.stats().evictions()).isEqualTo(2);
        int fetches = storage.fetches();
        await(cache.read(segment, 0, 10));
        assertThat(storage.fetches()).as("chunk 0 was kept").isEqualTo(fetches);
        await(cache.read(segment, CHUNK, 10));
        assertThat(storage.fetches()).as("chunk 1 was evicted").isEqualTo(fetches + 1);
    }

    @Test
    void aSmallerMemoryBudgetEvictsAtOnceAndALargerOneKeepsMore() throws Exception {
        ChunkCache cache = cache(config(4 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);
        for (int chunk = 0; chunk < 4; chunk++) {
            await(cache.read(segment, chunk * CHUNK, 10));
        }

        cache.resizeMemory(2 * CHUNK);

        assertThat(cache.stats().memoryBytes()).isEqualTo(2 * CHUNK);
        assertThat(cache.stats().evictions()).isEqualTo(2);
        assertThat(cache.config().memoryBytes()).isEqualTo(2 * CHUNK);
        cache.resizeMemory(6 * CHUNK);
        for (int chunk = 4; chunk < 8; chunk++) {
            await(cache.read(segment, chunk * CHUNK, 10));
        }
        assertThat(cache.stats().memoryBytes()).isEqualTo(6 * CHUNK);
        assertThatThrownBy(() -> cache.resizeMemory(CHUNK - 1)).isInstanceOf(ConfigException.class);
    }

    @Test
    void diskTierServesChunksEvictedFromMemory() throws Exception {
        ChunkCache cache = cache(diskConfig(temp.resolve("chunks"), 2 * CHUNK, 20 * CHUNK), DIRECT, DIRECT);
        storage.add(segment, log);

        for (int chunk = 0; chunk < 5; chunk++) {
            await(cache.read(segment, chunk * CHUNK, 10));
        }
        assertThat(storage.fetches()).isEqualTo(5);

        assertThat(await(cache.read(segment, 0, CHUNK))).isEqualTo(Arrays.copyOf(log, CHUNK));

        assertThat(storage.fetches()).as("no remote fetch for a chunk on disk").isEqualTo(5);
        assertThat(cache.stats().diskHits()).isEqualTo(1);
        assertThat(cache.stats().diskBytes()).isEqualTo(5 * CHUNK);
        assertThat(cache.stats().memoryBytes()).isLessThanOrEqualTo(2 * CHUNK);
    }

    @Test
    void diskTierEvictsWithinItsBudget() throws Exception {
        Path dir = temp.resolve("chunks");
        ChunkCache cache = cache(diskConfig(dir, CHUNK, 3 * CHUNK), DIRECT, DIRECT);
        storage.add(segment, log);

        for (int chunk = 0; chunk < 6; chunk++) {
            await(cache.read(segment, chunk * CHUNK, 10));
        }

        assertThat(cache.stats().diskBytes()).isEqualTo(3 * CHUNK);
        assertThat(chunkFiles(dir)).hasSize(3);
        await(cache.read(segment, 0, 10));
        assertThat(storage.fetches()).as("chunk 0 left the disk tier too").isEqualTo(7);
    }

    @Test
    void damagedDiskChunkIsFetchedAgainNotServed() throws Exception {
        Path dir = temp.resolve("chunks");
        ChunkCache cache = cache(diskConfig(dir, CHUNK, 20 * CHUNK), DIRECT, DIRECT);
        storage.add(segment, log);
        await(cache.read(segment, 0, 10));
        await(cache.read(segment, CHUNK, 10)); // pushes chunk 0 out of memory
        Path chunkZero = dir.resolve(new ChunkKey(segment.remoteLogSegmentId(), 0).fileName());
        byte[] damaged = Files.readAllBytes(chunkZero);
        damaged[3] ^= 1;
        Files.write(chunkZero, damaged);

        assertThat(await(cache.read(segment, 0, CHUNK))).isEqualTo(Arrays.copyOf(log, CHUNK));

        assertThat(storage.fetches()).isEqualTo(3);
        assertThat(cache.stats().diskHits()).isZero();
    }

    @Test
    void diskTierStartsEmptyAndRemovesOnlyChunkFiles() throws Exception {
        Path dir = Files.createDirectories(temp.resolve("chunks"));
        Files.write(dir.resolve("old.0.chunk"), new byte[10]);
        Files.write(dir.resolve("old.1.chunk.x.chunk.tmp"), new byte[10]);
        Files.write(dir.resolve("keep.txt"), new byte[10]);

        ChunkCache cache = cache(diskConfig(dir, CHUNK, 20 * CHUNK), DIRECT, DIRECT);

        assertThat(cache.stats().diskBytes()).isZero();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(file -> file.getFileName().toString())).containsExactly("keep.txt");
        }
    }

    @Test
    void concurrentReadersOfOneChunkTriggerOneFetch() throws Exception {
        ExecutorService fetchPool = pool(4);
        ChunkCache cache = cache(config(4 * CHUNK, 0), fetchPool, fetchPool);
        storage.add(segment, log);
        storage.closeGate();

        int readers = 8;
        ExecutorService readerPool = pool(readers);
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<CompletableFuture<ByteBuffer>>> reads = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            int offset = i * 100;
            reads.add(CompletableFuture.supplyAsync(
                    () -> {
                        awaitLatch(start);
                        return cache.read(segment, offset, 100);
                    },
                    readerPool));
        }
        start.countDown();
        List<CompletableFuture<ByteBuffer>> results = new ArrayList<>();
        for (CompletableFuture<CompletableFuture<ByteBuffer>> read : reads) {
            results.add(read.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        assertThat(storage.awaitFetchesStarted(1)).isTrue();
        assertThat(results).noneMatch(CompletableFuture::isDone);
        storage.openGate();

        for (int i = 0; i < readers; i++) {
            assertThat(await(results.get(i))).isEqualTo(Arrays.copyOfRange(log, i * 100, i * 100 + 100));
        }
        assertThat(storage.fetches()).isEqualTo(1);
        assertThat(cache.stats().misses()).isEqualTo(readers);
    }

    @Test
    void sequentialReaderGetsTheNextChunkReadAhead() throws Exception {
        QueueExecutor readAhead = new QueueExecutor();
        ChunkCache cache = cache(config(10 * CHUNK, 2), DIRECT, readAhead);
        storage.add(segment, log);

        await(cache.read(segment, 0, 500));
        assertThat(readAhead.pending()).as("chunk 1 queued for read-ahead").isEqualTo(1);
        readAhead.runAll();
        assertThat(storage.fetchedStarts()).containsExactly(0, CHUNK);

        assertThat(await(cache.read(segment, CHUNK, 500))).isEqualTo(Arrays.copyOfRange(log, CHUNK, CHUNK + 500));
        assertThat(cache.stats().hits()).as("chunk 1 was already in memory").isEqualTo(1);
        assertThat(readAhead.pending()).as("and chunk 2 is next").isEqualTo(1);
        readAhead.runAll();
        assertThat(storage.fetchedStarts()).containsExactly(0, CHUNK, 2 * CHUNK);
        assertThat(cache.stats().readAheads()).isEqualTo(2);
    }

    @Test
    void randomReadDoesNotReadAhead() throws Exception {
        QueueExecutor readAhead = new QueueExecutor();
        ChunkCache cache = cache(config(10 * CHUNK, 2), DIRECT, readAhead);
        storage.add(segment, log);

        await(cache.read(segment, 5 * CHUNK + 10, 100));
        await(cache.read(segment, 10 * CHUNK, 100));

        assertThat(readAhead.pending()).isZero();
        assertThat(cache.stats().readAheads()).isZero();
    }

    @Test
    void readAheadIsBoundedAndSkippedRatherThanQueued() throws Exception {
        QueueExecutor readAhead = new QueueExecutor();
        ChunkCache cache = cache(config(10 * CHUNK, 1), DIRECT, readAhead);
        RemoteLogSegmentMetadata other = metadata(20_000, 10_500);
        storage.add(segment, log);
        storage.add(other, log);

        await(cache.read(segment, 0, 10));
        await(cache.read(other, 0, 10));

        assertThat(readAhead.pending()).isEqualTo(1);
        readAhead.runAll();
        await(cache.read(other, 10, 10));
        assertThat(readAhead.pending())
                .as("the permit is back once the read-ahead is done")
                .isEqualTo(1);
    }

    @Test
    void failedFetchReachesTheReaderAndIsNotCached() throws Exception {
        ChunkCache cache = cache(config(4 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);
        storage.failNextFetch(new RemoteStorageException("bucket unavailable"));

        CompletableFuture<ByteBuffer> failed = cache.read(segment, 0, 100);

        assertThat(failed)
                .failsWithin(WAIT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(RemoteStorageException.class)
                .withMessageContaining("bucket unavailable");
        assertThat(cache.stats().remoteFetchErrors()).isEqualTo(1);
        assertThat(cache.stats().memoryBytes()).isZero();

        assertThat(await(cache.read(segment, 0, 100))).isEqualTo(Arrays.copyOf(log, 100));
        assertThat(storage.fetches()).isEqualTo(2);
    }

    @Test
    void aChunkShorterThanTheSegmentSizeInTheIndexIsCorrupt() {
        ChunkCache cache = cache(config(4 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, Arrays.copyOf(log, 1500));

        assertThat(cache.read(segment, 1000, 100))
                .failsWithin(WAIT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(CorruptRecordException.class)
                .withMessageContaining("is corrupt: its log ends at byte 1500 but the remote index says it has 10500");
        assertThat(cache.stats().memoryBytes()).isEqualTo(0);
        assertThat(cache.stats().remoteFetchErrors()).isEqualTo(1);
    }

    @Test
    void aBackendReportingCorruptDataFailsTheReadAsCorrupt() {
        ChunkCache cache = cache(config(4 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);
        storage.failNextFetch(new RemoteStorageException("no digest", new CorruptRecordException("no digest")));

        assertThat(cache.read(segment, 0, 100))
                .failsWithin(WAIT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(CorruptRecordException.class)
                .withMessageContaining("no digest");

        storage.failNextStream(new IOException("bad digest", new CorruptRecordException("bad digest")));
        assertThat(cache.read(segment, 0, 100))
                .as("from the stream, at its last byte")
                .failsWithin(WAIT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(CorruptRecordException.class)
                .withMessageContaining("bad digest");
        assertThat(cache.stats().memoryBytes()).isZero();
    }

    @Test
    void aBackendFailingForAnyOtherReasonIsNotCorruption() throws Exception {
        ChunkCache cache = cache(config(4 * CHUNK, 0), DIRECT, DIRECT);
        storage.add(segment, log);
        storage.failNextStream(new IOException("Connection reset"));

        assertThat(cache.read(segment, 0, 100))
                .failsWithin(WAIT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseExactlyInstanceOf(IOException.class)
                .withMessageContaining("Connection reset");
        assertThat(await(cache.read(segment, 0, 100))).isEqualTo(Arrays.copyOf(log, 100));
    }

    @Test
    void fetchThatTakesTooLongTimesOutAndTheNextReaderStartsAFreshOne() throws Exception {
        QueueExecutor fetches = new QueueExecutor();
        ChunkCacheConfig config =
                new ChunkCacheConfig(CHUNK, 4 * CHUNK, Optional.empty(), 0, Duration.ofMillis(200), 0);
        ChunkCache cache = cache(config, fetches, DIRECT);
        storage.add(segment, log);

        assertThat(cache.read(segment, 0, 100))
                .as("nobody runs the fetch: the reader still gets an answer")
                .failsWithin(WAIT)
                .withThrowableOfType(ExecutionException.class)
                .withCauseInstanceOf(TimeoutException.class);
        CompletableFuture<ByteBuffer> retry = cache.read(segment, 0, 100);

        assertThat(retry).as("not the timed-out load").isNotDone();
        assertThat(fetches.pending()).isEqualTo(2);
        fetches.runAll();
        assertThat(await(retry)).isEqualTo(Arrays.copyOf(log, 100));
        assertThat(storage.fetches())
                .as("the timed-out load did not go to the backend")
                .isEqualTo(1);
    }

    @Test
    void rejectedFetchFailsTheReadInsteadOfHanging() {
        ChunkCache cache = cache(
                config(4 * CHUNK, 0),
                task -> {
                    throw new java.util.concurrent.RejectedExecutionException("pool full");
                },
                DIRECT);
        storage.add(segment, log);

        assertThat(cache.read(segment, 0, 100)).failsWithin(WAIT).withThrowableOfType(ExecutionException.class);
    }

    @Test
    void invalidateDropsEveryChunkOfTheSegment() throws Exception {
        ChunkCache cache = cache(diskConfig(temp.resolve("chunks"), 4 * CHUNK, 20 * CHUNK), DIRECT, DIRECT);
        storage.add(segment, log);
        await(cache.read(segment, 0, 2500));

        cache.invalidate(segment.remoteLogSegmentId());

        assertThat(cache.stats().memoryBytes()).isZero();
        assertThat(cache.stats().diskBytes()).isZero();
        assertThat(chunkFiles(temp.resolve("chunks"))).isEmpty();
    }

    @Test
    void configHasDefaultsAndRejectsImpossibleBudgets() {
        ChunkCacheConfig defaults = ChunkCacheConfig.from(Map.of());
        assertThat(defaults.chunkSize()).isEqualTo(4 * 1024 * 1024);
        assertThat(defaults.diskDirectory()).isEmpty();
        assertThat(defaults.readAheadMaxInFlight()).isEqualTo(4);

        ChunkCacheConfig custom = ChunkCacheConfig.from(Map.of(
                "remote.log.chunk.size", "1024",
                "remote.log.chunk.cache.memory.bytes", "4096",
                "remote.log.chunk.cache.dir", temp.toString(),
                "remote.log.chunk.cache.disk.bytes", "8192",
                "remote.log.chunk.fetch.timeout.ms", "1500"));
        assertThat(custom)
                .isEqualTo(new ChunkCacheConfig(1024, 4096, Optional.of(temp), 8192, Duration.ofMillis(1500), 4));

        assertThatThrownBy(() -> ChunkCacheConfig.from(
                        Map.of("remote.log.chunk.size", "4096", "remote.log.chunk.cache.memory.bytes", "1000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.chunk.cache.memory.bytes");
        assertThatThrownBy(() -> ChunkCacheConfig.from(Map.of("remote.log.chunk.size", "big")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.chunk.size");
    }

    private ChunkCache cache(ChunkCacheConfig config, Executor fetch, Executor readAhead) {
        return new ChunkCache(config, storage, fetch, readAhead);
    }

    private static ChunkCacheConfig config(long memoryBytes, int readAheadMaxInFlight) {
        return new ChunkCacheConfig(CHUNK, memoryBytes, Optional.empty(), 0, WAIT, readAheadMaxInFlight);
    }

    private static ChunkCacheConfig diskConfig(Path dir, long memoryBytes, long diskBytes) {
        return new ChunkCacheConfig(CHUNK, memoryBytes, Optional.of(dir), diskBytes, WAIT, 0);
    }

    private ExecutorService pool(int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        pools.add(pool);
        return pool;
    }

    private static byte[] await(CompletableFuture<ByteBuffer> read) throws Exception {
        ByteBuffer buffer = read.get(WAIT.toSeconds(), TimeUnit.SECONDS).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<Path> chunkFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.toString().endsWith(".chunk")).toList();
        }
    }
}
