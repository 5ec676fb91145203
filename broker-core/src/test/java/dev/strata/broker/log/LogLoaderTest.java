package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.batch;
import static dev.strata.broker.log.TestRecords.idempotent;
import static dev.strata.broker.log.TestRecords.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;

/** Opening a log: reopening after a clean close, recovery after a crash, rebuilding a missing producer snapshot. */
class LogLoaderTest extends LocalLogTestSupport {

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
}
