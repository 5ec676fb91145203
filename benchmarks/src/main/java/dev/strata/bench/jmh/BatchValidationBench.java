package dev.strata.bench.jmh;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LogValidator;
import dev.strata.broker.log.ValidationResult;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Validating a 16 KiB producer batch: the CRC32C check alone ({@code DefaultRecordBatch.ensureValid}), and Strata's
 * whole leader-side validation ({@link LogValidator#validateAndAssignOffsets}: CRC, counts, offset deltas,
 * timestamps, offset assignment in the header).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class BatchValidationBench {
    private static final TopicPartition TP = new TopicPartition("bench", 0);

    private MemoryRecords records;
    private LogConfig config;
    private long nextOffset;

    @Setup
    public void setup() {
        records = Batches.batch16k();
        config = LogConfig.defaults();
    }

    @Benchmark
    public int crcCheck() {
        int n = 0;
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            n++;
        }
        return n;
    }

    /** Rewrites the header's offsets in place, which does not touch the CRC, so the one batch can be reused. */
    @Benchmark
    public ValidationResult strataLogValidator() {
        ValidationResult result = LogValidator.validateAndAssignOffsets(
                records, TP, nextOffset, config, System.currentTimeMillis(), 0, true);
        nextOffset += Batches.RECORDS;
        return result;
    }
}
