package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokers of a three-node cluster (each a voter of the metadata quorum) lost and found again, driven by the real
 * kafka-clients: with one voter killed the other two create topics, take and serve records; with two killed the last
 * one answers, with retriable errors and timeouts instead of acknowledgements, runs on, and the cluster recovers when
 * they return with every acknowledged record; SIGTERM of a leader under an {@code acks=all} producer moves its
 * leadership first, so the producer sees no error; a follower that hangs (SIGSTOP) leaves the ISR after
 * {@code replica.lag.time.max.ms} and rejoins it once it runs again (SIGCONT). One cluster serves every test; each test
 * leaves all three brokers running.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@RunsAlone
class BrokerLossIT {

    private static final Duration TIMEOUT = TestCluster.TIMEOUT;

    @TempDir
    static Path dir;

    private TestCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = TestCluster.start(dir, 3, Map.of("replica.lag.time.max.ms", "3000"));
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Every test starts with the three brokers up, whatever the one before did. */
    @AfterEach
    void restoreCluster() throws Exception {
        for (int node = 1; node <= 3; node++) {
            cluster.resume(node);
            if (!cluster.isAlive(node)) {
                cluster.restart(node);
            }
        }
        cluster.awaitBrokers(3);
    }

    @Test
    void withOneVoterKilledTheOtherTwoCreateTopicsAndServeRecords() throws Exception {
        cluster.kill(1);
        cluster.awaitBrokers(2);
        try (Admin admin = cluster.admin()) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("three-on-two", 1, (short) 3)))
                            .all()
                            .get())
                    .cause()
                    .isInstanceOf(InvalidReplicationFactorException.class);
            admin.createTopics(List.of(new NewTopic("two-on-two", 2, (short) 2)))
                    .all()
                    .get();
        }
        Set<String> acknowledged = cluster.produce("two-on-two", "minority-", 200);
        assertThat(acknowledged).hasSize(200);
        assertThat(cluster.readKeys("two-on-two")).containsAll(acknowledged);
    }

    @Test
    void withTwoVotersKilledTheLastOneAnswersWithErrorsAndTheClusterRecoversEveryAcknowledgedRecord() throws Exception {
        String topic = "majority";
        cluster.createTopic(topic, 1, 3);
        Set<String> acknowledged = new HashSet<>(cluster.produce(topic, "before-", 200));
        assertThat(acknowledged).hasSize(200);

        cluster.kill(2);
        cluster.kill(3);
        String survivor = "127.0.0.1:" + cluster.port(1);
        // acks=all cannot complete (the ISR cannot shrink without the quorum) and no leader can be elected: the
        // producer gets timeouts, never an acknowledgement
        Map<String, Object> props = TestCluster.producerSettings(survivor);
        // an idempotent producer would first need a producer id, which takes a quorum write, and the client retries
        // that for ever without expiring its records: acks=all alone is what is under test
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, 0, "during", "during"))
                            .get())
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(RetriableException.class);
        }
        // a metadata change needs the quorum: the broker answers within its write timeout with a retriable error
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                survivor,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                40_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                30_000,
                AdminClientConfig.RETRIES_CONFIG,
                0))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("without-a-quorum", 1, (short) 1)))
                            .all()
                            .get())
                    .cause()
                    .isInstanceOf(RetriableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("answered, not left to the client's timeout")
                    .isLessThan(Duration.ofSeconds(30));
            // and reads of the metadata it has still work
            assertThat(admin.describeCluster().nodes().get())
                    .extracting(Node::id)
                    .contains(1);
        }
        assertThat(cluster.isAlive(1)).as("the survivor runs on").isTrue();

        cluster.launch(2);
        cluster.launch(3);
        cluster.awaitListening(2);
        cluster.awaitListening(3);
        cluster.awaitBrokers(3);
        acknowledged.addAll(cluster.produce(topic, "after-", 200));
        assertThat(acknowledged).hasSize(400);
        assertThat(cluster.readKeys(topic)).containsAll(acknowledged);
    }

    @Test
    void aLeaderStoppedWithSigtermUnderAnAcksAllProducerCausesNoProducerError() throws Exception {
        String topic = "graceful";
        TopicPartition tp = new TopicPartition(topic, 0);
        cluster.createTopic(topic, 1, 3);
        ProducerLoop producer = ProducerLoop.start(cluster, topic, 0);
        try (Admin admin = cluster.admin()) {
            producer.awaitMoreAcknowledged(300, "acknowledgements before the stop");
            int leader = TestCluster.leader(admin, tp);
            cluster.stop(leader);
            producer.awaitMoreAcknowledged(300, "acknowledgements from the new leader");
            assertThat(TestCluster.leader(admin, tp)).isNotEqualTo(leader);
        } finally {
            producer.close();
        }
        assertThat(producer.errors()).as("errors the producer reported").isEmpty();
        assertThat(cluster.readKeys(topic)).containsAll(producer.acknowledged());
    }

    @Test
    void aHungFollowerLeavesTheIsrAfterTheLagTimeAndRejoinsWhenItRunsAgain() throws Exception {
        String topic = "hung";
        TopicPartition tp = new TopicPartition(topic, 0);
        cluster.createTopic(topic, 1, 3);
        // short timeouts: a request to the hung broker is given up on and asked again of another within seconds,
        // so the broker is not kept paused for a minute (a voter paused that long is LongPauseIT's case)
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                5_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                2_000))) {
            int leader = TestCluster.leader(admin, tp);
            int follower = leader % 3 + 1;
            cluster.pause(follower);
            // the admin client may ask the hung broker, and time out: awaitIsr asks again
            cluster.awaitIsr(admin, tp, "the hung follower out of the ISR", isr -> !isr.contains(follower));
            // two in sync, min.insync.replicas=2: acks=all works on
            assertThat(cluster.produce(topic, "while-hung-", 50)).hasSize(50);
            cluster.resume(follower);
            cluster.awaitIsr(admin, tp, "the follower back in the ISR", isr -> isr.contains(follower));
        }
    }
}
