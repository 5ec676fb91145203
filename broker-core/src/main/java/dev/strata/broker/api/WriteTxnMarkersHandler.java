package dev.strata.broker.api;

import dev.strata.broker.txn.LocalTxnMarkers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;

/**
 * WriteTxnMarkers: a transaction coordinator ends a producer's transaction in the partitions this broker leads, by
 * appending a COMMIT or ABORT control batch to each ({@link LocalTxnMarkers}: with {@code acks=all}, each partition's
 * answer once its marker is replicated; a marker in {@code __consumer_offsets} ends the producer's transactional offset
 * commits).
 *
 * <p>Runs on the I/O pool; nothing waits on a thread for replication.
 */
public final class WriteTxnMarkersHandler {
    private final LocalTxnMarkers markers;

    public WriteTxnMarkersHandler(LocalTxnMarkers markers) {
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
                    replicated.add(markers.append(
                                    new TopicPartition(topic.name(), index),
                                    marker.producerId(),
                                    marker.producerEpoch(),
                                    marker.coordinatorEpoch(),
                                    marker.transactionResult())
                            .thenAccept(error -> pr.setErrorCode(error.code())));
                }
                result.topics().add(topicResult);
            }
            response.markers().add(result);
        }
        return CompletableFuture.allOf(replicated.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> response);
    }
}
