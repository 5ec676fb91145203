package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code auto.leader.rebalance.enable} (on by default) in three brokers of their own JVMs: a broker that stopped and
 * came back, once in sync again, gets back the leadership of the partitions it is the preferred replica of, without
 * anyone asking (here every 2 s, {@code leader.imbalance.check.interval.seconds}).
 */
@RunsAlone
class LeaderRebalanceIT {

    @TempDir
    Path dir;

    @Test
    void aPreferredReplicaBackInTheIsrLeadsAgainByItself() throws Exception {
        Map<String, String> settings =
                Map.of("leader.imbalance.check.interval.seconds", "2", "leader.imbalance.per.broker.percentage", "0");
        try (TestCluster cluster = TestCluster.start(dir, 3, settings);
                Admin admin = cluster.admin()) {
            TopicPartition tp = new TopicPartition("balanced", 0);
            admin.createTopics(List.of(new NewTopic(tp.topic(), Map.of(0, List.of(1, 2, 3)))))
                    .all()
                    .get();
            Await.until(
                    TestCluster.TIMEOUT,
                    "broker 1 to lead a full ISR",
                    () -> TestCluster.leader(admin, tp) == 1
                            && TestCluster.isr(admin, tp).size() == 3);

            cluster.stop(1);
            Await.until(TestCluster.TIMEOUT, "another broker to lead", () -> {
                int leader = TestCluster.leader(admin, tp);
                return leader > 1;
            });
            cluster.restart(1);

            Await.until(
                    TestCluster.TIMEOUT,
                    "broker 1 back in the ISR and leading",
                    () -> TestCluster.leader(admin, tp) == 1
                            && TestCluster.isr(admin, tp).equals(List.of(1, 2, 3)));
            assertThat(TestCluster.describe(admin, tp).replicas()).hasSize(3);
        }
    }
}
