package dev.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.log.LogConfig;
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
    void finerBrokerRetentionSettingWins() {
        Map<String, String> defaults =
                TopicConfigs.brokerDefaults(Map.of("log.retention.ms", "10", "log.retention.hours", "5"));
        assertThat(LogConfig.of(defaults, Map.of()).retentionMs()).isEqualTo(10);
    }
}
