package dev.strata.broker.partition;

/**
 * Told by the {@link ReplicaManager} what happens to the partitions this broker hosts, for whoever keeps state per
 * partition beside the replica manager (the remote tier does: {@code broker.tiering.PartitionTiering}). Each call runs
 * synchronously on the thread that made the change (the one creating, reconfiguring or deleting the topic), before
 * {@link ReplicaManager}'s method returns, so a listener sees the changes of one partition in order.
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
}
