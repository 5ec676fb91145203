package dev.strata.broker;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.tiering.RemoteTier;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class TieredTopicsStartCheckTest {

    private static final TopicMetadata TIERED =
            new TopicMetadata("history", Uuid.randomUuid(), 1, Map.of("remote.storage.enable", "true"));
    private static final TopicMetadata PLAIN = new TopicMetadata("plain", Uuid.randomUuid(), 1, Map.of());
    private static final TopicMetadata TURNED_OFF =
            new TopicMetadata("off", Uuid.randomUuid(), 1, Map.of("remote.storage.enable", "false"));

    @Test
    void aBrokerWithoutARemoteTierRefusesTieredTopicsNamingThemAndTheSetting() {
        BrokerConfig untiered = BrokerConfig.of(Map.of());
        assertThatThrownBy(() -> RemoteTier.requireForTieredTopics(untiered, List.of(PLAIN, TIERED)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("[history]")
                .hasMessageContaining("remote.log.storage.system.enable=true")
                .hasMessageNotContaining("plain");
    }

    @Test
    void aBrokerWithoutARemoteTierStartsWithTopicsThatAreNotTiered() {
        BrokerConfig untiered = BrokerConfig.of(Map.of());
        assertThatCode(() -> RemoteTier.requireForTieredTopics(untiered, List.of(PLAIN, TURNED_OFF)))
                .doesNotThrowAnyException();
    }

    @Test
    void aBrokerThatTiersStartsWithTieredTopics() {
        BrokerConfig tiered = BrokerConfig.of(Map.of("remote.log.storage.system.enable", "true"));
        assertThatCode(() -> RemoteTier.requireForTieredTopics(tiered, List.of(TIERED)))
                .doesNotThrowAnyException();
    }
}
