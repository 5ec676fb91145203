package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.MetadataStore;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * Topics and a small cluster image in memory, for tests of what reads the cluster: a test registers brokers and sets
 * partition states itself; a created topic's partitions start led by their first replica, in leader epoch 0.
 */
final class InMemoryMetadataStore implements MetadataStore, ClusterImage {
    private final Map<String, TopicMetadata> topics = new ConcurrentHashMap<>();
    private final Map<Integer, ClusterBroker> brokers = new ConcurrentHashMap<>();
    private final Map<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();

    void register(int nodeId, int port, boolean fenced) {
        brokers.put(nodeId, new ClusterBroker(nodeId, "127.0.0.1", port, Optional.empty(), fenced));
    }

    void setPartition(TopicPartition tp, PartitionState state) {
        partitions.put(tp, state);
    }

    @Override
    public String clusterId() {
        return "in-memory";
    }

    @Override
    public Collection<TopicMetadata> topics() {
        return List.copyOf(topics.values());
    }

    @Override
    public Optional<TopicMetadata> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    @Override
    public Optional<TopicMetadata> topic(Uuid topicId) {
        return topics.values().stream().filter(t -> t.topicId().equals(topicId)).findFirst();
    }

    @Override
    public void putTopic(TopicMetadata topic) {
        topics.put(topic.name(), topic);
    }

    @Override
    public void createTopic(TopicMetadata topic, List<List<Integer>> assignment) {
        putTopic(topic);
        for (int p = 0; p < assignment.size(); p++) {
            List<Integer> replicas = assignment.get(p);
            partitions.put(
                    new TopicPartition(topic.name(), p), new PartitionState(replicas, replicas, replicas.get(0), 0, 0));
        }
    }

    @Override
    public void removeTopic(String name) {
        topics.remove(name);
        partitions.keySet().removeIf(tp -> tp.topic().equals(name));
    }

    @Override
    public ClusterImage cluster() {
        return this;
    }

    @Override
    public long reserveProducerIds(int count) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}

    @Override
    public Collection<ClusterBroker> brokers() {
        return new TreeMap<>(brokers).values();
    }

    @Override
    public Optional<ClusterBroker> broker(int nodeId) {
        return Optional.ofNullable(brokers.get(nodeId));
    }

    @Override
    public Optional<PartitionState> partition(TopicPartition tp) {
        return Optional.ofNullable(partitions.get(tp));
    }

    @Override
    public Map<Integer, PartitionState> partitions(Uuid topicId) {
        Map<Integer, PartitionState> out = new HashMap<>();
        topic(topicId)
                .ifPresent(t -> partitions.forEach((tp, s) -> {
                    if (tp.topic().equals(t.name())) {
                        out.put(tp.partition(), s);
                    }
                }));
        return out;
    }

    @Override
    public int controllerId() {
        return 1;
    }
}
