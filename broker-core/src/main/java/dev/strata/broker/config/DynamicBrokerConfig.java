package dev.strata.broker.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's dynamic configs (Kafka's KIP-226), in three layers over the defaults of {@link BrokerConfigs#DEF}: the
 * static ones of {@code server.properties}, then the cluster-wide dynamic default (entity {@code ""}), then this
 * broker's own dynamic configs (entity = its node id). A higher layer that sets a setting hides the lower layers'
 * value of it and of its synonyms ({@code log.retention.ms} hides {@code log.retention.hours}), as in Kafka.
 *
 * <p>The layers come from the metadata quorum ({@link BrokerConfigStore}), so they survive restarts and every broker
 * sees the cluster default. {@link #update} puts a changed layer in effect: the {@link BrokerConfig} every component
 * holds starts answering the new values ({@link BrokerConfig#useDynamic}), then each {@link Reconfigurable} whose
 * settings changed is told, so that the change takes effect without a restart. Only the settings of
 * {@link DynamicConfigs#isDynamic} may be set dynamically; unknown names are kept, as Kafka keeps them.
 *
 * <p>Threads: {@link #update} runs on the metadata listener thread or a request's I/O thread, serialized by this
 * object's lock; reads of the layers take the lock too.
 */
public final class DynamicBrokerConfig {
    private static final Logger log = LoggerFactory.getLogger(DynamicBrokerConfig.class);

    /** A component that applies changed settings while the broker runs. */
    public interface Reconfigurable {
        /** The settings whose change it applies. */
        Set<String> reconfigurableConfigs();

        /**
         * Checks that {@code proposed}, not in effect yet, can be applied.
         *
         * @throws ConfigException naming why not
         */
        default void validateReconfiguration(BrokerConfig proposed) {}

        /** Applies {@code config}, which is in effect already. */
        void reconfigure(BrokerConfig config);

        /** A reconfigurable of these settings that runs {@code apply}; {@code name} is for log lines. */
        static Reconfigurable of(String name, Set<String> configs, Consumer<BrokerConfig> apply) {
            return new Reconfigurable() {
                @Override
                public Set<String> reconfigurableConfigs() {
                    return configs;
                }

                @Override
                public void reconfigure(BrokerConfig config) {
                    apply.accept(config);
                }

                @Override
                public String toString() {
                    return name;
                }
            };
        }
    }

    private final BrokerConfig config;
    private final String nodeEntity;
    private final List<Reconfigurable> reconfigurables = new ArrayList<>();
    private Map<String, String> clusterDefault = Map.of();
    private Map<String, String> broker = Map.of();

    /** Starts with no dynamic config in effect (a config object used before, by a test's earlier broker, say). */
    public DynamicBrokerConfig(BrokerConfig config) {
        this.config = config;
        this.nodeEntity = Integer.toString(config.nodeId());
        config.useDynamic(BrokerConfig.of(config.staticValues()));
    }

    /** The broker's config, with the dynamic configs in effect. */
    public BrokerConfig config() {
        return config;
    }

    /** The entity of this broker's own dynamic configs: its node id. */
    public String nodeEntity() {
        return nodeEntity;
    }

    public synchronized void addReconfigurable(Reconfigurable reconfigurable) {
        reconfigurables.add(reconfigurable);
    }

    /** The cluster-wide dynamic default configs. */
    public synchronized Map<String, String> clusterDefault() {
        return clusterDefault;
    }

    /** This broker's own dynamic configs. */
    public synchronized Map<String, String> broker() {
        return broker;
    }

    /**
     * Checks what a change of an entity's dynamic configs to {@code proposed} would put in effect here, as Kafka's
     * broker checks it before the change is written.
     *
     * @throws ConfigException naming a setting that cannot change dynamically, or a bad value
     */
    public synchronized void validate(String entity, Map<String, String> proposed) {
        Set<String> readOnly = new TreeSet<>();
        for (String name : proposed.keySet()) {
            if ((BrokerConfigs.isDefined(name) || SecurityConfigs.isListenerSetting(name))
                    && !DynamicConfigs.isDynamic(name)) {
                readOnly.add(name);
            }
        }
        if (!readOnly.isEmpty()) {
            throw new ConfigException("Cannot update these configs dynamically: " + readOnly);
        }
        Set<String> perBrokerOnly = new TreeSet<>(proposed.keySet());
        perBrokerOnly.removeIf(name -> !SecurityConfigs.isDynamicStoreSetting(name));
        if (entity.isEmpty() && !perBrokerOnly.isEmpty()) {
            throw new ConfigException(
                    "Cannot update these configs at default cluster level, broker id must be specified: "
                            + perBrokerOnly);
        }
        // Each value parses alone, whatever the other layers hold ...
        Map<String, String> defined = new HashMap<>(proposed);
        defined.keySet().removeIf(name -> !BrokerConfigs.isDefined(name));
        BrokerConfigs.DEF.parse(defined);
        // ... and together with the other layers, with the rules that span settings.
        boolean isDefault = entity.isEmpty();
        Map<String, String> after = effective(isDefault ? proposed : clusterDefault, isDefault ? broker : proposed);
        BrokerConfig checked = BrokerConfig.of(after);
        // ... and each component the change reaches accepts it (a TLS listener loads its new key store).
        Set<String> changed = changed(config.values(), after);
        for (Reconfigurable r : reconfigurables) {
            if (r.reconfigurableConfigs().stream().anyMatch(changed::contains)) {
                r.validateReconfiguration(checked);
            }
        }
    }

    /**
     * Puts an entity's dynamic configs in effect (the cluster default, or this broker's own; other brokers' entities
     * are ignored) and tells the reconfigurables whose settings changed. A set that does not pass the checks (a value a
     * newer static setting makes invalid, say) is logged and left out of effect.
     */
    public synchronized void update(String entity, Map<String, String> configs) {
        Map<String, String> nextDefault = entity.isEmpty() ? Map.copyOf(configs) : clusterDefault;
        Map<String, String> nextBroker = entity.equals(nodeEntity) ? Map.copyOf(configs) : broker;
        if (nextDefault.equals(clusterDefault) && nextBroker.equals(broker)) {
            return;
        }
        Map<String, String> before = config.values();
        Map<String, String> after = effective(nextDefault, nextBroker);
        BrokerConfig checked;
        try {
            checked = BrokerConfig.of(after);
        } catch (ConfigException e) {
            log.error(
                    "Dynamic broker configs {} of {} are invalid and not applied: {}",
                    redacted(configs),
                    label(entity),
                    e.getMessage());
            return;
        }
        clusterDefault = nextDefault;
        broker = nextBroker;
        config.useDynamic(checked);
        Set<String> changed = changed(before, after);
        log.info("Dynamic broker configs of {} are now {}; changed: {}", label(entity), redacted(configs), changed);
        for (Reconfigurable r : reconfigurables) {
            if (r.reconfigurableConfigs().stream().anyMatch(changed::contains)) {
                try {
                    r.reconfigure(config);
                } catch (RuntimeException e) {
                    log.error("Reconfiguring {} with {} failed", r, changed, e);
                }
            }
        }
    }

    /** The static settings, the cluster default over them, then this broker's over both. */
    private Map<String, String> effective(Map<String, String> clusterDefault, Map<String, String> broker) {
        Map<String, String> values = new LinkedHashMap<>(config.staticValues());
        override(values, clusterDefault);
        override(values, broker);
        return values;
    }

    private static void override(Map<String, String> values, Map<String, String> layer) {
        layer.forEach((name, value) -> {
            DynamicConfigs.synonyms(name).forEach(values::remove);
            values.put(name, value);
        });
    }

    private String label(String entity) {
        return entity.isEmpty() ? "the cluster default" : "broker " + entity;
    }

    private static Set<String> changed(Map<String, String> before, Map<String, String> after) {
        Set<String> changed = new TreeSet<>(before.keySet());
        changed.addAll(after.keySet());
        changed.removeIf(name -> Objects.equals(before.get(name), after.get(name)));
        return changed;
    }

    /** The configs for a log line: the values of passwords and other secrets hidden, as DescribeConfigs hides them. */
    static Map<String, String> redacted(Map<String, String> configs) {
        Map<String, String> shown = new TreeMap<>();
        configs.forEach((name, value) -> shown.put(name, BrokerConfigs.isSensitive(name) ? "[hidden]" : value));
        return shown;
    }
}
