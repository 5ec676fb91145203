package dev.strata.broker.metadata;

import dev.strata.broker.cluster.ClusterImage;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.Uuid;

/**
 * The cluster's durable metadata: topics and their configs, and the producer-id high-water mark. The broker keeps it in
 * the Raft metadata quorum ({@link dev.strata.broker.metadata.quorum.QuorumMetadataStore}, one voter on a single
 * node); {@link FileMetadataStore} is the earlier single-broker store, read once to import its content. Every mutating
 * call is durable when it returns.
 */
public interface MetadataStore extends AutoCloseable {

    String clusterId();

    Collection<TopicMetadata> topics();

    Optional<TopicMetadata> topic(String name);

    Optional<TopicMetadata> topic(Uuid topicId);

    /** Creates or replaces a topic's record. */
    void putTopic(TopicMetadata topic);

    void removeTopic(String name);

    /**
     * Creates a topic whose partition {@code i} has the replicas {@code assignment.get(i)}, preferred leader first.
     *
     * @throws org.apache.kafka.common.errors.TopicExistsException if a topic of that name or id exists
     * @throws org.apache.kafka.common.errors.InvalidReplicaAssignmentException if a replica is not a registered broker
     *     or no replica of a partition is alive
     */
    default void createTopic(TopicMetadata topic, List<List<Integer>> assignment) {
        putTopic(topic);
    }

    /**
     * Grows a topic to {@code newCount} partitions, the new ones with these replicas (in partition order).
     *
     * @throws org.apache.kafka.common.errors.UnknownTopicOrPartitionException for an unknown topic
     * @throws org.apache.kafka.common.errors.InvalidPartitionsException if the topic's count changed meanwhile
     */
    default void createPartitions(String name, int newCount, List<List<Integer>> assignment) {
        putTopic(topic(name).orElseThrow().withPartitions(newCount));
    }

    /** The cluster's brokers and the state of every partition. */
    ClusterImage cluster();

    /**
     * Reserves {@code count} producer ids and returns the first: ids handed out are never handed out again, across
     * restarts.
     */
    long reserveProducerIds(int count);

    @Override
    void close();
}
