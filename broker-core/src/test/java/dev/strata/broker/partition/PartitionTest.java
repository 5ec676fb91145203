package dev.strata.broker.partition;

import static dev.strata.broker.partition.InMemoryCluster.records;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LocalLog;
import dev.strata.testing.ManualTime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidUpdateVersionException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's high watermark and ISR decisions, driven by hand: follower fetches are calls with chosen offsets, time
 * is a manual clock, and ISR changes are futures the test completes.
 */
class PartitionTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final long LAG_MS = 30_000L;

    /** An ISR change the partition asked for, completed by the test. */
    private record IsrRequest(List<Integer> isr, int partitionEpoch, CompletableFuture<PartitionState> result) {}

    @TempDir
    Path dir;

    private final ManualTime time = new ManualTime(1_000_000L);
    private final List<IsrRequest> isrRequests = new ArrayList<>();
    private LocalLog log;
    private Partition partition;

    @BeforeEach
    void leadWithTwoFollowers() throws Exception {
        log = LocalLog.open(
                dir.resolve("orders-0"),
                TP,
                Uuid.randomUuid(),
                LogConfig.of(java.util.Map.of(), java.util.Map.of("min.insync.replicas", "2")),
                time,
                0L,
                true);
        partition = new Partition(
                TP,
                log.topicId(),
                log,
                1,
                time,
                (tp, leader, leaderEpoch, partitionEpoch, isr) -> {
                    CompletableFuture<PartitionState> result = new CompletableFuture<>();
                    isrRequests.add(new IsrRequest(isr, partitionEpoch, result));
                    return result;
                },
                LAG_MS,
                Partition.Listener.NONE);
        partition.makeLeader(new PartitionState(List.of(1, 2, 3), List.of(1, 2, 3), 1, 5, 10));
    }

    @AfterEach
    void close() {
        log.close();
    }

    private void fetch(int replica, long offset) {
        ReplicaFetchResult result = partition.fetchForFollower(
                replica, new ReplicaFetch.PartitionFetch(TP, log.topicId(), offset, 5, 5, 0L, 1 << 20), 1 << 20, true);
        assertThat(result.error()).isEqualTo(Errors.NONE);
    }

    @Test
    void theHighWatermarkIsTheSmallestLogEndInTheIsrAndNeverMovesBack() {
        partition.appendAsLeader(records("a", "b", "c"), (short) 1);
        assertThat(log.highWatermark()).as("followers' log ends unknown").isZero();
        fetch(2, 3);
        assertThat(log.highWatermark()).isZero();
        fetch(3, 2);
        assertThat(log.highWatermark()).isEqualTo(2);
        assertThat(partition.replicationStatus(3)).isEmpty();
        fetch(3, 3);
        assertThat(log.highWatermark()).isEqualTo(3);
        assertThat(partition.replicationStatus(3)).contains(Errors.NONE);
        // a new leader epoch forgets what followers had; the high watermark stays
        partition.makeLeader(new PartitionState(List.of(1, 2, 3), List.of(1, 2, 3), 1, 6, 11));
        assertThat(log.highWatermark()).isEqualTo(3);
        assertThat(log.leaderEpochCache().latestEntry().orElseThrow().startOffset())
                .isEqualTo(3);
    }

    @Test
    void aFollowerThatDoesNotCatchUpForTheLagTimeIsShrunkOutAndRejoinsWhenItReachesTheHighWatermark() {
        partition.appendAsLeader(records("a", "b"), (short) 1);
        fetch(2, 2);
        fetch(3, 1);
        time.advance(LAG_MS / 2);
        partition.appendAsLeader(records("c"), (short) 1);
        fetch(2, 3);
        partition.maybeShrinkIsr();
        assertThat(isrRequests).as("nobody lags yet").isEmpty();

        time.advance(LAG_MS / 2 + 1);
        fetch(2, 3);
        partition.maybeShrinkIsr();
        assertThat(isrRequests).hasSize(1);
        assertThat(isrRequests.get(0).isr()).containsExactly(1, 2);
        partition.maybeShrinkIsr();
        assertThat(isrRequests).as("one change in flight at a time").hasSize(1);
        // until the shrink is committed replica 3 still counts, lagging or not
        assertThat(log.highWatermark()).isEqualTo(1);

        isrRequests.get(0).result().complete(new PartitionState(List.of(1, 2, 3), List.of(1, 2), 1, 5, 11));
        assertThat(partition.isr()).containsExactlyInAnyOrder(1, 2);
        assertThat(partition.partitionEpoch()).isEqualTo(11);
        assertThat(log.highWatermark()).as("committed without replica 3").isEqualTo(3);

        fetch(3, 2);
        assertThat(isrRequests).as("below the high watermark: not in sync").hasSize(1);
        fetch(3, 3);
        assertThat(isrRequests).hasSize(2);
        assertThat(isrRequests.get(1).isr()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(isrRequests.get(1).partitionEpoch()).isEqualTo(11);
    }

    @Test
    void aLeaderWhoseIsrShrinkIsNeverCommittedAcknowledgesNoAcksAllWrite() {
        partition.appendAsLeader(records("a"), (short) -1);
        fetch(2, 1);
        fetch(3, 1);
        assertThat(partition.replicationStatus(1)).isEqualTo(Optional.of(Errors.NONE));
        // cut off from both followers (and from the controller: the shrink below never completes)
        partition.appendAsLeader(records("b", "c"), (short) -1);
        time.advance(LAG_MS + 1);
        partition.maybeShrinkIsr();
        assertThat(isrRequests).hasSize(1);
        time.advance(LAG_MS * 10);
        partition.maybeShrinkIsr();
        assertThat(partition.replicationStatus(3))
                .as("not acknowledged while the followers lack it")
                .isEmpty();
        assertThat(log.highWatermark()).isEqualTo(1);
    }

    @Test
    void aStaleIsrChangeWaitsForTheNewerStateAndAcksAllSeesTheIsrBelowMinimum() {
        partition.appendAsLeader(records("a"), (short) 1);
        fetch(2, 1);
        time.advance(LAG_MS + 1);
        fetch(2, 1);
        partition.maybeShrinkIsr();
        assertThat(isrRequests).hasSize(1);
        isrRequests.get(0).result().completeExceptionally(new InvalidUpdateVersionException("stale"));
        partition.maybeShrinkIsr();
        assertThat(isrRequests).as("waits for the newer state").hasSize(1);

        partition.makeLeader(new PartitionState(List.of(1, 2, 3), List.of(1), 1, 5, 12));
        assertThat(partition.isr()).containsExactly(1);
        assertThat(partition.replicationStatus(1))
                .as("committed, but the ISR shrank below min.insync.replicas")
                .isEqualTo(Optional.of(Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND));
    }

    @Test
    void aFollowerWhoseLogPartsFromTheLeadersGetsADivergingEpoch() {
        partition.appendAsLeader(records("a", "b"), (short) 1);
        partition.makeLeader(new PartitionState(List.of(1, 2, 3), List.of(1, 2, 3), 1, 7, 11));
        partition.appendAsLeader(records("c"), (short) 1);
        // the follower wrote offsets 2..4 in epoch 5 under another leader
        ReplicaFetchResult result = partition.fetchForFollower(
                2, new ReplicaFetch.PartitionFetch(TP, log.topicId(), 5, 7, 5, 0L, 1 << 20), 1 << 20, true);
        assertThat(result.divergingEpoch()).contains(new ReplicaFetchResult.DivergingEpoch(5, 2));
        ReplicaFetchResult fenced = partition.fetchForFollower(
                2, new ReplicaFetch.PartitionFetch(TP, log.topicId(), 2, 6, 5, 0L, 1 << 20), 1 << 20, true);
        assertThat(fenced.error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(partition.checkClientEpoch(8, true)).isEqualTo(Errors.UNKNOWN_LEADER_EPOCH);
    }
}
