package dev.strata.bench.jmh;

import dev.strata.index.OffsetPosition;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.TimestampOffset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * The remote read's first step in RocksDB: find the segment holding an offset (a floor lookup among a partition's
 * segments), then the byte position to start the ranged GET from (a floor lookup among the segment's sparse index
 * entries). A partition with {@code segments} remote segments of 1 GiB, one index entry per 4 KiB.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RemoteIndexLookupBench {
    private static final long OFFSETS_PER_SEGMENT = 1_000_000L;
    private static final int ENTRIES_PER_SEGMENT = 2_000;

    @Param({"100", "1000"})
    public int segments;

    private Path dir;
    private RemoteIndexStore store;
    private PartitionKey partition;
    private long[] targets;
    private int next;

    @Setup
    public void setup() throws IOException {
        dir = Files.createTempDirectory("strata-bench-rocksdb-");
        store = RemoteIndexStore.open(dir);
        partition = new PartitionKey(UUID.randomUUID(), 0);
        for (int s = 0; s < segments; s++) {
            long start = s * OFFSETS_PER_SEGMENT;
            RemoteSegmentId id = RemoteSegmentId.random(partition);
            TreeMap<Integer, Long> epochs = new TreeMap<>();
            epochs.put(0, start);
            RemoteSegment copying = new RemoteSegment(
                    id,
                    start,
                    start + OFFSETS_PER_SEGMENT - 1,
                    start,
                    1L << 30,
                    epochs,
                    1,
                    RemoteSegmentState.COPY_STARTED,
                    0L,
                    new byte[0]);
            store.putSegment(copying);
            List<OffsetPosition> offsets = new ArrayList<>();
            List<TimestampOffset> times = new ArrayList<>();
            for (int e = 0; e < ENTRIES_PER_SEGMENT; e++) {
                long offset = start + e * (OFFSETS_PER_SEGMENT / ENTRIES_PER_SEGMENT);
                offsets.add(new OffsetPosition(offset, e * 4096));
                times.add(new TimestampOffset(offset, offset));
            }
            store.putIndexEntries(id, offsets, times);
            store.updateState(id, RemoteSegmentState.COPY_FINISHED, 1L);
        }
        SplittableRandom random = new SplittableRandom(11);
        targets = new long[4096];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = random.nextLong(segments * OFFSETS_PER_SEGMENT);
        }
    }

    @Benchmark
    public Optional<OffsetPosition> segmentAndPosition() {
        long target = targets[next];
        next = (next + 1) & (targets.length - 1);
        return store.segmentFor(partition, target).flatMap(s -> store.positionFor(s.id(), target));
    }

    @TearDown
    public void tearDown() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
