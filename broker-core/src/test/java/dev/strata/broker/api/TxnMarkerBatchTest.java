package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.junit.jupiter.api.Test;

class TxnMarkerBatchTest {

    private static final TopicPartition A0 = new TopicPartition("a", 0);
    private static final TopicPartition A1 = new TopicPartition("a", 1);
    private static final TopicPartition B0 = new TopicPartition("b", 0);

    private static TxnMarkerBatch.Marker marker(long producerId, boolean commit, Set<TopicPartition> partitions) {
        return new TxnMarkerBatch.Marker(producerId, (short) 3, commit, 7, partitions, new CompletableFuture<>());
    }

    @Test
    void markersOfDifferentProducersGoInOneRequestOfVersionOne() {
        TxnMarkerBatch batch = new TxnMarkerBatch();
        assertThat(batch.tryAdd(marker(10, true, Set.of(A0, A1, B0)))).isTrue();
        assertThat(batch.tryAdd(marker(11, false, Set.of(B0)))).isTrue();

        WriteTxnMarkersRequest request = batch.request();

        assertThat(request.version()).isEqualTo((short) 1);
        List<WritableTxnMarker> markers = request.data().markers();
        assertThat(markers).hasSize(2);
        WritableTxnMarker first = markers.get(0);
        assertThat(first.producerId()).isEqualTo(10);
        assertThat(first.producerEpoch()).isEqualTo((short) 3);
        assertThat(first.coordinatorEpoch()).isEqualTo(7);
        assertThat(first.transactionResult()).isTrue();
        assertThat(first.topics()).hasSize(2);
        assertThat(first.topics().get(0).name()).isEqualTo("a");
        assertThat(first.topics().get(0).partitionIndexes()).containsExactlyInAnyOrder(0, 1);
        assertThat(first.topics().get(1).name()).isEqualTo("b");
        assertThat(markers.get(1).transactionResult()).isFalse();
    }

    @Test
    void aSecondMarkerOfTheSameProducerWaitsForTheNextRequest() {
        // the answer is keyed by producer id, so two markers of one producer could not be told apart
        TxnMarkerBatch batch = new TxnMarkerBatch();
        batch.tryAdd(marker(10, false, Set.of(A0)));

        assertThat(batch.tryAdd(marker(10, true, Set.of(A1)))).isFalse();
        assertThat(batch.markers()).hasSize(1);
    }

    @Test
    void eachMarkerCompletesWithItsPartitionsErrorsAndAMissingPartitionIsAnError() {
        TxnMarkerBatch batch = new TxnMarkerBatch();
        TxnMarkerBatch.Marker ten = marker(10, true, Set.of(A0, A1));
        TxnMarkerBatch.Marker eleven = marker(11, true, Set.of(B0));
        batch.tryAdd(ten);
        batch.tryAdd(eleven);
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        response.markers()
                .add(new WritableTxnMarkerResult()
                        .setProducerId(10)
                        .setTopics(List.of(new WritableTxnMarkerTopicResult()
                                .setName("a")
                                .setPartitions(List.of(
                                        partition(0, Errors.NONE), partition(1, Errors.NOT_LEADER_OR_FOLLOWER))))));

        batch.complete(response);

        assertThat(ten.result()).isCompletedWithValue(Map.of(A0, Errors.NONE, A1, Errors.NOT_LEADER_OR_FOLLOWER));
        assertThat(eleven.result()).isCompletedWithValue(Map.of(B0, Errors.UNKNOWN_SERVER_ERROR));
    }

    @Test
    void aFailedRequestGivesEveryPartitionTheTransportError() {
        TxnMarkerBatch batch = new TxnMarkerBatch();
        TxnMarkerBatch.Marker ten = marker(10, true, Set.of(A0, B0));
        batch.tryAdd(ten);

        batch.fail(Errors.NETWORK_EXCEPTION);

        assertThat(ten.result())
                .isCompletedWithValue(Map.of(A0, Errors.NETWORK_EXCEPTION, B0, Errors.NETWORK_EXCEPTION));
    }

    private static WritableTxnMarkerPartitionResult partition(int index, Errors error) {
        return new WritableTxnMarkerPartitionResult().setPartitionIndex(index).setErrorCode(error.code());
    }
}
