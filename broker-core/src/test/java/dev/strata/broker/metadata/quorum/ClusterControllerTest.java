package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.ProcessRoles;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.InvalidUpdateVersionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three voters in one JVM, each with a broker that registers and heartbeats (100 ms; session 1.5 s): heartbeats unfence
 * brokers, a silent broker is fenced and its leaderships move within the ISR on every voter alike, a partition whose
 * ISR is gone has no leader unless unclean election is on, controlled shutdown moves leaders, ISR changes are refused
 * at stale epochs, and a new quorum leader keeps fencing.
 */
class ClusterControllerTest {
    private static final Duration HEARTBEAT = Duration.ofMillis(100);
    private static final Duration SESSION = Duration.ofMillis(1500);

    @TempDir
    Path dir;

    private final List<QuorumMetadataStore> stores = new ArrayList<>();
    private List<QuorumConfig.Voter> voters;
    private final List<BrokerLifecycle> brokers = new ArrayList<>();

    @BeforeEach
    void startCluster() {
        voters = IntStream.rangeClosed(1, 3)
                .mapToObj(id -> new QuorumConfig.Voter(id, "127.0.0.1", Ports.free()))
                .toList();
        List<CompletableFuture<QuorumMetadataStore>> opening = voters.stream()
                .map(v -> new QuorumConfig(
                                v.id(),
                                voters,
                                dir.resolve("node-" + v.id()),
                                "controller-test",
                                Duration.ofSeconds(10),
                                QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                                QuorumConfig.DEFAULT_LOG_SEGMENT_BYTES)
                        .withBrokerSession(HEARTBEAT, SESSION))
                .map(c -> CompletableFuture.supplyAsync(() -> QuorumMetadataStore.open(c)))
                .toList();
        opening.forEach(f -> stores.add(f.join()));
        for (int id = 1; id <= 3; id++) {
            BrokerLifecycle b = new BrokerLifecycle(store(id), id, Optional.of("rack-" + id), HEARTBEAT);
            b.register("127.0.0.1", 9090 + id);
            b.startHeartbeats();
            brokers.add(b);
        }
        for (int id = 1; id <= 3; id++) {
            broker(id).awaitUnfenced(Duration.ofSeconds(20));
        }
        awaitOnEveryVoter(
                "every broker unfenced",
                s -> s.brokers().size() == 3 && s.brokers().stream().noneMatch(ClusterBroker::fenced));
    }

    @AfterEach
    void stopCluster() {
        brokers.forEach(BrokerLifecycle::close);
        stores.forEach(s -> {
            try {
                s.close();
            } catch (RuntimeException e) {
                // closed by the test already
            }
        });
    }

