package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.api.BrokerConnector;
import dev.strata.broker.api.BrokerTxnVerifier;
import dev.strata.broker.cluster.ClusterBroker;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link BrokerTxnVerifier}, the partition leader's side of KIP-890 verification with a coordinator on another broker,
 * against a real broker's transaction coordinator: a partition in the producer's transaction is NONE, one outside it
 * INVALID_TXN_STATE, a stale epoch the coordinator's fencing error, several checks of one request answered together,
 * and an unreachable coordinator NETWORK_EXCEPTION (the produce then fails with a retriable error).
 */
class TxnVerifierIT {

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(
            Map.of("transaction.state.log.num.partitions", "1", "transaction.state.log.replication.factor", "1"));

    @Test
    void theCoordinatorAnswersEachPartitionOfTheProducersTransaction() throws Exception {
        broker.createTopic("verified", 3, Map.of());
        TopicPartition in = new TopicPartition("verified", 0);
        TopicPartition alsoIn = new TopicPartition("verified", 1);
        TopicPartition out = new TopicPartition("verified", 2);
        try (KafkaWire wire = KafkaWire.connect(broker.port());
                BrokerTxnVerifier verifier = new BrokerTxnVerifier(
                        2,
                        id -> Optional.of(new ClusterBroker(id, "127.0.0.1", broker.port(), Optional.empty(), false)),
                        BrokerConnector.plaintext(5_000),
                        10_000)) {
            InitProducerIdResponse producer = initProducerId(wire, "verifier-txn");
            long id = producer.data().producerId();
            short epoch = producer.data().producerEpoch();
            var added = (AddPartitionsToTxnResponse) wire.send(
                    AddPartitionsToTxnRequest.Builder.forClient("verifier-txn", id, epoch, List.of(in, alsoIn)),
                    (short) 3);
            assertThat(added.errors().get(AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID))
                    .containsEntry(in, Errors.NONE);

            var first = verifier.verify(1, "verifier-txn", id, epoch, in);
            var second = verifier.verify(1, "verifier-txn", id, epoch, alsoIn);
            var outside = verifier.verify(1, "verifier-txn", id, epoch, out);
            var stale = verifier.verify(1, "verifier-txn", id, (short) (epoch - 1), in);
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
            assertThat(outside.get(30, TimeUnit.SECONDS)).isEqualTo(Errors.INVALID_TXN_STATE);
            assertThat(stale.get(30, TimeUnit.SECONDS)).isIn(Errors.PRODUCER_FENCED, Errors.INVALID_PRODUCER_EPOCH);
        }
    }

    @Test
    void anUnreachableCoordinatorIsANetworkException() throws Exception {
        int port = dev.strata.testing.Ports.free();
        try (DeadEndpoint dead = DeadEndpoint.bind(port);
                BrokerTxnVerifier verifier = new BrokerTxnVerifier(
                        2,
                        id -> Optional.of(new ClusterBroker(id, "127.0.0.1", port, Optional.empty(), false)),
                        BrokerConnector.plaintext(2_000),
                        2_000)) {
            assertThat(verifier.verify(7, "nobody", 1, (short) 0, new TopicPartition("t", 0))
                            .get(30, TimeUnit.SECONDS))
                    .isEqualTo(Errors.NETWORK_EXCEPTION);
        }
    }

    /**
     * InitProducerId for a transactional id, after the FindCoordinator that creates {@code __transaction_state}, retried
     * while the coordinator loads its state.
     */
    private static InitProducerIdResponse initProducerId(KafkaWire wire, String transactionalId) throws Exception {
        wire.send(
                new org.apache.kafka.common.requests.FindCoordinatorRequest.Builder(
                        new org.apache.kafka.common.message.FindCoordinatorRequestData()
                                .setKeyType(
                                        org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType
                                                .TRANSACTION
                                                .id())
                                .setCoordinatorKeys(List.of(transactionalId))),
                (short) 4);
        var init = new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                .setTransactionalId(transactionalId)
                .setTransactionTimeoutMs(60_000)
                .setProducerId(-1)
                .setProducerEpoch((short) -1));
        for (int attempt = 0; ; attempt++) {
            var response = (InitProducerIdResponse) wire.send(init, (short) 4);
            if (!(response.error().exception() instanceof RetriableException) || attempt == 300) {
                assertThat(response.error()).isEqualTo(Errors.NONE);
                return response;
            }
            Thread.sleep(100);
        }
    }
}
