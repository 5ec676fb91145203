package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.junit.jupiter.api.Test;

/**
 * Offsets committed in a producer's transaction (TxnOffsetCommit) count only after the transaction's COMMIT marker,
 * vanish with its ABORT marker, answer require_stable with UNSTABLE_OFFSET_COMMIT meanwhile, and survive a restart.
 * There is no transaction coordinator on this branch: the test plays it on the wire (an idempotent producer id,
 * TxnOffsetCommit, WriteTxnMarkers to the group's {@code __consumer_offsets} partition).
 */
class TransactionalOffsetsIT {
    private static final String TOPIC = "txn-offsets";
    private static final String GROUP = "txn-offsets-group";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private int port;

    @Test
    void transactionalOffsetsCountOnlyAfterTheCommitMarkerAndSurviveARestart() throws Exception {
        // The raw producer has no transaction at a coordinator, so verification is off: with it, this broker now asks
        // the coordinator of the id wherever it is, and with no __transaction_state there is none (as Kafka answers,
        // COORDINATOR_NOT_AVAILABLE). What is tested is the group side of transactional offsets.
        try (TestBroker broker = TestBroker.withConfig(
                Map.of("offsets.topic.num.partitions", "1", "transaction.partition.verification.enable", "false"))) {
            broker.start();
            broker.createTopic(TOPIC, 1, Map.of());
            InitProducerIdResponse pid;
            try (KafkaWire wire = KafkaWire.connect(broker.port())) {
                pid = (InitProducerIdResponse) wire.send(
                        new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                                .setTransactionalId(null)
                                .setTransactionTimeoutMs(60_000)
                                .setProducerId(-1)
                                .setProducerEpoch((short) -1)),
                        (short) 4);
            }
            port = broker.port();
            long producerId = pid.data().producerId();
            short epoch = pid.data().producerEpoch();
            try (Admin admin = broker.admin()) {
                // as a producer does first: FindCoordinator, which creates __consumer_offsets
                assertThat(committed(admin, false)).isNull();
                Await.until(WAIT, "the group coordinator", () -> {
                    try {
                        return txnOffsetCommit(broker, producerId, epoch, 7L).equals(Errors.NONE);
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(committed(admin, false)).as("pending: not shown").isNull();
                assertThat(unstable()).isTrue();

                assertThat(marker(broker, producerId, epoch, true)).isEqualTo(Errors.NONE);
                assertThat(committed(admin, true).offset()).isEqualTo(7L);

                assertThat(txnOffsetCommit(broker, producerId, epoch, 9L)).isEqualTo(Errors.NONE);
                assertThat(unstable()).isTrue();
                assertThat(marker(broker, producerId, epoch, false)).isEqualTo(Errors.NONE);
                assertThat(committed(admin, true).offset())
                        .as("aborted: still 7")
                        .isEqualTo(7L);

                assertThat(txnOffsetCommit(broker, producerId, epoch, 11L)).isEqualTo(Errors.NONE);
            }
            broker.restart();
            port = broker.port();
            try (Admin admin = broker.admin()) {
                Await.until(WAIT, "the group to be loaded", () -> {
                    try {
                        return unstable();
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(committed(admin, false).offset())
                        .as("the open transaction stays pending")
                        .isEqualTo(7L);
                assertThat(marker(broker, producerId, epoch, true)).isEqualTo(Errors.NONE);
                assertThat(committed(admin, true).offset()).isEqualTo(11L);
            }
        }
    }

    private static Errors txnOffsetCommit(TestBroker broker, long producerId, short epoch, long offset)
            throws Exception {
        TxnOffsetCommitRequestData data = new TxnOffsetCommitRequestData()
                .setTransactionalId("txn-offsets-id")
                .setGroupId(GROUP)
                .setProducerId(producerId)
                .setProducerEpoch(epoch)
                .setGenerationId(-1)
                .setMemberId("")
                .setTopics(List.of(new TxnOffsetCommitRequestTopic()
                        .setName(TOPIC)
                        .setPartitions(List.of(new TxnOffsetCommitRequestPartition()
                                .setPartitionIndex(0)
                                .setCommittedOffset(offset)
                                .setCommittedMetadata("")))));
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            TxnOffsetCommitResponse response =
                    (TxnOffsetCommitResponse) wire.send(new TxnOffsetCommitRequest.Builder(data), (short) 5);
            return Errors.forCode(
                    response.data().topics().get(0).partitions().get(0).errorCode());
        }
    }

    private static Errors marker(TestBroker broker, long producerId, short epoch, boolean commit) throws Exception {
        WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData()
                .setMarkers(List.of(new WritableTxnMarker()
                        .setProducerId(producerId)
                        .setProducerEpoch(epoch)
                        .setTransactionResult(commit)
                        .setCoordinatorEpoch(0)
                        .setTopics(List.of(new WritableTxnMarkerTopic()
                                .setName("__consumer_offsets")
                                .setPartitionIndexes(List.of(0))))));
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            WriteTxnMarkersResponse response =
                    (WriteTxnMarkersResponse) wire.send(new WriteTxnMarkersRequest.Builder(data), (short) 1);
            return Errors.forCode(response.data()
                    .markers()
                    .get(0)
                    .topics()
                    .get(0)
                    .partitions()
                    .get(0)
                    .errorCode());
        }
    }

    private static OffsetAndMetadata committed(Admin admin, boolean requireStable) throws Exception {
        return admin.listConsumerGroupOffsets(GROUP, new ListConsumerGroupOffsetsOptions().requireStable(requireStable))
                .partitionsToOffsetAndMetadata()
                .get()
                .get(TP);
    }

    /** Whether OffsetFetch v8 with require_stable answers UNSTABLE_OFFSET_COMMIT for the partition. */
    private boolean unstable() throws Exception {
        OffsetFetchRequestData data = new OffsetFetchRequestData()
                .setRequireStable(true)
                .setGroups(List.of(new OffsetFetchRequestGroup()
                        .setGroupId(GROUP)
                        .setTopics(List.of(
                                new OffsetFetchRequestTopics().setName(TOPIC).setPartitionIndexes(List.of(0))))));
        try (KafkaWire wire = KafkaWire.connect(port)) {
            OffsetFetchResponse response =
                    (OffsetFetchResponse) wire.send(OffsetFetchRequest.Builder.forTopicNames(data, false), (short) 8);
            return response.data()
                            .groups()
                            .get(0)
                            .topics()
                            .get(0)
                            .partitions()
                            .get(0)
                            .errorCode()
                    == Errors.UNSTABLE_OFFSET_COMMIT.code();
        }
    }
}
