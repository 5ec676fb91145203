package dev.strata.bench.jmh;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogAppendInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.Time;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link LocalLog#appendAsLeader} of a 16 KiB producer batch into a log in a temporary directory: validation, offset
 * assignment, the write to the segment's file channel (page cache; no fsync, as with Kafka's defaults), index
 * entries and segment rolls at 64 MiB. To keep the disk bounded, every 256 MiB the log start offset is moved to the
 * end, which deletes the old segments; that cost is part of the measurement, amortised over 16384 appends.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LogAppendBench {
    private static final long KEEP_BYTES = 256L << 20;

    private Path dir;
    private LocalLog log;
    private MemoryRecords batch;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("strata-bench-log-");
        LogConfig config = LogConfig.of(Map.of(), Map.of("segment.bytes", String.valueOf(64 << 20)));
        log = LocalLog.open(
                dir.resolve("bench-0"),
                new TopicPartition("bench", 0),
                Uuid.randomUuid(),
                config,
                Time.SYSTEM,
                0,
                true);
        batch = Batches.copyOf(Batches.batch16k());
    }

    @Benchmark
    public LogAppendInfo appendAsLeader() {
        // The batch's header is rewritten in place by each append; its CRC does not cover what changes.
        LogAppendInfo info = log.appendAsLeader(batch, 0);
        if (log.size() > KEEP_BYTES) {
            long end = log.logEndOffset();
            log.updateHighWatermark(end);
            log.deleteRecordsBefore(end);
        }
        return info;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        log.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
