package dev.strata.bench.jmh;

import dev.strata.tiering.ChunkCache;
import dev.strata.tiering.ChunkCacheConfig;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A remote read served from the chunk cache's memory tier: a 64 MiB segment in the filesystem backend, every chunk
 * already cached, and reads of {@code readBytes} at random positions, as a fetch of a hot remote range does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ChunkCacheHitBench {
    private static final int SEGMENT_BYTES = 64 * 1024 * 1024;

    @Param({"16384", "1048576"})
    public int readBytes;

    private Path dir;
    private ExecutorService pool;
    private ChunkCache cache;
    private RemoteLogSegmentMetadata segment;
    private long[] positions;
    private int next;

    @Setup
    public void setup() throws Exception {
        dir = Files.createTempDirectory("strata-bench-chunks-");
        Path local = Files.createDirectories(dir.resolve("local"));
        Path log = local.resolve("00000000000000000000.log");
        byte[] bytes = new byte[SEGMENT_BYTES];
        new SplittableRandom(3).nextBytes(bytes);
        Files.write(log, bytes);
        Path index = Files.write(local.resolve("00000000000000000000.index"), new byte[0]);
        Path timeIndex = Files.write(local.resolve("00000000000000000000.timeindex"), new byte[0]);
        Path snapshot = Files.write(local.resolve("00000000000000000000.snapshot"), new byte[0]);
        FileSystemRemoteStorageManager rsm = new FileSystemRemoteStorageManager();
        rsm.configure(Map.of("dir", dir.resolve("remote").toString()));
        TopicIdPartition tp = new TopicIdPartition(Uuid.randomUuid(), new TopicPartition("bench", 0));
        segment = new RemoteLogSegmentMetadata(
                RemoteLogSegmentId.generateNew(tp), 0, 999_999, 0L, 0, 0L, SEGMENT_BYTES, Map.of(0, 0L));
        rsm.copyLogSegmentData(
                segment, new LogSegmentData(log, index, timeIndex, Optional.empty(), snapshot, ByteBuffer.allocate(0)));
        pool = Executors.newFixedThreadPool(2);
        cache = new ChunkCache(
                ChunkCacheConfig.from(
                        Map.of("remote.log.chunk.cache.memory.bytes", Integer.toString(2 * SEGMENT_BYTES))),
                rsm,
                pool,
                pool);
        for (long p = 0; p < SEGMENT_BYTES; p += 1024 * 1024) {
            cache.read(segment, p, 1).get(30, TimeUnit.SECONDS);
        }
        SplittableRandom random = new SplittableRandom(5);
        positions = new long[1024];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = random.nextLong(SEGMENT_BYTES - readBytes);
        }
    }

    @Benchmark
    public ByteBuffer cachedRead() throws Exception {
        long position = positions[next];
        next = (next + 1) & (positions.length - 1);
        return cache.read(segment, position, readBytes).get();
    }

    @TearDown
    public void tearDown() throws IOException {
        cache.close();
        pool.shutdownNow();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
