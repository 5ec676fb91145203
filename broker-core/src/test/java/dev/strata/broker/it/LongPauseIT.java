package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A voter paused for longer than a minute (a long GC pause, a frozen VM; here SIGSTOP) comes back into the cluster: its
 * broker is unfenced again and rejoins the ISR. Ratis's default closed a voter's server after a 60 s pause, and the
 * process ran on without its vote, its broker fenced for good. Over a minute of waiting: not part of the CI suite; the
 * README's cluster section has the command that runs it (with {@code -Dstrata.it.long=true}).
 */
@RunsAlone
@EnabledIfSystemProperty(named = "strata.it.long", matches = "true")
class LongPauseIT {
    @TempDir
    Path dir;

    @Test
    void aVoterPausedForOverAMinuteRejoinsTheClusterAndTheIsr() throws Exception {
        try (TestCluster cluster = TestCluster.start(dir, 3, Map.of("replica.lag.time.max.ms", "3000"))) {
            cluster.createTopic("paused", 1, 3);
            TopicPartition tp = new TopicPartition("paused", 0);
            // every node leads the quorum at some point of a run; pausing each one in turn would take minutes more:
            // node 1 is the first voter to start, and often the leader
            cluster.pause(1);
            Thread.sleep(65_000);
            cluster.resume(1);
            cluster.awaitBrokers(3);
            assertThat(cluster.produce("paused", "after-", 20)).hasSize(20);
            try (Admin admin = cluster.admin()) {
                cluster.awaitIsr(admin, tp, "every replica in sync", isr -> isr.equals(List.of(1, 2, 3)));
            }
            // a topic created after the pause: node 1 replicates it only if it applies the metadata log again
            cluster.createTopic("created-after", 1, 3);
            assertThat(cluster.produce("created-after", "new-", 20)).hasSize(20);
            TopicPartition created = new TopicPartition("created-after", 0);
            Await.until(
                    TestCluster.TIMEOUT,
                    "node 1 to hold the records of the topic created after its pause",
                    () -> cluster.localLogBytes(1, created) > 0,
                    cluster::keepOutputs);
        }
    }
}
