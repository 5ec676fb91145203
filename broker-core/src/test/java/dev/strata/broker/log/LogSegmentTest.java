package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.batch;
import static dev.strata.broker.log.TestRecords.offsets;
import static dev.strata.broker.log.TestRecords.values;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.LogConfig;
import dev.strata.testing.ManualTime;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogSegmentTest {

    @TempDir
    Path dir;

    private final ManualTime time = new ManualTime(1_000_000);
    private final List<LogSegment> opened = new ArrayList<>();

    @AfterEach
    void closeSegments() throws Exception {
        for (LogSegment segment : opened) {
            segment.close();
        }
    }

    private LogSegment segment(long baseOffset, Map<String, String> overrides) throws Exception {
        LogSegment segment = LogSegment.open(dir, baseOffset, LogConfig.of(Map.of(), overrides), time);
        opened.add(segment);
        return segment;
    }

    private LogSegment segment(long baseOffset) throws Exception {
        return segment(baseOffset, Map.of(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "1"));
    }

    private static void append(LogSegment segment, MemoryRecords records) throws Exception {
        RecordBatch last = null;
        for (RecordBatch batch : records.batches()) {
            last = batch;
        }
        segment.append(last.lastOffset(), last.maxTimestamp(), last.lastOffset(), records);
    }

    @Test
    void namesFilesWithTwentyDigitBaseOffsets() throws Exception {
        LogSegment segment = segment(42);
        assertThat(segment.log().file().getName()).isEqualTo("00000000000000000042.log");
        assertThat(segment.offsetIndex().file().getFileName().toString()).isEqualTo("00000000000000000042.index");
        assertThat(segment.timeIndex().file().getFileName().toString()).isEqualTo("00000000000000000042.timeindex");
        assertThat(LogSegment.offsetFromFileName("00000000000000000042.timeindex"))
                .isEqualTo(42);
    }

    @Test
    void readsFromAnyOffsetInsideABatch() throws Exception {
        LogSegment segment = segment(40);
        append(segment, batch(40, 10, "a", "b", "c"));
        append(segment, batch(43, 20, "d", "e"));
        append(segment, batch(45, 30, "f"));

        assertThat(values(segment.read(40, 10_000).records())).containsExactly("a", "b", "c", "d", "e", "f");
        // a fetch inside a batch returns the whole batch; the consumer skips the earlier records
        assertThat(offsets(segment.read(44, 10_000).records())).containsExactly(43L, 44L, 45L);
        assertThat(segment.read(46, 10_000)).isNull();
        assertThat(segment.readNextOffset()).isEqualTo(46);
    }

    @Test
    void readHonoursMaxSizeMaxPositionAndMinOneMessage() throws Exception {
        LogSegment segment = segment(0);
        MemoryRecords first = batch(0, 10, "aaaaaaaaaa");
        append(segment, first);
        append(segment, batch(1, 20, "bbbbbbbbbb"));
        int firstSize = first.sizeInBytes();

        assertThat(values(segment.read(0, firstSize).records())).containsExactly("aaaaaaaaaa");
        FetchDataInfo truncated = segment.read(0, 5, segment.size(), false);
        assertThat(truncated.records().sizeInBytes()).isEqualTo(5);
        assertThat(truncated.firstEntryIncomplete()).isTrue();
        assertThat(values(segment.read(0, 5, segment.size(), true).records())).containsExactly("aaaaaaaaaa");
        assertThat(segment.read(1, 10_000, firstSize, false).records().sizeInBytes())
                .isZero();
    }

    @Test
    void findsTheFirstOffsetAtOrAfterATimestamp() throws Exception {
        LogSegment segment = segment(0);
        append(segment, batch(0, 100, "a"));
        append(segment, batch(1, 300, "b"));
        append(segment, batch(2, 200, "c"));
        append(segment, batch(3, 400, "d"));

        assertThat(segment.findOffsetByTimestamp(50, 0).offset).isEqualTo(0);
        assertThat(segment.findOffsetByTimestamp(150, 0).offset).isEqualTo(1);
        assertThat(segment.findOffsetByTimestamp(300, 0).offset).isEqualTo(1);
        assertThat(segment.findOffsetByTimestamp(350, 0).offset).isEqualTo(3);
        assertThat(segment.findOffsetByTimestamp(500, 0)).isNull();
        assertThat(segment.largestTimestamp()).isEqualTo(400);
        assertThat(segment.offsetOfLargestTimestamp()).isEqualTo(3);
    }

    @Test
    void truncateToDropsBatchesAtAndAfterTheOffset() throws Exception {
        LogSegment segment = segment(0);
        append(segment, batch(0, 100, "a", "b"));
        append(segment, batch(2, 300, "c"));
        append(segment, batch(3, 200, "d"));

        int removed = segment.truncateTo(2);
        assertThat(removed).isPositive();
        assertThat(values(segment.read(0, 10_000).records())).containsExactly("a", "b");
        assertThat(segment.largestTimestamp()).isEqualTo(100);
        assertThat(segment.readNextOffset()).isEqualTo(2);
        append(segment, batch(2, 500, "e"));
        assertThat(values(segment.read(2, 10_000).records())).containsExactly("e");
    }

    @Test
    void rollsOnSizeTimeAndOffsetOverflow() throws Exception {
        LogConfig config = LogConfig.of(
                Map.of(), Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, "1024", TopicConfig.SEGMENT_MS_CONFIG, "60000"));
        LogSegment segment = segment(0, Map.of());
        long now = time.milliseconds();
        assertThat(segment.shouldRoll(config, now, 0, 100, now)).isFalse();
        // an empty segment never rolls by time
        assertThat(segment.shouldRoll(config, now + 120_000, 0, 100, now + 120_000))
                .isFalse();

        append(segment, batch(0, now, "x".repeat(500)));
        assertThat(segment.shouldRoll(config, now, 1, 100, now)).isFalse();
        assertThat(segment.shouldRoll(config, now, 1, 600, now)).as("size").isTrue();
        assertThat(segment.shouldRoll(config, now + 60_001, 1, 10, now))
                .as("segment.ms")
                .isTrue();
        assertThat(segment.shouldRoll(config, now, (long) Integer.MAX_VALUE + 1, 10, now))
                .as("overflow")
                .isTrue();
    }

    @Test
    void rollsWhenTheIndexIsFull() throws Exception {
        LogSegment segment = segment(
                0, Map.of(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "1", TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, "24"));
        LogConfig config = LogConfig.defaults();
        int appended = 0;
        while (!segment.shouldRoll(config, 10 + appended, appended, 10, time.milliseconds())) {
            append(segment, batch(appended, 10 + appended, "v" + appended));
            appended++;
        }
        assertThat(appended).isEqualTo(2);
        assertThat(segment.timeIndex().isFull()).isTrue();
    }

    @Test
    void recoverTruncatesATornTailOfRandomGarbageAndRebuildsIndexes() throws Exception {
        LogSegment segment = segment(0);
        for (int i = 0; i < 20; i++) {
            append(segment, batch(i * 2L, 1_000 + i, "v" + i, "w" + i));
        }
        int validSize = segment.size();
        segment.close();
        opened.remove(segment);
        byte[] garbage = new byte[777];
        new Random(42).nextBytes(garbage);
        try (FileChannel channel = FileChannel.open(segment.log().file().toPath(), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(garbage), validSize);
        }
        // wipe the time index as a crash might have left it
        java.nio.file.Files.write(segment.timeIndex().file(), new byte[0]);

        LogSegment reopened = segment(0);
        assertThat(reopened.size()).isEqualTo(validSize + garbage.length);
        List<Long> visited = new ArrayList<>();
        int truncated = reopened.recover(batch -> visited.add(batch.baseOffset()));

        assertThat(truncated).isEqualTo(garbage.length);
        assertThat(reopened.size()).isEqualTo(validSize);
        assertThat(visited).hasSize(20);
        assertThat(reopened.readNextOffset()).isEqualTo(40);
        assertThat(reopened.offsetIndex().entries()).isEqualTo(19);
        assertThat(offsets(reopened.read(25, 10_000).records()).get(0)).isEqualTo(24L);
        assertThat(reopened.findOffsetByTimestamp(1_010, 0).offset).isEqualTo(20);
        assertThat(reopened.largestTimestamp()).isEqualTo(1_019);
        reopened.sanityCheck();
    }

    @Test
    void recoverTruncatesABatchWithABadCrc() throws Exception {
        LogSegment segment = segment(0);
        append(segment, batch(0, 1, "a"));
        int firstSize = segment.size();
        append(segment, batch(1, 2, "b"));
        append(segment, batch(2, 3, "c"));
        int totalSize = segment.size();
        // flip a byte inside the second batch's records, which its CRC covers
        try (FileChannel channel = FileChannel.open(segment.log().file().toPath(), StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {0x7f}), firstSize + 65);
        }
        int truncated = segment.recover();
        assertThat(truncated).isEqualTo(totalSize - firstSize);
        assertThat(segment.size()).isEqualTo(firstSize);
        assertThat(segment.readNextOffset()).isEqualTo(1);
    }

    @Test
    void emptySegmentReadsAsEmpty() throws Exception {
        LogSegment segment = segment(7);
        assertThat(segment.read(7, 100)).isNull();
        assertThat(segment.readNextOffset()).isEqualTo(7);
        assertThat(segment.largestTimestamp()).isEqualTo(-1);
        FileRecords.TimestampAndOffset none = segment.findOffsetByTimestamp(0, 7);
        assertThat(none).isNull();
    }
}
