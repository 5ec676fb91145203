package dev.strata.broker.partition;

import dev.strata.broker.cluster.IsrChannel;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.config.ReplicationConfig;
import dev.strata.broker.log.LogManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.InvalidUpdateVersionException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;

/**
 * Several brokers' replica managers in one JVM, each with its own log manager and directory, and a controller of a few
 * lines in place of the metadata quorum: it keeps each partition's state, applies ISR changes the way the contract
 * says (epochs checked, committed asynchronously, every broker told), and elects leaders when a test says so.
 * Followers fetch through {@link InProcessEndpoint}s that call the leader's {@link ReplicaManager#fetchAsLeader}
 * directly; a test can cut a broker off from the others.
 */
final class InMemoryCluster implements AutoCloseable {

    final Map<Integer, Broker> brokers = new TreeMap<>();
    private final Map<TopicPartition, PartitionState> states = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Uuid> topicIds = new ConcurrentHashMap<>();
    /** Commits ISR changes, as the quorum would: never on the caller's thread. */
    private final ExecutorService controller = Executors.newSingleThreadExecutor();
    /** Brokers that can neither fetch nor be fetched from. */
    final Set<Integer> cutOff = ConcurrentHashMap.newKeySet();

    private final ReplicationConfig config;
    private final LogConfig logConfig;

    final class Broker {
        final int id;
        final LogManager logManager;
        final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
        final ExecutorService ioPool = Executors.newFixedThreadPool(2);
        final ReplicaManager replicas;

        Broker(int id, Path dir) throws IOException {
            this.id = id;
            this.logManager = new LogManager(List.of(dir), tp -> logConfig, Time.SYSTEM, scheduler, 300_000, 60_000);
            logManager.loadLogs(Map.copyOf(topicIds));
            this.replicas = new ReplicaManager(
                    id,
                    logManager,
                    ioPool,
                    scheduler,
                    PartitionListener.NONE,
                    Time.SYSTEM,
                    isrChannel(),
                    leaderId -> new InProcessEndpoint(id, leaderId),
                    config);
        }

        Partition partition(TopicPartition tp) {
            return replicas.partition(tp).orElseThrow();
        }

        void close() {
            replicas.shutdown();
            logManager.close();
            scheduler.shutdownNow();
            ioPool.shutdownNow();
        }
    }

    InMemoryCluster(Path root, int size, ReplicationConfig config, LogConfig logConfig) throws IOException {
        this.config = config;
        this.logConfig = logConfig;
        for (int id = 1; id <= size; id++) {
            brokers.put(id, new Broker(id, root.resolve("broker-" + id)));
        }
    }

    Broker broker(int id) {
        return brokers.get(id);
    }

    /** Creates a partition on every broker with {@code leader} leading and every broker in the ISR. */
    void createPartition(TopicPartition tp, int leader) {
        topicIds.put(tp, Uuid.randomUuid());
        List<Integer> replicas = new ArrayList<>(brokers.keySet());
        publish(tp, new PartitionState(replicas, replicas, leader, 0, 0));
    }

    /** Moves leadership to {@code leader} with a new leader epoch; the ISR is {@code isr}. */
    void electLeader(TopicPartition tp, int leader, List<Integer> isr) {
        PartitionState old = states.get(tp);
        publish(tp, new PartitionState(old.replicas(), isr, leader, old.leaderEpoch() + 1, old.partitionEpoch() + 1));
    }

    PartitionState state(TopicPartition tp) {
        return states.get(tp);
    }

    private synchronized void publish(TopicPartition tp, PartitionState state) {
        states.put(tp, state);
        for (Broker broker : brokers.values()) {
            broker.replicas.applyPartitionState(topicIds.get(tp), tp, state, logConfig);
        }
    }

    private IsrChannel isrChannel() {
        return (tp, leaderId, leaderEpoch, partitionEpoch, newIsr) -> CompletableFuture.supplyAsync(
                () -> {
                    synchronized (this) {
                        PartitionState current = states.get(tp);
                        if (current.leaderEpoch() != leaderEpoch) {
                            throw new FencedLeaderEpochException("stale leader epoch " + leaderEpoch);
                        }
                        if (current.partitionEpoch() != partitionEpoch) {
                            throw new InvalidUpdateVersionException("stale partition epoch " + partitionEpoch);
                        }
                        PartitionState next = new PartitionState(
                                current.replicas(),
                                newIsr,
                                current.leader(),
                                current.leaderEpoch(),
                                current.partitionEpoch() + 1);
                        publish(tp, next);
                        return next;
                    }
                },
                controller);
    }

    /** Calls the leader in-process, unless either side is cut off. */
    final class InProcessEndpoint implements LeaderEndpoint {
        private final int localId;
        private final int leaderId;

        InProcessEndpoint(int localId, int leaderId) {
            this.localId = localId;
            this.leaderId = leaderId;
        }

        @Override
        public Map<TopicPartition, ReplicaFetchResult> fetch(ReplicaFetch request) throws Exception {
            if (cutOff.contains(localId) || cutOff.contains(leaderId)) {
                throw new IOException("broker " + localId + " cannot reach broker " + leaderId);
            }
            return brokers.get(leaderId)
                    .replicas
                    .fetchAsLeader(request)
                    .get(request.maxWaitMs() + 30_000L, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {}
    }

    static MemoryRecords records(String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(1_000L, null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(
                RecordBatch.MAGIC_VALUE_V2, 0L, Compression.NONE, TimestampType.CREATE_TIME, records);
    }

    static MemoryRecords idempotent(long producerId, int baseSequence, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(1_000L, null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0, baseSequence, records);
    }

    @Override
    public void close() {
        for (Broker broker : brokers.values()) {
            broker.close();
        }
        controller.shutdownNow();
    }
}