    @Test
    void aSilentBrokerIsFencedAndItsLeadershipsMoveWithinTheIsrOnEveryVoter() throws Exception {
        assertThat(store(2).brokers()).extracting(ClusterBroker::fenced).containsOnly(false);
        List<String> listenerThreads = new CopyOnWriteArrayList<>();
        List<PartitionState> seen = new CopyOnWriteArrayList<>();
        store(3).addListener(new ClusterChangeListener() {
            @Override
            public void onPartitionChanged(Uuid topicId, TopicPartition tp, PartitionState state) {
                if (tp.topic().equals("t")) {
                    listenerThreads.add(Thread.currentThread().getName());
                    seen.add(state);
                }
            }
        });
        createTopic("t", Map.of(), List.of(1, 2, 3));
        createTopic("lonely", Map.of(), List.of(1, 2));
        createTopic("unclean", Map.of("unclean.leader.election.enable", "true"), List.of(1, 2));
        for (String name : List.of("lonely", "unclean")) {
            store(2).alterIsr(new TopicPartition(name, 0), 1, 0, 0, List.of(1)).get();
        }

        broker(1).close(); // broker 1 goes silent; its voter keeps voting

        TopicPartition t0 = new TopicPartition("t", 0);
        awaitOnEveryVoter(
                "broker 1 fenced and t-0 led by 2",
                s -> s.broker(1).orElseThrow().fenced()
                        && s.partition(t0).map(PartitionState::leader).orElse(-1) == 2);
        for (QuorumMetadataStore s : stores) {
            assertThat(s.partition(t0)).contains(new PartitionState(List.of(1, 2, 3), List.of(2, 3), 2, 1, 1));
            assertThat(s.partition(new TopicPartition("lonely", 0)))
                    .contains(new PartitionState(List.of(1, 2), List.of(1), -1, 1, 2));
            assertThat(s.partition(new TopicPartition("unclean", 0)))
                    .contains(new PartitionState(List.of(1, 2), List.of(2), 2, 1, 2));
            assertThat(s.broker(2).orElseThrow().fenced()).isFalse();
        }
        store(3).awaitListeners();
        assertThat(seen).first().isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0));
        assertThat(seen).last().isEqualTo(store(3).partition(t0).orElseThrow());
        assertThat(listenerThreads).allMatch(name -> name.startsWith("strata-metadata-listeners-3"));
    }

    @Test
    void controlledShutdownMovesLeadersAndIsrChangesAtStaleEpochsAreRefused() throws Exception {
        createTopic("t", Map.of(), List.of(1, 2, 3));
        TopicPartition t0 = new TopicPartition("t", 0);

        PartitionState shrunk = store(1).alterIsr(t0, 1, 0, 0, List.of(1, 2)).get();
        assertThat(shrunk).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(1, 2), 1, 0, 1));
        assertThatThrownBy(() -> store(1).alterIsr(t0, 1, 0, 0, List.of(1)).get())
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(InvalidUpdateVersionException.class);

        broker(1).controlledShutdown();
        awaitOnEveryVoter("t-0 led by 2", s -> s.partition(t0).orElseThrow().leader() == 2);
        assertThat(store(2).partition(t0)).contains(new PartitionState(List.of(1, 2, 3), List.of(2), 2, 1, 2));
        assertThatThrownBy(() -> store(1).alterIsr(t0, 1, 0, 2, List.of(1, 2)).get())
                .hasCauseInstanceOf(FencedLeaderEpochException.class);
        // heartbeats that were in flight do not bring it back
        assertThat(store(2).broker(1).orElseThrow().fenced()).isTrue();

        assertThat(store(3).electPreferredLeaders(List.of(t0))).isZero(); // broker 1 is not alive
    }

    @Test
    void aNewQuorumLeaderKeepsFencingSilentBrokers() {
        createTopic("t", Map.of(), List.of(1, 2, 3));
        int leader = store(1).controllerId();
        assertThat(leader).isBetween(1, 3);
        assertThat(store(leader).isActiveController()).isTrue();

        broker(leader).close();
        store(leader).close(); // the controller and its broker go away together

        int survivor = leader == 1 ? 2 : 1;
        Await.until(Duration.ofSeconds(20), "a new controller", () -> {
            int now = store(survivor).controllerId();
            return now != -1 && now != leader;
        });
        Await.until(
                Duration.ofSeconds(20),
                "broker " + leader + " fenced by the new controller",
                () -> store(survivor).broker(leader).orElseThrow().fenced());
        PartitionState t0 =
                store(survivor).partition(new TopicPartition("t", 0)).orElseThrow();
        assertThat(t0.isr()).doesNotContain(leader);
        assertThat(t0.leader()).isNotIn(leader, -1);
        assertThat(store(survivor).brokers())
                .filteredOn(b -> b.nodeId() != leader)
                .extracting(ClusterBroker::fenced)
                .containsOnly(false);
    }

    /**
     * A controller paused past its leadership (SIGSTOP, a long GC pause) wakes up believing it still leads, and fences
     * the brokers whose heartbeats it missed while paused. Its decisions must not be committed: before they went only
     * through the voter's own Raft server, the client forwarded them to the new leader, which committed them, and every
     * broker of the cluster was fenced at once (seen in {@code BrokerLossIT}'s hung follower).
     */
    @Test
    void aDecisionOfAVoterThatDoesNotLeadTheQuorumIsNotCommitted() {
        int leader = store(1).controllerId();
        int deposed = leader % 3 + 1;
        assertThat(store(deposed).isActiveController()).isFalse();

        assertThatThrownBy(() -> store(deposed)
                        .controllerWrite(new MetadataCommand.FenceBroker(leader))
                        .join())
                .isInstanceOf(CompletionException.class);
        assertThat(store(leader).broker(leader).orElseThrow().fenced()).isFalse();

        // the leader's own decisions go on being committed (the broker stops heartbeating first: one would unfence it)
        broker(deposed).close();
        store(leader).controllerWrite(new MetadataCommand.FenceBroker(deposed)).join();
        assertThat(store(leader).broker(deposed).orElseThrow().fenced()).isTrue();
    }

    @Test
    void aBrokerWithoutAVoteReadsTheMetadataRegistersAndLeads() throws Exception {
        QuorumConfig brokerOnly = new QuorumConfig(
                4,
                voters,
                dir.resolve("node-4"),
                "controller-test",
                Duration.ofSeconds(10),
                QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                QuorumConfig.DEFAULT_LOG_SEGMENT_BYTES,
                HEARTBEAT,
                SESSION,
                ProcessRoles.BROKER,
                false);
        createTopic("before", Map.of(), List.of(1, 2));
        try (QuorumMetadataStore store = QuorumMetadataStore.open(brokerOnly);
                BrokerLifecycle broker = new BrokerLifecycle(store, 4, Optional.empty(), HEARTBEAT)) {
            assertThat(store.topic("before")).isPresent(); // caught up at open
            List<PartitionState> seen = new CopyOnWriteArrayList<>();
            store.addListener(new ClusterChangeListener() {
                @Override
                public void onPartitionChanged(Uuid topicId, TopicPartition tp, PartitionState state) {
                    if (tp.topic().equals("t")) {
                        seen.add(state);
                    }
                }
            });
            broker.register("127.0.0.1", 9094);
            broker.startHeartbeats();
            broker.awaitUnfenced(Duration.ofSeconds(20));
            awaitOnEveryVoter(
                    "broker 4 unfenced", s -> !s.broker(4).orElseThrow().fenced());
            assertThat(stores).noneMatch(s -> s.voters().contains(4));

            // its own writes are read back at once; the voters' arrive by polling
            store.createTopic(new TopicMetadata("t", Uuid.randomUuid(), 1, Map.of()), List.of(List.of(4, 1)));
            TopicPartition t0 = new TopicPartition("t", 0);
            assertThat(store.partition(t0)).contains(new PartitionState(List.of(4, 1), List.of(4, 1), 4, 0, 0));
            store(2).alterIsr(t0, 4, 0, 0, List.of(4)).get();
            awaitTrue(
                    "the ISR change seen by broker 4",
                    () -> store.partition(t0).orElseThrow().isr().equals(List.of(4)));
            awaitTrue(
                    "the listener told",
                    () -> !seen.isEmpty() && seen.get(seen.size() - 1).isr().equals(List.of(4)));
            assertThat(store.controllerId()).isBetween(1, 3);

            broker.close(); // silent: fenced by the controller, and it has no voter to lose
            awaitOnEveryVoter("broker 4 fenced", s -> s.broker(4).orElseThrow().fenced());
            awaitTrue(
                    "broker 4 sees itself fenced",
                    () -> store.broker(4).orElseThrow().fenced());
        }
    }

    @Test
    void replicasOfAnOfflineLogDirMoveTheirLeadershipOnEveryVoter() {
        createTopic("t", Map.of(), List.of(1, 2, 3));
        TopicPartition t0 = new TopicPartition("t", 0);
        broker(1).reportOfflineReplicas(List.of(t0));
        awaitOnEveryVoter("t-0 led by 2 without broker 1 in its ISR", s -> s.partition(t0)
                .orElseThrow()
                .equals(new PartitionState(List.of(1, 2, 3), List.of(2, 3), 2, 1, 1)));
        for (QuorumMetadataStore s : stores) {
            assertThat(s.offlineReplicas(t0)).containsExactly(1);
            assertThat(s.broker(1).orElseThrow().fenced()).isFalse();
        }
        assertThat(store(3).electPreferredLeaders(List.of(t0))).isZero();
    }

    private void createTopic(String name, Map<String, String> configs, List<Integer> replicas) {
        store(1).createTopic(new TopicMetadata(name, Uuid.randomUuid(), 1, configs), List.of(replicas));
    }

    private QuorumMetadataStore store(int id) {
        return stores.get(id - 1);
    }

    private BrokerLifecycle broker(int id) {
        return brokers.get(id - 1);
    }

    private void awaitOnEveryVoter(String what, java.util.function.Predicate<QuorumMetadataStore> condition) {
        for (QuorumMetadataStore s : stores) {
            awaitTrue(what, () -> condition.test(s));
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        Await.until(Duration.ofSeconds(20), what, condition);
    }
}
