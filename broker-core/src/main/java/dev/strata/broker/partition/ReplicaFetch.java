package dev.strata.broker.partition;

import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * A follower's fetch from a partition leader (Kafka's Fetch request as a replica sends it, v12 and later), in the data
 * plane's own terms: the API handlers translate it from and to the wire.
 *
 * @param replicaId the follower's node id
 * @param replicaEpoch the follower's broker epoch, or -1 when it does not know one
 * @param maxWaitMs how long the leader may park the fetch waiting for {@code minBytes}
 * @param maxBytes the byte limit of the whole response
 */
public record ReplicaFetch(
        int replicaId, long replicaEpoch, int maxWaitMs, int minBytes, int maxBytes, List<PartitionFetch> partitions) {

    public ReplicaFetch {
        partitions = List.copyOf(partitions);
    }

    /**
     * One partition of the fetch.
     *
     * @param fetchOffset the follower's log end offset: where it wants to read from
     * @param currentLeaderEpoch the leader epoch the follower believes current; the leader refuses another one
     * @param lastFetchedEpoch the epoch of the last batch in the follower's log, or -1: the leader answers a
     *     diverging epoch when its own log has a different history up to {@code fetchOffset}
     * @param logStartOffset the follower's log start offset
     * @param maxBytes the byte limit of this partition's records
     */
    public record PartitionFetch(
            TopicPartition topicPartition,
            Uuid topicId,
            long fetchOffset,
            int currentLeaderEpoch,
            int lastFetchedEpoch,
            long logStartOffset,
            int maxBytes) {}
}
