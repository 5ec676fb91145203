package dev.strata.broker.cluster;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * What this broker knows of the cluster, as of the last metadata change it applied: brokers and the state of every
 * partition. Reads never block and may come from any thread; each call sees the image either before or after a change,
 * never half of one. Topic names, ids and configs stay where they are today ({@code metadata.TopicMetadata}).
 */
public interface ClusterImage {

    /** Every registered broker, fenced ones included. */
    Collection<ClusterBroker> brokers();

    Optional<ClusterBroker> broker(int nodeId);

    /** The state of one partition; empty for an unknown topic or partition. */
    Optional<PartitionState> partition(TopicPartition tp);

    /** Every partition of a topic, by partition index; empty for an unknown topic. */
    Map<Integer, PartitionState> partitions(Uuid topicId);

    /**
     * The replicas of a partition that cannot serve it (Metadata's offline replicas): on brokers that are fenced or
     * unknown, or that reported the replica's log directory offline.
     */
    default List<Integer> offlineReplicas(TopicPartition tp) {
        return partition(tp)
                .map(s -> s.replicas().stream()
                        .filter(r -> broker(r).map(ClusterBroker::fenced).orElse(true))
                        .toList())
                .orElse(List.of());
    }

    /** The node id of the quorum's current leader (Kafka's "active controller"), or -1 while there is none. */
    int controllerId();
}
