package dev.strata.broker.api;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigs;
import dev.strata.broker.config.DynamicBrokerConfig;
import dev.strata.broker.config.DynamicConfigs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

/**
 * DescribeConfigs of a BROKER resource, as Kafka answers it. For this broker's id: every setting, with the value in
 * effect and its source, the first of its synonyms in precedence order: this broker's dynamic config
 * (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default (DYNAMIC_DEFAULT_BROKER_CONFIG), {@code server.properties}
 * (STATIC_BROKER_CONFIG), the definition's default (DEFAULT_CONFIG); a setting's synonyms are the settings that give
 * the same topic default ({@code log.retention.ms}, {@code .minutes}, {@code .hours}), and those listed before the
 * described one are left out, as Kafka leaves them out. For the empty name (the cluster default): only the dynamic
 * default configs. Only dynamic settings are not read-only; credentials are answered without their value.
 */
final class BrokerConfigDescription {
    private final BrokerConfig config;
    private final DynamicBrokerConfig dynamic;

    BrokerConfigDescription(BrokerConfig config, DynamicBrokerConfig dynamic) {
        this.config = config;
        this.dynamic = dynamic;
    }

    /** The configs of this broker ({@code perBroker}) or of the cluster default. */
    List<DescribeConfigsResourceResult> describe(boolean perBroker, boolean synonyms, boolean docs) {
        Map<String, String> clusterDefault = dynamic.clusterDefault();
        TreeSet<String> names = new TreeSet<>(clusterDefault.keySet());
        if (perBroker) {
            names.addAll(BrokerConfigs.DEF.names());
            names.addAll(config.values().keySet());
        }
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        for (String name : names) {
            ConfigDef.ConfigKey key = BrokerConfigs.DEF.configKeys().get(name);
            boolean sensitive = BrokerConfigs.isSensitive(name);
            List<DescribeConfigsSynonym> all = synonyms(name, sensitive);
            if (!perBroker) {
                all.removeIf(s -> s.source() != ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.id());
            }
            String value = perBroker ? valueInEffect(name, key) : clusterDefault.get(name);
            out.add(new DescribeConfigsResourceResult()
                    .setName(name)
                    .setValue(sensitive ? null : value)
                    .setReadOnly(!DynamicConfigs.isDynamic(name))
                    .setConfigSource(
                            all.isEmpty()
                                    ? ConfigSource.DEFAULT_CONFIG.id()
                                    : all.get(0).source())
                    .setIsSensitive(sensitive)
                    .setConfigType(
                            key == null
                                    ? ConfigType.UNKNOWN.id()
                                    : ConfigHandler.configType(key.type).id())
                    .setDocumentation(docs && key != null ? key.documentation : null)
                    .setSynonyms(synonyms ? all : List.of()));
        }
        return out;
    }

    private String valueInEffect(String name, ConfigDef.ConfigKey key) {
        String set = config.values().get(name);
        if (set != null || key == null || key.defaultValue == null) {
            return set;
        }
        return ConfigDef.convertToString(key.defaultValue, key.type);
    }

    /** The setting's synonyms in every layer, highest precedence first, from the described name on. */
    List<DescribeConfigsSynonym> synonyms(String name, boolean sensitive) {
        List<String> group = DynamicConfigs.synonyms(name);
        List<DescribeConfigsSynonym> all = new ArrayList<>();
        addFrom(all, group, dynamic.broker(), ConfigSource.DYNAMIC_BROKER_CONFIG, sensitive);
        addFrom(all, group, dynamic.clusterDefault(), ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, sensitive);
        addFrom(all, group, config.staticValues(), ConfigSource.STATIC_BROKER_CONFIG, sensitive);
        for (String synonym : group) {
            ConfigDef.ConfigKey key = BrokerConfigs.DEF.configKeys().get(synonym);
            if (key != null && key.defaultValue != null) {
                String value = sensitive ? null : ConfigDef.convertToString(key.defaultValue, key.type);
                all.add(synonym(synonym, value, ConfigSource.DEFAULT_CONFIG));
            }
        }
        int first = 0;
        while (first < all.size() && !all.get(first).name().equals(name)) {
            first++;
        }
        return new ArrayList<>(all.subList(first, all.size()));
    }

    private static void addFrom(
            List<DescribeConfigsSynonym> into,
            List<String> group,
            Map<String, String> layer,
            ConfigSource source,
            boolean sensitive) {
        for (String synonym : group) {
            String value = layer.get(synonym);
            if (value != null) {
                into.add(synonym(synonym, sensitive ? null : value, source));
            }
        }
    }

    private static DescribeConfigsSynonym synonym(String name, String value, ConfigSource source) {
        return new DescribeConfigsSynonym().setName(name).setValue(value).setSource(source.id());
    }
}
