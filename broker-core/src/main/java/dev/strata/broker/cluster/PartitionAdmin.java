package dev.strata.broker.cluster;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The operator's changes to partitions, made by the controller through the metadata quorum: leader elections (Kafka's
 * ElectLeaders) and replica reassignments (AlterPartitionReassignments, ListPartitionReassignments). Each call returns
 * once the change is committed and applied on this broker, so a read of the {@link ClusterImage} right after it sees
 * the change.
 */
public interface PartitionAdmin {

    /**
     * Elects leaders for these partitions: with {@code unclean} false, the preferred replica where it is alive and in
     * the ISR; with {@code unclean} true, any live replica for a partition without a live leader. Unknown partitions
     * are skipped.
     *
     * @return how many partitions changed leader
     */
    int electLeaders(List<TopicPartition> partitions, boolean unclean);

    /**
     * Starts or replaces the reassignment of {@code tp} to {@code target} (preferred leader first), or cancels it when
     * {@code target} is null.
     *
     * @param allowReplicationFactorChange false refuses a target whose size differs from the partition's replicas
     * @throws org.apache.kafka.common.errors.ApiException UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
     *     INVALID_REPLICATION_FACTOR or NO_REASSIGNMENT_IN_PROGRESS
     */
    void alterReassignment(TopicPartition tp, List<Integer> target, boolean allowReplicationFactorChange);

    /** The partitions with a reassignment under way, by topic name and partition index. */
    Map<String, Map<Integer, PartitionState>> reassignments();
}
