package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.batch;
import static dev.strata.broker.log.TestRecords.idempotent;
import static dev.strata.broker.log.TestRecords.offsets;
import static dev.strata.broker.log.TestRecords.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.LogConfig;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalLogTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();

    @TempDir
    Path root;

    private final ManualTime time = new ManualTime(1_700_000_000_000L);
    private final List<LocalLog> opened = new ArrayList<>();

    @AfterEach
    void closeLogs() {
        opened.forEach(LocalLog::close);
    }

    private Path dir() {
        return root.resolve("orders-0");
    }

    private LocalLog open(Map<String, String> overrides, long recoveryPoint, boolean clean) throws Exception {
        LocalLog log =
                LocalLog.open(dir(), TP, TOPIC_ID, LogConfig.of(Map.of(), overrides), time, recoveryPoint, clean);
        opened.add(log);
        return log;
    }

    private LocalLog open(Map<String, String> overrides) throws Exception {
        return open(overrides, 0, true);
    }

    private static Map<String, String> smallSegments() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(TopicConfig.SEGMENT_BYTES_CONFIG, "300");
        overrides.put(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "1");
        return overrides;
    }

    private static MemoryRecords records(long timestamp, String... values) {
        return batch(0, timestamp, values);
    }

    private static List<String> readAll(LocalLog log) {
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

    @Test
    void appendsAssignOffsetsAndReadsCrossSegments() throws Exception {
        LocalLog log = open(smallSegments());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            LogAppendInfo info = log.appendAsLeader(records(time.milliseconds(), "m" + i, "n" + i), 3);
            assertThat(info.firstOffset()).isEqualTo(2L * i);
            assertThat(info.lastOffset()).isEqualTo(2L * i + 1);
            assertThat(info.duplicate()).isFalse();
            expected.add("m" + i);
            expected.add("n" + i);
        }
        assertThat(log.logEndOffset()).isEqualTo(60);
        assertThat(log.numberOfSegments()).as("rolled by segment.bytes").isGreaterThan(3);
        for (LogSegment segment : log.segments()) {
            assertThat(segment.size()).isLessThanOrEqualTo(300);
        }
        assertThat(readAll(log)).isEqualTo(expected);
        assertThat(log.latestEpoch()).isEqualTo(3);
        assertThat(log.leaderEpochCache().entries()).containsExactly(new EpochEntry(3, 0));
        // a producer snapshot is taken at every new segment's base offset
        long secondBase = log.segments().get(1).baseOffset();
        assertThat(dir().resolve(LogSegment.filenamePrefix(secondBase) + ".snapshot"))
                .exists();
        assertThat(dir().resolve("partition.metadata")).hasContent("version: 0\ntopic_id: " + TOPIC_ID);
    }

    @Test
    void readOutsideTheLogIsOffsetOutOfRange() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(records(1, "a", "b"), 0);

        assertThat(log.read(2, 1000, 2, false).records().sizeInBytes()).isZero();
        assertThatThrownBy(() -> log.read(3, 1000, 3, false)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> log.read(-1, 1000, 3, false)).isInstanceOf(OffsetOutOfRangeException.class);
    }

    @Test
    void readStopsAtMaxOffset() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(records(1, "a"), 0);
        log.appendAsLeader(records(1, "b"), 0);
        log.appendAsLeader(records(1, "c"), 0);

        assertThat(values(log.read(0, 10_000, 2, false).records())).containsExactly("a", "b");
        assertThat(values(log.read(1, 10_000, Long.MAX_VALUE, false).records())).containsExactly("b", "c");
    }

    @Test
    void retentionBytesDeletesTheOldestSegments() throws Exception {
        LocalLog log = open(Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, "300", TopicConfig.RETENTION_BYTES_CONFIG, "600"));
        for (int i = 0; i < 40; i++) {
            log.appendAsLeader(records(time.milliseconds(), "value-" + i), 0);
        }
        int before = log.numberOfSegments();
        log.updateHighWatermark(30);
        int deleted = log.deleteOldSegments();
        // only segments wholly below the high watermark may go
        assertThat(log.segments().get(0).baseOffset()).isLessThan(30);
        log.updateHighWatermark(log.logEndOffset());
        deleted += log.deleteOldSegments();

        assertThat(deleted).isPositive();
        assertThat(log.numberOfSegments()).isEqualTo(before - deleted);
        assertThat(log.size()).isLessThanOrEqualTo(600 + 300);
        assertThat(log.logStartOffset()).isEqualTo(log.segments().get(0).baseOffset());
        assertThatThrownBy(() -> log.read(0, 100, 40, false)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(readAll(log)).last().isEqualTo("value-39");
    }

    @Test
    void tieredLogDeletesLocalSegmentsOnlyBelowTheHighestRemoteOffsetAndKeepsItsLogStartOffset() throws Exception {
        LocalLog log = open(Map.of(
                TopicConfig.SEGMENT_BYTES_CONFIG, "300",
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1"));
        for (int i = 0; i < 40; i++) {
            log.appendAsLeader(records(time.milliseconds(), "value-" + i), 0);
        }
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.deleteOldSegments()).as("nothing is remote yet").isZero();

        long thirdBase = log.segments().get(2).baseOffset();
        log.onHighestRemoteOffset(thirdBase - 1);
        assertThat(log.deleteOldSegments()).isEqualTo(2);
        assertThat(log.logStartOffset()).isZero();
        assertThat(log.localLogStartOffset()).isEqualTo(thirdBase);
        assertThat(log.highestRemoteOffset()).isEqualTo(thirdBase - 1);
        assertThatThrownBy(() -> log.read(0, 100, 40, false)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.fetchOffsetByTimestamp(ListOffsetsRequest.EARLIEST_TIMESTAMP)
                        .orElseThrow()
                        .offset())
                .isZero();
        assertThat(log.fetchOffsetByTimestamp(ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP)
                        .orElseThrow()
                        .offset())
                .isEqualTo(thirdBase);

        log.onRemoteLogStartOffset(3);
        assertThat(log.logStartOffset()).isEqualTo(3);
        assertThat(log.localLogStartOffset()).isEqualTo(thirdBase);
    }

    @Test
    void tieredLogWithCopyDisabledIsRetainedByRetentionBytesAndRaisesItsLogStartOffset() throws Exception {
        LocalLog log = open(Map.of(
                TopicConfig.SEGMENT_BYTES_CONFIG, "300",
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, "true",
                TopicConfig.RETENTION_BYTES_CONFIG, "600",
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1"));
        for (int i = 0; i < 40; i++) {
            log.appendAsLeader(records(time.milliseconds(), "value-" + i), 0);
        }
        log.updateHighWatermark(log.logEndOffset());
        long secondBase = log.segments().get(1).baseOffset();
        log.onHighestRemoteOffset(secondBase - 1);

        int deleted = log.deleteOldSegments();

        // retention.bytes over the local log, not local.retention.bytes, and not only below the highest remote offset
        assertThat(deleted).isGreaterThan(1);
        assertThat(log.size()).isLessThanOrEqualTo(600 + 300).isGreaterThan(1);
        assertThat(log.logStartOffset()).isEqualTo(log.localLogStartOffset()).isGreaterThan(secondBase);
        assertThat(readAll(log)).last().isEqualTo("value-39");
    }

    @Test
    void tieredLogWithCopyDisabledIsRetainedByRetentionMs() throws Exception {
        LocalLog log = open(Map.of(
                TopicConfig.SEGMENT_BYTES_CONFIG, "300",
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, "true",
                TopicConfig.RETENTION_MS_CONFIG, "60000",
                TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, "1"));
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(records(time.milliseconds(), "old-" + i), 0);
        }
        time.sleep(30_000);
        log.appendAsLeader(records(time.milliseconds(), "new"), 0);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.deleteOldSegments())
                .as("nothing is past retention.ms yet")
                .isZero();

        time.sleep(40_000);
        assertThat(log.deleteOldSegments()).isPositive();
        assertThat(readAll(log)).doesNotContain("old-0").endsWith("new");
        assertThat(log.logStartOffset()).isEqualTo(log.localLogStartOffset()).isPositive();
    }

    @Test
    void turningRemoteStorageOffRaisesTheLogStartOffsetToTheLocalOne() throws Exception {
        Map<String, String> tiered = Map.of(
                TopicConfig.SEGMENT_BYTES_CONFIG, "300",
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1");
        LocalLog log = open(tiered);
        for (int i = 0; i < 40; i++) {
            log.appendAsLeader(records(time.milliseconds(), "value-" + i), 0);
        }
        log.updateHighWatermark(log.logEndOffset());
        long thirdBase = log.segments().get(2).baseOffset();
        log.onHighestRemoteOffset(thirdBase - 1);
        log.deleteOldSegments();
        assertThat(log.logStartOffset()).isZero();

        Map<String, String> off = new HashMap<>(tiered);
        off.put(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "false");
        off.put(TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG, "true");
        log.updateConfig(LogConfig.of(Map.of(), off));
        log.onRemoteStorageDisabled();

        assertThat(log.logStartOffset()).isEqualTo(thirdBase).isEqualTo(log.localLogStartOffset());
        assertThat(log.highestRemoteOffset()).isEqualTo(-1);
        log.onHighestRemoteOffset(log.logEndOffset());
        assertThat(log.highestRemoteOffset())
                .as("a copy ending after tiering was turned off counts for nothing")
                .isEqualTo(-1);
        assertThat(log.fetchOffsetByTimestamp(ListOffsetsRequest.EARLIEST_TIMESTAMP)
                        .orElseThrow()
                        .offset())
                .isEqualTo(thirdBase);
        assertThat(readAll(log)).first().isEqualTo("value-" + thirdBase);

        log.updateConfig(LogConfig.of(Map.of(), tiered));
        log.onHighestRemoteOffset(log.segments().get(1).baseOffset() - 1);
        assertThat(log.highestRemoteOffset())
                .as("tiered again")
                .isEqualTo(log.segments().get(1).baseOffset() - 1);
    }

    @Test
    void aMissingProducerSnapshotIsRebuiltAsTheRollWroteIt() throws Exception {
        LocalLog log = open(smallSegments());
        for (int i = 0; i < 12; i++) {
            log.appendAsLeader(idempotent(7L, (short) 0, 2 * i, "a" + i, "b" + i), 0);
            log.appendAsLeader(idempotent(8L, (short) 1, i, "c" + i), 0);
        }
        assertThat(log.numberOfSegments()).isGreaterThan(3);
        long thirdBase = log.segments().get(2).baseOffset();
        long fourthBase = log.segments().get(3).baseOffset();
        Path third = ProducerStateManager.snapshotFile(dir(), thirdBase);
        Path fourth = ProducerStateManager.snapshotFile(dir(), fourthBase);
        byte[] thirdBytes = Files.readAllBytes(third);
        byte[] fourthBytes = Files.readAllBytes(fourth);
        Files.delete(third);
        Files.delete(fourth);

        assertThat(log.producerSnapshotAt(fourthBase)).isEqualTo(fourth);
        assertThat(log.producerSnapshotAt(thirdBase)).isEqualTo(third);

        assertThat(fourth).hasBinaryContent(fourthBytes);
        assertThat(third).hasBinaryContent(thirdBytes);
        assertThat(log.producerState().snapshotOffsets()).contains(thirdBase, fourthBase);
        // without any older snapshot the state is rebuilt from the first segment
        for (long offset : log.producerState().snapshotOffsets()) {
            Files.delete(ProducerStateManager.snapshotFile(dir(), offset));
        }
        assertThat(log.producerSnapshotAt(thirdBase)).hasBinaryContent(thirdBytes);
    }

    @Test
    void maxTimestampIsTheLargestOverTheLocalSegments() throws Exception {
        LocalLog log = open(smallSegments());
        assertThat(log.maxTimestamp()).isEqualTo(-1);
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(records(i == 5 ? 9_000 : 1_000 + i, "v" + i), 0);
        }
        assertThat(log.maxTimestamp()).isEqualTo(9_000);
    }

    @Test
    void localRetentionHasNoEffectOnANonTieredLog() throws Exception {
        LocalLog log = open(
                Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, "300", TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1"));
        for (int i = 0; i < 40; i++) {
            log.appendAsLeader(records(time.milliseconds(), "value-" + i), 0);
        }
        log.updateHighWatermark(log.logEndOffset());
        log.onHighestRemoteOffset(log.logEndOffset());

        assertThat(log.deleteOldSegments()).isZero();
        assertThat(log.localLogStartOffset()).isZero();
        assertThat(readAll(log)).hasSize(40);
    }

    @Test
    void retentionMsDeletesSegmentsByTheirLargestTimestampRollingTheActiveOne() throws Exception {
        LocalLog log = open(Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, "300", TopicConfig.RETENTION_MS_CONFIG, "60000"));
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(records(time.milliseconds(), "old-" + i), 0);
        }
        time.sleep(30_000);
        log.appendAsLeader(records(time.milliseconds(), "new"), 0);
        time.sleep(40_000);
        log.updateHighWatermark(log.logEndOffset());

        int deleted = log.deleteOldSegments();
        assertThat(deleted).isPositive();
        // the segment holding "new" also holds the last old records and is kept whole
        assertThat(readAll(log)).doesNotContain("old-0").endsWith("new");
        assertThat(log.logStartOffset()).isPositive();

        time.sleep(60_000);
        log.deleteOldSegments();
        assertThat(log.numberOfSegments()).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(11);
        assertThat(log.logEndOffset()).isEqualTo(11);
        assertThat(log.appendAsLeader(records(time.milliseconds(), "after"), 0).firstOffset())
                .isEqualTo(11);
    }

    @Test
    void retentionDoesNothingForCompactedTopics() throws Exception {
        LocalLog log = open(Map.of(
                TopicConfig.SEGMENT_BYTES_CONFIG,
                "300",
                TopicConfig.RETENTION_BYTES_CONFIG,
                "1",
                TopicConfig.CLEANUP_POLICY_CONFIG,
                "compact"));
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(TestRecords.keyed(time.milliseconds(), "v" + i), 0);
        }
        assertThat(log.deleteOldSegments()).isZero();
    }

    @Test
    void deleteRecordsBeforeRaisesTheLogStartOffset() throws Exception {
        LocalLog log = open(smallSegments());
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(records(time.milliseconds(), "v" + i), 0);
        }
        log.updateHighWatermark(15);
        assertThatThrownBy(() -> log.deleteRecordsBefore(16)).isInstanceOf(OffsetOutOfRangeException.class);

        int segmentsBefore = log.numberOfSegments();
        log.deleteRecordsBefore(12);
        assertThat(log.logStartOffset()).isEqualTo(12);
        assertThat(log.numberOfSegments()).isLessThan(segmentsBefore);
        assertThat(log.segments().get(0).baseOffset()).isLessThanOrEqualTo(12);
        assertThatThrownBy(() -> log.read(11, 100, 20, false)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(offsets(log.read(12, 100, 20, false).records())).contains(12L);
        assertThat(log.fetchOffsetByTimestamp(-2))
                .map(TimestampAndOffset::offset)
                .contains(12L);
    }

    @Test
    void fetchOffsetByTimestampAnswersListOffsets() throws Exception {
        LocalLog log = open(smallSegments());
        log.appendAsLeader(records(1_000, "a"), 1);
        log.appendAsLeader(records(5_000, "b"), 1);
        log.appendAsLeader(records(3_000, "c"), 2);
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(records(4_000, "filler" + i), 2);
        }

        assertThat(log.fetchOffsetByTimestamp(-2)).contains(new TimestampAndOffset(-1, 0, Optional.of(1)));
        assertThat(log.fetchOffsetByTimestamp(-1)).contains(new TimestampAndOffset(-1, 13, Optional.of(2)));
        assertThat(log.fetchOffsetByTimestamp(-3)).contains(new TimestampAndOffset(5_000, 1, Optional.of(1)));
        assertThat(log.fetchOffsetByTimestamp(0))
                .map(TimestampAndOffset::offset)
                .contains(0L);
        assertThat(log.fetchOffsetByTimestamp(2_000))
                .map(TimestampAndOffset::offset)
                .contains(1L);
        assertThat(log.fetchOffsetByTimestamp(3_500))
                .map(TimestampAndOffset::offset)
                .contains(1L);
        assertThat(log.fetchOffsetByTimestamp(5_001)).isEmpty();
    }

    @Test
    void duplicateBatchFromAnIdempotentProducerReturnsTheOriginalOffsets() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(records(1, "before"), 0);
        LogAppendInfo first = log.appendAsLeader(idempotent(7L, (short) 0, 0, "x", "y"), 0);
        LogAppendInfo retry = log.appendAsLeader(idempotent(7L, (short) 0, 0, "x", "y"), 0);

        assertThat(first.duplicate()).isFalse();
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(first.firstOffset()).isEqualTo(1);
        assertThat(retry.lastOffset()).isEqualTo(first.lastOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(3);
        assertThat(readAll(log)).containsExactly("before", "x", "y");
    }

    @Test
    void reopensAfterACleanClose() throws Exception {
        LocalLog log = open(smallSegments());
        for (int i = 0; i < 25; i++) {
            log.appendAsLeader(records(1_000 + i, "v" + i), 4);
        }
        int segments = log.numberOfSegments();
        log.close();
        opened.clear();

        LocalLog reopened = open(smallSegments(), 25, true);
        assertThat(reopened.logEndOffset()).isEqualTo(25);
        assertThat(reopened.numberOfSegments()).isEqualTo(segments);
        assertThat(reopened.latestEpoch()).isEqualTo(4);
        assertThat(readAll(reopened)).hasSize(25).startsWith("v0").endsWith("v24");
        assertThat(reopened.fetchOffsetByTimestamp(1_010))
                .map(TimestampAndOffset::offset)
                .contains(10L);
        assertThat(reopened.appendAsLeader(records(2_000, "more"), 4).firstOffset())
                .isEqualTo(25);
    }

    @Test
    void recoversFromACrashWithATornTailAndADeletedIndex() throws Exception {
        LocalLog log = open(smallSegments());
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            log.appendAsLeader(records(1_000 + i, "v" + i), 2);
            acknowledged.add("v" + i);
        }
        log.flush();
        List<LogSegment> segments = log.segments();
        Path activeLog = segments.get(segments.size() - 1).log().file().toPath();
        Path firstIndex = segments.get(0).offsetIndex().file();
        // simulate kill -9: no close; a half-written batch at the end and a lost index
        opened.clear();
        try (FileChannel channel = FileChannel.open(activeLog, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            MemoryRecords torn = batch(25, 2_000, "torn-record-value");
            ByteBuffer half = torn.buffer().duplicate();
            half.limit(torn.sizeInBytes() / 2);
            channel.write(half);
        }
        Files.delete(firstIndex);

        LocalLog recovered = open(smallSegments(), 10, false);
        assertThat(recovered.logEndOffset()).isEqualTo(25);
        assertThat(readAll(recovered)).isEqualTo(acknowledged);
        assertThat(firstIndex).exists();
        assertThat(recovered.latestEpoch()).isEqualTo(2);
        assertThat(recovered.appendAsLeader(records(3_000, "next"), 2).firstOffset())
                .isEqualTo(25);
        assertThat(values(recovered.read(25, 1000, 26, false).records())).containsExactly("next");
    }

    @Test
    void truncateToRemovesTheTail() throws Exception {
        LocalLog log = open(smallSegments());
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(records(1_000 + i, "v" + i), i < 10 ? 1 : 2);
        }
        assertThat(log.truncateTo(7)).isTrue();
        assertThat(log.logEndOffset()).isEqualTo(7);
        assertThat(readAll(log)).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6");
        assertThat(log.latestEpoch()).isEqualTo(1);
        assertThat(log.appendAsLeader(records(5_000, "w"), 3).firstOffset()).isEqualTo(7);
    }
}
