package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.idempotent;
import static dev.strata.broker.log.TestRecords.offsets;
import static dev.strata.broker.log.TestRecords.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.junit.jupiter.api.Test;

class LocalLogTest extends LocalLogTestSupport {

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
    void maxTimestampIsTheLargestOverTheLocalSegments() throws Exception {
        LocalLog log = open(smallSegments());
        assertThat(log.maxTimestamp()).isEqualTo(-1);
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(records(i == 5 ? 9_000 : 1_000 + i, "v" + i), 0);
        }
        assertThat(log.maxTimestamp()).isEqualTo(9_000);
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
