package dev.strata.broker.partition;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LogManager;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * The partitions hosted by this broker, and the fetches parked on them. Appends go through {@link Partition};
 * whoever appends calls {@link #onAppend} so that parked fetches on that partition try again.
 */
public final class ReplicaManager {
    private final int brokerId;
    private final LogManager logManager;
    private final ExecutorService ioPool;
    private final ScheduledExecutorService timer;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Set<DelayedFetch<?>>> waiting = new ConcurrentHashMap<>();
    /** Hears of partitions created, reconfigured and deleted: the remote tier, when this broker tiers. */
    private final PartitionListener listener;

    public ReplicaManager(int brokerId, LogManager logManager, ExecutorService ioPool, ScheduledExecutorService timer) {
        this(brokerId, logManager, ioPool, timer, PartitionListener.NONE);
    }

    /** @param listener told of partitions created, reconfigured and deleted, on the thread that changes them */
    public ReplicaManager(
            int brokerId,
            LogManager logManager,
            ExecutorService ioPool,
            ScheduledExecutorService timer,
            PartitionListener listener) {
        this.brokerId = brokerId;
        this.logManager = logManager;
        this.ioPool = ioPool;
        this.timer = timer;
        this.listener = listener;
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

    /** Creates (or opens, if its log exists) a partition led by this broker. */
    public Partition createPartition(TopicPartition tp, Uuid topicId, LogConfig config) {
        Partition partition = partitions.computeIfAbsent(
                tp, k -> new Partition(tp, topicId, logManager.getOrCreateLog(tp, topicId, config), brokerId, 0));
        listener.onPartitionCreated(partition);
        return partition;
    }

    /** The partition's log config changed: the listener hears of it (tiering starts or stops). */
    public void onConfigChange(TopicPartition tp) {
        partition(tp).ifPresent(listener::onConfigChanged);
    }

    /**
     * Removes the partition and deletes its log; the listener hears of it first (and deletes its remote data, if it has
     * any). Parked fetches on it find it gone on their next attempt.
     */
    public void deletePartition(TopicPartition tp) {
        Partition removed = partitions.remove(tp);
        if (removed != null) {
            listener.onPartitionDeleted(removed);
            logManager.deleteLog(tp);
        }
        onAppend(tp);
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
