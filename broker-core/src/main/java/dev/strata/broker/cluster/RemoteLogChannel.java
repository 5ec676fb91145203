package dev.strata.broker.cluster;

import org.apache.kafka.common.Uuid;

/**
 * The writes a partition's leader makes to the replicated record of its remote tier (see {@link RemoteSegmentRecord}).
 * Each returns once the change is committed and applied on this broker, and throws when it is refused: an
 * {@link org.apache.kafka.common.errors.ApiException} whose error says why ({@code FENCED_LEADER_EPOCH} when
 * {@code leaderId} does not lead the partition in {@code leaderEpoch}), or another runtime exception when the outcome is
 * unknown (no quorum within the write timeout). Calls block: never make them on a Netty event loop.
 */
public interface RemoteLogChannel {

    /** A segment copied by {@code leaderId} in {@code leaderEpoch} is readable. */
    void copySegmentFinished(Uuid topicId, int partition, int leaderId, int leaderEpoch, RemoteSegmentRecord segment);

    /**
     * The leader starts deleting a segment's data. A segment the record does not hold (a failed copy's) is accepted
     * from anyone and can never be recorded as finished afterwards.
     */
    void deleteSegmentStarted(Uuid topicId, int partition, int leaderId, int leaderEpoch, Uuid segmentId);

    /** The data of a segment whose deletion started is gone. */
    void deleteSegmentFinished(Uuid topicId, int partition, Uuid segmentId);
}
