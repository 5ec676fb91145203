package dev.strata.broker.group;

import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.PartitionListener;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions of {@code __consumer_offsets} whose groups this broker coordinates: the coordinator of a group is the
 * leader of its partition, so coordination moves with leadership, as in Kafka. Registered with the replica manager as
 * a {@link PartitionListener}: when this broker becomes a partition's leader, the partition is LOADING until its
 * groups and offsets are replayed from the log ({@link OffsetsTopic#load}), then ACTIVE; when it stops leading it (or
 * the partition leaves this broker), the partition is dropped at once and its groups are unloaded from the
 * coordinators, so that only the new leader has them. A group whose partition is not here is answered NOT_COORDINATOR,
 * one whose partition is loading COORDINATOR_LOAD_IN_PROGRESS; clients look the coordinator up again or retry. As the
 * {@link TxnMarkerListener} of WriteTxnMarkers, it ends transactional offset commits when their marker lands.
 *
 * <p>Threads: the listener calls come from whoever changes leadership (the metadata layer's listener thread, or a
 * topic creation) and only record the new state; loads and unloads run one at a time, in the order of those calls, on
 * the executor, since a load reads a whole partition. Each load carries a token, so a load that a later change
 * superseded does not mark its partition ACTIVE. Request threads read the state without waiting.
 */
public final class CoordinatedPartitions implements PartitionListener, TxnMarkerListener {
    private static final Logger log = LoggerFactory.getLogger(CoordinatedPartitions.class);

    /** A coordinated partition: loading its groups, or serving them. */
    private enum State {
        LOADING,
        ACTIVE
    }

    /** The state of one partition, and the token of the leadership that started its load. */
    private record Coordination(State state, long token) {}

    private final OffsetsTopic offsetsTopic;
    private final GroupCoordinator classic;
    private final ConsumerGroupCoordinator consumerGroups;
    private final Executor executor;
    /** Guarded by this. Absent: this broker does not lead the partition. */
    private final Map<Integer, Coordination> partitions = new HashMap<>();
    /** Guarded by this. The last load or unload queued; the next one runs after it. */
    private CompletableFuture<Void> queue = CompletableFuture.completedFuture(null);

    private long nextToken;

    public CoordinatedPartitions(
            OffsetsTopic offsetsTopic,
            GroupCoordinator classic,
            ConsumerGroupCoordinator consumerGroups,
            Executor executor) {
        this.offsetsTopic = offsetsTopic;
        this.classic = classic;
        this.consumerGroups = consumerGroups;
        this.executor = executor;
    }

    /** NONE if this broker coordinates the group now, COORDINATOR_LOAD_IN_PROGRESS, or NOT_COORDINATOR. */
    public Errors errorFor(String groupId) {
        Coordination c;
        synchronized (this) {
            c = partitions.get(offsetsTopic.partitionFor(groupId));
        }
        if (c == null) {
            return Errors.NOT_COORDINATOR;
        }
        return c.state() == State.ACTIVE ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** Whether this broker serves the group now (its partition is loaded here). */
    public boolean coordinates(String groupId) {
        return errorFor(groupId) == Errors.NONE;
    }

    /** Whether any partition this broker leads is still loading: ListGroups would miss its groups. */
    public synchronized boolean loading() {
        return partitions.values().stream().anyMatch(c -> c.state() == State.LOADING);
    }

    @Override
    public void onBecomeLeader(Partition partition) {
        if (!isOffsetsTopic(partition)) {
            return;
        }
        int p = partition.topicPartition().partition();
        synchronized (this) {
            if (partitions.containsKey(p)) {
                return; // a new leader epoch of a partition this broker led already: its groups are here
            }
            long token = ++nextToken;
            partitions.put(p, new Coordination(State.LOADING, token));
            log.debug("Loading the groups of {} (this broker leads it)", partition.topicPartition());
            enqueue(() -> load(p, token));
        }
    }

    @Override
    public void onBecomeFollower(Partition partition) {
        resign(partition, "it follows broker " + partition.leaderId());
    }

    @Override
    public void onPartitionDeleted(Partition partition) {
        resign(partition, "it is no longer hosted here");
    }

    @Override
    public void onReplicaRemoved(Partition partition) {
        resign(partition, "its replica moved to other brokers");
    }

    private void resign(Partition partition, String why) {
        if (!isOffsetsTopic(partition)) {
            return;
        }
        int p = partition.topicPartition().partition();
        synchronized (this) {
            if (partitions.remove(p) == null) {
                return;
            }
            log.info("Unloading the groups of {}: {}", partition.topicPartition(), why);
            enqueue(() -> unload(p));
        }
    }

    /**
     * A marker ended a producer's transaction in a partition of {@code __consumer_offsets}: its pending offsets of the
     * partition's groups are applied or dropped. While the partition is loading, this waits for the load (which may
     * or may not have read the marker; applying it twice does nothing), so that the load cannot bring them back.
     */
    @Override
    public void onMarkerWritten(TopicPartition tp, long producerId, boolean commit, long markerOffset) {
        if (!tp.topic().equals(OffsetsTopic.NAME)) {
            return;
        }
        int p = tp.partition();
        Runnable complete = () -> classic.offsets()
                .completeTransaction(
                        producerId, commit, markerOffset, groupId -> offsetsTopic.partitionFor(groupId) == p);
        synchronized (this) {
            Coordination c = partitions.get(p);
            if (c == null) {
                return; // not led here: the leader that loads the log replays the marker
            }
            if (c.state() == State.LOADING) {
                enqueue(complete);
                return;
            }
        }
        complete.run();
    }

    private static boolean isOffsetsTopic(Partition partition) {
        return partition.topicPartition().topic().equals(OffsetsTopic.NAME);
    }

    /** Guarded by this: queues after the last load or unload, whatever became of it. */
    private void enqueue(Runnable task) {
        queue = queue.handle((r, e) -> null).thenRunAsync(task, executor);
    }

    private void load(int p, long token) {
        synchronized (this) {
            Coordination c = partitions.get(p);
            if (c == null || c.token() != token) {
                return; // superseded: this broker stopped leading meanwhile
            }
        }
        try {
            // Groups left by an earlier leadership (a request racing the unload) must not mix with the log's.
            unload(p);
            offsetsTopic.load(p, classic, consumerGroups);
        } catch (RuntimeException e) {
            // the partition stays LOADING: its groups answer COORDINATOR_LOAD_IN_PROGRESS rather than lose state
            log.error("Cannot load the groups of {}-{}", OffsetsTopic.NAME, p, e);
            return;
        }
        synchronized (this) {
            Coordination c = partitions.get(p);
            if (c != null && c.token() == token) {
                partitions.put(p, new Coordination(State.ACTIVE, token));
            }
        }
    }

    private void unload(int p) {
        classic.unload(groupId -> offsetsTopic.partitionFor(groupId) == p);
        consumerGroups.unload(groupId -> offsetsTopic.partitionFor(groupId) == p);
    }
}
