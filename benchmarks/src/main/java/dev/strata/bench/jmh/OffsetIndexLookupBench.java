package dev.strata.bench.jmh;

import dev.strata.broker.log.OffsetIndex;
import dev.strata.broker.log.OffsetPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * {@link OffsetIndex#lookup} of random offsets in a full memory-mapped index: the binary search a fetch does before
 * it reads a segment. The default {@code segment.index.bytes} of 10 MiB holds 1,310,720 entries; one entry per
 * 4 KiB of log, as {@code index.interval.bytes} writes them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OffsetIndexLookupBench {
    private static final long BASE_OFFSET = 1_000_000L;
    private static final int OFFSETS_PER_ENTRY = 4;

    @Param({"1024", "1310720"})
    public int entries;

    private Path file;
    private OffsetIndex index;
    private long[] targets;
    private int next;

    @Setup
    public void setup() throws IOException {
        file = Files.createTempFile("strata-bench-", ".index");
        Files.delete(file);
        index = new OffsetIndex(file, BASE_OFFSET, 10 * 1024 * 1024);
        for (int i = 0; i < entries; i++) {
            index.append(BASE_OFFSET + (long) i * OFFSETS_PER_ENTRY, i * 4096);
        }
        SplittableRandom random = new SplittableRandom(7);
        targets = new long[4096];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = BASE_OFFSET + random.nextLong((long) entries * OFFSETS_PER_ENTRY);
        }
    }

    @Benchmark
    public OffsetPosition lookup() {
        long target = targets[next];
        next = (next + 1) & (targets.length - 1);
        return index.lookup(target);
    }

    @TearDown
    public void tearDown() throws IOException {
        index.close();
        Files.deleteIfExists(file);
    }
}
