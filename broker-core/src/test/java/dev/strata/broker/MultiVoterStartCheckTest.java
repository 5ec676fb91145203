package dev.strata.broker;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Until brokers replicate, a broker runs as the only voter of its metadata quorum. */
class MultiVoterStartCheckTest {

    @Test
    void aBrokerOfAMultiVoterQuorumRefusesToStartSayingReplicationIsNotBuiltYet() {
        BrokerConfig cluster = BrokerConfig.of(Map.of(
                "node.id", "2", "controller.quorum.voters", "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293"));
        assertThatThrownBy(() -> StrataServer.requireSingleVoter(cluster))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("controller.quorum.voters")
                .hasMessageContaining("multi-broker clusters (replication between brokers) are not built yet");
    }

    @Test
    void aBrokerWithoutQuorumSettingsOrAsItsOnlyVoterStarts() {
        assertThatCode(() -> StrataServer.requireSingleVoter(BrokerConfig.of(Map.of())))
                .doesNotThrowAnyException();
        assertThatCode(() -> StrataServer.requireSingleVoter(
                        BrokerConfig.of(Map.of("node.id", "1", "controller.quorum.voters", "1@127.0.0.1:9093"))))
                .doesNotThrowAnyException();
    }
}
