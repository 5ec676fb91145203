package dev.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Topic config validation and the broker settings that supply topic defaults. */
class TopicConfigsTest {

    @Test
    void rejectsUnknownNamesAndBadValues() {
        assertThatThrownBy(() -> TopicConfigs.validate(Map.of("retention.hours", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("retention.hours");
        assertThatThrownBy(() -> TopicConfigs.validate(Map.of("cleanup.policy", "shred")))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> TopicConfigs.validate(Map.of("min.insync.replicas", "0")))
                .isInstanceOf(ConfigException.class);
        TopicConfigs.validate(Map.of("cleanup.policy", "compact,delete", "retention.ms", "-1"));
    }

    @Test
    void brokerSettingsBecomeTopicDefaults() {
        Map<String, String> defaults = TopicConfigs.brokerDefaults(
                Map.of("log.segment.bytes", "1000", "log.retention.minutes", "5", "message.max.bytes", "77"));
        LogConfig config = LogConfig.of(defaults, Map.of());
        assertThat(config.segmentBytes()).isEqualTo(1000);
        assertThat(config.retentionMs()).isEqualTo(300_000L);
        assertThat(config.maxMessageBytes()).isEqualTo(77);
        assertThat(LogConfig.of(defaults, Map.of("retention.ms", "9")).retentionMs())
                .isEqualTo(9);
    }

    @Test
    void kip950ConfigsDefaultToFalseAndParse() {
        LogConfig defaults = LogConfig.defaults();
        assertThat(defaults.remoteLogCopyDisable()).isFalse();
        assertThat(defaults.remoteLogDeleteOnDisable()).isFalse();
        assertThat(defaults.remoteCopyEnabled()).isFalse();
        LogConfig tiered = LogConfig.of(Map.of(), Map.of("remote.storage.enable", "true"));
        assertThat(tiered.remoteCopyEnabled()).isTrue();
        LogConfig readOnly =
                LogConfig.of(Map.of(), Map.of("remote.storage.enable", "true", "remote.log.copy.disable", "true"));
        assertThat(readOnly.remoteLogCopyDisable()).isTrue();
        assertThat(readOnly.remoteCopyEnabled()).isFalse();
        assertThat(LogConfig.of(Map.of(), Map.of("remote.log.delete.on.disable", "true"))
                        .remoteLogDeleteOnDisable())
                .isTrue();
        assertThatThrownBy(() -> TopicConfigs.validate(Map.of("remote.log.copy.disable", "maybe")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("remote.log.copy.disable");
    }

    @Test
    void tieredTopicsNeedABrokerThatTiersAndTheDeletePolicy() {
        Map<String, String> tiered = Map.of("remote.storage.enable", "true");
        TopicConfigs.validateTiering(Map.of(), tiered, true);
        assertThatThrownBy(() -> TopicConfigs.validateTiering(Map.of(), tiered, false))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Tiered Storage functionality is disabled in the broker")
                .hasMessageContaining("remote.log.storage.system.enable");
        for (String policy : List.of("compact", "compact,delete")) {
            assertThatThrownBy(() -> TopicConfigs.validateTiering(
                            Map.of(), Map.of("remote.storage.enable", "true", "cleanup.policy", policy), true))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("Remote log storage only supports topics with cleanup.policy=delete or cleanup.policy"
                            + " being an empty list.");
        }
        // not tiered: anything goes, also on a broker that does not tier
        TopicConfigs.validateTiering(Map.of(), Map.of("cleanup.policy", "compact"), false);
    }

    @Test
    void localRetentionOfATieredTopicMustStayWithinItsRetention() {
        assertThatThrownBy(() -> TopicConfigs.validateTiering(
                        Map.of(),
                        Map.of("remote.storage.enable", "true", "retention.ms", "1000", "local.retention.ms", "2000"),
                        true))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value 2000 for configuration local.retention.ms: Value must not be more than"
                        + " retention.ms property value: 1000");
        assertThatThrownBy(() -> TopicConfigs.validateTiering(
                        Map.of(),
                        Map.of(
                                "remote.storage.enable",
                                "true",
                                "retention.bytes",
                                "100",
                                "local.retention.bytes",
                                "-1"),
                        true))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value -1 for configuration local.retention.bytes: Value must not be -1 as"
                        + " retention.bytes value is set as 100.");
        // -2 follows retention.*, and an unlimited retention.* allows any local retention
        TopicConfigs.validateTiering(
                Map.of(),
                Map.of("remote.storage.enable", "true", "retention.bytes", "100", "local.retention.bytes", "-2"),
                true);
        TopicConfigs.validateTiering(
                Map.of(),
                Map.of("remote.storage.enable", "true", "retention.ms", "-1", "local.retention.ms", "5000"),
                true);
        // the broker's default retention counts: 7 days
        assertThatThrownBy(() -> TopicConfigs.validateTiering(
                        Map.of(), Map.of("remote.storage.enable", "true", "local.retention.ms", "-1"), true))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("local.retention.ms");
        // a topic that is not tiered is not checked, as in Kafka
        TopicConfigs.validateTiering(Map.of(), Map.of("retention.ms", "1000", "local.retention.ms", "2000"), true);
    }

    @Test
    void withCopyDisabledLocalRetentionMustEqualRetention() {
        Map<String, String> readOnly = Map.of(
                "remote.storage.enable",
                "true",
                "remote.log.copy.disable",
                "true",
                "retention.ms",
                "5000",
                "local.retention.ms",
                "1000");
        assertThatThrownBy(() -> TopicConfigs.validateTiering(Map.of(), readOnly, true))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("When `remote.log.copy.disable` is set to true, the `local.retention.ms`");
        Map<String, String> equal = new HashMap<>(readOnly);
        equal.put("local.retention.ms", "5000");
        TopicConfigs.validateTiering(Map.of(), equal, true);
        Map<String, String> following = new HashMap<>(readOnly);
        following.put("local.retention.ms", "-2");
        TopicConfigs.validateTiering(Map.of(), following, true);
    }

    @Test
    void turningRemoteStorageOffNeedsDeleteOnDisableInTheSameConfigs() {
        Map<String, String> wasTiered = Map.of("remote.storage.enable", "true");
        assertThatThrownBy(
                        () -> TopicConfigs.validateTiering(wasTiered, Map.of("remote.storage.enable", "false"), true))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("It is invalid to disable remote storage without deleting remote data.")
                .hasMessageContaining("remote.log.delete.on.disable=true");
        assertThatThrownBy(() -> TopicConfigs.validateTiering(wasTiered, Map.of(), true))
                .as("removing the override turns tiering off too")
                .isInstanceOf(ConfigException.class);
        TopicConfigs.validateTiering(
                wasTiered, Map.of("remote.storage.enable", "false", "remote.log.delete.on.disable", "true"), true);
        // never tiered, or tiered and staying so: no delete needed
        TopicConfigs.validateTiering(Map.of(), Map.of("remote.storage.enable", "false"), true);
        TopicConfigs.validateTiering(
                wasTiered, Map.of("remote.storage.enable", "true", "remote.log.copy.disable", "true"), true);
    }

    @Test
    void brokerLocalRetentionMustStayWithinTheBrokerRetention() {
        assertThatThrownBy(() -> TopicConfigs.validateBrokerLocalRetention(TopicConfigs.brokerDefaults(
                        Map.of("log.retention.ms", "1000", "log.local.retention.ms", "5000"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("local.retention.ms");
        TopicConfigs.validateBrokerLocalRetention(
                TopicConfigs.brokerDefaults(Map.of("log.local.retention.ms", "5000")));
    }

    @Test
    void finerBrokerRetentionSettingWins() {
        Map<String, String> defaults =
                TopicConfigs.brokerDefaults(Map.of("log.retention.ms", "10", "log.retention.hours", "5"));
        assertThat(LogConfig.of(defaults, Map.of()).retentionMs()).isEqualTo(10);
    }
}
