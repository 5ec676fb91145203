package dev.strata.broker.api;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigs;
import dev.strata.broker.config.TopicConfigs;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;

/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs. Topic configs are dynamic and stored with the topic;
 * broker configs come from {@code server.properties} and are read-only here (changing them means a restart).
 */
public final class ConfigHandler {
    private final BrokerConfig broker;
    private final TopicManager topics;

    public ConfigHandler(BrokerConfig broker, TopicManager topics) {
        this.broker = broker;
        this.topics = topics;
    }

    public DescribeConfigsResponseData describe(DescribeConfigsRequest request) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        boolean synonyms = request.data().includeSynonyms();
        boolean docs = request.data().includeDocumentation();
        for (DescribeConfigsResource resource : request.data().resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult()
                    .setErrorMessage(null)
                    .setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            try {
                List<DescribeConfigsResourceResult> all =
                        switch (ConfigResource.Type.forId(resource.resourceType())) {
                            case TOPIC -> topicConfigs(
                                    topics.topic(resource.resourceName())
                                            .orElseThrow(() -> new UnknownTopicOrPartitionException(
                                                    "Topic '" + resource.resourceName() + "' does not exist.")),
                                    synonyms,
                                    docs);
                            case BROKER -> brokerConfigs(resource.resourceName(), synonyms, docs);
                            default -> throw new InvalidRequestException(
                                    "Unsupported resource type " + resource.resourceType());
                        };
                for (DescribeConfigsResourceResult c : all) {
                    if (resource.configurationKeys() == null
                            || resource.configurationKeys().contains(c.name())) {
                        result.configs().add(c);
                    }
                }
            } catch (ApiException e) {
                result.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
            }
            response.results().add(result);
        }
        return response;
    }

    /** Every topic config with its effective value and where that value comes from. */
    public List<DescribeConfigsResourceResult> topicConfigs(TopicMetadata topic) {
        return topicConfigs(topic, false, false);
    }

    private List<DescribeConfigsResourceResult> topicConfigs(TopicMetadata topic, boolean synonyms, boolean docs) {
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        for (String name : TopicConfigs.names()) {
            ConfigDef.ConfigKey key = TopicConfigs.DEF.configKeys().get(name);
            String brokerName = TopicConfigs.BROKER_SYNONYMS.get(name);
            String brokerValue = brokerName == null ? null : broker.get(brokerName);
            String defaultValue = key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
            List<DescribeConfigsSynonym> syn = new ArrayList<>();
            String value;
            ConfigSource source;
            if (topic.configs().containsKey(name)) {
                value = topic.configs().get(name);
                source = ConfigSource.TOPIC_CONFIG;
            } else if (brokerValue != null) {
                value = brokerValue;
                source = ConfigSource.STATIC_BROKER_CONFIG;
            } else {
                value = defaultValue;
                source = ConfigSource.DEFAULT_CONFIG;
            }
            if (synonyms) {
                if (topic.configs().containsKey(name)) {
                    syn.add(synonym(name, topic.configs().get(name), ConfigSource.TOPIC_CONFIG));
                }
                if (brokerValue != null) {
                    syn.add(synonym(brokerName, brokerValue, ConfigSource.STATIC_BROKER_CONFIG));
                }
                syn.add(synonym(brokerName != null ? brokerName : name, defaultValue, ConfigSource.DEFAULT_CONFIG));
            }
            out.add(new DescribeConfigsResourceResult()
                    .setName(name)
                    .setValue(value)
                    .setReadOnly(false)
                    .setConfigSource(source.id())
                    .setIsSensitive(false)
                    .setConfigType(configType(key.type).id())
                    .setDocumentation(docs ? key.documentation : null)
                    .setSynonyms(syn));
        }
        return out;
    }

    /**
     * Every broker setting of {@link BrokerConfigs#DEF} with its value from {@code server.properties} or its default,
     * and every other key the properties set (kept and shown, as Kafka does). All are read-only; credentials are
     * answered without their value and marked sensitive.
     */
    private List<DescribeConfigsResourceResult> brokerConfigs(String resourceName, boolean synonyms, boolean docs) {
        if (!resourceName.isEmpty() && !resourceName.equals(Integer.toString(broker.nodeId()))) {
            throw new InvalidRequestException(
                    "Broker " + resourceName + " is not this broker (" + broker.nodeId() + ")");
        }
        Map<String, ConfigDef.ConfigKey> defined = BrokerConfigs.DEF.configKeys();
        TreeSet<String> names = new TreeSet<>(defined.keySet());
        names.addAll(broker.values().keySet());
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        for (String name : names) {
            ConfigDef.ConfigKey key = defined.get(name);
            boolean set = broker.values().containsKey(name);
            ConfigSource source = set ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
            String value = set || key.defaultValue == null
                    ? broker.get(name)
                    : ConfigDef.convertToString(key.defaultValue, key.type);
            boolean sensitive = BrokerConfigs.isSensitive(name);
            if (sensitive) {
                value = null;
            }
            out.add(new DescribeConfigsResourceResult()
                    .setName(name)
                    .setValue(value)
                    .setReadOnly(!BrokerConfigs.isDynamic(name))
                    .setConfigSource(source.id())
                    .setIsSensitive(sensitive)
                    .setConfigType(
                            key == null
                                    ? ConfigType.UNKNOWN.id()
                                    : configType(key.type).id())
                    .setDocumentation(docs && key != null ? key.documentation : null)
                    .setSynonyms(synonyms ? List.of(synonym(name, value, source)) : List.of()));
        }
        return out;
    }

    private static DescribeConfigsSynonym synonym(String name, String value, ConfigSource source) {
        return new DescribeConfigsSynonym().setName(name).setValue(value).setSource(source.id());
    }

    private static ConfigType configType(ConfigDef.Type type) {
        return switch (type) {
            case BOOLEAN -> ConfigType.BOOLEAN;
            case STRING -> ConfigType.STRING;
            case INT -> ConfigType.INT;
            case SHORT -> ConfigType.SHORT;
            case LONG -> ConfigType.LONG;
            case DOUBLE -> ConfigType.DOUBLE;
            case LIST -> ConfigType.LIST;
            case CLASS -> ConfigType.CLASS;
            case PASSWORD -> ConfigType.PASSWORD;
        };
    }

    /** Legacy AlterConfigs: the given set replaces all of a topic's overrides. */
    public AlterConfigsResponseData alter(AlterConfigsRequest request) {
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        for (var resource : request.data().resources()) {
            AlterConfigsResourceResponse r = new AlterConfigsResourceResponse()
                    .setErrorMessage(null)
                    .setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            try {
                checkTopicResource(resource.resourceType(), resource.resourceName());
                Map<String, String> overrides = new HashMap<>();
                resource.configs().forEach(c -> overrides.put(c.name(), c.value()));
                topics.setConfigs(
                        resource.resourceName(), overrides, request.data().validateOnly());
            } catch (ApiException e) {
                r.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
            }
            response.responses().add(r);
        }
        return response;
    }

    public IncrementalAlterConfigsResponseData incrementalAlter(IncrementalAlterConfigsRequest request) {
        IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
        for (AlterConfigsResource resource : request.data().resources()) {
            var r = new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setErrorMessage(null)
                    .setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            try {
                checkTopicResource(resource.resourceType(), resource.resourceName());
                TopicMetadata topic = topics.topic(resource.resourceName()).orElseThrow();
                Map<String, String> overrides = new HashMap<>(topic.configs());
                for (AlterableConfig c : resource.configs()) {
                    apply(overrides, c, topic);
                }
                topics.setConfigs(
                        resource.resourceName(), overrides, request.data().validateOnly());
            } catch (ApiException e) {
                r.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
            }
            response.responses().add(r);
        }
        return response;
    }

    private void apply(Map<String, String> overrides, AlterableConfig c, TopicMetadata topic) {
        if (!TopicConfigs.isKnown(c.name())) {
            throw new InvalidConfigurationException("Unknown topic config name: " + c.name());
        }
        switch (c.configOperation()) {
            case 0 -> overrides.put(c.name(), c.value()); // SET
            case 1 -> overrides.remove(c.name()); // DELETE
            case 2, 3 -> { // APPEND, SUBTRACT: only for list configs
                ConfigDef.ConfigKey key = TopicConfigs.DEF.configKeys().get(c.name());
                if (key.type != ConfigDef.Type.LIST) {
                    throw new InvalidConfigurationException("Config " + c.name() + " is not a list; it cannot be "
                            + (c.configOperation() == 2 ? "appended to" : "subtracted from"));
                }
                String current = topicConfigs(topic).stream()
                        .filter(d -> d.name().equals(c.name()))
                        .findFirst()
                        .map(DescribeConfigsResourceResult::value)
                        .orElse("");
                LinkedHashSet<String> items = new LinkedHashSet<>();
                for (String s : current.split(",")) {
                    if (!s.isBlank()) {
                        items.add(s.trim());
                    }
                }
                for (String s : Optional.ofNullable(c.value()).orElse("").split(",")) {
                    if (c.configOperation() == 2) {
                        items.add(s.trim());
                    } else {
                        items.remove(s.trim());
                    }
                }
                overrides.put(c.name(), String.join(",", items));
            }
            default -> throw new InvalidRequestException("Unknown config operation " + c.configOperation());
        }
    }

    private void checkTopicResource(byte type, String name) {
        ConfigResource.Type t = ConfigResource.Type.forId(type);
        if (t == ConfigResource.Type.BROKER) {
            throw new InvalidRequestException(
                    "Broker configs are static in Strata: change server.properties and restart the broker");
        }
        if (t != ConfigResource.Type.TOPIC) {
            throw new InvalidRequestException("Unsupported resource type " + type);
        }
        if (topics.topic(name).isEmpty()) {
            throw new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
        }
    }
}
