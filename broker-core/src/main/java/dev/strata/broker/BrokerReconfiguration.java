package dev.strata.broker;

import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.config.CleanerConfig;
import dev.strata.broker.config.DynamicBrokerConfig;
import dev.strata.broker.config.DynamicBrokerConfig.Reconfigurable;
import dev.strata.broker.config.DynamicConfigs;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.tiering.RemoteTier;
import dev.strata.tiering.ChunkCacheConfig;
import java.util.Map;
import java.util.Set;

/**
 * Wires the dynamic broker configs to the broker: reads the persisted ones before anything opens, so that the
 * components start with them; then registers what applies each change while the broker runs (topic defaults to every
 * partition's log, the cleaner's threads and buffers, the upload rate, the chunk cache's budget) and listens to the
 * metadata quorum for changes made through any broker.
 */
final class BrokerReconfiguration {

    private BrokerReconfiguration() {}

    /** The broker's dynamic configs with the persisted cluster default and its own in effect. */
    static DynamicBrokerConfig load(BrokerConfig config, BrokerConfigStore store) {
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config);
        dynamic.update("", store.brokerConfigs(""));
        dynamic.update(dynamic.nodeEntity(), store.brokerConfigs(dynamic.nodeEntity()));
        return dynamic;
    }

    /** Registers the components that apply changes; {@code remoteTier} is null without tiering. */
    static void register(DynamicBrokerConfig dynamic, TopicManager topics, LogManager logs, RemoteTier remoteTier) {
        dynamic.addReconfigurable(
                Reconfigurable.of("topic defaults", DynamicConfigs.TOPIC_DEFAULTS, c -> topics.refreshLogConfigs()));
        dynamic.addReconfigurable(Reconfigurable.of(
                "log cleaner",
                Set.of(
                        CleanerConfig.THREADS,
                        CleanerConfig.BACKOFF_MS,
                        CleanerConfig.DEDUPE_BUFFER_SIZE,
                        CleanerConfig.IO_BUFFER_SIZE),
                c -> logs.cleaner().reconfigure(c.cleanerConfig())));
        if (remoteTier != null) {
            dynamic.addReconfigurable(Reconfigurable.of(
                    "upload rate",
                    Set.of(BrokerConfig.REMOTE_LOG_MANAGER_COPY_MAX_BYTES_PER_SECOND),
                    c -> remoteTier.manager().setCopyMaxBytesPerSecond(c.remoteLogManagerCopyMaxBytesPerSecond())));
            dynamic.addReconfigurable(
                    Reconfigurable.of("chunk cache", Set.of(ChunkCacheConfig.MEMORY_BYTES_CONFIG), c -> remoteTier
                            .cache()
                            .resizeMemory(c.chunkCacheConfig().memoryBytes())));
        }
    }

    /** Puts every change of the cluster default or of this broker's configs, from any broker, in effect here. */
    static ClusterChangeListener listener(DynamicBrokerConfig dynamic) {
        return new ClusterChangeListener() {
            @Override
            public void onBrokerConfigsChanged(String entity, Map<String, String> configs) {
                dynamic.update(entity, configs);
            }
        };
    }
}
