package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProducerStateManagerTest {

    private static final long PID = 1000L;
    private static final long NOW = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private long nextOffset;

    /** Checks, then appends (at the next offset) a batch of {@code count} records from {@link #PID}. */
    private BatchSummary append(ProducerStateManager state, short epoch, int firstSeq, int count) {
        BatchSummary batch = batch(PID, epoch, firstSeq, count, nextOffset);
        assertThat(state.checkBatch(batch)).isEmpty();
        state.update(batch);
        nextOffset += count;
        return batch;
    }

    private static BatchSummary batch(long pid, short epoch, int firstSeq, int count, long baseOffset) {
        int lastSeq = (int) ((firstSeq + (long) count - 1) % ((long) Integer.MAX_VALUE + 1));
        return new BatchSummary(
                baseOffset, baseOffset + count - 1, pid, epoch, firstSeq, lastSeq, false, NOW + baseOffset, 100);
    }

    @Test
    void detectsRetryOfAnyOfTheLastFiveBatches() {
        ProducerStateManager state = new ProducerStateManager(dir);
        for (int i = 0; i < 5; i++) {
            append(state, (short) 0, i * 2, 2);
        }

        for (int i = 0; i < 5; i++) {
            long expectedFirstOffset = i * 2L;
            assertThat(state.checkBatch(batch(PID, (short) 0, i * 2, 2, 999)))
                    .hasValueSatisfying(m -> assertThat(m.firstOffset()).isEqualTo(expectedFirstOffset));
        }
        BatchMetadata third = state.checkBatch(batch(PID, (short) 0, 4, 2, 999)).orElseThrow();
        assertThat(third.firstOffset()).isEqualTo(4);
        assertThat(third.lastOffset()).isEqualTo(5);
        assertThat(third.timestamp()).isEqualTo(NOW + 4);
    }

    @Test
    void forgetsTheSixthOldestBatch() {
        ProducerStateManager state = new ProducerStateManager(dir);
        for (int i = 0; i < 6; i++) {
            append(state, (short) 0, i, 1);
        }

        assertThat(state.entry(PID).orElseThrow().batches()).hasSize(5);
        assertThat(state.checkBatch(batch(PID, (short) 0, 1, 1, 99))).isPresent();
        assertThatThrownBy(() -> state.checkBatch(batch(PID, (short) 0, 0, 1, 99)))
                .isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void duplicateNeedsTheSameSequenceRange() {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 3);

        assertThatThrownBy(() -> state.checkBatch(batch(PID, (short) 0, 0, 2, 99)))
                .isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void rejectsGapInSequence() {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 3);

        assertThatThrownBy(() -> state.checkBatch(batch(PID, (short) 0, 4, 1, 3)))
                .isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(state.checkBatch(batch(PID, (short) 0, 3, 1, 3))).isEmpty();
    }

    @Test
    void sequenceWrapsAroundAfterIntMax() {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, Integer.MAX_VALUE - 1, 2);

        assertThat(state.entry(PID).orElseThrow().lastSeq()).isEqualTo(Integer.MAX_VALUE);
        append(state, (short) 0, 0, 1);
    }

    @Test
    void fencesOlderEpoch() {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 5, 0, 1);

        assertThatThrownBy(() -> state.checkBatch(batch(PID, (short) 4, 1, 1, 1)))
                .isInstanceOf(InvalidProducerEpochException.class);
    }

    @Test
    void newEpochMustStartAtSequenceZero() {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 10);

        assertThatThrownBy(() -> state.checkBatch(batch(PID, (short) 1, 10, 1, 10)))
                .isInstanceOf(OutOfOrderSequenceException.class);
        append(state, (short) 1, 0, 2);

        ProducerStateEntry entry = state.entry(PID).orElseThrow();
        assertThat(entry.producerEpoch()).isEqualTo((short) 1);
        assertThat(entry.batches())
                .singleElement()
                .extracting(BatchMetadata::firstOffset)
                .isEqualTo(10L);
        // a retry from the old epoch is no duplicate any more: it is fenced
        assertThatThrownBy(() -> state.checkBatch(batch(PID, (short) 0, 0, 10, 99)))
                .isInstanceOf(InvalidProducerEpochException.class);
    }

    @Test
    void unknownProducerMayStartAtAnySequence() {
        ProducerStateManager state = new ProducerStateManager(dir);

        append(state, (short) 3, 77, 1);

        assertThat(state.entry(PID).orElseThrow().lastSeq()).isEqualTo(77);
    }

    @Test
    void batchesWithoutProducerIdAreNotTracked() {
        ProducerStateManager state = new ProducerStateManager(dir);
        BatchSummary plain = new BatchSummary(
                0,
                4,
                RecordBatch.NO_PRODUCER_ID,
                RecordBatch.NO_PRODUCER_EPOCH,
                RecordBatch.NO_SEQUENCE,
                RecordBatch.NO_SEQUENCE,
                false,
                NOW,
                100);

        assertThat(state.checkBatch(plain)).isEmpty();
        state.update(plain);

        assertThat(state.activeProducers()).isEmpty();
        assertThat(state.mapEndOffset()).isEqualTo(5);
    }

    @Test
    void tracksOpenTransactionUntilMarker() {
        ProducerStateManager state = new ProducerStateManager(dir);
        state.update(new BatchSummary(10, 11, PID, (short) 2, 0, 1, true, NOW, 100));
        assertThat(state.entry(PID).orElseThrow().currentTxnFirstOffset()).hasValue(10);

        state.update(new BatchSummary(12, 12, PID, (short) 2, -1, -1, true, NOW, 80, true, false));

        ProducerStateEntry entry = state.entry(PID).orElseThrow();
        assertThat(entry.currentTxnFirstOffset()).isEmpty();
        assertThat(entry.lastSeq()).isEqualTo(1);
        assertThat(state.mapEndOffset()).isEqualTo(13);
    }

    @Test
    void expiresIdleProducers() {
        ProducerStateManager state = new ProducerStateManager(dir, 1000);
        state.update(batch(1L, (short) 0, 0, 1, 0));
        state.update(batch(2L, (short) 0, 0, 1, 500));

        assertThat(state.removeExpiredProducers(NOW + 1200)).isEqualTo(1);

        assertThat(state.entry(1L)).isEmpty();
        assertThat(state.entry(2L)).isPresent();
    }

    @Test
    void snapshotRoundTrip() {
        ProducerStateManager state = new ProducerStateManager(dir);
        for (int i = 0; i < 7; i++) {
            append(state, (short) 4, i * 3, 3);
        }
        state.update(batch(2000L, (short) 1, 0, 2, nextOffset));
        nextOffset += 2;
        state.takeSnapshot(nextOffset);

        assertThat(dir.resolve("00000000000000000023.snapshot")).exists();
        assertThat(state.snapshotOffsets()).containsExactly(23L);
        ProducerStateManager loaded = ProducerStateManager.load(dir, 0, nextOffset);

        assertThat(loaded.snapshotOffset()).isEqualTo(23);
        assertThat(loaded.mapEndOffset()).isEqualTo(23);
        assertThat(loaded.activeProducers()).isEqualTo(state.activeProducers());
        assertThat(loaded.checkBatch(batch(PID, (short) 4, 15, 3, 99)))
                .hasValueSatisfying(m -> assertThat(m.firstOffset()).isEqualTo(15));
        assertThat(loaded.checkBatch(batch(PID, (short) 4, 21, 1, 23))).isEmpty();
    }

    @Test
    void loadReplaysFromLogStartWithoutSnapshot() {
        ProducerStateManager loaded = ProducerStateManager.load(dir, 42, 100);

        assertThat(loaded.snapshotOffset()).isEqualTo(42);
        assertThat(loaded.activeProducers()).isEmpty();
    }

    @Test
    void skipsCorruptSnapshotAndUsesOlderOne() throws IOException {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 5);
        state.takeSnapshot(5);
        append(state, (short) 0, 5, 5);
        state.takeSnapshot(10);
        Path newest = ProducerStateManager.snapshotFile(dir, 10);
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(newest, bytes);

        ProducerStateManager loaded = ProducerStateManager.load(dir, 0, 10);

        assertThat(loaded.snapshotOffset()).isEqualTo(5);
        assertThat(loaded.entry(PID).orElseThrow().lastSeq()).isEqualTo(4);
        assertThat(newest).doesNotExist();
    }

    @Test
    void skipsTruncatedSnapshot() throws IOException {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 5);
        state.takeSnapshot(5);
        Path file = ProducerStateManager.snapshotFile(dir, 5);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 7));

        ProducerStateManager loaded = ProducerStateManager.load(dir, 0, 5);

        assertThat(loaded.snapshotOffset()).isZero();
        assertThat(loaded.activeProducers()).isEmpty();
    }

    @Test
    void loadDeletesSnapshotsAboveLogEndAndStrayTempFiles() throws IOException {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 5);
        state.takeSnapshot(5);
        append(state, (short) 0, 5, 5);
        state.takeSnapshot(10);
        Path tmp = dir.resolve("00000000000000000012.snapshot.tmp");
        Files.write(tmp, new byte[] {1, 2, 3});

        ProducerStateManager loaded = ProducerStateManager.load(dir, 0, 7);

        assertThat(loaded.snapshotOffset()).isEqualTo(5);
        assertThat(loaded.snapshotOffsets()).containsExactly(5L);
        assertThat(tmp).doesNotExist();
    }

    @Test
    void loadAtRestoresAnOlderOffsetAndLeavesLaterSnapshotsAndTempFilesAlone() throws IOException {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 5);
        state.takeSnapshot(5);
        append(state, (short) 0, 5, 5);
        state.takeSnapshot(10);
        append(state, (short) 0, 10, 5);
        state.takeSnapshot(15);
        Path tmp = dir.resolve("00000000000000000015.snapshot.tmp");
        Files.write(tmp, new byte[] {1, 2, 3});

        ProducerStateManager at12 = ProducerStateManager.loadAt(dir, 0, 12, 1_000L);

        assertThat(at12.snapshotOffset()).isEqualTo(10);
        assertThat(at12.mapEndOffset()).isEqualTo(10);
        assertThat(at12.entry(PID).orElseThrow().lastSeq()).isEqualTo(9);
        assertThat(at12.producerIdExpirationMs()).isEqualTo(1_000L);
        assertThat(at12.snapshotOffsets()).containsExactly(5L, 10L, 15L);
        assertThat(tmp).exists();
        assertThat(ProducerStateManager.loadAt(dir, 0, 4, 1_000L).snapshotOffset())
                .as("no snapshot at or below 4")
                .isZero();
    }

    @Test
    void loadDropsProducersRemovedByRetention() {
        ProducerStateManager state = new ProducerStateManager(dir);
        state.update(batch(1L, (short) 0, 0, 5, 0));
        state.update(batch(2L, (short) 0, 0, 5, 5));
        state.takeSnapshot(10);

        ProducerStateManager loaded = ProducerStateManager.load(dir, 6, 10);

        assertThat(loaded.activeProducers().keySet()).containsExactly(2L);
    }

    @Test
    void deletesSnapshotsBelowOffset() {
        ProducerStateManager state = new ProducerStateManager(dir);
        for (long offset : List.of(3L, 7L, 11L)) {
            state.takeSnapshot(offset);
        }

        state.deleteSnapshotsBelow(7);

        assertThat(state.snapshotOffsets()).containsExactly(7L, 11L);
        assertThat(state.latestSnapshotOffset()).hasValue(11);
    }

    @Test
    void truncateFullyForgetsStateAndSnapshots() {
        ProducerStateManager state = new ProducerStateManager(dir);
        append(state, (short) 0, 0, 5);
        state.takeSnapshot(5);

        state.truncateFullyAndStartAt(500);

        assertThat(state.activeProducers()).isEmpty();
        assertThat(state.snapshotOffsets()).isEmpty();
        assertThat(state.mapEndOffset()).isEqualTo(500);
        assertThat(state.snapshotOffset()).isEqualTo(500);
        // the producer is unknown now, so any sequence is accepted again
        assertThat(state.checkBatch(batch(PID, (short) 0, 40, 1, 500))).isEmpty();
    }
}
