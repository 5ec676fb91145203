package dev.strata.broker.api;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.config.DynamicBrokerConfig;
import dev.strata.broker.config.TopicConfigs;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs. Topic configs are dynamic and stored with the topic.
 * Broker configs come from {@code server.properties}, with the dynamic ones over them, kept in the metadata quorum for
 * the cluster default and for each broker ({@link BrokerConfigDescription}, {@link BrokerConfigAlter}); BROKER_LOGGER
 * is the broker's log levels ({@link BrokerLoggers}).
 */
public final class ConfigHandler {
    private final BrokerConfig broker;
    private final TopicManager topics;
    private final DynamicBrokerConfig dynamic;
    private final BrokerConfigDescription brokerDescription;
    private final BrokerConfigAlter brokerAlter;
    private final BrokerLoggers loggers;

    /** @param store where dynamic broker configs are written (the metadata quorum) */
    public ConfigHandler(
            BrokerConfig broker, TopicManager topics, DynamicBrokerConfig dynamic, BrokerConfigStore store) {
        this.broker = broker;
        this.topics = topics;
        this.dynamic = dynamic;
        this.brokerDescription = new BrokerConfigDescription(broker, dynamic);
        this.brokerAlter = new BrokerConfigAlter(dynamic, store);
        this.loggers = new BrokerLoggers(dynamic.nodeEntity());
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
                            case BROKER_LOGGER -> loggers.describe(resource.resourceName());
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

    /**
     * As Kafka: the value in effect (the topic's override, else the broker's default in effect, else the definition's
     * default), and as synonyms the override, then the broker setting's synonyms in every layer (dynamic broker,
     * dynamic default, static, default); the source is the first synonym's.
     */
    private List<DescribeConfigsResourceResult> topicConfigs(TopicMetadata topic, boolean synonyms, boolean docs) {
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        Map<String, String> brokerDefaults = broker.topicDefaults();
        for (String name : TopicConfigs.names()) {
            ConfigDef.ConfigKey key = TopicConfigs.DEF.configKeys().get(name);
            String brokerName = TopicConfigs.BROKER_SYNONYMS.get(name);
            List<DescribeConfigsSynonym> syn = new ArrayList<>();
            String override = topic.configs().get(name);
            if (override != null) {
                syn.add(new DescribeConfigsSynonym()
                        .setName(name)
                        .setValue(override)
                        .setSource(ConfigSource.TOPIC_CONFIG.id()));
            }
            if (brokerName != null) {
                syn.addAll(brokerDescription.synonyms(brokerName, false));
            }
            String value = override != null
                    ? override
                    : brokerDefaults.getOrDefault(
                            name, key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null);
            out.add(new DescribeConfigsResourceResult()
                    .setName(name)
                    .setValue(value)
                    .setReadOnly(false)
                    .setConfigSource(
                            syn.isEmpty()
                                    ? ConfigSource.DEFAULT_CONFIG.id()
                                    : syn.get(0).source())
                    .setIsSensitive(false)
                    .setConfigType(configType(key.type).id())
                    .setDocumentation(docs ? key.documentation : null)
                    .setSynonyms(synonyms ? syn : List.of()));
        }
        return out;
    }

    /**
     * A BROKER resource: the cluster default (empty name) or this broker; another broker's id, or a name that is not
     * an id, is INVALID_REQUEST, as in Kafka.
     */
    private List<DescribeConfigsResourceResult> brokerConfigs(String resourceName, boolean synonyms, boolean docs) {
        if (!resourceName.isEmpty()) {
            try {
                Integer.parseInt(resourceName);
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("Broker id must be an integer, but it is: " + resourceName);
            }
            if (!resourceName.equals(dynamic.nodeEntity())) {
                throw new InvalidRequestException("Unexpected broker id, expected " + broker.nodeId()
                        + " or empty string, but received " + resourceName);
            }
        }
        return brokerDescription.describe(!resourceName.isEmpty(), synonyms, docs);
    }

    static ConfigType configType(ConfigDef.Type type) {
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
                Map<String, String> configs = new HashMap<>();
                resource.configs().forEach(c -> configs.put(c.name(), c.value()));
                if (resource.resourceType() == ConfigResource.Type.BROKER.id()) {
                    brokerAlter.replace(
                            resource.resourceName(), configs, request.data().validateOnly());
                } else {
                    checkTopicResource(resource.resourceType(), resource.resourceName());
                    topics.setConfigs(
                            resource.resourceName(), configs, request.data().validateOnly());
                }
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
                boolean validateOnly = request.data().validateOnly();
                switch (ConfigResource.Type.forId(resource.resourceType())) {
                    case BROKER -> brokerAlter.incremental(resource.resourceName(), resource.configs(), validateOnly);
                    case BROKER_LOGGER -> loggers.alter(resource.resourceName(), resource.configs(), validateOnly);
                    default -> alterTopic(resource, validateOnly);
                }
            } catch (ApiException e) {
                r.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
            }
            response.responses().add(r);
        }
        return response;
    }

    private void alterTopic(AlterConfigsResource resource, boolean validateOnly) {
        checkTopicResource(resource.resourceType(), resource.resourceName());
        TopicMetadata topic = topics.topic(resource.resourceName()).orElseThrow();
        Map<String, String> overrides = new HashMap<>(topic.configs());
        for (AlterableConfig c : resource.configs()) {
            apply(overrides, c, topic);
        }
        topics.setConfigs(resource.resourceName(), overrides, validateOnly);
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
        if (ConfigResource.Type.forId(type) != ConfigResource.Type.TOPIC) {
            throw new InvalidRequestException("Unsupported resource type " + type);
        }
        if (topics.topic(name).isEmpty()) {
            throw new UnknownTopicOrPartitionException("Topic '" + name + "' does not exist.");
        }
    }
}
