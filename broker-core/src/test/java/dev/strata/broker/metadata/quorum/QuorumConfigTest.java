package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.ProcessRoles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.TimeDuration;
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

    /**
     * Ratis's default closes a voter's server after a JVM pause of over 60 s, and the broker ran on without its vote
     * (seen in {@code BrokerLossIT}, whose hung follower was once paused 70 s): the server must survive any pause.
     * {@code LongPauseIT}, outside the CI suite for its length, pauses a voter for 65 s.
     */
    @Test
    void aVoterServerIsNeverClosedOverAJvmPause() {
        QuorumConfig q = QuorumConfig.from(config(Map.of("node.id", "7")), "c");
        TimeDuration threshold = RaftServerConfigKeys.closeThreshold(RatisSetup.serverProperties(q));
        assertThat(threshold.compareTo(TimeDuration.valueOf(365, TimeUnit.DAYS)))
                .isPositive();
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
    void fiveVotersParseAndTheLastOneFindsItself() {
        QuorumConfig q = QuorumConfig.from(
                config(Map.of(
                        "node.id",
                        "5",
                        "controller.quorum.voters",
                        "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293,4@127.0.0.1:9393,5@127.0.0.1:9493")),
                "c");
        assertThat(q.voters()).extracting(QuorumConfig.Voter::id).containsExactly(1, 2, 3, 4, 5);
        assertThat(q.self()).isEqualTo(new QuorumConfig.Voter(5, "127.0.0.1", 9493));
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
    void aBrokerOnlyNodeHasNoVoteAndReadsFromTheVoters() {
        QuorumConfig q = QuorumConfig.from(
                config(Map.of(
                        "node.id", "4",
                        "process.roles", "broker",
                        "controller.listener.names", "CONTROLLER",
                        "controller.quorum.voters", "1@h:1,2@h:2,3@h:3")),
                "c");
        assertThat(q.roles()).isEqualTo(ProcessRoles.BROKER);
        assertThat(q.roles().isVoter()).isFalse();
        assertThat(q.voters()).hasSize(3);
    }

    @Test
    void aBrokerOnlyNodeMustNotBeAVoterAndNeedsVoters() {
        assertThatThrownBy(() -> QuorumConfig.from(
                        config(Map.of(
                                "node.id", "2",
                                "process.roles", "broker",
                                "controller.listener.names", "CONTROLLER",
                                "controller.quorum.voters", "1@h:1,2@h:2,3@h:3")),
                        "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("process.roles=broker the node id 2 must not be one of the voters");
        assertThatThrownBy(() -> QuorumConfig.from(
                        config(Map.of("node.id", "4", "process.roles", "broker", "controller.listener.names", "C")),
                        "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("controller.quorum.voters")
                .hasMessageContaining("reads the metadata from them");
    }

    @Test
    void aControllerOnlyNodeMustBeAVoterWhoseListenerMatchesItsVoterPort() {
        Map<String, String> controller = Map.of(
                "node.id", "1",
                "process.roles", "controller",
                "listeners", "CONTROLLER://127.0.0.1:9093",
                "controller.listener.names", "CONTROLLER",
                "controller.quorum.voters", "1@127.0.0.1:9093,2@127.0.0.1:9193");
        QuorumConfig q = QuorumConfig.from(config(controller), "c");
        assertThat(q.roles()).isEqualTo(ProcessRoles.CONTROLLER);
        assertThat(q.roles().isBroker()).isFalse();

        Map<String, String> notAVoter = new HashMap<>(controller);
        notAVoter.put("node.id", "5");
        assertThatThrownBy(() -> QuorumConfig.from(config(notAVoter), "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not one of the voters")
                .hasMessageContaining("process.roles=controller");

        Map<String, String> otherPort = new HashMap<>(controller);
        otherPort.put("listeners", "CONTROLLER://127.0.0.1:9999");
        assertThatThrownBy(() -> QuorumConfig.from(config(otherPort), "c"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("port 9999")
                .hasMessageContaining("1@127.0.0.1:9093");
    }

    @Test
    void listenersMustMatchTheRoles() {
        // a controller serves no clients
        assertThatThrownBy(() -> config(Map.of(
                        "process.roles", "controller",
                        "listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
                        "controller.listener.names", "CONTROLLER")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("may only be the controller listeners")
                .hasMessageContaining("PLAINTEXT");
        // a controller needs its listener
        assertThatThrownBy(
                        () -> config(Map.of("process.roles", "controller", "listeners", "CONTROLLER://127.0.0.1:9093")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("controller.listener.names must name one of the listeners");
        assertThatThrownBy(() -> config(Map.of(
                        "process.roles", "broker,controller",
                        "listeners", "PLAINTEXT://127.0.0.1:9092",
                        "controller.listener.names", "CONTROLLER")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("controller.listener.names must name one of the listeners");
        // a broker-only node does not listen for the quorum, but names the controllers' listener
        assertThatThrownBy(() -> config(Map.of(
                        "process.roles", "broker",
                        "listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
                        "controller.listener.names", "CONTROLLER")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("must not include the controller listener CONTROLLER");
        assertThatThrownBy(() -> config(Map.of("process.roles", "broker")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("controller.listener.names must name the controllers' listener");
    }

    @Test
    void unknownOrRepeatedRolesAreRefused() {
        for (String bad : List.of("broker,observer", "voter", "broker,broker")) {
            assertThatThrownBy(() -> config(Map.of("process.roles", bad)))
                    .as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("process.roles");
        }
    }

    @Test
    void aSingleNodeWithoutQuorumSettingsIsABrokerAndTheOnlyVoter() {
        BrokerConfig config = config(Map.of());
        assertThat(config.processRoles()).isEqualTo(ProcessRoles.COMBINED);
        QuorumConfig q = QuorumConfig.from(config, "c");
        assertThat(q.roles().isBroker()).isTrue();
        assertThat(q.singleVoter()).isTrue();
        assertThat(q.uncleanElectionDefault()).isFalse();
    }

    @Test
    void theBrokerSettingOfUncleanElectionIsTheControllersDefault() {
        assertThat(QuorumConfig.from(config(Map.of("unclean.leader.election.enable", "true")), "c")
                        .uncleanElectionDefault())
                .isTrue();
    }

    @Test
    void theSampleClusterConfigsAreValidAndTheFourthNodeIsABrokerWithoutAVote() throws Exception {
        Path samples = Path.of("..", "config", "cluster");
        try (var files = Files.list(samples)) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".properties")).toList()) {
                BrokerConfig config = BrokerConfig.load(file);
                QuorumConfig q = QuorumConfig.from(config, "c");
                assertThat(q.voters()).as(file.toString()).hasSize(3);
            }
        }
        assertThat(BrokerConfig.load(samples.resolve("broker4.properties")).processRoles())
                .isEqualTo(ProcessRoles.BROKER);
    }

    private BrokerConfig config(Map<String, String> settings) {
        Map<String, String> values = new HashMap<>(settings);
        values.put("log.dirs", dir.toString());
        return BrokerConfig.of(values);
    }
}
