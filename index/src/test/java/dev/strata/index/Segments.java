package dev.strata.index;

import java.util.TreeMap;
import java.util.UUID;

/** Test fixtures: partitions and segments with predictable fields. */
final class Segments {
    static final PartitionKey P0 = new PartitionKey(UUID.fromString("6a1b0c52-0000-4000-8000-000000000001"), 0);
    static final PartitionKey P1 = new PartitionKey(P0.topicId(), 1);
    static final PartitionKey OTHER_TOPIC =
            new PartitionKey(UUID.fromString("6a1b0c52-0000-4000-8000-000000000002"), 0);
    static final int BROKER = 7;

    private Segments() {}

    /**
     * A segment of {@code [start, end]} with 100 bytes per offset and a max timestamp of {@code 1_000_000 + end}.
     */
    static RemoteSegment segment(PartitionKey partition, long start, long end, RemoteSegmentState state) {
        return segment(RemoteSegmentId.random(partition), start, end, state);
    }

    static RemoteSegment segment(RemoteSegmentId id, long start, long end, RemoteSegmentState state) {
        TreeMap<Integer, Long> epochs = new TreeMap<>();
        epochs.put(3, start);
        return new RemoteSegment(
                id, start, end, 1_000_000 + end, (end - start + 1) * 100, epochs, BROKER, state, 42L, new byte[0]);
    }

    static RemoteSegment withMaxTimestamp(RemoteSegment segment, long maxTimestampMs) {
        return new RemoteSegment(
                segment.id(),
                segment.startOffset(),
                segment.endOffset(),
                maxTimestampMs,
                segment.sizeInBytes(),
                segment.leaderEpochs(),
                segment.brokerId(),
                segment.state(),
                segment.eventTimestampMs(),
                segment.customMetadata());
    }
}
