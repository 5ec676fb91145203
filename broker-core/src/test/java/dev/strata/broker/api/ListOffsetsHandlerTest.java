package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.TimestampAndOffset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The earliest pending upload offset (-6, KIP-1023) and which version carries each special timestamp. */
class ListOffsetsHandlerTest {
    private static final TopicPartition TP = new TopicPartition("pending", 0);

    @TempDir
    Path root;

    private LocalLog log;

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
    }

    /** 30 records in small segments: offsets 0-9 in leader epoch 0, 10-29 in epoch 2. */
    private LocalLog open(boolean tiered) throws Exception {
        log = LocalLog.open(
                root.resolve("pending-0"),
                TP,
                Uuid.randomUuid(),
                LogConfig.of(
                        Map.of(),
                        Map.of(
                                TopicConfig.SEGMENT_BYTES_CONFIG,
                                "300",
                                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG,
                                Boolean.toString(tiered))),
                Time.SYSTEM,
                0,
                true);
        for (int i = 0; i < 30; i++) {
            byte[] value = ("value-" + i).getBytes(StandardCharsets.UTF_8);
            log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value)), i < 10 ? 0 : 2);
        }
        log.updateHighWatermark(log.logEndOffset());
        return log;
    }

    @Test
    void aTopicWithoutTieringHasNoPendingUploadOffset() throws Exception {
        assertThat(ListOffsetsHandler.earliestPendingUpload(open(false)))
                .isEqualTo(new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, -1L, Optional.of(-1)));
    }

    @Test
    void nothingCopiedYetMeansEverythingFromTheLogStartIsPending() throws Exception {
        assertThat(ListOffsetsHandler.earliestPendingUpload(open(true)))
                .isEqualTo(new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, 0L, Optional.of(0)));
    }

    @Test
    void theFirstOffsetPastTheHighestCopiedOneIsPendingWithItsEpoch() throws Exception {
        LocalLog tiered = open(true);
        tiered.onHighestRemoteOffset(14);

        assertThat(ListOffsetsHandler.earliestPendingUpload(tiered))
                .isEqualTo(new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, 15L, Optional.of(2)));
    }

    @Test
    void eachSpecialTimestampNeedsTheVersionThatIntroducedIt() {
        assertThat(ListOffsetsHandler.timestampSupported(
                        ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP, (short) 10))
                .isFalse();
        assertThat(ListOffsetsHandler.timestampSupported(
                        ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP, (short) 11))
                .isTrue();
        assertThat(ListOffsetsHandler.timestampSupported(ListOffsetsRequest.LATEST_TIERED_TIMESTAMP, (short) 8))
                .isFalse();
        assertThat(ListOffsetsHandler.timestampSupported(ListOffsetsRequest.LATEST_TIERED_TIMESTAMP, (short) 9))
                .isTrue();
        assertThat(ListOffsetsHandler.timestampSupported(ListOffsetsRequest.MAX_TIMESTAMP, (short) 6))
                .isFalse();
        assertThat(ListOffsetsHandler.timestampSupported(ListOffsetsRequest.EARLIEST_TIMESTAMP, (short) 1))
                .isTrue();
        assertThat(ListOffsetsHandler.timestampSupported(-7L, (short) 11))
                .as("no such timestamp")
                .isFalse();
        assertThat(ListOffsetsHandler.timestampSupported(1_700_000_000_000L, (short) 1))
                .isTrue();
    }
}
