package dev.strata.broker.cluster;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * Told of each metadata change as this broker applies it, in log order, on one thread of the metadata layer's own
 * (never Raft's apply thread, and never a Netty event loop): an implementation may do disk work (open a log, truncate
 * it) but should not wait on the network. After a restart, or when the listener is registered, it is first told the
 * whole current state, partition by partition, so it never has to read the image to catch up.
 */
public interface ClusterChangeListener {

    /** A partition was created or changed (leader, ISR, replicas, epochs). */
    default void onPartitionChanged(Uuid topicId, TopicPartition tp, PartitionState state) {}

    /** A partition is gone (its topic was deleted). */
    default void onPartitionDeleted(Uuid topicId, TopicPartition tp) {}

    /** A broker registered, was fenced or unfenced, or changed its address. */
    default void onBrokerChanged(ClusterBroker broker) {}

    /**
     * A remote segment of the partition was recorded or its deletion started ({@code segment} present), or its
     * deletion finished ({@code segment} empty). Not told when a whole topic goes: {@link #onPartitionDeleted} is.
     */
    default void onRemoteSegmentChanged(
            Uuid topicId, TopicPartition tp, Uuid segmentId, Optional<RemoteSegmentRecord> segment) {}

    /**
     * The dynamic broker configs of an entity changed: {@code entity} is {@code ""} for the cluster-wide default, else
     * a broker's node id; {@code configs} is the entity's whole set now (empty when none is left).
     */
    default void onBrokerConfigsChanged(String entity, Map<String, String> configs) {}
}
