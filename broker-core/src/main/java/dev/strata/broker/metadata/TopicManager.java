package dev.strata.broker.metadata;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.config.TopicConfigs;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicDeletionDisabledException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, changes and deletes topics: checks the request the way Kafka does, records the change in the
 * {@link MetadataStore}, then brings the partitions' logs in line. Changes are serialized by this object's lock; reads
 * of topic metadata go straight to the store and never wait for it.
 */
public final class TopicManager {
    private static final Logger log = LoggerFactory.getLogger(TopicManager.class);
    /** Kafka's cap on partitions created by one request. */
    private static final int MAX_PARTITIONS = 100_000;

    private final BrokerConfig config;
    private final MetadataStore store;
    private final ReplicaManager replicas;

    public TopicManager(BrokerConfig config, MetadataStore store, ReplicaManager replicas) {
        this.config = config;
        this.store = store;
        this.replicas = replicas;
    }

    /** Opens the partitions of every known topic (at startup). */
    public void openAll() {
        for (TopicMetadata t : store.topics()) {
            LogConfig lc = logConfig(t);
            for (int p = 0; p < t.partitions(); p++) {
                replicas.createPartition(new TopicPartition(t.name(), p), t.topicId(), lc);
            }
        }
    }

    public MetadataStore store() {
        return store;
    }

    public Optional<TopicMetadata> topic(String name) {
        return store.topic(name);
    }

    public Optional<TopicMetadata> topic(Uuid id) {
        return store.topic(id);
    }

    public LogConfig logConfig(TopicMetadata topic) {
        return config.logConfig(topic.configs());
    }

    /**
     * @param partitions -1 for the broker's {@code num.partitions}
     * @param replicationFactor -1 for the broker's {@code default.replication.factor}
     */
    public synchronized TopicMetadata createTopic(
            String name, int partitions, short replicationFactor, Map<String, String> configs, boolean validateOnly) {
        Topic.validate(name);
        if (store.topic(name).isPresent()) {
            throw new TopicExistsException("Topic '" + name + "' already exists.");
        }
        int count = partitions == -1 ? config.numPartitions() : partitions;
        if (count <= 0 || count > MAX_PARTITIONS) {
            throw new InvalidPartitionsException(
                    "Number of partitions must be between 1 and " + MAX_PARTITIONS + ", was " + count + ".");
        }
        short rf = replicationFactor == -1 ? config.defaultReplicationFactor() : replicationFactor;
        if (rf <= 0) {
            throw new InvalidReplicationFactorException("Replication factor must be larger than 0, was " + rf + ".");
        }
        if (rf > 1) {
            throw new InvalidReplicationFactorException(
                    "Unable to replicate the partition " + rf + " time(s): The target replication factor of " + rf
                            + " cannot be reached because only 1 broker(s) are registered.");
        }
        validateConfigs(Map.of(), configs);
        TopicMetadata topic = new TopicMetadata(name, Uuid.randomUuid(), count, configs);
        if (validateOnly) {
            return topic;
        }
        store.putTopic(topic);
        LogConfig lc = logConfig(topic);
        for (int p = 0; p < count; p++) {
            replicas.createPartition(new TopicPartition(name, p), topic.topicId(), lc);
        }
        log.info("Created topic {} ({}) with {} partition(s) and configs {}", name, topic.topicId(), count, configs);
        return topic;
    }

    public synchronized void deleteTopic(String name) {
        if (!config.deleteTopicEnable()) {
            throw new TopicDeletionDisabledException("Topic deletion is disabled (delete.topic.enable=false).");
        }
        TopicMetadata topic = store.topic(name).orElseThrow(() -> unknownTopic(name));
        store.removeTopic(name);
        for (int p = 0; p < topic.partitions(); p++) {
            replicas.deletePartition(new TopicPartition(name, p));
        }
        log.info("Deleted topic {} ({})", name, topic.topicId());
    }

    public synchronized void createPartitions(String name, int newCount, boolean validateOnly) {
        TopicMetadata topic = store.topic(name).orElseThrow(() -> unknownTopic(name));
        if (newCount < topic.partitions()) {
            throw new InvalidPartitionsException("Topic currently has " + topic.partitions()
                    + " partitions, which is higher than the requested " + newCount + ".");
        }
        if (newCount == topic.partitions()) {
            throw new InvalidPartitionsException("Topic already has " + topic.partitions() + " partitions.");
        }
        if (newCount > MAX_PARTITIONS) {
            throw new InvalidPartitionsException("Number of partitions must be at most " + MAX_PARTITIONS + ".");
        }
        if (validateOnly) {
            return;
        }
        TopicMetadata updated = topic.withPartitions(newCount);
        store.putTopic(updated);
        LogConfig lc = logConfig(updated);
        for (int p = topic.partitions(); p < newCount; p++) {
            replicas.createPartition(new TopicPartition(name, p), topic.topicId(), lc);
        }
        log.info("Topic {} now has {} partitions", name, newCount);
    }

    /** Replaces the topic's config overrides with {@code overrides}. */
    public synchronized void setConfigs(String name, Map<String, String> overrides, boolean validateOnly) {
        TopicMetadata topic = store.topic(name).orElseThrow(() -> unknownTopic(name));
        validateConfigs(topic.configs(), overrides);
        if (validateOnly) {
            return;
        }
        TopicMetadata updated = topic.withConfigs(overrides);
        store.putTopic(updated);
        LogConfig lc = logConfig(updated);
        for (int p = 0; p < updated.partitions(); p++) {
            replicas.partition(new TopicPartition(name, p)).map(Partition::log).ifPresent(l -> l.updateConfig(lc));
            replicas.onConfigChange(new TopicPartition(name, p));
        }
        log.info("Topic {} configs are now {}", name, overrides);
    }

    /**
     * Checks a topic's new overrides as Kafka does: known names, valid values, and the tiering rules of
     * {@link TopicConfigs#validateTiering} against the topic's {@code current} overrides and the broker's defaults.
     */
    private void validateConfigs(Map<String, String> current, Map<String, String> configs) {
        try {
            TopicConfigs.validate(configs);
            Map<String, String> merged = new HashMap<>(config.topicDefaults());
            merged.putAll(configs);
            TopicConfigs.validateTiering(current, merged, config.remoteLogStorageSystemEnable());
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
    }

    private static UnknownTopicOrPartitionException unknownTopic(String name) {
        return new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
    }
}
