package dev.strata.broker.metadata;

import java.util.Collection;
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
     * Reserves {@code count} producer ids and returns the first: ids handed out are never handed out again, across
     * restarts.
     */
    long reserveProducerIds(int count);

    @Override
    void close();
}
