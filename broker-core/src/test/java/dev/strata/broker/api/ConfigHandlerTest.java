package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DescribeConfigs of the broker: answered from the one definition of the broker settings. */
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

    private static Map<String, DescribeConfigsResourceResult> describeBroker(Map<String, String> settings) {
        BrokerConfig config = BrokerConfig.of(settings);
        ConfigHandler handler = new ConfigHandler(config, null);
        DescribeConfigsRequest request = new DescribeConfigsRequest.Builder(new DescribeConfigsRequestData()
                        .setIncludeSynonyms(true)
                        .setIncludeDocumentation(true)
                        .setResources(List.of(new DescribeConfigsResource()
                                .setResourceType(ConfigResource.Type.BROKER.id())
                                .setResourceName(Integer.toString(config.nodeId()))
                                .setConfigurationKeys(null))))
                .build((short) 4);
        DescribeConfigsResult result = handler.describe(request).results().get(0);
        assertThat(result.errorCode()).isEqualTo(Errors.NONE.code());
        return result.configs().stream()
                .collect(Collectors.toMap(DescribeConfigsResourceResult::name, Function.identity()));
    }
}
