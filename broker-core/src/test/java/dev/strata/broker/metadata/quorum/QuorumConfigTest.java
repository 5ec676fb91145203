package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quorum settings with Kafka's names: the voter list, this node's place in it, the roles. */
class QuorumConfigTest {
    @TempDir
    Path dir;

    @Test
    void withoutVotersTheNodeIsTheOnlyVoterOnAPortPickedAtStart() {
        QuorumConfig q = QuorumConfig.from(config(Map.of("node.id", "7")), "c");
        assertThat(q.voters()).containsExactly(new QuorumConfig.Voter(7, "127.0.0.1", 0));
        assertThat(q.raftDir()).isEqualTo(dir.resolve(QuorumConfig.RAFT_DIR_NAME));
    }

    @Test
    void votersParseInKafkaFormat() {
        QuorumConfig q = QuorumConfig.from(
                config(Map.of(
                        "node.id", "2",
                        "process.roles", "broker,controller",
                        "controller.quorum.voters", "1@127.0.0.1:9093, 2@[::1]:9193,3@host-3:9293")),
                "c");
        assertThat(q.voters())
                .containsExactly(
                        new QuorumConfig.Voter(1, "127.0.0.1", 9093),
                        new QuorumConfig.Voter(2, "::1", 9193),
                        new QuorumConfig.Voter(3, "host-3", 9293));
        assertThat(q.self().port()).isEqualTo(9193);
    }

    @Test
    void aNodeThatIsNotAVoterIsRefused() {
        assertThatThrownBy(() -> QuorumConfig.from(
                        config(Map.of("node.id", "4", "controller.quorum.voters", "1@h:1,2@h:2,3@h:3")), "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("node.id")
                .hasMessageContaining("not one of the voters");
    }

    @Test
    void duplicateVoterIdsAreRefused() {
        assertThatThrownBy(() -> QuorumConfig.parseVoters("1@h:1,2@h:2,1@h:3"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("voter id 1 appears twice");
    }

    @Test
    void unparsableVoterListsAreRefused() {
        for (String bad : List.of("", "1@h", "h:9093", "x@h:1", "1@h:port", "1@:9093", "1@h:0", "1@h:70000")) {
            assertThatThrownBy(() -> QuorumConfig.parseVoters(bad))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("controller.quorum.voters");
        }
    }

    @Test
    void aBrokerWithoutAVoteIsNotSupportedYet() {
        assertThatThrownBy(() -> QuorumConfig.from(
                        config(Map.of("node.id", "4", "process.roles", "broker", "controller.quorum.voters", "1@h:1")),
                        "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("process.roles=broker")
                .hasMessageContaining("not supported yet");
        assertThatThrownBy(() -> QuorumConfig.from(config(Map.of("process.roles", "broker,observer")), "c"))
                .isInstanceOf(ConfigException.class);
    }

    private BrokerConfig config(Map<String, String> settings) {
        Map<String, String> values = new HashMap<>(settings);
        values.put("log.dirs", dir.toString());
        return BrokerConfig.of(values);
    }
}
