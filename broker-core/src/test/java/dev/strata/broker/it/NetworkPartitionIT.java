package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication cut by the network, with {@code min.insync.replicas=2} and a short {@code replica.lag.time.max.ms}:
 * every broker is advertised at a {@link dev.strata.testing.TcpProxy} of its own, which the test cuts for the replica
 * fetchers of chosen brokers only (a fetcher names itself in its requests' client id), while clients and the metadata
 * quorum still get through. A follower cut off from its leader leaves the ISR and, when the leader dies, the replica
 * that stayed in sync is elected, never the stale one; a leader cut off from both followers acknowledges no
 * {@code acks=all} write: the producer gets errors, not false acknowledgements. After healing, every acknowledged
 * record is there. A leader cut off from the other voters as well is replaced by one the majority elects, and when it
 * comes back nothing acknowledged is lost or stored twice. One cluster serves every test; each test leaves it whole.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@RunsAlone
class NetworkPartitionIT {

    private static final Duration TIMEOUT = TestCluster.TIMEOUT;
    private static final String FETCHER_CLIENT_ID = "strata-replica-fetcher-";

    @TempDir
    static Path dir;

    private TestCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = TestCluster.startBehindProxies(dir, 3, Map.of("replica.lag.time.max.ms", "3000"));
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void heal() throws Exception {
        cluster.heal();
        for (int node = 1; node <= 3; node++) {
            if (!cluster.isAlive(node)) {
                cluster.restart(node);
            }
        }
        cluster.awaitBrokers(3);
    }

    @Test
    void aFollowerCutOffFromItsLeaderLeavesTheIsrAndTheInSyncReplicaIsElectedInstead() throws Exception {
        String topic = "cut-follower";
        TopicPartition tp = new TopicPartition(topic, 0);
        cluster.createTopic(topic, 1, 3);
        Set<String> acknowledged = new HashSet<>(cluster.produce(topic, "before-", 100));
        try (Admin admin = cluster.admin()) {
            int leader = TestCluster.leader(admin, tp);
            int cutOff = leader % 3 + 1;
            int inSync = cutOff % 3 + 1;
            cluster.proxy(leader).cutWhere(clientIdIs(FETCHER_CLIENT_ID + cutOff));
            Await.until(TIMEOUT, "the cut-off follower out of the ISR", () -> TestCluster.isr(admin, tp)
                    .equals(List.of(Math.min(leader, inSync), Math.max(leader, inSync))));
            // min.insync.replicas=2 holds without it: these are acknowledged, and only the in-sync follower has them
            Set<String> whileCut = cluster.produce(topic, "while-cut-", 200);
            assertThat(whileCut).hasSize(200);
            acknowledged.addAll(whileCut);

            cluster.kill(leader);
            Set<Integer> leaders = new HashSet<>();
            Await.until(TIMEOUT, "a new leader", () -> {
                int now = TestCluster.leader(admin, tp);
                leaders.add(now);
                return now > 0 && now != leader;
            });
            assertThat(leaders).as("leaders seen after the kill").doesNotContain(cutOff);
            assertThat(TestCluster.leader(admin, tp)).isEqualTo(inSync);
            assertThat(cluster.readKeys(topic)).containsAll(acknowledged);
        }
        heal();
        try (Admin admin = cluster.admin()) {
            Await.until(
                    TIMEOUT,
                    "every replica back in the ISR",
                    () -> TestCluster.isr(admin, tp).size() == 3);
        }
        assertThat(cluster.readKeys(topic)).containsAll(acknowledged);
    }

    @Test
    void aLeaderCutOffFromItsFollowersAcknowledgesNoAcksAllWrite() throws Exception {
        String topic = "cut-leader";
        TopicPartition tp = new TopicPartition(topic, 0);
        cluster.createTopic(topic, 1, 3);
        Set<String> acknowledged = new ConcurrentSkipListSet<>(cluster.produce(topic, "before-", 100));
        assertThat(acknowledged).hasSize(100);
        int leader;
        try (Admin admin = cluster.admin()) {
            leader = TestCluster.leader(admin, tp);
            cluster.proxy(leader).cutWhere(clientIdIs(FETCHER_CLIENT_ID));

            Map<String, Object> settings = TestCluster.producerSettings(cluster.bootstrap());
            settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
            settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            try (KafkaProducer<String, String> producer =
                    new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())) {
                // some sent before the leader drops its followers from the ISR, some after
                for (int i = 0; i < 20; i++) {
                    String key = "while-cut-" + i;
                    sends.add(producer.send(new ProducerRecord<>(topic, 0, key, key)));
                    if (i == 9) {
                        Await.until(TIMEOUT, "the leader alone in the ISR", () -> TestCluster.isr(admin, tp)
                                .equals(List.of(leader)));
                    }
                }
                producer.flush();
            }
            for (Future<RecordMetadata> send : sends) {
                assertThat(send)
                        .as("an acks=all write to a leader without followers")
                        .failsWithin(Duration.ZERO)
                        .withThrowableOfType(ExecutionException.class);
            }
            assertThat(TestCluster.leader(admin, tp)).isEqualTo(leader);

            cluster.proxy(leader).restore();
            Await.until(
                    TIMEOUT,
                    "the followers back in the ISR",
                    () -> TestCluster.isr(admin, tp).size() == 3);
        }
        Set<String> after = cluster.produce(topic, "after-", 100);
        assertThat(after).hasSize(100);
        acknowledged.addAll(after);
        assertThat(cluster.readKeys(topic)).containsAll(acknowledged);
    }

    @Test
    void aLeaderCutOffFromTheQuorumAndItsFollowersIsReplacedAndNoAcknowledgedRecordIsLost() throws Exception {
        String topic = "zombie";
        TopicPartition tp = new TopicPartition(topic, 0);
        cluster.createTopic(topic, 1, 3);
        ProducerLoop producer = ProducerLoop.start(cluster, topic, 0);
        try (Admin admin = cluster.admin()) {
            producer.awaitMoreAcknowledged(300, "acknowledgements before the cut");
            int leader = TestCluster.leader(admin, tp);
            // the leader still takes produce requests, but can reach neither the other voters nor its followers
            cluster.cutFromQuorum(leader);
            cluster.proxy(leader).cutWhere(clientIdIs(FETCHER_CLIENT_ID));
            // the majority elects another leader; the cut-off one, asked, still names itself, and an admin client may
            // keep asking it: each broker of the majority is asked on its own
            Await.until(
                    TIMEOUT,
                    "a leader elected by the majority",
                    () -> {
                        for (int node = 1; node <= cluster.size(); node++) {
                            int seen = node == leader ? -2 : leaderSeenBy(node, tp);
                            if (seen != -2 && (seen <= 0 || seen == leader)) {
                                return false;
                            }
                        }
                        return true;
                    },
                    () -> ": " + seenByEach(tp) + " (cut off: " + leader + ")");
            // its producer may still be sent back to it (REQUEST_TIMED_OUT does not refresh a producer's metadata, as
            // with Apache Kafka): healed, the old leader follows and the producer moves on
            heal();
            producer.awaitMoreAcknowledged(300, "acknowledgements after healing");
        } finally {
            producer.close();
        }
        try (Admin admin = cluster.admin()) {
            Await.until(
                    TIMEOUT,
                    "every replica back in the ISR",
                    () -> TestCluster.leader(admin, tp) > 0
                            && TestCluster.isr(admin, tp).size() == 3);
        }
        Set<String> read = new HashSet<>();
        for (ConsumerRecord<String, String> r : cluster.readAll(topic)) {
            assertThat(read.add(r.key())).as("%s stored once", r.key()).isTrue();
        }
        Set<String> lost = new HashSet<>(producer.acknowledged());
        lost.removeAll(read);
        assertThat(lost)
                .as("acknowledged records missing after the partition healed")
                .isEmpty();
    }

    /** The leader of {@code tp} in broker {@code node}'s Metadata answer; -1 for none or no answer. */
    private int leaderSeenBy(int node, TopicPartition tp) {
        MetadataResponsePartition p = partitionSeenBy(node, tp);
        return p == null ? -1 : p.leaderId();
    }

    /** {@code tp} in broker {@code node}'s Metadata answer; null for none or no answer. */
    private MetadataResponsePartition partitionSeenBy(int node, TopicPartition tp) {
        try (KafkaWire wire = KafkaWire.connect(cluster.port(node))) {
            MetadataResponse r =
                    (MetadataResponse) wire.send(new MetadataRequest.Builder(List.of(tp.topic()), false), (short) 12);
            var topic = r.data().topics().find(tp.topic());
            return topic == null
                    ? null
                    : topic.partitions().stream()
                            .filter(p -> p.partitionIndex() == tp.partition())
                            .findFirst()
                            .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** What each broker's Metadata answer says of {@code tp}: leader, epoch and ISR, for a failure's message. */
    private String seenByEach(TopicPartition tp) {
        StringBuilder b = new StringBuilder();
        for (int node = 1; node <= cluster.size(); node++) {
            MetadataResponsePartition p = partitionSeenBy(node, tp);
            b.append(node == 1 ? "" : "; ").append("broker ").append(node).append(" sees ");
            b.append(
                    p == null
                            ? "nothing"
                            : "leader " + p.leaderId() + " epoch " + p.leaderEpoch() + " ISR " + p.isrNodes());
        }
        return b.toString();
    }

    /** Matches a connection whose first Kafka request names a client id starting with {@code prefix}. */
    private static Predicate<byte[]> clientIdIs(String prefix) {
        return first -> {
            // request header v1+: int32 size, int16 api key, int16 api version, int32 correlation id, string client id
            ByteBuffer b = ByteBuffer.wrap(first);
            if (b.remaining() < 14) {
                return false;
            }
            b.position(12);
            int length = b.getShort();
            if (length < 0 || b.remaining() < length) {
                return false;
            }
            return new String(first, 14, length, StandardCharsets.UTF_8).startsWith(prefix);
        };
    }
}
