package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.config.BrokerConfigs;
import dev.strata.broker.config.DynamicBrokerConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfigCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configs of the broker: described from the one definition and the dynamic layers, changed as Kafka changes them. */
class ConfigHandlerTest {
    @TempDir
    Path dir;

    @Test
    void theBrokerIsDescribedFromTheDefinitionWithItsSettingsDefaultsAndUnknownKeys() {
        Map<String, DescribeConfigsResourceResult> configs = describeBroker(Map.of(
                "log.dirs", dir.toString(),
                "num.partitions", "3",
                "some.plugin.setting", "kept"));

        assertThat(configs.keySet()).containsAll(BrokerConfigs.DEF.names());
        DescribeConfigsResourceResult partitions = configs.get("num.partitions");
        assertThat(partitions.value()).isEqualTo("3");
        assertThat(partitions.configSource()).isEqualTo(ConfigSource.STATIC_BROKER_CONFIG.id());
        assertThat(partitions.configType()).isEqualTo(ConfigType.INT.id());
        assertThat(partitions.readOnly()).isTrue();
        assertThat(partitions.documentation()).contains("partitions of a topic created without a count");

        DescribeConfigsResourceResult minSession = configs.get("group.min.session.timeout.ms");
        assertThat(minSession.value()).isEqualTo("6000");
        assertThat(minSession.configSource()).isEqualTo(ConfigSource.DEFAULT_CONFIG.id());
        assertThat(configs.get("log.segment.bytes").value()).isEqualTo("1073741824");
        assertThat(configs.get("advertised.listeners").value()).isNull();

        DescribeConfigsResourceResult unknown = configs.get("some.plugin.setting");
        assertThat(unknown.value()).isEqualTo("kept");
        assertThat(unknown.configSource()).isEqualTo(ConfigSource.STATIC_BROKER_CONFIG.id());
        assertThat(unknown.configType()).isEqualTo(ConfigType.UNKNOWN.id());
        assertThat(unknown.isSensitive()).isFalse();
    }

    @Test
    void credentialsAreAnsweredWithoutTheirValueAndMarkedSensitive() {
        Map<String, DescribeConfigsResourceResult> configs = describeBroker(Map.of(
                "log.dirs", dir.toString(),
                "rsm.config.aws.access.key.id", "AKIAEXAMPLE",
                "rsm.config.aws.secret.access.key", "wJalrXUtnFEMI",
                "rsm.config.storage.aws.secret.access.key", "wJalrXUtnFEMI",
                "ssl.key.password", "hunter2",
                "rsm.config.s3.bucket.name", "bucket"));

        for (String secret : List.of(
                "rsm.config.aws.access.key.id",
                "rsm.config.aws.secret.access.key",
                "rsm.config.storage.aws.secret.access.key",
                "ssl.key.password")) {
            DescribeConfigsResourceResult entry = configs.get(secret);
            assertThat(entry.value()).as(secret).isNull();
            assertThat(entry.isSensitive()).as(secret).isTrue();
            assertThat(entry.synonyms()).allSatisfy(s -> assertThat(s.value()).isNull());
        }
        assertThat(configs.get("rsm.config.s3.bucket.name").value()).isEqualTo("bucket");
        assertThat(configs.get("rsm.config.s3.bucket.name").isSensitive()).isFalse();
    }

