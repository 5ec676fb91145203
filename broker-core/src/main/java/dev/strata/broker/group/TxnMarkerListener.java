package dev.strata.broker.group;

import org.apache.kafka.common.TopicPartition;

/**
 * Told of each transaction marker written to a partition this broker leads (WriteTxnMarkers), once the marker is
 * replicated: a marker in a partition of {@code __consumer_offsets} ends the producer's transactional offset commits
 * of the groups there ({@link OffsetsTopic#markerListener}).
 */
@FunctionalInterface
public interface TxnMarkerListener {

    /**
     * @param commit true for a COMMIT marker, false for ABORT
     * @param markerOffset the marker's offset in the partition
     */
    void onMarkerWritten(TopicPartition partition, long producerId, boolean commit, long markerOffset);

    /** Nobody listens. */
    TxnMarkerListener NONE = (partition, producerId, commit, markerOffset) -> {};
}
