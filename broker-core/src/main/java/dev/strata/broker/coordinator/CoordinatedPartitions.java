package dev.strata.broker.coordinator;

import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.PartitionListener;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions of an internal topic ({@code __consumer_offsets}, {@code __transaction_state}) whose keys this broker
 * coordinates: the coordinator of a key (a group, a transactional id) is the leader of its partition, so coordination
 * moves with leadership, as in Kafka. Registered with the replica manager as a {@link PartitionListener}: when this
 * broker becomes a partition's leader, the partition is LOADING until its state is replayed from the log
 * ({@link Loader#load}), then ACTIVE; when it stops leading it (or the partition leaves this broker), the partition is
 * dropped at once and its state unloaded ({@link Loader#unload}), so that only the new leader has it. A key whose
 * partition is not here is answered NOT_COORDINATOR, one whose partition is loading COORDINATOR_LOAD_IN_PROGRESS;
 * clients look the coordinator up again or retry.
 *
 * <p>Threads: the listener calls come from whoever changes leadership (the metadata layer's listener thread, or a
 * topic creation) and only record the new state; loads and unloads run one at a time, in the order of those calls, on
 * the executor, since a load reads a whole partition. Each load carries a token, so a load that a later change
 * superseded does not mark its partition ACTIVE. Request threads read the state without waiting.
 */
public final class CoordinatedPartitions implements PartitionListener {
    private static final Logger log = LoggerFactory.getLogger(CoordinatedPartitions.class);

    /** A coordinated partition: loading its state, or serving it. */
    private enum State {
        LOADING,
        ACTIVE
    }

    /** The state of one partition, and the token of the leadership that started its load. */
    private record Coordination(State state, long token) {}

    /** What a coordinator does when it gains or loses a partition. */
    public interface Loader {
        /** Replays partition {@code p} into the coordinator, which holds none of its state yet. */
        void load(int p);

        /** Drops the state of partition {@code p}. */
        void unload(int p);
    }

    private final String topic;
    private final ToIntFunction<String> partitionFor;
    private final Loader loader;
    private final Executor executor;
    /** Guarded by this. Absent: this broker does not lead the partition. */
    private final Map<Integer, Coordination> partitions = new HashMap<>();
    /** Guarded by this. The last load or unload queued; the next one runs after it. */
    private CompletableFuture<Void> queue = CompletableFuture.completedFuture(null);

    private long nextToken;

    /**
     * @param topic the internal topic
     * @param partitionFor the partition of a key
     */
    public CoordinatedPartitions(String topic, ToIntFunction<String> partitionFor, Loader loader, Executor executor) {
        this.topic = topic;
        this.partitionFor = partitionFor;
        this.loader = loader;
        this.executor = executor;
    }

    /** NONE if this broker coordinates the key now, COORDINATOR_LOAD_IN_PROGRESS, or NOT_COORDINATOR. */
    public Errors errorFor(String key) {
        Coordination c;
        synchronized (this) {
            c = partitions.get(partitionFor.applyAsInt(key));
        }
        if (c == null) {
            return Errors.NOT_COORDINATOR;
        }
        return c.state() == State.ACTIVE ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    /** Whether this broker serves the key now (its partition is loaded here). */
    public boolean coordinates(String key) {
        return errorFor(key) == Errors.NONE;
    }

    /** Whether any partition this broker leads is still loading: a listing (ListGroups, ListTransactions) would miss its keys. */
    public synchronized boolean loading() {
        return partitions.values().stream().anyMatch(c -> c.state() == State.LOADING);
    }

    @Override
    public void onBecomeLeader(Partition partition) {
        if (!isCoordinated(partition)) {
            return;
        }
        int p = partition.topicPartition().partition();
        synchronized (this) {
            if (partitions.containsKey(p)) {
                return; // a new leader epoch of a partition this broker led already: its groups are here
            }
            long token = ++nextToken;
            partitions.put(p, new Coordination(State.LOADING, token));
            log.debug("Loading the state of {} (this broker leads it)", partition.topicPartition());
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
        if (!isCoordinated(partition)) {
            return;
        }
        int p = partition.topicPartition().partition();
        synchronized (this) {
            if (partitions.remove(p) == null) {
                return;
            }
            log.info("Unloading the state of {}: {}", partition.topicPartition(), why);
            enqueue(() -> loader.unload(p));
        }
    }

    /**
     * Runs {@code task} on partition {@code p}'s state once it is loaded here: at once when it is, after the load while
     * it is loading (the load may or may not have seen what the task applies, so the task must be idempotent), and not
     * at all when this broker does not lead it (the leader that loads the log replays it).
     */
    public void whenLoaded(int p, Runnable task) {
        synchronized (this) {
            Coordination c = partitions.get(p);
            if (c == null) {
                return;
            }
            if (c.state() == State.LOADING) {
                enqueue(task);
                return;
            }
        }
        task.run();
    }

    private boolean isCoordinated(Partition partition) {
        return partition.topicPartition().topic().equals(topic);
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
            // State left by an earlier leadership (a request racing the unload) must not mix with the log's.
            loader.unload(p);
            loader.load(p);
        } catch (RuntimeException e) {
            // the partition stays LOADING: its keys answer COORDINATOR_LOAD_IN_PROGRESS rather than lose state
            log.error("Cannot load the state of {}-{}", topic, p, e);
            return;
        }
        synchronized (this) {
            Coordination c = partitions.get(p);
            if (c != null && c.token() == token) {
                partitions.put(p, new Coordination(State.ACTIVE, token));
            }
        }
    }
}
