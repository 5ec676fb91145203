package dev.strata.broker.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;

/**
 * The transaction markers queued for one broker that go out in one WriteTxnMarkers request, one marker entry each,
 * and the reading of the answer back into each marker's per-partition errors. A broker answers by producer id, so one
 * request carries at most one marker of a producer ({@link #tryAdd} refuses a second; it waits for the next request).
 * A partition the answer leaves out gets {@link Errors#UNKNOWN_SERVER_ERROR}; when the request fails as a whole,
 * every partition gets the transport's error.
 */
final class TxnMarkerBatch {

    /** The version Apache Kafka 4.3's coordinator sends. */
    static final short VERSION = 1;

    /** One marker to write: a producer's transaction result for some partitions of one broker. */
    record Marker(
            long producerId,
            short producerEpoch,
            boolean commit,
            int coordinatorEpoch,
            Set<TopicPartition> partitions,
            CompletableFuture<Map<TopicPartition, Errors>> result) {}

    private final Map<Long, Marker> markers = new HashMap<>();
    private final List<Marker> order = new ArrayList<>();

    /** Adds {@code marker} unless the batch already carries one of its producer. */
    boolean tryAdd(Marker marker) {
        if (markers.putIfAbsent(marker.producerId(), marker) != null) {
            return false;
        }
        order.add(marker);
        return true;
    }

    boolean isEmpty() {
        return order.isEmpty();
    }

    List<Marker> markers() {
        return List.copyOf(order);
    }

    WriteTxnMarkersRequest request() {
        WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData();
        for (Marker m : order) {
            Map<String, List<Integer>> byTopic = new TreeMap<>();
            m.partitions().forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>())
                    .add(tp.partition()));
            WritableTxnMarker marker = new WritableTxnMarker()
                    .setProducerId(m.producerId())
                    .setProducerEpoch(m.producerEpoch())
                    .setTransactionResult(m.commit())
                    .setCoordinatorEpoch(m.coordinatorEpoch());
            byTopic.forEach((topic, partitions) -> marker.topics()
                    .add(new WritableTxnMarkerTopic().setName(topic).setPartitionIndexes(partitions)));
            data.markers().add(marker);
        }
        return new WriteTxnMarkersRequest.Builder(data).build(VERSION);
    }

    /** Completes every marker with its partitions' errors from {@code response}. */
    void complete(WriteTxnMarkersResponseData response) {
        Map<Long, Map<TopicPartition, Errors>> answered = new HashMap<>();
        for (WritableTxnMarkerResult result : response.markers()) {
            Map<TopicPartition, Errors> errors = answered.computeIfAbsent(result.producerId(), id -> new HashMap<>());
            result.topics().forEach(t -> t.partitions()
                    .forEach(p -> errors.put(
                            new TopicPartition(t.name(), p.partitionIndex()), Errors.forCode(p.errorCode()))));
        }
        for (Marker m : order) {
            Map<TopicPartition, Errors> errors = answered.getOrDefault(m.producerId(), Map.of());
            Map<TopicPartition, Errors> result = new HashMap<>();
            m.partitions().forEach(tp -> result.put(tp, errors.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR)));
            m.result().complete(result);
        }
    }

    /** Completes every marker with {@code error} for each of its partitions: the request did not get through. */
    void fail(Errors error) {
        for (Marker m : order) {
            Map<TopicPartition, Errors> result = new HashMap<>();
            m.partitions().forEach(tp -> result.put(tp, error));
            m.result().complete(result);
        }
    }
}