    @Test
    void dynamicConfigsAreDescribedWithTheirLayersAsSourcesAndSynonyms() {
        BrokerConfig config =
                BrokerConfig.of(Map.of("log.dirs", dir.toString(), "node.id", "1", "log.retention.hours", "24"));
        MapStore store = new MapStore();
        store.listener = new DynamicBrokerConfig(config);
        ConfigHandler handler = new ConfigHandler(config, null, store.listener, store);

        assertThat(alter(handler, "", op("log.retention.ms", "60000", 0), op("log.cleaner.threads", "2", 0)))
                .isEqualTo(Errors.NONE);
        assertThat(alter(handler, "1", op("log.cleaner.threads", "3", 0))).isEqualTo(Errors.NONE);
        assertThat(store.configs).containsEntry("", Map.of("log.retention.ms", "60000", "log.cleaner.threads", "2"));

        Map<String, DescribeConfigsResourceResult> broker = describe(handler, "1");
        DescribeConfigsResourceResult threads = broker.get("log.cleaner.threads");
        assertThat(threads.value()).isEqualTo("3");
        assertThat(threads.readOnly()).isFalse();
        assertThat(threads.configSource()).isEqualTo(ConfigSource.DYNAMIC_BROKER_CONFIG.id());
        assertThat(threads.synonyms())
                .extracting(s -> s.source() + ":" + s.value())
                .containsExactly(
                        ConfigSource.DYNAMIC_BROKER_CONFIG.id() + ":3",
                        ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.id() + ":2",
                        ConfigSource.DEFAULT_CONFIG.id() + ":1");
        DescribeConfigsResourceResult retention = broker.get("log.retention.ms");
        assertThat(retention.value()).isEqualTo("60000");
        assertThat(retention.configSource()).isEqualTo(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.id());
        DescribeConfigsResourceResult hours = broker.get("log.retention.hours");
        assertThat(hours.value())
                .as("hidden by the dynamic log.retention.ms, as in Kafka")
                .isNull();
        assertThat(hours.synonyms())
                .as("the finer synonyms set before it are left out; the definitions' defaults follow")
                .extracting(s -> s.name() + "=" + s.value())
                .containsExactly("log.retention.hours=24", "log.retention.ms=604800000");
        assertThat(hours.configSource()).isEqualTo(ConfigSource.STATIC_BROKER_CONFIG.id());
        assertThat(broker.get("log.dirs").readOnly()).isTrue();

        Map<String, DescribeConfigsResourceResult> clusterDefault = describe(handler, "");
        assertThat(clusterDefault.keySet()).containsExactlyInAnyOrder("log.retention.ms", "log.cleaner.threads");
        assertThat(clusterDefault.get("log.cleaner.threads").value()).isEqualTo("2");
        assertThat(clusterDefault.get("log.cleaner.threads").synonyms())
                .extracting(s -> s.source())
                .containsExactly(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.id());

        assertThat(alter(handler, "", op("log.cleaner.threads", null, 1))).isEqualTo(Errors.NONE);
        assertThat(describe(handler, "").keySet()).containsExactly("log.retention.ms");
        assertThat(config.cleanerConfig().threads()).isEqualTo(3);
    }

