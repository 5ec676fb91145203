package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.LogConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.junit.jupiter.api.Test;

/** Retention of a log: by time, size and log start offset, and local retention of a tiered log. */
class LogRetentionTest extends LocalLogTestSupport {

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
}
