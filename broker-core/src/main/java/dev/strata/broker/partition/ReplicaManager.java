package dev.strata.broker.partition;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.tiering.LogTieredPartition;
import dev.strata.broker.tiering.RemoteTier;
import dev.strata.tiering.RemoteLogManager;
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
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions hosted by this broker, and the fetches parked on them. Appends go through {@link Partition};
 * whoever appends calls {@link #onAppend} so that parked fetches on that partition try again.
 */
public final class ReplicaManager {
    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final int brokerId;
    private final LogManager logManager;
    private final ExecutorService ioPool;
    private final ScheduledExecutorService timer;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Set<DelayedFetch<?>>> waiting = new ConcurrentHashMap<>();
    /** The remote tier, or null when this broker does not tier. */
    private final RemoteTier remoteTier;

    /** The partitions whose topic is tiered now ({@code remote.storage.enable=true} on a broker that tiers). */
    private final Set<TopicPartition> tiered = ConcurrentHashMap.newKeySet();

    public ReplicaManager(int brokerId, LogManager logManager, ExecutorService ioPool, ScheduledExecutorService timer) {
        this(brokerId, logManager, ioPool, timer, null);
    }

    /** @param remoteTier the remote tier, or null when this broker does not tier */
    public ReplicaManager(
            int brokerId,
            LogManager logManager,
            ExecutorService ioPool,
            ScheduledExecutorService timer,
            RemoteTier remoteTier) {
        this.brokerId = brokerId;
        this.logManager = logManager;
        this.ioPool = ioPool;
        this.timer = timer;
        this.remoteTier = remoteTier;
    }

    /** The remote tier, when this broker tiers. */
    public Optional<RemoteTier> remoteTier() {
        return Optional.ofNullable(remoteTier);
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
        applyTieringConfig(partition);
        return partition;
    }

    /** The partition's log config changed: tiering starts or stops if {@code remote.storage.enable} changed. */
    public void onConfigChange(TopicPartition tp) {
        partition(tp).ifPresent(this::applyTieringConfig);
    }

    /**
     * Registers a partition whose topic turned tiered with the remote log manager. One that stopped being tiered
     * (KIP-950: {@code remote.storage.enable=false} with {@code remote.log.delete.on.disable=true}) starts at its local
     * log start offset from now on and stays registered: its configs tell the manager's expiry task to delete its
     * remote data, retrying until that succeeds, and turning tiering on again registers it anew. So does a partition
     * whose remote data was still being deleted when the broker stopped.
     */
    private void applyTieringConfig(Partition partition) {
        if (remoteTier == null) {
            return;
        }
        TopicPartition tp = partition.topicPartition();
        TopicIdPartition tip = new TopicIdPartition(partition.topicId(), tp);
        LogConfig config = partition.log().config();
        RemoteLogManager manager = remoteTier.manager();
        if (config.remoteStorageEnable()) {
            if (tiered.add(tp)) {
                manager.highestRemoteOffset(tip).ifPresent(partition.log()::onHighestRemoteOffset);
                // The remote tier may start above the checkpointed log start offset: the broker stopped between a
                // remote deletion and the next checkpoint, or the remote index was rebuilt with deletions to finish.
                long remoteLogStart = manager.remoteLogStartOffset(tip);
                if (remoteLogStart > 0) {
                    partition.log().onRemoteLogStartOffset(remoteLogStart);
                }
                manager.register(new LogTieredPartition(partition));
            }
        } else if (tiered.remove(tp)) {
            partition.log().onRemoteStorageDisabled();
            log.info("Tiering of {} turned off; its remote data is deleted in the background", tip);
        } else if (config.remoteLogDeleteOnDisable()
                && manager.highestRemoteOffset(tip).isPresent()) {
            manager.register(new LogTieredPartition(partition));
        }
    }

    /**
     * Removes the partition and deletes its log, and its remote data if it has any. Parked fetches on it find it gone
     * on their next attempt.
     */
    public void deletePartition(TopicPartition tp) {
        Partition removed = partitions.remove(tp);
        if (removed != null) {
            TopicIdPartition tip = new TopicIdPartition(removed.topicId(), tp);
            boolean wasTiered = tiered.remove(tp);
            // a partition whose tiering was turned off may still have remote data being deleted
            if (remoteTier != null
                    && (wasTiered
                            || remoteTier.manager().highestRemoteOffset(tip).isPresent())) {
                try {
                    remoteTier.manager().unregister(tip, true);
                } catch (RemoteStorageException | RuntimeException e) {
                    log.warn("Cannot delete the remote data of {}; it stays in the remote tier", tip, e);
                }
            }
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