    @Test
    void brokerConfigMistakesGetKafkasErrors() {
        BrokerConfig config = BrokerConfig.of(Map.of("log.dirs", dir.toString(), "node.id", "1"));
        MapStore store = new MapStore();
        store.listener = new DynamicBrokerConfig(config);
        ConfigHandler handler = new ConfigHandler(config, null, store.listener, store);

        assertThat(alter(handler, "", op("log.dirs", "/x", 0))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alter(handler, "", op("log.retention.ms", "soon", 0))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alter(handler, "2", op("log.retention.ms", "1", 0))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alter(handler, "x", op("log.retention.ms", "1", 0))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alter(handler, "", op("log.retention.ms", "1", 0), op("log.retention.ms", "2", 0)))
                .isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alter(handler, "", op("log.retention.ms", "1", 2))).isEqualTo(Errors.INVALID_CONFIG);
        assertThat(store.configs).isEmpty();
        assertThat(alter(handler, "", op("no.such.config", "1", 0))).isEqualTo(Errors.NONE);
        assertThat(store.configs).containsEntry("", Map.of("no.such.config", "1"));
    }

    @Test
    void loggerLevelsAreListedAndChangedAtRuntime() {
        BrokerConfig config = BrokerConfig.of(Map.of("log.dirs", dir.toString(), "node.id", "1"));
        ConfigHandler handler = new ConfigHandler(config, null, new DynamicBrokerConfig(config), new MapStore());
        String name = ConfigHandlerTest.class.getName();
        org.slf4j.LoggerFactory.getLogger(name);

        assertThat(alterLoggers(handler, "1", op(name, "TRACE", 0))).isEqualTo(Errors.NONE);
        Map<String, DescribeConfigsResourceResult> loggers = describeLoggers(handler, "1");
        assertThat(loggers).containsKey("root");
        assertThat(loggers.get(name).value()).isEqualTo("TRACE");
        assertThat(loggers.get(name).configSource()).isEqualTo(ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG.id());

        assertThat(alterLoggers(handler, "1", op(name, null, 1))).isEqualTo(Errors.NONE);
        assertThat(describeLoggers(handler, "1").get(name).value())
                .isEqualTo(describeLoggers(handler, "1").get("root").value());
        assertThat(alterLoggers(handler, "1", op(name, "LOUD", 0))).isEqualTo(Errors.INVALID_CONFIG);
        assertThat(alterLoggers(handler, "1", op("no.such.logger.anywhere", "INFO", 0)))
                .isEqualTo(Errors.INVALID_CONFIG);
        assertThat(alterLoggers(handler, "1", op("root", null, 1))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alterLoggers(handler, "1", op(name, "INFO", 2))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(alterLoggers(handler, "2", op(name, "INFO", 0))).isEqualTo(Errors.INVALID_REQUEST);
    }

    private static AlterableConfig op(String name, String value, int operation) {
        return new AlterableConfig().setName(name).setValue(value).setConfigOperation((byte) operation);
    }

    private static Errors alter(ConfigHandler handler, String broker, AlterableConfig... ops) {
        return incremental(handler, ConfigResource.Type.BROKER, broker, ops);
    }

    private static Errors alterLoggers(ConfigHandler handler, String broker, AlterableConfig... ops) {
        return incremental(handler, ConfigResource.Type.BROKER_LOGGER, broker, ops);
    }

    private static Errors incremental(
            ConfigHandler handler, ConfigResource.Type type, String name, AlterableConfig... ops) {
        AlterableConfigCollection configs = new AlterableConfigCollection();
        for (AlterableConfig op : ops) {
            configs.mustAdd(op.duplicate());
        }
        IncrementalAlterConfigsRequestData data = new IncrementalAlterConfigsRequestData();
        data.resources()
                .add(new AlterConfigsResource()
                        .setResourceType(type.id())
                        .setResourceName(name)
                        .setConfigs(configs));
        IncrementalAlterConfigsRequest request = new IncrementalAlterConfigsRequest.Builder(data).build((short) 1);
        return Errors.forCode(
                handler.incrementalAlter(request).responses().get(0).errorCode());
    }

    private static Map<String, DescribeConfigsResourceResult> describe(ConfigHandler handler, String broker) {
        return describe(handler, ConfigResource.Type.BROKER, broker);
    }

    private static Map<String, DescribeConfigsResourceResult> describeLoggers(ConfigHandler handler, String broker) {
        return describe(handler, ConfigResource.Type.BROKER_LOGGER, broker);
    }

    private static Map<String, DescribeConfigsResourceResult> describe(
            ConfigHandler handler, ConfigResource.Type type, String name) {
        DescribeConfigsRequest request = new DescribeConfigsRequest.Builder(new DescribeConfigsRequestData()
                        .setIncludeSynonyms(true)
                        .setIncludeDocumentation(true)
                        .setResources(List.of(new DescribeConfigsResource()
                                .setResourceType(type.id())
                                .setResourceName(name)
                                .setConfigurationKeys(null))))
                .build((short) 4);
        DescribeConfigsResult result = handler.describe(request).results().get(0);
        assertThat(result.errorCode()).isEqualTo(Errors.NONE.code());
        return result.configs().stream()
                .collect(Collectors.toMap(DescribeConfigsResourceResult::name, Function.identity()));
    }

    /** The quorum's part: entities' configs in a map, applied at once as the broker's metadata listener applies them. */
    private static final class MapStore implements BrokerConfigStore {
        final Map<String, Map<String, String>> configs = new HashMap<>();
        DynamicBrokerConfig listener;

        @Override
        public Map<String, String> brokerConfigs(String entity) {
            return configs.getOrDefault(entity, Map.of());
        }

        @Override
        public void setBrokerConfigs(String entity, Map<String, String> entityConfigs) {
            if (entityConfigs.isEmpty()) {
                configs.remove(entity);
            } else {
                configs.put(entity, Map.copyOf(entityConfigs));
            }
            if (listener != null) {
                listener.update(entity, entityConfigs);
            }
        }
    }

    private static Map<String, DescribeConfigsResourceResult> describeBroker(Map<String, String> settings) {
        BrokerConfig config = BrokerConfig.of(settings);
        ConfigHandler handler = new ConfigHandler(config, null, new DynamicBrokerConfig(config), null);
        return describe(handler, ConfigResource.Type.BROKER, Integer.toString(config.nodeId()));
    }
}
