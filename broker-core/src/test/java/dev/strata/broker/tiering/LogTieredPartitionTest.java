package dev.strata.broker.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.EpochEntry;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.partition.Partition;
import dev.strata.tiering.LocalSegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partition's local log as tiering sees it: sealed segments, snapshots, leader-epoch checkpoints. */
class LogTieredPartitionTest {

    private static final TopicPartition TP = new TopicPartition("tiered", 0);

    @TempDir
    Path root;

    private LocalLog log;

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
    }

    @Test
    void offersEverySegmentButTheActiveOneWithItsSnapshotAndEpochs() throws Exception {
        log = TieredLogs.open(root.resolve("tiered-0"), TP);
        TieredLogs.fill(log, 30, i -> i < 10 ? 0 : 2);
        Partition partition = new Partition(TP, log.topicId(), log, 1, 2);
        LogTieredPartition tiered = new LogTieredPartition(partition);

        List<LocalSegment> sealed = tiered.sealedSegments();

        assertThat(sealed).hasSize(log.numberOfSegments() - 1);
        for (int i = 0; i < sealed.size(); i++) {
            LocalSegment segment = sealed.get(i);
            long nextBase = log.segments().get(i + 1).baseOffset();
            assertThat(segment.baseOffset()).isEqualTo(log.segments().get(i).baseOffset());
            assertThat(segment.endOffset()).isEqualTo(nextBase - 1);
            assertThat(segment.producerSnapshot()).exists();
            assertThat(segment.producerSnapshot().getFileName().toString())
                    .startsWith(String.format("%020d", nextBase));
            assertThat(segment.log()).exists();
            assertThat(Files.size(segment.log())).isEqualTo(segment.sizeInBytes());
        }
        assertThat(tiered.config().remoteStorageEnable()).isTrue();
        assertThat(tiered.highWatermark()).isEqualTo(30);
        assertThat(tiered.leaderEpoch()).isEqualTo(2);

        tiered.onHighestRemoteOffset(sealed.get(0).endOffset());
        assertThat(log.highestRemoteOffset()).isEqualTo(sealed.get(0).endOffset());
    }

    @Test
    void aSegmentWhoseProducerSnapshotIsMissingIsOfferedWithARebuiltOne() throws Exception {
        log = openTiered(Map.of());
        Partition partition = new Partition(TP, log.topicId(), log, 1, 0);
        LogTieredPartition tiered = new LogTieredPartition(partition);
        List<LocalSegment> before = tiered.sealedSegments();
        Path missing = before.get(1).producerSnapshot();
        byte[] original = Files.readAllBytes(missing);
        Files.delete(missing);

        List<LocalSegment> after = tiered.sealedSegments();

        assertThat(after).hasSameSizeAs(before);
        assertThat(after.get(1).producerSnapshot()).isEqualTo(missing).hasBinaryContent(original);
    }

    @Test
    void passesTheTopicsKip950Settings() throws Exception {
        log = openTiered(Map.of(
                TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, "true",
                TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG, "true"));
        LogTieredPartition tiered = new LogTieredPartition(new Partition(TP, log.topicId(), log, 1, 0));

        assertThat(tiered.config().copyDisabled()).isTrue();
        assertThat(tiered.config().deleteOnDisable()).isTrue();
        log.updateConfig(LogConfig.of(Map.of(), Map.of(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true")));
        assertThat(tiered.config().copyDisabled()).isFalse();
        assertThat(tiered.config().deleteOnDisable()).isFalse();
    }

    /** A tiered log of 30 idempotent records in segments of 300 bytes, all below the high watermark. */
    private LocalLog openTiered(Map<String, String> extra) throws Exception {
        Map<String, String> overrides = new HashMap<>(extra);
        overrides.put(TopicConfig.SEGMENT_BYTES_CONFIG, "300");
        overrides.put(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true");
        LocalLog opened = LocalLog.open(
                root.resolve("tiered-0"),
                TP,
                Uuid.randomUuid(),
                LogConfig.of(Map.of(), overrides),
                Time.SYSTEM,
                0,
                true);
        for (int i = 0; i < 30; i++) {
            byte[] value = ("value-" + i).getBytes(StandardCharsets.UTF_8);
            opened.appendAsLeader(
                    MemoryRecords.withIdempotentRecords(Compression.NONE, 11L, (short) 0, i, new SimpleRecord(value)),
                    0);
        }
        opened.updateHighWatermark(opened.logEndOffset());
        return opened;
    }

    @Test
    void checkpointAndSegmentEpochsCoverTheSegmentOnly() {
        List<EpochEntry> epochs = List.of(new EpochEntry(0, 0), new EpochEntry(2, 10), new EpochEntry(5, 20));

        assertThat(StandardCharsets.UTF_8
                        .decode(LogTieredPartition.checkpoint(epochs, 15))
                        .toString())
                .isEqualTo("0\n2\n0 0\n2 10\n");
        assertThat(LogTieredPartition.segmentEpochs(epochs, 5, 15))
                .containsExactly(Map.entry(0, 5L), Map.entry(2, 10L));
        assertThat(LogTieredPartition.segmentEpochs(epochs, 20, 25)).containsExactly(Map.entry(5, 20L));
    }
}
