package dev.strata.tiering;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A sealed local segment as the broker hands it to tiering: its offsets and size, and the files KIP-405 uploads.
 *
 * @param baseOffset first offset of the segment
 * @param endOffset last offset of the segment, inclusive
 * @param maxTimestampMs largest record timestamp in the segment
 * @param sizeInBytes size of the {@code .log} file
 * @param log the {@code .log} file (RecordBatch v2 bytes)
 * @param offsetIndex the {@code .index} file (4-byte relative offset, 4-byte position per entry)
 * @param timeIndex the {@code .timeindex} file (8-byte timestamp, 4-byte relative offset per entry)
 * @param txnIndex the {@code .txnindex} file, when the segment has aborted transactions
 * @param producerSnapshot the producer-state snapshot taken at the segment's end
 * @param leaderEpochCheckpoint the leader-epoch checkpoint file's bytes, with the epochs up to the segment's end
 * @param segmentLeaderEpochs leader epoch to the first offset written in that epoch within this segment
 */
public record LocalSegment(
        long baseOffset,
        long endOffset,
        long maxTimestampMs,
        long sizeInBytes,
        Path log,
        Path offsetIndex,
        Path timeIndex,
        Optional<Path> txnIndex,
        Path producerSnapshot,
        ByteBuffer leaderEpochCheckpoint,
        NavigableMap<Integer, Long> segmentLeaderEpochs) {

    public LocalSegment {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(offsetIndex, "offsetIndex");
        Objects.requireNonNull(timeIndex, "timeIndex");
        Objects.requireNonNull(txnIndex, "txnIndex");
        Objects.requireNonNull(producerSnapshot, "producerSnapshot");
        Objects.requireNonNull(leaderEpochCheckpoint, "leaderEpochCheckpoint");
        if (baseOffset < 0 || endOffset < baseOffset) {
            throw new IllegalArgumentException(
                    "need 0 <= baseOffset <= endOffset, was " + baseOffset + ", " + endOffset);
        }
        if (sizeInBytes < 0 || sizeInBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sizeInBytes must be in [0, 2^31), was " + sizeInBytes);
        }
        if (segmentLeaderEpochs == null || segmentLeaderEpochs.isEmpty()) {
            throw new IllegalArgumentException("segmentLeaderEpochs must not be empty");
        }
        segmentLeaderEpochs = Collections.unmodifiableNavigableMap(new TreeMap<>(segmentLeaderEpochs));
        leaderEpochCheckpoint = leaderEpochCheckpoint.asReadOnlyBuffer();
    }

    /** A fresh view of the checkpoint bytes, so that each reader starts at position 0. */
    @Override
    public ByteBuffer leaderEpochCheckpoint() {
        return leaderEpochCheckpoint.duplicate();
    }
}
