package dev.strata.broker.metadata;

import java.util.Map;
import org.apache.kafka.common.Uuid;

/** What the cluster knows about one topic: its id, how many partitions it has, and its config overrides. */
public record TopicMetadata(String name, Uuid topicId, int partitions, Map<String, String> configs) {
    public TopicMetadata {
        configs = Map.copyOf(configs);
    }

    public TopicMetadata withPartitions(int count) {
        return new TopicMetadata(name, topicId, count, configs);
    }

    public TopicMetadata withConfigs(Map<String, String> newConfigs) {
        return new TopicMetadata(name, topicId, partitions, newConfigs);
    }
}
