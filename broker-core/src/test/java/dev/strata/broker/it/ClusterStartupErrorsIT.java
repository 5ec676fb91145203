package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mistakes of starting a cluster, each with a clear error: a node whose {@code node.id} is not among
 * {@code controller.quorum.voters}, and a second node started with the id of a running one, exit with a non-zero code
 * and say why; a voter started alone waits for its quorum, says so, and does not give up; a replication factor above
 * the live brokers is refused with INVALID_REPLICATION_FACTOR. The tests share one three-voter cluster, formed by the
 * second test from a lone voter, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunsAlone
class ClusterStartupErrorsIT {

    private static final Duration TIMEOUT = TestCluster.TIMEOUT;

    @TempDir
    static Path dir;

    private TestCluster cluster;

    @BeforeAll
    void prepareCluster() throws Exception {
        cluster = TestCluster.prepare(dir, 3, Map.of());
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aNodeWhoseIdIsNotAVoterExitsWithAConfigurationError() throws Exception {
        try (BrokerProcess stranger = cluster.launchStranger("not-a-voter", 4, Map.of())) {
            assertThat(stranger.awaitExit(TIMEOUT)).isNotZero();
            assertThat(stranger.output())
                    .contains("configuration error")
                    .contains("node.id")
                    .contains("not one of the voters in controller.quorum.voters");
        }
    }

    @Test
    @Order(2)
    void aVoterStartedAloneWaitsForItsQuorumAndJoinsItWhenTheOthersCome() throws Exception {
        BrokerProcess lone = cluster.launch(1);
        Await.until(TIMEOUT, "the lone voter to say it waits for its quorum", () -> lone.output()
                .contains("Waiting for a leader of the metadata quorum"));
        // past the quorum's write timeout (15 s), which once ended the start: it still waits, and says so
        Await.until(
                TIMEOUT,
                "the lone voter to say it still waits",
                () -> !lone.isAlive() || lone.output().contains("Still no leader of the metadata quorum"));
        assertThat(lone.isAlive())
                .as("the lone voter runs on; output:\n%s", lone.outputTail())
                .isTrue();

        cluster.launch(2);
        cluster.launch(3);
        for (int node = 1; node <= 3; node++) {
            cluster.awaitListening(node);
        }
        cluster.awaitBrokers(3);
    }

    @Test
    @Order(3)
    void aSecondNodeWithTheIdOfARunningOneExitsAndLeavesTheClusterAlone() throws Exception {
        try (BrokerProcess copy = cluster.launchStranger("copy-of-2", 2, Map.of())) {
            assertThat(copy.awaitExit(TIMEOUT)).isNotZero();
            assertThat(copy.output())
                    .contains("configuration error")
                    .contains("already in use")
                    .contains("Is a node with node.id=2 already running?");
        }
        assertThat(cluster.isAlive(2)).isTrue();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("after-the-copy", 1, (short) 3)))
                    .all()
                    .get();
        }
        cluster.awaitBrokers(3);
    }

    @Test
    @Order(4)
    void aReplicationFactorAboveTheLiveBrokersIsRefused() throws Exception {
        cluster.kill(3);
        cluster.awaitBrokers(2);
        try (Admin admin = cluster.admin()) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("three-of-two", 1, (short) 3)))
                            .all()
                            .get())
                    .cause()
                    .isInstanceOf(InvalidReplicationFactorException.class)
                    .hasMessageContaining("3")
                    .hasMessageContaining("2");
            admin.createTopics(List.of(new NewTopic("two-of-two", 1, (short) 2)))
                    .all()
                    .get();
        } finally {
            cluster.restart(3);
        }
    }
}
