package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.batch;
import static dev.strata.broker.log.TestRecords.offsets;
import static dev.strata.broker.log.TestRecords.values;

import dev.strata.broker.config.LogConfig;
import dev.strata.testing.ManualTime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of one partition's log share: a log directory under a temporary root, a manual clock, and logs
 * opened there that are closed after each test.
 */
abstract class LocalLogTestSupport {

    static final TopicPartition TP = new TopicPartition("orders", 0);
    static final Uuid TOPIC_ID = Uuid.randomUuid();

    @TempDir
    Path root;

    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final List<LocalLog> opened = new ArrayList<>();

    @AfterEach
    void closeLogs() {
        opened.forEach(LocalLog::close);
    }

    Path dir() {
        return root.resolve("orders-0");
    }

    LocalLog open(Map<String, String> overrides, long recoveryPoint, boolean clean) throws Exception {
        LocalLog log =
                LocalLog.open(dir(), TP, TOPIC_ID, LogConfig.of(Map.of(), overrides), time, recoveryPoint, clean);
        opened.add(log);
        return log;
    }

    LocalLog open(Map<String, String> overrides) throws Exception {
        return open(overrides, 0, true);
    }

    static Map<String, String> smallSegments() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(TopicConfig.SEGMENT_BYTES_CONFIG, "300");
        overrides.put(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "1");
        return overrides;
    }

    static MemoryRecords records(long timestamp, String... values) {
        return batch(0, timestamp, values);
    }

    static List<String> readAll(LocalLog log) {
        List<String> all = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            FetchDataInfo info = log.read(offset, 1_000_000, log.logEndOffset(), true);
            List<Long> offsets = offsets(info.records());
            List<String> values = values(info.records());
            for (int i = 0; i < offsets.size(); i++) {
                if (offsets.get(i) >= offset) {
                    all.add(values.get(i));
                }
            }
            offset = offsets.get(offsets.size() - 1) + 1;
        }
        return all;
    }
}
