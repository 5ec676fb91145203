package dev.strata.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LogManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a {@link PartitionListener} hears of leadership: becoming leader, following, and the replay on registration. */
class ReplicaManagerListenerTest {
    private static final LogConfig CONFIG = LogConfig.of(Map.of(), Map.of());
    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();

    @TempDir
    Path dir;

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    private final ExecutorService ioPool = Executors.newFixedThreadPool(1);
    private LogManager logManager;
    private ReplicaManager replicas;

    /** Records what it hears, as "event partition". */
    private static final class Recorder implements PartitionListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onPartitionCreated(Partition partition) {
            events.add("created " + partition.topicPartition());
        }

        @Override
        public void onBecomeLeader(Partition partition) {
            events.add("leader " + partition.topicPartition() + " epoch " + partition.leaderEpoch());
        }

        @Override
        public void onBecomeFollower(Partition partition) {
            events.add("follower " + partition.topicPartition() + " of " + partition.leaderId());
        }

        @Override
        public void onPartitionDeleted(Partition partition) {
            events.add("deleted " + partition.topicPartition());
        }

        @Override
        public void onReplicaRemoved(Partition partition) {
            events.add("moved away " + partition.topicPartition());
        }
    }

    @BeforeEach
    void start() throws Exception {
        logManager = new LogManager(List.of(dir), tp -> CONFIG, Time.SYSTEM, scheduler, 300_000, 60_000);
        replicas = new ReplicaManager(1, logManager, ioPool, scheduler);
    }

    @AfterEach
    void stop() {
        replicas.shutdown();
        logManager.close();
        scheduler.shutdownNow();
        ioPool.shutdownNow();
    }

    @Test
    void aListenerHearsEachChangeOfLeadershipOnce() {
        Recorder recorder = new Recorder();
        replicas.addListener(recorder);

        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(1, 2), List.of(1, 2), 1, 1, 1), CONFIG);
        // an ISR change in the same leader epoch is no new leadership
        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(1, 2), List.of(1), 1, 1, 2), CONFIG);
        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(1, 2), List.of(2), 2, 2, 3), CONFIG);
        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(1, 2), List.of(1, 2), 1, 3, 4), CONFIG);
        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(2), List.of(2), 2, 4, 5), CONFIG);

        assertThat(recorder.events)
                .containsExactly(
                        "created orders-0",
                        "leader orders-0 epoch 1",
                        "follower orders-0 of 2",
                        "leader orders-0 epoch 3",
                        "moved away orders-0");
    }

    /**
     * A replica reassigned away and a deleted topic both lose their local log, but only the topic's deletion is told as
     * one: the remote tier deletes a partition's remote data on that alone.
     */
    @Test
    void aReplicaMovedAwayIsNotToldAsADeletedPartition() {
        Recorder recorder = new Recorder();
        replicas.addListener(recorder);
        TopicPartition other = new TopicPartition("orders", 1);
        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(1, 2), List.of(1, 2), 1, 1, 1), CONFIG);
        replicas.applyPartitionState(
                TOPIC_ID, other, new PartitionState(List.of(1, 2), List.of(1, 2), 1, 1, 1), CONFIG);

        replicas.applyPartitionState(TOPIC_ID, TP, new PartitionState(List.of(2, 3), List.of(2, 3), 2, 2, 3), CONFIG);
        replicas.deletePartition(other);

        assertThat(recorder.events).contains("moved away orders-0", "deleted orders-1");
        assertThat(recorder.events).doesNotContain("deleted orders-0");
        assertThat(replicas.partition(TP)).isEmpty();
        assertThat(logManager.log(TP)).isEmpty();
    }

    @Test
    void aPartitionCreatedOnASingleBrokerIsLedAtOnceAndALateListenerHearsOfItsLeaderships() {
        Recorder early = new Recorder();
        replicas.addListener(early);
        replicas.createPartition(TP, TOPIC_ID, CONFIG);
        replicas.createPartition(TP, TOPIC_ID, CONFIG);
        replicas.applyPartitionState(
                TOPIC_ID,
                new TopicPartition("orders", 1),
                new PartitionState(List.of(1, 2), List.of(1, 2), 2, 1, 1),
                CONFIG);

        Recorder late = new Recorder();
        replicas.addListener(late);

        assertThat(early.events)
                .containsExactly(
                        "created orders-0",
                        "leader orders-0 epoch 0",
                        "created orders-0",
                        "created orders-1",
                        "follower orders-1 of 2");
        assertThat(late.events).containsExactly("leader orders-0 epoch 0");
    }
}
