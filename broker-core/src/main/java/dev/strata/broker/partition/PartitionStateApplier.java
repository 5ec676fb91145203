package dev.strata.broker.partition;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.LogConfig;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the metadata layer's partition changes to the {@link ReplicaManager}: registered as a
 * {@link ClusterChangeListener}, it runs on the metadata layer's listener thread. The topic's log config comes from
 * {@link TopicConfigs}, so that this package needs nothing of the metadata package.
 */
public final class PartitionStateApplier implements ClusterChangeListener {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateApplier.class);

    /** The effective log config of a topic, empty for a topic this broker does not know (yet). */
    @FunctionalInterface
    public interface TopicConfigs {
        Optional<LogConfig> config(Uuid topicId, String topic);
    }

    private final ReplicaManager replicas;
    private final TopicConfigs configs;

    public PartitionStateApplier(ReplicaManager replicas, TopicConfigs configs) {
        this.replicas = replicas;
        this.configs = configs;
    }

    @Override
    public void onPartitionChanged(Uuid topicId, TopicPartition tp, PartitionState state) {
        Optional<LogConfig> config = configs.config(topicId, tp.topic());
        if (config.isEmpty()) {
            LOG.warn("No config for topic {} ({}): the state of {} is not applied", tp.topic(), topicId, tp);
            return;
        }
        replicas.applyPartitionState(topicId, tp, state, config.get());
    }

    @Override
    public void onPartitionDeleted(Uuid topicId, TopicPartition tp) {
        replicas.deletePartition(tp);
    }

    @Override
    public void onBrokerChanged(ClusterBroker broker) {
        replicas.onBrokerChanged(broker);
    }
}
