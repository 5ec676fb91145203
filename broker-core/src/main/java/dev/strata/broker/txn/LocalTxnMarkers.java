package dev.strata.broker.txn;

import dev.strata.broker.group.TxnMarkerListener;
import dev.strata.broker.log.LogAppendInfo;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends a transaction marker (a COMMIT or ABORT control batch) to a partition this broker leads, as both
 * WriteTxnMarkers and this broker's own transaction coordinator do. As in Apache Kafka, a marker is appended with
 * {@code acks=all} and its answer waits until the marker is replicated (the high watermark passes it), so the
 * coordinator only considers the transaction complete once no leader change can lose the marker. An aborted
 * transaction goes into the segment's transaction index as the marker is appended. Once replicated, the marker is told
 * to the {@link TxnMarkerListener}: in {@code __consumer_offsets} it ends the producer's transactional offset commits.
 *
 * <p>Threads: the I/O pool (the append touches disk); nothing waits on a thread for replication.
 */
public final class LocalTxnMarkers {
    private static final Logger log = LoggerFactory.getLogger(LocalTxnMarkers.class);

    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final long replicationTimeoutMs;
    private final TxnMarkerListener listener;

    /** @param replicationTimeoutMs how long a marker may wait for replication before REQUEST_TIMED_OUT */
    public LocalTxnMarkers(
            TopicManager topics, ReplicaManager replicas, long replicationTimeoutMs, TxnMarkerListener listener) {
        this.topics = topics;
        this.replicas = replicas;
        this.replicationTimeoutMs = replicationTimeoutMs;
        this.listener = listener;
    }

    /**
     * Appends the marker to {@code tp}; completes (never exceptionally) with NONE once it is replicated, or with the
     * partition's error (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, REQUEST_TIMED_OUT,
     * ...).
     */
    public CompletableFuture<Errors> append(
            TopicPartition tp, long producerId, short producerEpoch, int coordinatorEpoch, boolean commit) {
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (partition.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        try {
            LogAppendInfo info =
                    partition.get().appendMarkerAsLeader(producerId, producerEpoch, coordinatorEpoch, commit);
            replicas.onAppend(tp);
            long markerOffset = info.lastOffset();
            return replicas.awaitReplication(tp, markerOffset + 1, replicationTimeoutMs)
                    .thenApply(error -> {
                        if (error == Errors.NONE) {
                            tellListener(tp, producerId, commit, markerOffset);
                        }
                        return error;
                    });
        } catch (KafkaStorageException e) {
            log.debug("Marker for {} refused: {}", tp, e.getMessage());
            return CompletableFuture.completedFuture(Errors.KAFKA_STORAGE_ERROR);
        } catch (ApiException e) {
            log.debug("Marker of producer {} for {} refused: {}", producerId, tp, e.toString());
            return CompletableFuture.completedFuture(Errors.forException(e));
        } catch (RuntimeException e) {
            // as Kafka: the partition fails, the other partitions are still answered
            log.warn("Marker of producer {} for {} failed", producerId, tp, e);
            return CompletableFuture.completedFuture(Errors.UNKNOWN_SERVER_ERROR);
        }
    }

    private void tellListener(TopicPartition tp, long producerId, boolean commit, long markerOffset) {
        try {
            listener.onMarkerWritten(tp, producerId, commit, markerOffset);
        } catch (RuntimeException e) {
            // the marker is in the log: a replay applies it; the answer stays the marker's
            log.warn("Applying the marker of producer {} in {} failed", producerId, tp, e);
        }
    }
}
