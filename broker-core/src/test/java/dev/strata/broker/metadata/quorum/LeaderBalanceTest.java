package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

/**
 * The active controller's automatic leader balance ({@code auto.leader.rebalance.enable}): it writes one preferred
 * election for the partitions whose preferred replica is back in sync, only while it is active, and the election
 * returns leadership to the preferred replica.
 */
class LeaderBalanceTest {
    private static final TopicPartition P0 = new TopicPartition("t", 0);

    private final MetadataImage image = new MetadataImage();
    private final List<MetadataCommand> written = new CopyOnWriteArrayList<>();

    @Test
    void theActiveControllerMovesLeadershipBackToAnInSyncPreferredReplica() {
        Uuid one = register(1);
        register(2);
        assertThat(new MetadataCommand.CreateTopic(
                                new TopicMetadata("t", Uuid.randomUuid(), 1, Map.of()), List.of(List.of(1, 2)))
                        .applyTo(image))
                .isZero();
        new MetadataCommand.FenceBroker(1).applyTo(image);
        new MetadataCommand.UnfenceBroker(1, one).applyTo(image);
        PartitionState s = image.partition(P0).orElseThrow();
        assertThat(s.leader()).isEqualTo(2);
        new MetadataCommand.AlterIsr(P0, 2, s.leaderEpoch(), s.partitionEpoch(), List.of(2, 1)).applyTo(image);

        try (QuorumController controller = new QuorumController(
                1,
                () -> image,
                c -> {
                    written.add(c);
                    return CompletableFuture.completedFuture(null);
                },
                Duration.ofSeconds(60),
                false,
                System::nanoTime)) {
            controller.balanceLeaders(10);
            assertThat(written).as("nothing while not active").isEmpty();
            controller.activate();
            Await.until(Duration.ofSeconds(60), "the controller to be active", controller::isActive);
            controller.balanceLeaders(10);
        }
        assertThat(written).containsExactly(new MetadataCommand.ElectPreferred(List.of(P0)));
        assertThat(written.get(0).applyTo(image)).isEqualTo(1);
        assertThat(image.partition(P0).orElseThrow().leader()).isEqualTo(1);
        assertThat(image.imbalancedLeaders(0)).isEmpty();
    }

    private Uuid register(int id) {
        Uuid incarnation = Uuid.randomUuid();
        new MetadataCommand.RegisterBroker(
                        new BrokerRegistration(id, "127.0.0.1", 9000 + id, Optional.empty(), incarnation))
                .applyTo(image);
        new MetadataCommand.UnfenceBroker(id, incarnation).applyTo(image);
        return incarnation;
    }
}
