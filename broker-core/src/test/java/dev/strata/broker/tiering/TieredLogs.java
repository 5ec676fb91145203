package dev.strata.broker.tiering;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LocalLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;

/** A tiered topic's log for tests: 300-byte segments, so that a few records make several sealed segments. */
public final class TieredLogs {
    private TieredLogs() {}

    /** Opens the log of {@code tp} in {@code dir} with {@code remote.storage.enable=true}. */
    public static LocalLog open(Path dir, TopicPartition tp) throws IOException {
        Map<String, String> overrides =
                Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, "300", TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true");
        return LocalLog.open(dir, tp, Uuid.randomUuid(), LogConfig.of(Map.of(), overrides), Time.SYSTEM, 0, true);
    }

    /**
     * Appends {@code count} records {@code value-<i>} timestamped now, record {@code i} in leader epoch
     * {@code epoch.applyAsInt(i)}, and commits them all (the high watermark moves to the log end).
     */
    public static void fill(LocalLog log, int count, IntUnaryOperator epoch) {
        for (int i = 0; i < count; i++) {
            byte[] value = ("value-" + i).getBytes(StandardCharsets.UTF_8);
            log.appendAsLeader(
                    MemoryRecords.withRecords(
                            Compression.NONE, new SimpleRecord(System.currentTimeMillis(), null, value)),
                    epoch.applyAsInt(i));
        }
        log.updateHighWatermark(log.logEndOffset());
    }
}
