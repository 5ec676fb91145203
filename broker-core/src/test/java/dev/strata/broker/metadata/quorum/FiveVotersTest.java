package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five voters in one JVM, each with a broker that registers and heartbeats: with two voters down, topic creation, ISR
 * changes and fencing still commit on the three left; with a third down a write fails within the write timeout; once
 * they return, writes commit again and the restarted voters catch up to the same image, through a snapshot install
 * because the others purged their logs below a snapshot meanwhile.
 */
class FiveVotersTest {
    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    /**
     * Longer than a leader without a majority takes to step down (Ratis: about the 2 s election timeout), so the
     * controller does not log fences for brokers whose heartbeats only failed for want of a quorum; those would commit
     * once the voters return. Under load that can still happen: the assertions below allow it.
     */
    private static final Duration SESSION = Duration.ofMillis(4000);

    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(5);
    private static final int SNAPSHOT_THRESHOLD = 20;

    @TempDir
    Path dir;

    private final List<QuorumConfig> configs = new ArrayList<>();
    /** By node id - 1; null while that voter is down. */
    private final QuorumMetadataStore[] stores = new QuorumMetadataStore[5];

    private final BrokerLifecycle[] brokers = new BrokerLifecycle[5];

    @AfterEach
    void stopAll() {
        for (int id = 1; id <= 5; id++) {
            stop(id);
        }
    }

    @Test
    void fiveVotersSurviveTwoDownRefuseWritesWithThreeDownAndRestartedVotersCatchUp() {
        List<QuorumConfig.Voter> voters = IntStream.rangeClosed(1, 5)
                .mapToObj(id -> new QuorumConfig.Voter(id, "127.0.0.1", Ports.free()))
                .toList();
        for (QuorumConfig.Voter v : voters) {
            configs.add(new QuorumConfig(
                            v.id(),
                            voters,
                            dir.resolve("node-" + v.id()),
                            "five-voters",
                            WRITE_TIMEOUT,
                            QuorumConfig.DEFAULT_SNAPSHOT_THRESHOLD,
                            QuorumConfig.DEFAULT_LOG_SEGMENT_BYTES)
                    .withBrokerSession(HEARTBEAT, SESSION)
                    .withSnapshots(SNAPSHOT_THRESHOLD, 4096));
        }
        // writes of the first five give up after 15 s (the default): one is meant to fail, without a majority
        startVoters(Duration.ofSeconds(15), 1, 2, 3, 4, 5);
        for (int id = 1; id <= 5; id++) {
            startBroker(id);
        }
        awaitOnEveryRunningVoter(
                "five brokers unfenced",
                s -> s.brokers().size() == 5 && s.brokers().stream().noneMatch(ClusterBroker::fenced));
        createTopic("before", List.of(1, 2, 3, 4, 5));

        // two voters (and their brokers) down: a minority
        long behind = Math.max(store(4).appliedIndex(), store(5).appliedIndex());
        stop(4);
        stop(5);
        TopicPartition before0 = new TopicPartition("before", 0);
        awaitOnEveryRunningVoter(
                "brokers 4 and 5 fenced and out of the ISR",
                s -> s.broker(4).orElseThrow().fenced()
                        && s.broker(5).orElseThrow().fenced()
                        && s.partition(before0).orElseThrow().isr().equals(List.of(1, 2, 3)));
        createTopic("while-two-down", List.of(1, 2, 3));
        TopicPartition down0 = new TopicPartition("while-two-down", 0);
        PartitionState shrunk = store(2).alterIsr(down0, 1, 0, 0, List.of(1, 2)).join();
        assertThat(shrunk).isEqualTo(new PartitionState(List.of(1, 2, 3), List.of(1, 2), 1, 0, 1));
        // enough entries for a snapshot and a log purged past what voters 4 and 5 have: they must install a snapshot
        for (int i = 0; i < 3 * SNAPSHOT_THRESHOLD; i++) {
            store(1 + i % 3).putTopic(topic("filler-" + i));
        }
        awaitOnEveryRunningVoter(
                "the writes applied, a snapshot taken and the log purged below it",
                s -> s.topic("filler-" + (3 * SNAPSHOT_THRESHOLD - 1)).isPresent()
                        && s.partition(down0).orElseThrow().equals(shrunk)
                        && s.snapshotIndex() > behind
                        && logStart(s) > behind + 1);

        long purgedUpTo = store(1).snapshotIndex();

        // a third down: no majority, and a write says so within the write timeout
        stop(3);
        long start = System.nanoTime();
        assertThatThrownBy(() -> store(1).putTopic(topic("no-majority")))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("no leader with a majority of voters answered");
        // no hang: the write gives up on its own (a bound far above the write timeout, so that a loaded machine passes)
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(2));
        // its outcome is unknown, as with Kafka's timeouts: the entry may sit in a voter's log and commit once a
        // majority is back, so the images below are compared whole rather than checked for its absence

