package dev.strata.broker.metadata;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.config.TopicConfigs;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicDeletionDisabledException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, changes and deletes topics: checks the request the way Kafka does, chooses the replicas of new partitions
 * ({@link ReplicaAssigner}, over the unfenced brokers) unless the request names them, records the change in the
 * {@link MetadataStore} (the controller's quorum), then brings the partitions' logs in line. Changes are serialized by
 * this object's lock; reads of topic metadata go straight to the store and never wait for it.
 *
 * <p>With replication: a topic's partitions are created through the quorum with their replica assignment; this broker
 * then opens at once the partitions it is a replica of, in the role the quorum gave it ({@link #open}), so that the
 * creator finds them ready. Everything else (partitions other brokers create, every change of leader or ISR) reaches
 * the {@code partition} package through the {@link dev.strata.broker.cluster.ClusterChangeListener} the server
 * registers with the store, which applies the same states again, harmlessly.
 */
public final class TopicManager {
    private static final Logger log = LoggerFactory.getLogger(TopicManager.class);
    /** Kafka's cap on partitions created by one request. */
    private static final int MAX_PARTITIONS = 100_000;

    private final BrokerConfig config;
    private final MetadataStore store;
    private final ReplicaManager replicas;
    private final ReplicaAssigner assigner;

    public TopicManager(BrokerConfig config, MetadataStore store, ReplicaManager replicas) {
        this(config, store, replicas, new ReplicaAssigner(new Random()));
    }

    public TopicManager(BrokerConfig config, MetadataStore store, ReplicaManager replicas, ReplicaAssigner assigner) {
        this.config = config;
        this.store = store;
        this.replicas = replicas;
        this.assigner = assigner;
    }

    /** Opens the partitions of every known topic that this broker is a replica of (at startup). */
    public void openAll() {
        for (TopicMetadata t : store.topics()) {
            LogConfig lc = logConfig(t);
            for (int p = 0; p < t.partitions(); p++) {
                if (hostsReplica(t, p)) {
                    open(t, p, lc);
                }
            }
        }
    }

    /**
     * Whether this broker keeps a replica of the partition: it is one of its replicas, or the partition predates
     * clusters and has no state yet (it was always this broker's).
     */
    private boolean hostsReplica(TopicMetadata topic, int partition) {
        PartitionState state = store.cluster().partitions(topic.topicId()).get(partition);
        return state == null || state.isReplica(config.nodeId());
    }

    /**
     * Opens a partition this broker hosts in the role the quorum gave it (leader or follower), at once rather than when
     * the change listener gets to it, so that the creator of a topic finds its partitions ready; a partition from
     * before clusters (no state) is led by this broker alone.
     */
    private void open(TopicMetadata topic, int partition, LogConfig lc) {
        TopicPartition tp = new TopicPartition(topic.name(), partition);
        PartitionState state = store.cluster().partitions(topic.topicId()).get(partition);
        if (state == null) {
            replicas.createPartition(tp, topic.topicId(), lc);
        } else {
            replicas.applyPartitionState(topic.topicId(), tp, state, lc);
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
    public TopicMetadata createTopic(
            String name, int partitions, short replicationFactor, Map<String, String> configs, boolean validateOnly) {
        return createTopic(name, partitions, replicationFactor, Map.of(), configs, validateOnly);
    }

    /**
     * @param partitions -1 for the broker's {@code num.partitions}, or when {@code assignment} is given
     * @param replicationFactor -1 for the broker's {@code default.replication.factor}, or when {@code assignment} is
     *     given
     * @param assignment CreateTopics' explicit replicas by partition index (0, 1, ... in full), or empty to choose them
     * @throws InvalidReplicationFactorException if the factor is below 1 or above the unfenced brokers
     * @throws InvalidReplicaAssignmentException if {@code assignment} is not one replica list per partition from 0,
     *     all of one length, without repeats, of registered brokers
     */
    public synchronized TopicMetadata createTopic(
            String name,
            int partitions,
            short replicationFactor,
            Map<Integer, List<Integer>> assignment,
            Map<String, String> configs,
            boolean validateOnly) {
        Topic.validate(name);
        if (store.topic(name).isPresent()) {
            throw new TopicExistsException("Topic '" + name + "' already exists.");
        }
        int count = assignment.isEmpty() ? (partitions == -1 ? config.numPartitions() : partitions) : assignment.size();
        if (count <= 0 || count > MAX_PARTITIONS) {
            throw new InvalidPartitionsException(
                    "Number of partitions must be between 1 and " + MAX_PARTITIONS + ", was " + count + ".");
        }
        List<List<Integer>> replicaLists;
        if (assignment.isEmpty()) {
            short rf = replicationFactor == -1 ? config.defaultReplicationFactor() : replicationFactor;
            replicaLists = assigner.assign(liveBrokers(), count, rf, 0);
        } else {
            replicaLists = checkedAssignment(assignment, 0);
        }
        validateConfigs(Map.of(), configs);
        TopicMetadata topic = new TopicMetadata(name, Uuid.randomUuid(), count, configs);
        if (validateOnly) {
            return topic;
        }
        store.createTopic(topic, replicaLists);
        LogConfig lc = logConfig(topic);
        for (int p = 0; p < count; p++) {
            if (hostsReplica(topic, p)) {
                open(topic, p, lc);
            }
        }
        log.info("Created topic {} ({}) with {} partition(s) and configs {}", name, topic.topicId(), count, configs);
        return topic;
    }

    /**
     * The replication factor of a topic just created (or validated): its first partition's replica count, or for a topic
     * not created the factor asked for, {@code -1} meaning {@code default.replication.factor}.
     */
    public short replicationFactor(TopicMetadata topic, short requested) {
        PartitionState first = store.cluster().partitions(topic.topicId()).get(0);
        if (first != null) {
            return (short) (first.replicas().size() - first.addingReplicas().size());
        }
        return requested == -1 ? config.defaultReplicationFactor() : requested;
    }

    private List<ClusterBroker> liveBrokers() {
        return store.cluster().brokers().stream().filter(b -> !b.fenced()).toList();
    }

    /** An explicit assignment as Kafka checks it: partitions from {@code first} in full, one replica count. */
    private List<List<Integer>> checkedAssignment(Map<Integer, List<Integer>> assignment, int first) {
        List<List<Integer>> lists = new ArrayList<>();
        Set<Integer> registered = new HashSet<>();
        store.cluster().brokers().forEach(b -> registered.add(b.nodeId()));
        for (int p = first; p < first + assignment.size(); p++) {
            List<Integer> r = assignment.get(p);
            if (r == null) {
                throw new InvalidReplicaAssignmentException("Partitions must be numbered consecutively from " + first
                        + "; partition " + p + " is missing.");
            }
            if (r.isEmpty() || new HashSet<>(r).size() != r.size()) {
                throw new InvalidReplicaAssignmentException(
                        "Partition " + p + " has an empty replica list or a repeated replica: " + r + ".");
            }
            if (!lists.isEmpty() && lists.get(0).size() != r.size()) {
                throw new InvalidReplicaAssignmentException(
                        "All partitions must have the same number of replicas; partition " + p + " has " + r.size()
                                + ", partition " + first + " has "
                                + lists.get(0).size() + ".");
            }
            for (int broker : r) {
                if (!registered.contains(broker)) {
                    throw new InvalidReplicaAssignmentException("The manual partition assignment includes broker "
                            + broker + ", but no broker with that id is registered.");
                }
            }
            lists.add(List.copyOf(r));
        }
        return lists;
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

    public void createPartitions(String name, int newCount, boolean validateOnly) {
        createPartitions(name, newCount, Map.of(), validateOnly);
    }

    /**
     * @param assignment CreatePartitions' explicit replicas of the new partitions by partition index, or empty to
     *     choose them with the replication factor of the topic's first partition
     */
    public synchronized void createPartitions(
            String name, int newCount, Map<Integer, List<Integer>> assignment, boolean validateOnly) {
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
        int added = newCount - topic.partitions();
        List<List<Integer>> replicaLists;
        if (assignment.isEmpty()) {
            PartitionState first = store.cluster().partitions(topic.topicId()).get(0);
            int rf = first == null ? 1 : first.replicas().size();
            replicaLists = assigner.assign(liveBrokers(), added, rf, topic.partitions());
        } else {
            if (assignment.size() != added) {
                throw new InvalidReplicaAssignmentException("Increasing the number of partitions by " + added + " but "
                        + assignment.size() + " assignments provided.");
            }
            replicaLists = checkedAssignment(assignment, topic.partitions());
            PartitionState first = store.cluster().partitions(topic.topicId()).get(0);
            int rf = first == null
                    ? replicaLists.get(0).size()
                    : first.replicas().size() - first.addingReplicas().size();
            if (replicaLists.get(0).size() != rf) {
                throw new InvalidReplicaAssignmentException("The manual partition assignment includes a partition with "
                        + replicaLists.get(0).size() + " replica(s), but this is not consistent with previous"
                        + " partitions, which have " + rf + " replica(s).");
            }
        }
        if (validateOnly) {
            return;
        }
        store.createPartitions(name, newCount, replicaLists);
        TopicMetadata updated = topic.withPartitions(newCount);
        LogConfig lc = logConfig(updated);
        for (int p = topic.partitions(); p < newCount; p++) {
            if (hostsReplica(updated, p)) {
                open(updated, p, lc);
            }
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
        applyLogConfig(updated);
        log.info("Topic {} configs are now {}", name, overrides);
    }

    /**
     * Puts every topic's log config in effect again in this broker's partitions, after the broker's topic defaults
     * changed (dynamic broker configs such as {@code log.retention.ms}): topics that do not override a default follow
     * its new value.
     */
    public synchronized void refreshLogConfigs() {
        store.topics().forEach(this::applyLogConfig);
    }

    private void applyLogConfig(TopicMetadata topic) {
        LogConfig lc = logConfig(topic);
        for (int p = 0; p < topic.partitions(); p++) {
            TopicPartition tp = new TopicPartition(topic.name(), p);
            replicas.partition(tp).map(Partition::log).ifPresent(l -> l.updateConfig(lc));
            replicas.onConfigChange(tp);
        }
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
