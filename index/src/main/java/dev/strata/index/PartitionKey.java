package dev.strata.index;

import java.util.Objects;
import java.util.UUID;

/**
 * A topic partition as the remote index knows it: the topic's id (Kafka's topic {@code Uuid} as a {@link UUID}) and
 * the partition number. Topic names are not part of it: a name can be reused by a new topic, an id cannot.
 */
public record PartitionKey(UUID topicId, int partition) {

    public PartitionKey {
        Objects.requireNonNull(topicId, "topicId");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must be >= 0, was " + partition);
        }
    }

    @Override
    public String toString() {
        return topicId + "-" + partition;
    }
}
