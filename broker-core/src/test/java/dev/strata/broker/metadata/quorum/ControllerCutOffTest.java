package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import dev.strata.testing.TcpProxy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three voters in one JVM that reach each other only through a {@link TcpProxy} per direction, each with a broker that
 * heartbeats every 100 ms (session 1 s, well under the quorum client's 3 s request timeout). The active controller,
 * which also leads a partition, is cut off from the other two both ways, as a partitioned host is: its packets vanish.
 * The other two elect a controller among themselves, and their brokers' heartbeats find it within the session: only
 * the cut-off broker is fenced, and the partition it led moves to one of them.
 *
 * <p>Before heartbeats went to the leader the node knows, with a short timeout of their own, a heartbeat of the
 * majority's brokers waited a request timeout on the cut-off voter (their clients were sent back to it by voters that
 * had not noticed it was gone), and the new controller fenced them too. Fenced in an order that left the cut-off broker
 * the last member of the ISR, the partition had no leader until it came back.
 */
class ControllerCutOffTest {
    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    private static final Duration SESSION = Duration.ofMillis(1000);

    @TempDir
    Path dir;

    /** {@code proxies[i][j]}: voter i+1's way to voter j+1. */
    private final TcpProxy[][] proxies = new TcpProxy[3][3];

    private final List<QuorumMetadataStore> stores = new ArrayList<>();
    private final List<BrokerLifecycle> brokers = new ArrayList<>();
    /** Voters the test stopped itself. */
    private final Set<Integer> stopped = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void startVotersBehindProxies() throws IOException {
        int[] ports = {Ports.free(), Ports.free(), Ports.free()};
        for (int from = 1; from <= 3; from++) {
            for (int to = 1; to <= 3; to++) {
                if (from != to) {
                    proxies[from - 1][to - 1] = TcpProxy.start(ports[to - 1]);
                }
            }
        }
        List<CompletableFuture<QuorumMetadataStore>> opening = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            List<QuorumConfig.Voter> voters = new ArrayList<>();
            for (int v = 1; v <= 3; v++) {
                int port = v == id ? ports[v - 1] : proxies[id - 1][v - 1].port();
                voters.add(new QuorumConfig.Voter(v, "127.0.0.1", port));
            }
            QuorumConfig config = new QuorumConfig(
                            id,
                            voters,
                            dir.resolve("node-" + id),
                            "cut-off-test",
                            Duration.ofSeconds(10),
                            QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                            QuorumConfig.DEFAULT_LOG_SEGMENT_BYTES)
                    .withBrokerSession(HEARTBEAT, SESSION);
            opening.add(CompletableFuture.supplyAsync(() -> QuorumMetadataStore.open(config)));
        }
        opening.forEach(f -> stores.add(f.join()));
        for (int id = 1; id <= 3; id++) {
            BrokerLifecycle b = new BrokerLifecycle(store(id), id, Optional.empty(), HEARTBEAT);
            b.register("127.0.0.1", 9090 + id);
            b.startHeartbeats();
            brokers.add(b);
        }
        for (int id = 1; id <= 3; id++) {
            brokers.get(id - 1).awaitUnfenced(Duration.ofSeconds(20));
        }
    }

    @AfterEach
    void stop() throws IOException {
        brokers.forEach(BrokerLifecycle::close);
        for (int id = 1; id <= stores.size(); id++) {
            if (!stopped.contains(id)) {
                store(id).close();
            }
        }
        for (TcpProxy[] row : proxies) {
            for (TcpProxy proxy : row) {
                if (proxy != null) {
                    proxy.close();
                }
            }
        }
    }

    @Test
    void aControllerCutOffFromTheOtherVotersIsFencedByTheirNewControllerAndTheirBrokersAreNot() throws Exception {
        int cut = store(1).controllerId();
        assertThat(cut).isBetween(1, 3);
        List<Integer> majority = new ArrayList<>(List.of(1, 2, 3));
        majority.remove(Integer.valueOf(cut));
        // the cut-off broker leads and comes last in node order, as when the bug left it the ISR's last member
        List<Integer> replicas = List.of(cut, majority.get(0), majority.get(1));
        store(1).createTopic(new TopicMetadata("t", Uuid.randomUuid(), 1, Map.of()), List.of(replicas));
        TopicPartition t0 = new TopicPartition("t", 0);
        Set<Integer> fencedSeen = ConcurrentHashMap.newKeySet();
        for (int id : majority) {
            store(id).addListener(new ClusterChangeListener() {
                @Override
                public void onBrokerChanged(ClusterBroker broker) {
                    if (broker.fenced()) {
                        fencedSeen.add(broker.nodeId());
                    }
                }
            });
        }
        for (int id : majority) {
            Await.until(
                    Duration.ofSeconds(20),
                    "t-0 led by " + cut + " on voter " + id,
                    () -> store(id).partition(t0).map(PartitionState::leader).orElse(-1) == cut);
        }

        for (int other : majority) {
            proxies[cut - 1][other - 1].cut();
            proxies[other - 1][cut - 1].cut();
        }

        for (int id : majority) {
            Await.until(
                    Duration.ofSeconds(30),
                    "t-0 led by a broker of the majority, as voter " + id + " sees it",
                    () -> majority.contains(
                            store(id).partition(t0).orElseThrow().leader()),
                    () -> "t-0 on voter " + id + ": " + store(id).partition(t0) + ", brokers "
                            + store(id).brokers());
        }
        for (int id : majority) {
            assertThat(store(id).broker(cut).orElseThrow().fenced()).isTrue();
            store(id).awaitListeners();
        }
        assertThat(fencedSeen).as("brokers the majority fenced").containsOnly(cut);
    }

    /**
     * The active controller, which also leads a partition, dies. A heartbeat the majority's brokers had in flight to it
     * fails, and Ratis closes its connection to the dead voter on the thread that sent it, which took 5 s when the
     * close did not complete: with heartbeats sent on that thread, the new controller fenced the live brokers too (its
     * own first), and the partition the dead broker led had no leader until they heartbeated again.
     */
    @Test
    void aControllerThatDiesIsReplacedAndNoLiveBrokerIsFenced() throws Exception {
        int dead = store(1).controllerId();
        assertThat(dead).isBetween(1, 3);
        List<Integer> majority = new ArrayList<>(List.of(1, 2, 3));
        majority.remove(Integer.valueOf(dead));
        store(1).createTopic(
                        new TopicMetadata("d", Uuid.randomUuid(), 1, Map.of()),
                        List.of(List.of(dead, majority.get(0), majority.get(1))));
        TopicPartition d0 = new TopicPartition("d", 0);
        Set<Integer> fencedSeen = ConcurrentHashMap.newKeySet();
        for (int id : majority) {
            Await.until(
                    Duration.ofSeconds(20),
                    "d-0 led by " + dead + " on voter " + id,
                    () -> store(id).partition(d0).map(PartitionState::leader).orElse(-1) == dead);
            store(id).addListener(new ClusterChangeListener() {
                @Override
                public void onBrokerChanged(ClusterBroker broker) {
                    if (broker.fenced()) {
                        fencedSeen.add(broker.nodeId());
                    }
                }
            });
        }

        brokers.get(dead - 1).close();
        stopped.add(dead);
        store(dead).close();

        for (int id : majority) {
            Await.until(
                    Duration.ofSeconds(30),
                    "the dead broker fenced and d-0 led by a broker of the majority, as voter " + id + " sees it",
                    () -> store(id).broker(dead).orElseThrow().fenced()
                            && majority.contains(
                                    store(id).partition(d0).orElseThrow().leader()),
                    () -> "d-0 on voter " + id + ": " + store(id).partition(d0) + ", brokers "
                            + store(id).brokers());
        }
        // the dead broker's fence and a stalled live broker's would come from the same check: both sessions start
        // when the new controller takes over
        assertThat(fencedSeen).as("brokers the majority fenced").containsOnly(dead);
    }

    private QuorumMetadataStore store(int id) {
        return stores.get(id - 1);
    }
}
