package dev.strata.broker.partition;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.IsrChannel;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.config.ReplicationConfig;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogManager;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions hosted by this broker, the fetches and produces parked on them, and the replication between brokers
 * (Kafka's {@code ReplicaManager}). Appends go through {@link Partition}; whoever appends calls {@link #onAppend} so
 * that parked fetches on that partition try again.
 *
 * <p>Replication: {@link #applyPartitionState} (called for each partition change the metadata layer applies, through
 * {@link PartitionStateApplier}) makes this broker a partition's leader or follower, or drops the partition when this
 * broker is no longer one of its replicas. A follower's partitions are fetched by the {@link ReplicaFetcherManager}'s
 * threads (one per leader broker) through a {@link LeaderEndpoint}; a leader serves those fetches in
 * {@link #fetchAsLeader}, and its partitions move their high watermark and ask for ISR changes as followers fetch
 * ({@link Partition}). {@link #startup} schedules the periodic ISR shrink check (every half
 * {@code replica.lag.time.max.ms}) on the timer. A broker built without a leader endpoint factory (a single broker)
 * fetches nothing and leads every partition it creates through {@link #createPartition}.
 */
public final class ReplicaManager {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaManager.class);

    private final int brokerId;
    private final LogManager logManager;
    private final ExecutorService ioPool;
    private final ScheduledExecutorService timer;
    private final Time time;
    private final IsrChannel isrChannel;
    private final ReplicationConfig replication;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Set<DelayedFetch<?>>> waiting = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Set<DelayedProduce>> producing = new ConcurrentHashMap<>();
    /**
     * Hear of partitions created, reconfigured, deleted, led and followed: the remote tier when this broker tiers (the
     * constructor's), the group coordinator ({@link #addListener}).
     */
    private final List<PartitionListener> listeners = new CopyOnWriteArrayList<>();

    private volatile TieredBootstrap tieredBootstrap = TieredBootstrap.NONE;
    /** The follower side: null on a broker built without a leader endpoint factory. */
    private final ReplicaFetcherManager fetchers;
    /** Serializes partition state changes (the metadata thread makes them, tests may make them from others). */
    private final Object stateChangeLock = new Object();

    private ScheduledFuture<?> isrShrinkTask;

    public ReplicaManager(int brokerId, LogManager logManager, ExecutorService ioPool, ScheduledExecutorService timer) {
        this(brokerId, logManager, ioPool, timer, PartitionListener.NONE);
    }

    /**
     * @param listener told of partitions created, reconfigured, deleted, led and followed, on the thread that changes
     *     them
     */
    public ReplicaManager(
            int brokerId,
            LogManager logManager,
            ExecutorService ioPool,
            ScheduledExecutorService timer,
            PartitionListener listener) {
        this(brokerId, logManager, ioPool, timer, listener, Time.SYSTEM, null, null, ReplicationConfig.defaults());
    }

    /**
     * A replica manager that replicates.
     *
     * @param isrChannel where a leader asks for ISR changes
     * @param endpoints opens the connection to a leader broker for a fetcher thread; it must not do I/O itself (the
     *     endpoint connects on its first fetch)
     */
    public ReplicaManager(
            int brokerId,
            LogManager logManager,
            ExecutorService ioPool,
            ScheduledExecutorService timer,
            PartitionListener listener,
            Time time,
            IsrChannel isrChannel,
            LeaderEndpoint.Factory endpoints,
            ReplicationConfig replication) {
        this.brokerId = brokerId;
        this.logManager = logManager;
        this.ioPool = ioPool;
        this.timer = timer;
        this.listeners.add(listener);
        this.time = time;
        this.isrChannel = isrChannel;
        this.replication = replication;
        this.fetchers =
                endpoints == null ? null : new ReplicaFetcherManager(brokerId, endpoints, this, replication, time);
    }

    /** Schedules the periodic ISR shrink check on the timer (every half {@code replica.lag.time.max.ms}). */
    public synchronized void startup() {
        if (isrShrinkTask == null) {
            long interval = Math.max(1L, replication.replicaLagTimeMaxMs() / 2);
            isrShrinkTask =
                    timer.scheduleWithFixedDelay(this::maybeShrinkIsr, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    /** Stops the fetcher threads and the ISR check; the logs stay open (the log manager closes them). */
    public void shutdown() {
        synchronized (this) {
            if (isrShrinkTask != null) {
                isrShrinkTask.cancel(false);
                isrShrinkTask = null;
            }
        }
        if (fetchers != null) {
            fetchers.shutdown();
        }
    }

    /** Lets followers bootstrap from the remote tier (KIP-405); set before {@link #startup}. */
    public void useTieredBootstrap(TieredBootstrap bootstrap) {
        this.tieredBootstrap = bootstrap;
    }

    TieredBootstrap tieredBootstrap() {
        return tieredBootstrap;
    }

    public int brokerId() {
        return brokerId;
    }

    public Optional<Partition> partition(TopicPartition tp) {
        return Optional.ofNullable(partitions.get(tp));
    }

    public Collection<Partition> partitions() {
        return partitions.values();
    }

    /**
     * Adds a listener and tells it, as {@link PartitionListener#onBecomeLeader}, of every partition this broker leads
     * now, so that it misses no leadership however late it comes.
     */
    public void addListener(PartitionListener listener) {
        synchronized (stateChangeLock) {
            listeners.add(listener);
            for (Partition partition : partitions.values()) {
                if (partition.isLeader()) {
                    listener.onBecomeLeader(partition);
                }
            }
        }
    }

    /** Creates (or opens, if its log exists) a partition led by this broker alone, in leader epoch 0. */
    public Partition createPartition(TopicPartition tp, Uuid topicId, LogConfig config) {
        boolean[] created = {false};
        Partition partition = partitions.computeIfAbsent(tp, k -> {
            Partition opened = newPartition(tp, topicId, logManager.getOrCreateLog(tp, topicId, config));
            opened.becomeSoleLeader(0);
            created[0] = true;
            return opened;
        });
        listeners.forEach(l -> l.onPartitionCreated(partition));
        if (created[0]) {
            listeners.forEach(l -> l.onBecomeLeader(partition));
        }
        return partition;
    }

    private Partition newPartition(TopicPartition tp, Uuid topicId, LocalLog log) {
        IsrChannel channel = isrChannel != null
                ? isrChannel
                : (p, leader, leaderEpoch, partitionEpoch, isr) ->
                        CompletableFuture.failedFuture(new ApiException("No controller to change the ISR of " + p));
        return new Partition(
                tp,
                topicId,
                log,
                brokerId,
                time,
                channel,
                replication.replicaLagTimeMaxMs(),
                this::onHighWatermarkChanged);
    }

    /**
     * Applies a partition's state as the controller decided it: this broker becomes (or stays) its leader or a follower
     * fetching from its leader, or, when it is no longer one of its replicas, drops it and deletes its log. A state
     * older than the one applied (a lower leader epoch, or the same with a lower partition epoch) is ignored. The log is
     * created with {@code config} if this broker has none yet.
     */
    public void applyPartitionState(Uuid topicId, TopicPartition tp, PartitionState state, LogConfig config) {
        synchronized (stateChangeLock) {
            Partition partition = partitions.get(tp);
            if (!state.isReplica(brokerId)) {
                if (partition != null) {
                    LOG.info(
                            "Broker {} is no longer a replica of {} ({}): deleting its local replica",
                            brokerId,
                            tp,
                            state);
                    removeReplica(tp);
                }
                return;
            }
            boolean created = false;
            if (partition == null) {
                partition = newPartition(tp, topicId, logManager.getOrCreateLog(tp, topicId, config));
                partitions.put(tp, partition);
                created = true;
            } else if (state.leaderEpoch() < partition.leaderEpoch()
                    || state.leaderEpoch() == partition.leaderEpoch()
                            && state.partitionEpoch() < partition.partitionEpoch()) {
                LOG.info(
                        "Ignoring a stale state of {}: {} (applied: leader epoch {}, partition epoch {})",
                        tp,
                        state,
                        partition.leaderEpoch(),
                        partition.partitionEpoch());
                return;
            }
            // stop fetching first, so that no data from the previous leader lands once the new state is applied
            if (fetchers != null) {
                fetchers.removePartition(tp);
            }
            boolean becameLeader = false;
            boolean becameFollower = false;
            if (state.leader() == brokerId) {
                becameLeader = partition.makeLeader(state);
                if (becameLeader) {
                    LOG.info(
                            "Broker {} leads {} in epoch {}, ISR {}, high watermark {}",
                            brokerId,
                            tp,
                            state.leaderEpoch(),
                            state.isr(),
                            partition.log().highWatermark());
                }
            } else {
                becameFollower = partition.makeFollower(state);
                if (becameFollower) {
                    LOG.info(
                            "Broker {} follows {} in epoch {}: leader {}",
                            brokerId,
                            tp,
                            state.leaderEpoch(),
                            state.leader());
                }
                LocalLog log = partition.log();
                if (log.isOffline()) {
                    // its log directory failed: nothing can be written to it until a restart, so it does not fetch
                    // (the controller keeps it out of the ISR and leadership)
                    LOG.warn("Broker {} does not fetch {}: its log directory is offline", brokerId, tp);
                } else if (log.latestEpoch() < 0 && log.logEndOffset() > log.highWatermark()) {
                    // without epochs the leader cannot tell where this log diverges: keep only what was committed
                    log.truncateTo(log.highWatermark());
                }
                if (state.hasLeader() && fetchers != null && !log.isOffline()) {
                    fetchers.addPartition(tp, topicId, state.leader(), state.leaderEpoch());
                }
            }
            Partition applied = partition;
            if (created) {
                listeners.forEach(l -> l.onPartitionCreated(applied));
            }
            if (becameLeader) {
                listeners.forEach(l -> l.onBecomeLeader(applied));
            } else if (becameFollower) {
                listeners.forEach(l -> l.onBecomeFollower(applied));
            }
        }
        onHighWatermarkChanged(tp);
    }

    /** A broker registered or changed: a fetcher from it reconnects (its address may have changed). */
    public void onBrokerChanged(ClusterBroker broker) {
        if (fetchers != null) {
            fetchers.onBrokerChanged(broker.nodeId());
        }
    }

    /** The leader this broker fetches {@code tp} from, or -1 when it fetches it from none. */
    public int fetchingFrom(TopicPartition tp) {
        return fetchers == null ? -1 : fetchers.fetchingFrom(tp);
    }

    /** Runs the ISR shrink check of every partition this broker leads; the timer calls it after {@link #startup}. */
    public void maybeShrinkIsr() {
        for (Partition partition : partitions.values()) {
            try {
                partition.maybeShrinkIsr();
            } catch (RuntimeException e) {
                LOG.error("ISR check of {} failed", partition.topicPartition(), e);
            }
        }
    }

    /**
     * Serves a follower's fetch as leader: each partition is read up to its log end, or answered with a diverging epoch
     * or an error; the fetch is parked (without a thread) until {@code minBytes} are there, an error occurs, or
     * {@code maxWaitMs} passes. Reading records where each follower is, which may grow the ISR and move the high
     * watermark.
     */
    public CompletableFuture<Map<TopicPartition, ReplicaFetchResult>> fetchAsLeader(ReplicaFetch request) {
        List<TopicPartition> tps = request.partitions().stream()
                .map(ReplicaFetch.PartitionFetch::topicPartition)
                .toList();
        return fetch(tps, request.maxWaitMs(), last -> {
            Map<TopicPartition, ReplicaFetchResult> results = new LinkedHashMap<>();
            int bytes = 0;
            boolean done = false;
            for (ReplicaFetch.PartitionFetch pf : request.partitions()) {
                Partition partition = partitions.get(pf.topicPartition());
                ReplicaFetchResult result;
                if (partition == null) {
                    result = ReplicaFetchResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else {
                    int limit = Math.max(0, Math.min(pf.maxBytes(), request.maxBytes() - bytes));
                    result = partition.fetchForFollower(request.replicaId(), pf, limit, bytes == 0);
                }
                if (result.error() != Errors.NONE || result.divergingEpoch().isPresent()) {
                    done = true;
                }
                bytes += result.records().sizeInBytes();
                results.put(pf.topicPartition(), result);
            }
            return new DelayedFetch.Attempt<>(results, done || bytes >= request.minBytes());
        });
    }

    /**
     * Waits for an {@code acks=all} append to be replicated: completes with NONE once the high watermark of {@code tp}
     * reaches {@code requiredOffset} (one past the append's last offset), NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR
     * shrank below {@code min.insync.replicas} meanwhile, NOT_LEADER_OR_FOLLOWER if this broker stopped leading it, or
     * REQUEST_TIMED_OUT after {@code timeoutMs}. No thread waits.
     */
    public CompletableFuture<Errors> awaitReplication(TopicPartition tp, long requiredOffset, long timeoutMs) {
        Partition partition = partitions.get(tp);
        if (partition == null) {
            return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        Optional<Errors> now = partition.replicationStatus(requiredOffset);
        if (now.isPresent()) {
            return CompletableFuture.completedFuture(now.get());
        }
        DelayedProduce produce = new DelayedProduce(requiredOffset);
        producing.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(produce);
        var expiry = timer.schedule(
                () -> produce.complete(Errors.REQUEST_TIMED_OUT), Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
        produce.future().whenComplete((e, t) -> {
            expiry.cancel(false);
            Set<DelayedProduce> set = producing.get(tp);
            if (set != null) {
                set.remove(produce);
            }
        });
        // the high watermark may have moved between the first check and the registration
        tryCompleteProduce(tp, produce);
        return produce.future();
    }

    /**
     * The high watermark of {@code tp} moved, or its leadership changed: parked produces check again at once and parked
     * fetches try again on the I/O pool.
     */
    void onHighWatermarkChanged(TopicPartition tp) {
        Set<DelayedProduce> set = producing.get(tp);
        if (set != null) {
            for (DelayedProduce produce : set) {
                tryCompleteProduce(tp, produce);
            }
        }
        onAppend(tp);
    }

    private void tryCompleteProduce(TopicPartition tp, DelayedProduce produce) {
        Partition partition = partitions.get(tp);
        if (partition == null) {
            produce.complete(Errors.NOT_LEADER_OR_FOLLOWER);
            return;
        }
        partition.replicationStatus(produce.requiredOffset()).ifPresent(produce::complete);
    }

    /** The partition's log config changed: the listener hears of it (tiering starts or stops). */
    public void onConfigChange(TopicPartition tp) {
        partition(tp).ifPresent(p -> listeners.forEach(l -> l.onConfigChanged(p)));
    }

    /**
     * The partition's topic was deleted: removes the partition and deletes its log; the listener hears of it first
     * (and deletes its remote data, if it has any). Parked fetches on it find it gone on their next attempt.
     */
    public void deletePartition(TopicPartition tp) {
        remove(tp, true);
    }

    /**
     * This broker no longer hosts a replica of the partition (a reassignment moved it away), which lives on on other
     * brokers: removes it and deletes its local log only. The listeners hear {@link
     * PartitionListener#onReplicaRemoved}, and its remote data stays, since the partition's other replicas serve it.
     */
    public void removeReplica(TopicPartition tp) {
        remove(tp, false);
    }

    private void remove(TopicPartition tp, boolean topicDeleted) {
        if (fetchers != null) {
            fetchers.removePartition(tp);
        }
        Partition removed = partitions.remove(tp);
        if (removed != null) {
            if (topicDeleted) {
                listeners.forEach(l -> l.onPartitionDeleted(removed));
            } else {
                listeners.forEach(l -> l.onReplicaRemoved(removed));
            }
            logManager.deleteLog(tp);
        }
        onHighWatermarkChanged(tp);
    }

    /**
     * Runs a fetch now and, if it is not satisfied, parks it until an append makes it so or {@code maxWaitMs}
     * passes.
     */
    public <R> CompletableFuture<R> fetch(
            Collection<TopicPartition> tps, long maxWaitMs, Function<Boolean, DelayedFetch.Attempt<R>> read) {
        DelayedFetch<R> fetch = new DelayedFetch<>(tps, read);
        DelayedFetch.Attempt<R> first = read.apply(maxWaitMs <= 0);
        if (first.satisfied() || maxWaitMs <= 0 || tps.isEmpty()) {
            return CompletableFuture.completedFuture(first.result());
        }
        for (TopicPartition tp : tps) {
            waiting.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(fetch);
        }
        // An append may have landed between the first read and the registration.
        fetch.tryComplete();
        var expiry = timer.schedule(() -> ioPool.execute(fetch::expire), maxWaitMs, TimeUnit.MILLISECONDS);
        fetch.future().whenComplete((r, e) -> {
            expiry.cancel(false);
            for (TopicPartition tp : tps) {
                Set<DelayedFetch<?>> set = waiting.get(tp);
                if (set != null) {
                    set.remove(fetch);
                }
            }
        });
        return fetch.future();
    }

    /**
     * Answers a fetch that reads from the remote tier once every read in {@code remoteReads} is done or
     * {@code maxWaitMs} ({@code remote.fetch.max.wait.ms}) passes, whichever comes first; see
     * {@link DelayedRemoteFetch}.
     *
     * @param remoteReads the fetch's reads from the remote tier; they must never complete exceptionally
     * @param response builds the response from the reads done when it is called
     */
    public <R> CompletableFuture<R> remoteFetch(
            Collection<? extends CompletableFuture<?>> remoteReads, long maxWaitMs, Supplier<R> response) {
        return DelayedRemoteFetch.start(remoteReads, maxWaitMs, timer, response);
    }

    /** New data (or a change) on {@code tp}: parked fetches on it try again, on the I/O pool. */
    public void onAppend(TopicPartition tp) {
        Set<DelayedFetch<?>> set = waiting.get(tp);
        if (set == null || set.isEmpty()) {
            return;
        }
        for (DelayedFetch<?> f : set) {
            if (!f.isCompleted()) {
                ioPool.execute(f::tryComplete);
            }
        }
    }
}
