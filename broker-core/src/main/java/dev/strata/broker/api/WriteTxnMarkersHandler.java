package dev.strata.broker.api;

import dev.strata.broker.group.TxnMarkerListener;
import dev.strata.broker.log.LogAppendInfo;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WriteTxnMarkers: a transaction coordinator ends a producer's transaction in the partitions this broker leads, by
 * appending a COMMIT or ABORT control batch to each. As in Apache Kafka, each marker is appended with
 * {@code acks=all} and a partition's answer waits until the marker is replicated (its high watermark passes it), so
 * the coordinator only considers the transaction complete once no leader change can lose the marker. An aborted
 * transaction goes into the segment's transaction index as the marker is appended. Once replicated, a marker is told
 * to the {@link TxnMarkerListener}: in {@code __consumer_offsets} it ends the producer's transactional offset commits.
 *
 * <p>Runs on the I/O pool; nothing waits on a thread for replication.
 */
public final class WriteTxnMarkersHandler {

    private static final Logger log = LoggerFactory.getLogger(WriteTxnMarkersHandler.class);

    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final long replicationTimeoutMs;
    private final TxnMarkerListener markers;

    /**
     * @param replicationTimeoutMs how long a marker may wait for replication before REQUEST_TIMED_OUT
     * @param markers told of each marker once it is replicated (the group coordinator ends transactional offset
     *     commits with it)
     */
    public WriteTxnMarkersHandler(
            TopicManager topics, ReplicaManager replicas, long replicationTimeoutMs, TxnMarkerListener markers) {
        this.topics = topics;
        this.replicas = replicas;
        this.replicationTimeoutMs = replicationTimeoutMs;
        this.markers = markers;
    }

    public CompletableFuture<WriteTxnMarkersResponseData> handle(WriteTxnMarkersRequest request) {
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        List<CompletableFuture<Void>> replicated = new ArrayList<>();
        for (WritableTxnMarker marker : request.data().markers()) {
            WritableTxnMarkerResult result = new WritableTxnMarkerResult().setProducerId(marker.producerId());
            for (WritableTxnMarkerTopic topic : marker.topics()) {
                WritableTxnMarkerTopicResult topicResult = new WritableTxnMarkerTopicResult().setName(topic.name());
                for (int index : topic.partitionIndexes()) {
                    WritableTxnMarkerPartitionResult pr =
                            new WritableTxnMarkerPartitionResult().setPartitionIndex(index);
                    topicResult.partitions().add(pr);
                    append(new TopicPartition(topic.name(), index), marker, pr, replicated);
                }
                result.topics().add(topicResult);
            }
            response.markers().add(result);
        }
        return CompletableFuture.allOf(replicated.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> response);
    }

    private void tellListener(TopicPartition tp, WritableTxnMarker marker, long markerOffset) {
        try {
            markers.onMarkerWritten(tp, marker.producerId(), marker.transactionResult(), markerOffset);
        } catch (RuntimeException e) {
            // the marker is in the log: a replay applies it; the answer stays the marker's
            log.warn("Applying the marker of producer {} in {} failed", marker.producerId(), tp, e);
        }
    }

    private void append(
            TopicPartition tp,
            WritableTxnMarker marker,
            WritableTxnMarkerPartitionResult pr,
            List<CompletableFuture<Void>> replicated) {
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (partition.isEmpty()) {
            pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            return;
        }
        try {
            LogAppendInfo info = partition
                    .get()
                    .appendMarkerAsLeader(
                            marker.producerId(),
                            marker.producerEpoch(),
                            marker.coordinatorEpoch(),
                            marker.transactionResult());
            replicas.onAppend(tp);
            long markerOffset = info.lastOffset();
            replicated.add(replicas.awaitReplication(tp, markerOffset + 1, replicationTimeoutMs)
                    .thenAccept(error -> {
                        if (error == Errors.NONE) {
                            tellListener(tp, marker, markerOffset);
                        }
                        pr.setErrorCode(error.code());
                    }));
        } catch (KafkaStorageException e) {
            log.debug("Marker for {} refused: {}", tp, e.getMessage());
            pr.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
        } catch (ApiException e) {
            log.debug("Marker of producer {} for {} refused: {}", marker.producerId(), tp, e.toString());
            pr.setErrorCode(Errors.forException(e).code());
        } catch (RuntimeException e) {
            // as Kafka: the partition fails, the other partitions of the request are still answered
            log.warn("Marker of producer {} for {} failed", marker.producerId(), tp, e);
            pr.setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code());
        }
    }
}
