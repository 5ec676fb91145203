package dev.strata.broker.partition;

import static dev.strata.broker.partition.InMemoryCluster.idempotent;
import static dev.strata.broker.partition.InMemoryCluster.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.config.ReplicationConfig;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogAppendInfo;
import dev.strata.broker.log.LogSegment;
import dev.strata.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers' replica managers in one JVM replicating one partition through in-process fetches
 * ({@link InMemoryCluster}): what followers hold, when the high watermark and {@code acks=all} move, the ISR leaving
 * and rejoining, truncation after a leader change and idempotent producers across a failover.
 */
class ReplicationTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final long LAG_MS = 2_000L;

    @TempDir
    Path root;

    private InMemoryCluster cluster;

    private InMemoryCluster start(Map<String, String> topicConfig) throws Exception {
        ReplicationConfig config = new ReplicationConfig(LAG_MS, 1024 * 1024, 64 * 1024, 1, 100, 50L);
        cluster = new InMemoryCluster(root, 3, config, LogConfig.of(Map.of(), topicConfig));
        cluster.createPartition(TP, 1);
        return cluster;
    }

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void followersHoldTheLeadersLogByteForByteAndTheHighWatermarkFollows() throws Exception {
        start(Map.of("segment.bytes", "2048"));
        Partition leader = cluster.broker(1).partition(TP);
        for (int i = 0; i < 60; i++) {
            leader.appendAsLeader(records("record-" + i, "more-" + i), (short) 1);
        }
        long end = leader.log().logEndOffset();
        Await.until(
                WAIT,
                "the high watermark to reach the log end",
                () -> leader.log().highWatermark() == end);
        for (int id : List.of(2, 3)) {
            LocalLog follower = cluster.broker(id).partition(TP).log();
            Await.until(WAIT, "follower " + id + " to learn the high watermark", () -> follower.highWatermark() == end);
            assertThat(follower.logEndOffset()).isEqualTo(end);
            assertThat(segmentBytes(follower)).isEqualTo(segmentBytes(leader.log()));
            assertThat(follower.leaderEpochCache().entries())
                    .isEqualTo(leader.log().leaderEpochCache().entries());
        }
        assertThat(leader.log().numberOfSegments()).as("several segments").isGreaterThan(2);
    }

    @Test
    void acksAllWaitsForTheIsrAndTheHighWatermarkWaitsForTheData() throws Exception {
        start(Map.of());
        Partition leader = cluster.broker(1).partition(TP);
        awaitIsr(Set.of(1, 2, 3));
        cluster.cutOff.add(3);
        LogAppendInfo info = leader.appendAsLeader(records("a"), (short) -1);
        CompletableFuture<Errors> acked =
                cluster.broker(1).replicas.awaitReplication(TP, info.lastOffset() + 1, 60_000);
        // broker 2 has it, broker 3 cannot fetch: the high watermark stays below the batch until 3 leaves the ISR
        Await.until(WAIT, "broker 2 to fetch the batch", () -> leader.followerLogEndOffset(2) == 1);
        assertThat(leader.log().highWatermark()).isZero();
        assertThat(acked).isNotDone();
        Await.until(WAIT, "broker 3 to leave the ISR", () -> {
            cluster.broker(1).replicas.maybeShrinkIsr();
            return leader.isr().equals(Set.of(1, 2));
        });
        assertThat(acked.get(10, TimeUnit.SECONDS)).isEqualTo(Errors.NONE);
        assertThat(leader.log().highWatermark()).isEqualTo(1);
        assertThat(cluster.state(TP).isr()).containsExactlyInAnyOrder(1, 2);
    }

    @Test
    void aFollowerThatStopsFetchingLeavesTheIsrAndRejoinsOnceCaughtUp() throws Exception {
        start(Map.of());
        Partition leader = cluster.broker(1).partition(TP);
        awaitIsr(Set.of(1, 2, 3));
        cluster.cutOff.add(2);
        for (int i = 0; i < 5; i++) {
            leader.appendAsLeader(records("while-away-" + i), (short) 1);
        }
        Await.until(WAIT, "broker 2 to leave the ISR after the lag time", () -> {
            cluster.broker(1).replicas.maybeShrinkIsr();
            return leader.isr().equals(Set.of(1, 3));
        });
        assertThat(leader.log().highWatermark()).isEqualTo(5);
        cluster.cutOff.remove(2);
        awaitIsr(Set.of(1, 2, 3));
        assertThat(cluster.broker(2).partition(TP).log().logEndOffset()).isEqualTo(5);
    }

    @Test
    void minInsyncReplicasRefusesAcksAllBeforeAppendingAndOnlyTheLeaderAcceptsWrites() throws Exception {
        start(Map.of("min.insync.replicas", "3"));
        Partition leader = cluster.broker(1).partition(TP);
        awaitIsr(Set.of(1, 2, 3));
        cluster.cutOff.add(3);
        Await.until(WAIT, "broker 3 to leave the ISR", () -> {
            cluster.broker(1).replicas.maybeShrinkIsr();
            return leader.isr().size() == 2;
        });
        long before = leader.log().logEndOffset();
        assertThatThrownBy(() -> leader.appendAsLeader(records("x"), (short) -1))
                .isInstanceOf(NotEnoughReplicasException.class);
        assertThat(leader.log().logEndOffset()).isEqualTo(before);
        leader.appendAsLeader(records("acks-1 still works"), (short) 1);
        assertThatThrownBy(() -> cluster.broker(2).partition(TP).appendAsLeader(records("y"), (short) 1))
                .isInstanceOf(NotLeaderOrFollowerException.class);
    }

    @Test
    void aNewLeaderTruncatesTheOldLeadersDivergentTail() throws Exception {
        start(Map.of());
        Partition oldLeader = cluster.broker(1).partition(TP);
        oldLeader.appendAsLeader(records("committed-0", "committed-1"), (short) 1);
        Await.until(
                WAIT, "the first batch to be committed", () -> oldLeader.log().highWatermark() == 2);
        // broker 1 is cut off and writes a tail nobody else gets
        cluster.cutOff.add(1);
        oldLeader.appendAsLeader(records("lost-2", "lost-3", "lost-4"), (short) 1);
        cluster.electLeader(TP, 2, List.of(2, 3));
        Partition newLeader = cluster.broker(2).partition(TP);
        newLeader.appendAsLeader(records("new-2"), (short) 1);
        Await.until(
                WAIT,
                "broker 3 to have the new leader's batch",
                () -> cluster.broker(3).partition(TP).log().logEndOffset() == 3);
        cluster.cutOff.remove(1);
        LocalLog follower = cluster.broker(1).partition(TP).log();
        Await.until(
                WAIT,
                "broker 1 to truncate and catch up",
                () -> follower.logEndOffset() == 3
                        && java.util.Arrays.equals(segmentBytes(follower), segmentBytes(newLeader.log())));
        assertThat(follower.leaderEpochCache().entries())
                .isEqualTo(newLeader.log().leaderEpochCache().entries());
        assertThat(values(follower)).containsExactly("committed-0", "committed-1", "new-2");
        awaitIsrOf(newLeader, Set.of(1, 2, 3));
    }

    @Test
    void aRetriedIdempotentBatchIsNotWrittenTwiceByTheNewLeader() throws Exception {
        start(Map.of());
        Partition oldLeader = cluster.broker(1).partition(TP);
        oldLeader.appendAsLeader(idempotent(4000L, 0, "a", "b"), (short) -1);
        LogAppendInfo first = oldLeader.appendAsLeader(idempotent(4000L, 2, "c"), (short) -1);
        Await.until(
                WAIT,
                "both batches replicated",
                () -> oldLeader.log().highWatermark() == 3
                        && cluster.broker(2).partition(TP).log().logEndOffset() == 3);
        // the producer did not see the answer to its second batch; the leader fails over and the batch is retried
        cluster.cutOff.add(1);
        cluster.electLeader(TP, 2, List.of(2, 3));
        Partition newLeader = cluster.broker(2).partition(TP);
        LogAppendInfo retried = newLeader.appendAsLeader(idempotent(4000L, 2, "c"), (short) -1);
        assertThat(retried.duplicate()).isTrue();
        assertThat(retried.firstOffset()).isEqualTo(first.firstOffset());
        assertThat(newLeader.log().logEndOffset()).isEqualTo(3);
        LogAppendInfo next = newLeader.appendAsLeader(idempotent(4000L, 3, "d"), (short) -1);
        assertThat(next.firstOffset()).isEqualTo(3);
    }

    @Test
    void aRestartedFollowerStartsFromItsCheckpointedHighWatermark() throws Exception {
        start(Map.of());
        Partition leader = cluster.broker(1).partition(TP);
        leader.appendAsLeader(records("a", "b", "c"), (short) 1);
        LocalLog follower = cluster.broker(2).partition(TP).log();
        Await.until(WAIT, "broker 2 to learn the high watermark", () -> follower.highWatermark() == 3);
        cluster.broker(2).replicas.shutdown();
        cluster.broker(2).logManager.checkpointLogs();
        Path checkpoint = follower.dir().getParent().resolve("replication-offset-checkpoint");
        assertThat(Files.readAllLines(checkpoint)).containsExactly("0", "1", "orders 0 3");
    }

    private void awaitIsr(Set<Integer> isr) {
        awaitIsrOf(cluster.broker(cluster.state(TP).leader()).partition(TP), isr);
    }

    private static void awaitIsrOf(Partition leader, Set<Integer> isr) {
        Await.until(WAIT, "the ISR to be " + isr, () -> leader.isr().equals(isr));
    }

    private static byte[] segmentBytes(LocalLog log) {
        var out = new java.io.ByteArrayOutputStream();
        for (LogSegment segment : log.segments()) {
            try {
                out.write(Files.readAllBytes(segment.log().file().toPath()), 0, segment.size());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out.toByteArray();
    }

    private static List<String> values(LocalLog log) {
        List<String> values = new ArrayList<>();
        var info = log.read(log.logStartOffset(), Integer.MAX_VALUE, log.logEndOffset(), true);
        for (RecordBatch batch : info.records().batches()) {
            batch.forEach(r -> values.add(
                    java.nio.charset.StandardCharsets.UTF_8.decode(r.value()).toString()));
        }
        return values;
    }
}
