package dev.strata.index;

import java.util.Objects;
import java.util.UUID;

/**
 * Identity of one remote segment: its partition and a random id chosen when the copy starts. A retried copy of the
 * same local segment gets a new id, so the debris of a failed attempt never collides with the next attempt.
 */
public record RemoteSegmentId(PartitionKey partition, UUID segmentId) {

    public RemoteSegmentId {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(segmentId, "segmentId");
    }

    /** A new id with a random segment id, for a copy that is about to start. */
    public static RemoteSegmentId random(PartitionKey partition) {
        return new RemoteSegmentId(partition, UUID.randomUUID());
    }

    @Override
    public String toString() {
        return partition + "/" + segmentId;
    }
}
