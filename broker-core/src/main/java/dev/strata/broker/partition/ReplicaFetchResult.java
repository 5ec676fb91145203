package dev.strata.broker.partition;

import java.util.Optional;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;

/**
 * A leader's answer to one partition of a {@link ReplicaFetch}.
 *
 * @param records the batches from the fetch offset on, up to the leader's log end (not its high watermark)
 * @param highWatermark the leader's high watermark, -1 with an error
 * @param logStartOffset the leader's log start offset, -1 when unknown
 * @param divergingEpoch when the follower's log diverges from the leader's: the largest epoch the leader has at or
 *     below the follower's last fetched epoch, and where it ends in the leader's log; the follower truncates there
 */
public record ReplicaFetchResult(
        Errors error,
        Records records,
        long highWatermark,
        long logStartOffset,
        Optional<DivergingEpoch> divergingEpoch) {

    /** An epoch and the offset where it ends in the leader's log. */
    public record DivergingEpoch(int epoch, long endOffset) {}

    public static ReplicaFetchResult error(Errors error) {
        return new ReplicaFetchResult(error, MemoryRecords.EMPTY, -1L, -1L, Optional.empty());
    }

    public static ReplicaFetchResult error(Errors error, long highWatermark, long logStartOffset) {
        return new ReplicaFetchResult(error, MemoryRecords.EMPTY, highWatermark, logStartOffset, Optional.empty());
    }
}
