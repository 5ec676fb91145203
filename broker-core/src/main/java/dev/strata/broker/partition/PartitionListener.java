package dev.strata.broker.partition;

/**
 * Told by the {@link ReplicaManager} what happens to the partitions this broker hosts, for whoever keeps state per
 * partition beside the replica manager (the remote tier does: {@code broker.tiering.PartitionTiering}; the group
 * coordinator follows the leadership of {@code __consumer_offsets}). Each call runs synchronously on the thread that
 * made the change (the one creating, reconfiguring or deleting the topic, or the metadata layer's listener thread for
 * a change of leader), before {@link ReplicaManager}'s method returns, so a listener sees the changes of one
 * partition in order. A call must not wait on the network: slow work belongs on the listener's own executor.
 */
public interface PartitionListener {
    /** A listener that does nothing: for a broker without a remote tier. */
    PartitionListener NONE = new PartitionListener() {};

    /**
     * {@link ReplicaManager#createPartition} created or opened {@code partition}; it is also called when the partition
     * was there already, with its current config.
     */
    default void onPartitionCreated(Partition partition) {}

    /** The log config of {@code partition} changed ({@link ReplicaManager#onConfigChange}). */
    default void onConfigChanged(Partition partition) {}

    /**
     * {@code partition} was removed from the replica manager ({@link ReplicaManager#deletePartition}); its log is
     * deleted right after this returns.
     */
    default void onPartitionDeleted(Partition partition) {}

    /**
     * This broker no longer hosts {@code partition} ({@link ReplicaManager#removeReplica}: a reassignment moved its
     * replica away), but the partition lives on: its remote data must stay. Its local log is deleted right after this
     * returns.
     */
    default void onReplicaRemoved(Partition partition) {}

    /**
     * This broker became the leader of {@code partition}, or started a new leader epoch of it ({@link
     * Partition#leaderEpoch()}); a partition created by {@link ReplicaManager#createPartition} is led at once. A listener
     * added with {@link ReplicaManager#addListener} hears this first for every partition this broker leads then.
     */
    default void onBecomeLeader(Partition partition) {}

    /**
     * {@code partition} now has another leader, or none ({@link Partition#leaderId()}): this broker follows it. Also
     * called when a follower's leader or leader epoch changes, so a listener must take it as idempotent.
     */
    default void onBecomeFollower(Partition partition) {}
}