        // all three back: writes commit again and every voter ends with the same image
        // the voters that come back catch up through a snapshot install before their first write commits
        startVoters(Duration.ofSeconds(60), 3, 4, 5);
        for (int id = 3; id <= 5; id++) {
            startBroker(id);
        }
        store(4).putTopic(topic("after-restart"));
        awaitOnEveryRunningVoter(
                "five brokers unfenced again and the last write applied",
                s -> s.topic("after-restart").isPresent()
                        && s.brokers().stream().noneMatch(ClusterBroker::fenced));
        for (int id = 4; id <= 5; id++) {
            QuorumMetadataStore s = store(id);
            assertThat(s.topic("while-two-down")).isPresent();
            // the ISR change made while they were down (later ones can follow if a broker was fenced meanwhile)
            assertThat(s.partition(down0).orElseThrow().partitionEpoch())
                    .isGreaterThanOrEqualTo(shrunk.partitionEpoch());
            // the entries they missed were in no voter's log any more: they caught up through a snapshot install
            assertThat(s.snapshotIndex()).isGreaterThanOrEqualTo(purgedUpTo);
        }
        Await.until(Duration.ofSeconds(60), "the same image on all five voters", () -> {
            byte[] first = imageBytes(store(1));
            return IntStream.rangeClosed(2, 5).allMatch(id -> Arrays.equals(first, imageBytes(store(id))));
        });
    }

    private void startVoters(Duration writeTimeout, int... ids) {
        // a voter's open waits for a leader, which the others elect only once enough of them are up
        List<CompletableFuture<QuorumMetadataStore>> opening = Arrays.stream(ids)
                .mapToObj(id -> CompletableFuture.supplyAsync(
                        () -> QuorumMetadataStore.open(configs.get(id - 1).withWriteTimeout(writeTimeout))))
                .toList();
        for (int i = 0; i < ids.length; i++) {
            stores[ids[i] - 1] = opening.get(i).join();
        }
    }

    private void startBroker(int id) {
        BrokerLifecycle b = new BrokerLifecycle(store(id), id, Optional.empty(), HEARTBEAT);
        b.register("127.0.0.1", 9090 + id);
        b.startHeartbeats();
        brokers[id - 1] = b;
    }

    /** The broker goes silent first, then its voter stops. */
    private void stop(int id) {
        if (brokers[id - 1] != null) {
            brokers[id - 1].close();
            brokers[id - 1] = null;
        }
        if (stores[id - 1] != null) {
            stores[id - 1].close();
            stores[id - 1] = null;
        }
    }

    private QuorumMetadataStore store(int id) {
        return stores[id - 1];
    }

    private void createTopic(String name, List<Integer> replicas) {
        store(1).createTopic(new TopicMetadata(name, Uuid.randomUuid(), 1, Map.of()), List.of(replicas));
    }

    private void awaitOnEveryRunningVoter(String what, Predicate<QuorumMetadataStore> condition) {
        for (int id = 1; id <= 5; id++) {
            QuorumMetadataStore s = store(id);
            if (s != null) {
                Await.until(Duration.ofSeconds(60), what + " on voter " + id, () -> condition.test(s));
            }
        }
    }

    private static TopicMetadata topic(String name) {
        return new TopicMetadata(name, Uuid.randomUuid(), 1, Map.of());
    }

    private static byte[] imageBytes(QuorumMetadataStore store) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            store.image().writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static long logStart(QuorumMetadataStore store) {
        try {
            return store.logStartIndex();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
