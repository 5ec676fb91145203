package dev.strata.broker.api;

import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.config.BrokerConfigs;
import dev.strata.broker.config.DynamicBrokerConfig;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;

/**
 * AlterConfigs and IncrementalAlterConfigs of a BROKER resource: the cluster-wide default (empty name) or this broker
 * (its id; another broker's id is refused, as Kafka's broker refuses it: ask that broker). The new set is checked as
 * Kafka's broker checks it ({@link DynamicBrokerConfig#validate}; a setting that cannot change dynamically or a bad
 * value is INVALID_REQUEST, as in Kafka), written to the metadata quorum, and in effect here when the answer goes out (this broker's metadata
 * listener has applied it); the other brokers put a changed cluster default in effect when their listener sees it.
 */
final class BrokerConfigAlter {
    private static final byte SET = 0;
    private static final byte DELETE = 1;
    private static final byte APPEND = 2;
    private static final byte SUBTRACT = 3;

    private final DynamicBrokerConfig dynamic;
    private final BrokerConfigStore store;

    BrokerConfigAlter(DynamicBrokerConfig dynamic, BrokerConfigStore store) {
        this.dynamic = dynamic;
        this.store = store;
    }

    /** IncrementalAlterConfigs: SET, DELETE, and APPEND/SUBTRACT on list settings. */
    void incremental(String resourceName, Collection<AlterableConfig> ops, boolean validateOnly) {
        checkOps(ops);
        String entity = entity(resourceName);
        Map<String, String> configs = new TreeMap<>(store.brokerConfigs(entity));
        for (AlterableConfig op : ops) {
            switch (op.configOperation()) {
                case SET -> configs.put(op.name(), op.value());
                case DELETE -> configs.remove(op.name());
                case APPEND, SUBTRACT -> configs.put(op.name(), appendOrSubtract(op, configs.get(op.name())));
                default -> throw new InvalidRequestException("Unknown operations type " + op.configOperation());
            }
        }
        replaceEntity(entity, configs, validateOnly);
    }

    /** Legacy AlterConfigs: {@code configs} replace the entity's whole set. */
    void replace(String resourceName, Map<String, String> configs, boolean validateOnly) {
        if (configs.containsValue(null)) {
            throw new InvalidRequestException("Null value not supported for : " + configs.keySet());
        }
        replaceEntity(entity(resourceName), configs, validateOnly);
    }

    private void replaceEntity(String entity, Map<String, String> configs, boolean validateOnly) {
        try {
            dynamic.validate(entity, configs);
        } catch (ConfigException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        if (!validateOnly) {
            store.setBrokerConfigs(entity, configs);
        }
    }

    /**
     * The checks Kafka's broker makes of every altered resource before anything else: no name twice, a value for every
     * operation but DELETE.
     */
    static void checkOps(Collection<AlterableConfig> ops) {
        Set<String> names = new HashSet<>();
        for (AlterableConfig op : ops) {
            if (!names.add(op.name())) {
                throw new InvalidRequestException("Error due to duplicate config keys");
            }
            if (op.configOperation() != DELETE && op.value() == null) {
                throw new InvalidRequestException("Null value not supported for : " + op.name());
            }
        }
    }

    /**
     * The entity of a BROKER resource name: {@code ""} for the cluster default, else the name, which must be this
     * broker's id.
     */
    private String entity(String resourceName) {
        if (!resourceName.isEmpty()) {
            requireNodeId(resourceName, dynamic.nodeEntity());
        }
        return resourceName;
    }

    /** Kafka's check of a resource named by a broker id: an integer, and this broker's. */
    static void requireNodeId(String resourceName, String nodeEntity) {
        try {
            Integer.parseInt(resourceName);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("Node id must be an integer, but it is: " + resourceName);
        }
        if (!resourceName.equals(nodeEntity)) {
            throw new InvalidRequestException(
                    "Unexpected broker id, expected " + nodeEntity + ", but received " + resourceName);
        }
    }

    private static String appendOrSubtract(AlterableConfig op, String current) {
        ConfigDef.ConfigKey key = BrokerConfigs.DEF.configKeys().get(op.name());
        if (key == null || key.type != ConfigDef.Type.LIST) {
            throw new InvalidConfigurationException("Config " + op.name() + " is not a list; it cannot be "
                    + (op.configOperation() == APPEND ? "appended to" : "subtracted from"));
        }
        if (current == null && key.defaultValue != null) {
            current = ConfigDef.convertToString(key.defaultValue, key.type);
        }
        LinkedHashSet<String> items = new LinkedHashSet<>();
        for (String s : Optional.ofNullable(current).orElse("").split(",")) {
            if (!s.isBlank()) {
                items.add(s.trim());
            }
        }
        for (String s : op.value().split(",")) {
            if (op.configOperation() == APPEND) {
                items.add(s.trim());
            } else {
                items.remove(s.trim());
            }
        }
        return String.join(",", items);
    }
}
