package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.security.ScramCredential;
import dev.strata.broker.security.ScramCredentialStore;
import dev.strata.broker.security.ScramMechanism;
import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata quorum in one JVM: a single voter keeps its writes across restarts and bounds its log by snapshots;
 * three and five voters replicate every write, survive the loss of a minority, refuse (in bounded time) to write
 * without a majority, and a restarted voter catches up.
 */
class QuorumMetadataStoreTest {
    private static final String CLUSTER = "quorum-test-cluster";

    @TempDir
    Path dir;

    private final List<QuorumMetadataStore> open = new ArrayList<>();

    private final List<CompletableFuture<QuorumMetadataStore>> opening = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opening.forEach(f -> f.exceptionally(e -> null).join());
        open.forEach(QuorumMetadataStore::close);
    }

    @Test
    void aSingleVoterKeepsItsWritesAcrossRestarts() {
        QuorumConfig config = singleVoter();
        TopicMetadata orders = topic("orders", 3);
        long firstBlock;
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            store.putTopic(orders);
            store.putTopic(topic("gone", 1));
            store.removeTopic("gone");
            firstBlock = store.reserveProducerIds(1000);
            store.registerBroker(
                    new BrokerRegistration(1, "127.0.0.1", 9092, Optional.of("rack-a"), Uuid.randomUuid()));
            assertThat(store.topic("orders")).contains(orders);
        }
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            assertThat(store.topics()).containsExactly(orders);
            assertThat(store.topic(orders.topicId())).contains(orders);
            assertThat(store.registrations())
                    .extracting(BrokerRegistration::rack)
                    .containsExactly(Optional.of("rack-a"));
            assertThat(store.reserveProducerIds(1000)).isEqualTo(firstBlock + 1000);
        }
    }

    /**
     * A voter whose Raft server stops on its own (Ratis closes it on a failed log disk, and closed it after a JVM pause
     * of over a minute before that was turned off) has lost its vote and its metadata: the store says so, once. A store
     * closed as usual does not.
     */
    @Test
    void aRaftServerThatStopsOnItsOwnIsReportedOnceAndAClosedStoreIsNot() throws Exception {
        AtomicInteger lost = new AtomicInteger();
        try (QuorumMetadataStore store = QuorumMetadataStore.open(singleVoter())) {
            store.watchServer(lost::incrementAndGet);
            store.raftServer().close();
            awaitTrue("the stopped server reported", () -> lost.get() == 1);
        }
        Thread.sleep(1500); // a second report would come within the watch's 1 s period
        assertThat(lost).hasValue(1);

        AtomicInteger lostAfterClose = new AtomicInteger();
        QuorumMetadataStore store = QuorumMetadataStore.open(singleVoter());
        store.watchServer(lostAfterClose::incrementAndGet);
        store.close();
        Thread.sleep(1500);
        assertThat(lostAfterClose).hasValue(0);
    }

    @Test
    void theActiveControllerLogsItsUncleanElectionSettingAsTheDefault() {
        try (QuorumMetadataStore store = QuorumMetadataStore.open(singleVoter().withUncleanElectionDefault(true))) {
            awaitTrue("the default logged", () -> store.image().uncleanElectionDefault());
        }
        // restarted with the setting removed from its config: the controller logs false again
        try (QuorumMetadataStore store = QuorumMetadataStore.open(singleVoter())) {
            awaitTrue("the default logged", () -> !store.image().uncleanElectionDefault());
        }
    }

    @Test
    void snapshotsBoundTheLogAndARestartLoadsTheSnapshot() throws IOException {
        QuorumConfig config = singleVoter().withSnapshots(20, 4096);
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            byte[] salt = {1, 2, 3};
            ScramMechanism sha512 = ScramMechanism.SCRAM_SHA_512;
            store.alterScramCredentials(List.of(new ScramCredentialStore.Change(
                    "alice", sha512, sha512.credential(salt, sha512.saltedPassword("pw", salt, 8192), 8192))));
            for (int i = 0; i < 200; i++) {
                store.putTopic(topic("t" + i, 1));
            }
            awaitTrue("a snapshot and a purged log", () -> store.snapshotIndex() > 100 && logStart(store) > 0);
        }
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            assertThat(store.logStartIndex()).isPositive();
            assertThat(store.snapshotIndex()).isGreaterThan(100);
            assertThat(store.topics()).hasSize(200);
            assertThat(store.scramCredential("alice", ScramMechanism.SCRAM_SHA_512))
                    .map(ScramCredential::iterations)
                    .contains(8192);
            store.putTopic(topic("after", 1));
            assertThat(store.topics()).hasSize(201);
        }
    }

    @Test
    void remoteSegmentRecordsAreFencedByLeaderEpochAndSurviveASnapshotAndARestart() {
        QuorumConfig config = singleVoter().withSnapshots(5, 4096);
        TopicMetadata tiered = topic("tiered", 1);
        RemoteSegmentRecord segment = new RemoteSegmentRecord(Uuid.randomUuid(), 0, 99, false, new byte[] {7});
        RemoteSegmentRecord deleted = new RemoteSegmentRecord(Uuid.randomUuid(), 100, 199, false, new byte[] {8});
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            Uuid incarnation = Uuid.randomUuid();
            store.registerBroker(new BrokerRegistration(1, "127.0.0.1", 9092, Optional.empty(), incarnation));
            awaitTrue("broker 1 unfenced", () -> {
                store.heartbeat(1, incarnation);
                return store.broker(1).map(b -> !b.fenced()).orElse(false);
            });
            store.createTopic(tiered, List.of(List.of(1)));
            assertThatThrownBy(() -> store.copySegmentFinished(tiered.topicId(), 0, 1, 7, segment))
                    .isInstanceOf(FencedLeaderEpochException.class);
            store.copySegmentFinished(tiered.topicId(), 0, 1, 0, segment);
            assertThat(store.remoteSegment(tiered.topicId(), 0, segment.segmentId()))
                    .contains(segment);
            store.copySegmentFinished(tiered.topicId(), 0, 1, 0, deleted);
            store.deleteSegmentStarted(tiered.topicId(), 0, 1, 0, deleted.segmentId());
            store.deleteSegmentFinished(tiered.topicId(), 0, deleted.segmentId());
            for (int i = 0; i < 20; i++) {
                store.putTopic(topic("t" + i, 1));
            }
            awaitTrue("a snapshot", () -> store.snapshotIndex() > 10);
        }
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            assertThat(store.remoteSegment(tiered.topicId(), 0, segment.segmentId()))
                    .contains(segment);
            assertThat(store.remoteSegment(tiered.topicId(), 0, deleted.segmentId()))
                    .isEmpty();
        }
    }

    @Test
    void threeVotersReplicateEveryWriteAndARestartedVoterCatchesUp() {
        List<QuorumConfig> voters =
                voters(3).stream().map(c -> c.withSnapshots(10, 4096)).toList();
        List<QuorumMetadataStore> stores = openAll(voters);
        for (int writer = 0; writer < 3; writer++) {
            TopicMetadata t = topic("from-" + writer, writer + 1);
            stores.get(writer).putTopic(t);
            assertThat(stores.get(writer).topic(t.name())).contains(t);
            for (QuorumMetadataStore reader : stores) {
                awaitTrue("topic " + t.name() + " on every voter", () -> reader.topic(t.name())
                        .isPresent());
            }
        }
        long first = stores.get(0).reserveProducerIds(1000);
        long second = stores.get(1).reserveProducerIds(1000);
        assertThat(second).isNotEqualTo(first);

        close(stores.get(2));
        ScramMechanism sha256 = ScramMechanism.SCRAM_SHA_256;
        byte[] salt = {7};
        stores.get(1)
                .alterScramCredentials(List.of(new ScramCredentialStore.Change(
                        "carol", sha256, sha256.credential(salt, sha256.saltedPassword("pw", salt, 4096), 4096))));
        awaitTrue(
                "carol on voter 0",
                () -> stores.get(0).scramCredential("carol", sha256).isPresent());
        for (int i = 0; i < 50; i++) {
            stores.get(i % 2).putTopic(topic("while-down-" + i, 1));
        }
        QuorumMetadataStore restarted = reopen(voters.get(2));
        assertThat(restarted.topics()).hasSize(53);
        assertThat(restarted.scramCredentials()).containsOnlyKeys("carol");
        assertThat(restarted.reserveProducerIds(1000)).isGreaterThan(Math.max(first, second));
    }

    @Test
    void withoutAMajorityAWriteFailsInBoundedTimeAndSucceedsOnceAVoterReturns() {
        List<QuorumConfig> voters = voters(3).stream()
                .map(c -> c.withWriteTimeout(Duration.ofSeconds(2)))
                .toList();
        List<QuorumMetadataStore> stores = openAll(voters);
        stores.get(0).putTopic(topic("before", 1));
        close(stores.get(1));
        close(stores.get(2));

        long start = System.nanoTime();
        assertThatThrownBy(() -> stores.get(0).putTopic(topic("no-majority", 1)))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("no leader with a majority of voters answered");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

        // the returning voter must open (its failure would be the real cause of a timeout below)
        // its own open waits for a leader, which two voters elect only after it is back: no 2 s write timeout there
        reopenInBackground(voters.get(1).withWriteTimeout(Duration.ofSeconds(30)))
                .orTimeout(60, java.util.concurrent.TimeUnit.SECONDS)
                .join();
        awaitTrue("a write once a second voter is back", () -> {
            try {
                stores.get(0).putTopic(topic("majority-again", 1));
                return true;
            } catch (TimeoutException e) {
                return false;
            }
        });
        assertThat(stores.get(0).topic("majority-again")).isPresent();
    }

    @Test
    void fiveVotersCommitWithTwoDown() {
        List<QuorumMetadataStore> stores = openAll(voters(5));
        close(stores.get(3));
        close(stores.get(4));
        stores.get(2).putTopic(topic("five", 5));
        for (QuorumMetadataStore reader : stores.subList(0, 3)) {
            awaitTrue("the topic on every running voter", () -> reader.topic("five")
                    .isPresent());
        }
    }

    @Test
    void theLeaderWritesThroughItsOwnServerAndACallRefusedByAFollowerGoesOnToTheLeader() {
        List<QuorumMetadataStore> stores = openAll(voters(3));
        int[] written = {0};
        int[] leaderId = {-1};
        // retried only if the leadership moved between the look and the write
        awaitTrue("a write of the leader through its own server", () -> {
            leaderId[0] = stores.get(0).controllerId();
            if (leaderId[0] < 1) {
                return false;
            }
            QuorumClient leader = stores.get(leaderId[0] - 1).quorumClient();
            long before = leader.writesFromHere();
            stores.get(leaderId[0] - 1).putTopic(topic("from-the-leader-" + written[0]++, 1));
            return leader.writesFromHere() == before + 1;
        });

        QuorumMetadataStore follower = stores.get(leaderId[0] % 3);
        long first = follower.reserveProducerIds(1000);
        // the follower's own server refuses the call (not the leader), and the same call is sent on to the leader
        long second = follower.quorumClient().writeFromHere(new MetadataCommand.ReserveProducerIds(1000));
        assertThat(second).isGreaterThanOrEqualTo(first + 1000);
        assertThat(stores.get(0).reserveProducerIds(1000)).isGreaterThanOrEqualTo(second + 1000);
        for (QuorumMetadataStore store : stores) {
            awaitTrue("the leader's topic on every voter", () -> store.topic("from-the-leader-0")
                    .isPresent());
        }
    }

    private QuorumConfig singleVoter() {
        return new QuorumConfig(
                        1,
                        List.of(new QuorumConfig.Voter(1, "127.0.0.1", 0)),
                        dir.resolve("single"),
                        CLUSTER,
                        QuorumConfig.DEFAULT_WRITE_TIMEOUT,
                        QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                        QuorumConfig.DEFAULT_LOG_SEGMENT_BYTES)
                .withWriteTimeout(Duration.ofSeconds(10));
    }

    private List<QuorumConfig> voters(int n) {
        List<QuorumConfig.Voter> voters = IntStream.rangeClosed(1, n)
                .mapToObj(id -> new QuorumConfig.Voter(id, "127.0.0.1", Ports.free()))
                .toList();
        return voters.stream()
                .map(v -> new QuorumConfig(
                        v.id(),
                        voters,
                        dir.resolve("node-" + v.id()),
                        CLUSTER,
                        Duration.ofSeconds(10),
                        QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                        QuorumConfig.DEFAULT_LOG_SEGMENT_BYTES))
                .toList();
    }

    /** Voters of a group wait for each other at open, so they start together. */
    private List<QuorumMetadataStore> openAll(List<QuorumConfig> configs) {
        List<CompletableFuture<QuorumMetadataStore>> starting =
                configs.stream().map(this::reopenInBackground).toList();
        return starting.stream().map(CompletableFuture::join).toList();
    }

    private CompletableFuture<QuorumMetadataStore> reopenInBackground(QuorumConfig config) {
        CompletableFuture<QuorumMetadataStore> f = CompletableFuture.supplyAsync(() -> reopen(config));
        opening.add(f);
        return f;
    }

    private QuorumMetadataStore reopen(QuorumConfig config) {
        QuorumMetadataStore store = QuorumMetadataStore.open(config);
        synchronized (open) {
            open.add(store);
        }
        return store;
    }

    private void close(QuorumMetadataStore store) {
        synchronized (open) {
            open.remove(store);
        }
        store.close();
    }

    private static TopicMetadata topic(String name, int partitions) {
        return new TopicMetadata(name, Uuid.randomUuid(), partitions, Map.of("retention.ms", "1000"));
    }

    private static long logStart(QuorumMetadataStore store) {
        try {
            return store.logStartIndex();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        Await.until(Duration.ofSeconds(60), what, condition);
    }
}
