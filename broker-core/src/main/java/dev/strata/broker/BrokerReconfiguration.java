package dev.strata.broker;

import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.config.CleanerConfig;
import dev.strata.broker.config.DynamicBrokerConfig;
import dev.strata.broker.config.DynamicBrokerConfig.Reconfigurable;
import dev.strata.broker.config.DynamicConfigs;
import dev.strata.broker.config.SecurityConfigs;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.security.ListenerSecurity;
import dev.strata.broker.security.ReloadableSsl;
import dev.strata.broker.tiering.RemoteTier;
import dev.strata.tiering.ChunkCacheConfig;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the dynamic broker configs to the broker: reads the persisted ones before anything opens, so that the
 * components start with them; then registers what applies each change while the broker runs (topic defaults to every
 * partition's log, the cleaner's threads and buffers, the upload rate, the chunk cache's budget, the TLS listeners' stores) and listens to the
 * metadata quorum for changes made through any broker.
 */
final class BrokerReconfiguration {
    private static final Logger log = LoggerFactory.getLogger(BrokerReconfiguration.class);

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

    /**
     * Lets each TLS listener take new key and trust stores without a restart: from a dynamic update of its store
     * settings (checked first: the new key store must load and name the broker as the old one did), and from a look at
     * the store files every {@code ssl.store.check.interval.ms} on {@code scheduler}, off the network threads.
     */
    static void registerTls(
            DynamicBrokerConfig dynamic, Collection<ListenerSecurity> listeners, ScheduledExecutorService scheduler) {
        long intervalMs = dynamic.config().longValue(SecurityConfigs.SSL_STORE_CHECK_INTERVAL_MS);
        for (ListenerSecurity listener : listeners) {
            listener.tls().ifPresent(ssl -> {
                String name = ssl.listenerName();
                dynamic.addReconfigurable(new Reconfigurable() {
                    @Override
                    public Set<String> reconfigurableConfigs() {
                        return SecurityConfigs.dynamicStoreNames(name);
                    }

                    @Override
                    public void validateReconfiguration(BrokerConfig proposed) {
                        ssl.validate(SecurityConfigs.listenerSecurity(proposed, name));
                    }

                    @Override
                    public void reconfigure(BrokerConfig config) {
                        ssl.reconfigure(SecurityConfigs.listenerSecurity(config, name));
                    }

                    @Override
                    public String toString() {
                        return "TLS stores of listener " + name;
                    }
                });
                if (intervalMs > 0) {
                    scheduler.scheduleWithFixedDelay(
                            () -> checkFiles(ssl), intervalMs, intervalMs, TimeUnit.MILLISECONDS);
                }
            });
        }
    }

    private static void checkFiles(ReloadableSsl ssl) {
        try {
            ssl.checkFiles();
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again
            log.warn("Checking the TLS store files of listener {} failed", ssl.listenerName(), e);
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
