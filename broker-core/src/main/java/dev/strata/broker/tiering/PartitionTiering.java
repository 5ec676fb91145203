package dev.strata.broker.tiering;

import dev.strata.broker.config.LogConfig;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.PartitionListener;
import dev.strata.tiering.RemoteLogManager;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the remote log manager's partitions in step with the broker's: a partition is tiered while its topic is
 * ({@code remote.storage.enable=true}), its tiering stops when that is turned off, and its remote data is deleted after
 * it (in the background). Only a partition's leader copies and expires segments: the manager runs a partition from
 * {@link #onBecomeLeader} (a new leader epoch registers it anew, so its copies carry that epoch) until
 * {@link #onBecomeFollower}; a follower's remote index and local log learn of the leader's segments through the
 * metadata quorum ({@link RemoteSegmentApplier}), so that a new leader continues where the old one stopped. Driven by
 * the {@link dev.strata.broker.partition.ReplicaManager} as its {@link PartitionListener}, on the thread that changes
 * the partition; nothing here waits for the store.
 */
public final class PartitionTiering implements PartitionListener {
    private static final Logger log = LoggerFactory.getLogger(PartitionTiering.class);

    private final RemoteLogManager manager;

    /** The partitions whose topic is tiered now. */
    private final Set<TopicPartition> tiered = ConcurrentHashMap.newKeySet();

    public PartitionTiering(RemoteLogManager manager) {
        this.manager = manager;
    }

    @Override
    public void onPartitionCreated(Partition partition) {
        applyTieringConfig(partition);
    }

    /** Tiering starts or stops if {@code remote.storage.enable} changed. */
    @Override
    public void onConfigChanged(Partition partition) {
        applyTieringConfig(partition);
    }

    /** The manager runs the partition's copies and retention from now on, in this leader epoch. */
    @Override
    public void onBecomeLeader(Partition partition) {
        TopicIdPartition tip = tip(partition);
        if (tiered.contains(partition.topicPartition()) || hasRemoteDataToDelete(partition, tip)) {
            manager.register(new LogTieredPartition(partition));
        }
    }

    /**
     * Another broker leads: the manager stops running the partition (a copy in flight is refused by the quorum and
     * cleaned up), and only remembers its topic, so that this broker can serve remote reads once it leads again.
     */
    @Override
    public void onBecomeFollower(Partition partition) {
        TopicIdPartition tip = tip(partition);
        manager.unregister(tip);
        if (tiered.contains(partition.topicPartition())) {
            manager.follow(tip);
        }
    }

    /**
     * A partition whose topic turned tiered learns how far its remote tier reaches and, if this broker leads it, is
     * registered with the remote log manager. One that stopped being tiered (KIP-950:
     * {@code remote.storage.enable=false} with {@code remote.log.delete.on.disable=true}) starts at its local log start
     * offset from now on and stays registered where it is led: its configs tell the manager's expiry task to delete
     * its remote data, retrying until that succeeds, and turning tiering on again registers it anew. So does a
     * partition whose remote data was still being deleted when the broker stopped.
     */
    private void applyTieringConfig(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        TopicIdPartition tip = tip(partition);
        LogConfig config = partition.log().config();
        if (config.remoteStorageEnable()) {
            if (tiered.add(tp)) {
                manager.highestRemoteOffset(tip).ifPresent(partition.log()::onHighestRemoteOffset);
                // The remote tier may start above the checkpointed log start offset: the broker stopped between a
                // remote deletion and the next checkpoint, or the remote index was rebuilt with deletions to finish.
                long remoteLogStart = manager.remoteLogStartOffset(tip);
                if (remoteLogStart > 0) {
                    partition.log().onRemoteLogStartOffset(remoteLogStart);
                }
                registerIfLeader(partition, tip);
            }
        } else if (tiered.remove(tp)) {
            partition.log().onRemoteStorageDisabled();
            log.info("Tiering of {} turned off; its remote data is deleted in the background", tip);
        } else if (hasRemoteDataToDelete(partition, tip)) {
            registerIfLeader(partition, tip);
        }
    }

    private void registerIfLeader(Partition partition, TopicIdPartition tip) {
        if (partition.isLeader()) {
            manager.register(new LogTieredPartition(partition));
        } else {
            manager.follow(tip);
        }
    }

    private boolean hasRemoteDataToDelete(Partition partition, TopicIdPartition tip) {
        return partition.log().config().remoteLogDeleteOnDisable()
                && manager.highestRemoteOffset(tip).isPresent();
    }

    private static TopicIdPartition tip(Partition partition) {
        return new TopicIdPartition(partition.topicId(), partition.topicPartition());
    }

    /**
     * This broker's replica moved away (a reassignment): its tiering stops here, and the remote data stays, since it is
     * the partition's, which other replicas lead and serve. Nothing here deletes remote data.
     */
    @Override
    public void onReplicaRemoved(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        if (tiered.remove(tp)) {
            manager.unregister(new TopicIdPartition(partition.topicId(), tp));
        }
    }

    /**
     * Hands the partition's remote data, if it has any, to the manager for deletion in the background: this runs on a
     * request thread under the topic manager's lock, and the store may be slow or down.
     */
    @Override
    public void onPartitionDeleted(Partition partition) {
        TopicPartition tp = partition.topicPartition();
        TopicIdPartition tip = tip(partition);
        boolean wasTiered = tiered.remove(tp);
        // a partition whose tiering was turned off may still have remote data being deleted
        if (wasTiered || manager.highestRemoteOffset(tip).isPresent()) {
            manager.deletePartition(tip);
        }
    }
}
