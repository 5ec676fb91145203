package dev.strata.index;

import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Metadata of one remote segment, the fields of Kafka's {@code RemoteLogSegmentMetadata}: what a reader needs to find
 * the segment holding an offset or a timestamp, and what a storage backend needs to find the segment's objects.
 *
 * @param id partition and segment id
 * @param startOffset first offset in the segment (its base offset)
 * @param endOffset last offset in the segment, inclusive
 * @param maxTimestampMs largest record timestamp in the segment
 * @param sizeInBytes size of the segment's log object in bytes
 * @param leaderEpochs leader epoch to the first offset written in that epoch, ordered by epoch; never empty
 * @param brokerId the broker that wrote this state
 * @param state lifecycle state
 * @param eventTimestampMs when this state was written
 * @param customMetadata opaque bytes the storage backend returned from its copy (Kafka's {@code CustomMetadata}),
 *     empty when it returned none
 */
public record RemoteSegment(
        RemoteSegmentId id,
        long startOffset,
        long endOffset,
        long maxTimestampMs,
        long sizeInBytes,
        NavigableMap<Integer, Long> leaderEpochs,
        int brokerId,
        RemoteSegmentState state,
        long eventTimestampMs,
        byte[] customMetadata) {

    private static final byte[] NO_CUSTOM_METADATA = new byte[0];

    public RemoteSegment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(leaderEpochs, "leaderEpochs");
        if (startOffset < 0 || endOffset < startOffset) {
            throw new IllegalArgumentException(
                    "need 0 <= startOffset <= endOffset, was " + startOffset + ", " + endOffset + " for " + id);
        }
        if (endOffset - startOffset > Integer.MAX_VALUE) {
            // index entries store offsets relative to startOffset in 4 bytes, as Kafka's .index does
            throw new IllegalArgumentException("segment spans more than 2^31 offsets: " + id);
        }
        if (sizeInBytes < 0) {
            throw new IllegalArgumentException("sizeInBytes must be >= 0, was " + sizeInBytes + " for " + id);
        }
        if (leaderEpochs.isEmpty()) {
            throw new IllegalArgumentException("leaderEpochs must not be empty for " + id);
        }
        TreeMap<Integer, Long> epochs = new TreeMap<>();
        for (Map.Entry<Integer, Long> entry : leaderEpochs.entrySet()) {
            epochs.put(
                    Objects.requireNonNull(entry.getKey(), "leader epoch"),
                    Objects.requireNonNull(entry.getValue(), "leader epoch start offset"));
        }
        leaderEpochs = Collections.unmodifiableNavigableMap(epochs);
        customMetadata =
                customMetadata == null || customMetadata.length == 0 ? NO_CUSTOM_METADATA : customMetadata.clone();
    }

    /** The partition this segment belongs to. */
    public PartitionKey partition() {
        return id.partition();
    }

    /** A copy of the opaque backend bytes; empty when there are none. */
    @Override
    public byte[] customMetadata() {
        return customMetadata.clone();
    }

    /** Whether {@code offset} lies in {@code [startOffset, endOffset]}. */
    public boolean contains(long offset) {
        return offset >= startOffset && offset <= endOffset;
    }

    /** This segment in another state, written at {@code eventTimestampMs}. */
    public RemoteSegment withState(RemoteSegmentState newState, long newEventTimestampMs) {
        return new RemoteSegment(
                id,
                startOffset,
                endOffset,
                maxTimestampMs,
                sizeInBytes,
                leaderEpochs,
                brokerId,
                newState,
                newEventTimestampMs,
                customMetadata);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RemoteSegment other
                && id.equals(other.id)
                && startOffset == other.startOffset
                && endOffset == other.endOffset
                && maxTimestampMs == other.maxTimestampMs
                && sizeInBytes == other.sizeInBytes
                && leaderEpochs.equals(other.leaderEpochs)
                && brokerId == other.brokerId
                && state == other.state
                && eventTimestampMs == other.eventTimestampMs
                && Arrays.equals(customMetadata, other.customMetadata);
    }

    @Override
    public int hashCode() {
        int result = Objects.hash(
                id,
                startOffset,
                endOffset,
                maxTimestampMs,
                sizeInBytes,
                leaderEpochs,
                brokerId,
                state,
                eventTimestampMs);
        return 31 * result + Arrays.hashCode(customMetadata);
    }

    @Override
    public String toString() {
        return "RemoteSegment[id=" + id
                + ", offsets=[" + startOffset + ", " + endOffset + "]"
                + ", maxTimestampMs=" + maxTimestampMs
                + ", sizeInBytes=" + sizeInBytes
                + ", leaderEpochs=" + leaderEpochs
                + ", brokerId=" + brokerId
                + ", state=" + state
                + ", eventTimestampMs=" + eventTimestampMs
                + ", customMetadata=" + HexFormat.of().formatHex(customMetadata) + "]";
    }
}
