package dev.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layers of dynamic broker configs, what may change, and who is told. */
class DynamicBrokerConfigTest {
    @TempDir
    Path dir;

    private BrokerConfig config(String... keyValues) {
        Map<String, String> values = new java.util.HashMap<>(Map.of("log.dirs", dir.toString(), "node.id", "1"));
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return BrokerConfig.of(values);
    }

    @Test
    void thisBrokersConfigBeatsTheClusterDefaultWhichBeatsServerProperties() {
        BrokerConfig config = config("log.retention.bytes", "100", "log.cleaner.threads", "1");
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config);

        dynamic.update("", Map.of("log.retention.bytes", "200", "log.cleaner.threads", "2"));
        assertThat(config.topicDefaults()).containsEntry("retention.bytes", "200");
        assertThat(config.cleanerConfig().threads()).isEqualTo(2);

        dynamic.update("1", Map.of("log.retention.bytes", "300"));
        dynamic.update("2", Map.of("log.retention.bytes", "400"));
        assertThat(config.topicDefaults())
                .as("another broker's configs are not ours")
                .containsEntry("retention.bytes", "300");
        assertThat(config.cleanerConfig().threads()).isEqualTo(2);

        dynamic.update("1", Map.of());
        dynamic.update("", Map.of());
        assertThat(config.topicDefaults()).containsEntry("retention.bytes", "100");
        assertThat(config.staticValues()).containsEntry("log.retention.bytes", "100");
    }

    @Test
    void aDynamicSettingHidesItsSynonymsInLowerLayers() {
        BrokerConfig config = config("log.retention.ms", "1000");
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config);

        dynamic.update("", Map.of("log.retention.hours", "2"));

        assertThat(config.topicDefaults()).containsEntry("retention.ms", "7200000");
        assertThat(DynamicConfigs.synonyms("log.retention.hours"))
                .containsExactly("log.retention.ms", "log.retention.minutes", "log.retention.hours");
        assertThat(DynamicConfigs.synonyms("log.cleaner.threads")).containsExactly("log.cleaner.threads");
    }

    @Test
    void readOnlySettingsAndBadValuesAreRefusedAndUnknownOnesKept() {
        BrokerConfig config = config();
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config);

        assertThatThrownBy(() -> dynamic.validate("", Map.of("log.dirs", "/elsewhere", "log.retention.ms", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Cannot update these configs dynamically: [log.dirs]");
        assertThatThrownBy(() -> dynamic.validate("", Map.of("log.retention.ms", "soon")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.retention.ms");
        assertThatThrownBy(() -> dynamic.validate("1", Map.of("log.cleaner.threads", "0")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> dynamic.validate("1", Map.of("log.cleaner.dedupe.buffer.size", "1024")))
                .as("a rule that spans settings: every cleaner thread needs 1 MiB")
                .isInstanceOf(ConfigException.class);

        dynamic.validate("", Map.of("no.such.config", "1", "remote.log.manager.copy.max.bytes.per.second", "1000"));
        dynamic.update("", Map.of("no.such.config", "1"));
        assertThat(config.values()).containsEntry("no.such.config", "1");
    }

    @Test
    void onlyTheComponentsWhoseSettingsChangedAreTold() {
        BrokerConfig config = config();
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config);
        List<String> told = new ArrayList<>();
        dynamic.addReconfigurable(DynamicBrokerConfig.Reconfigurable.of(
                "cleaner", Set.of("log.cleaner.threads"), c -> told.add("cleaner")));
        dynamic.addReconfigurable(DynamicBrokerConfig.Reconfigurable.of(
                "topics", DynamicConfigs.TOPIC_DEFAULTS, c -> told.add("topics")));

        dynamic.update("", Map.of("log.retention.ms", "1000"));
        dynamic.update("", Map.of("log.retention.ms", "1000"));
        dynamic.update("1", Map.of("log.retention.ms", "1000"));
        assertThat(told).containsExactly("topics");

        dynamic.update("", Map.of("log.cleaner.threads", "2", "log.retention.ms", "1000"));
        assertThat(told).containsExactly("topics", "cleaner");
    }

    @Test
    void aPersistedSetThatNoLongerPassesIsNotApplied() {
        BrokerConfig config = config();
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config);

        dynamic.update("", Map.of("log.cleaner.threads", "0"));

        assertThat(dynamic.clusterDefault()).isEmpty();
        assertThat(config.cleanerConfig().threads()).isEqualTo(1);
    }

    @Test
    void aNewDynamicConfigStartsFromTheStaticSettings() {
        BrokerConfig config = config();
        new DynamicBrokerConfig(config).update("", Map.of("log.retention.ms", "1000"));

        new DynamicBrokerConfig(config);

        assertThat(config.topicDefaults()).doesNotContainKey("retention.ms");
    }

    @Test
    void retentionCleanerUploadRateAndChunkCacheAreDynamicButNotEverything() {
        assertThat(DynamicConfigs.NAMES)
                .contains(
                        "log.retention.ms",
                        "log.retention.hours",
                        "log.retention.bytes",
                        "log.cleaner.threads",
                        "log.cleaner.io.buffer.size",
                        "remote.log.manager.copy.max.bytes.per.second",
                        "remote.log.chunk.cache.memory.bytes")
                .doesNotContain("log.dirs", "node.id", "listeners", "unclean.leader.election.enable");
        assertThat(BrokerConfigs.DEF.names()).containsAll(DynamicConfigs.NAMES);
    }

    @Test
    void aListenersKeyStoreIsDynamicPerBrokerOnlyAndOtherListenerSettingsAreNot() {
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config());

        assertThat(DynamicConfigs.isDynamic("listener.name.ssl.ssl.keystore.location"))
                .isTrue();
        assertThat(DynamicConfigs.isDynamic("ssl.truststore.password")).isTrue();
        assertThat(DynamicConfigs.isDynamic("listener.name.ssl.ssl.client.auth"))
                .isFalse();
        assertThatThrownBy(() -> dynamic.validate("", Map.of("listener.name.ssl.ssl.keystore.location", "/k.p12")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("broker id must be specified");
        assertThatThrownBy(() -> dynamic.validate("1", Map.of("listener.name.ssl.ssl.client.auth", "required")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Cannot update these configs dynamically");
    }

    @Test
    void aReconfigurableThatRefusesTheChangeFailsTheValidation() {
        DynamicBrokerConfig dynamic = new DynamicBrokerConfig(config());
        List<String> asked = new ArrayList<>();
        dynamic.addReconfigurable(new DynamicBrokerConfig.Reconfigurable() {
            @Override
            public Set<String> reconfigurableConfigs() {
                return Set.of("listener.name.ssl.ssl.keystore.location");
            }

            @Override
            public void validateReconfiguration(BrokerConfig proposed) {
                asked.add(proposed.get("listener.name.ssl.ssl.keystore.location"));
                throw new ConfigException("the new key store does not load");
            }

            @Override
            public void reconfigure(BrokerConfig config) {}
        });

        assertThatThrownBy(() -> dynamic.validate("1", Map.of("listener.name.ssl.ssl.keystore.location", "/k.p12")))
                .hasMessageContaining("does not load");
        assertThat(asked).containsExactly("/k.p12");
        dynamic.validate("1", Map.of("log.cleaner.threads", "2"));
        assertThat(asked).as("not asked about a change of another setting").hasSize(1);
    }

    @Test
    void logLinesHidePasswords() {
        assertThat(DynamicBrokerConfig.redacted(Map.of(
                        "listener.name.ssl.ssl.keystore.password",
                        "secret",
                        "listener.name.ssl.ssl.keystore.location",
                        "/k.p12")))
                .containsEntry("listener.name.ssl.ssl.keystore.password", "[hidden]")
                .containsEntry("listener.name.ssl.ssl.keystore.location", "/k.p12");
    }
}
