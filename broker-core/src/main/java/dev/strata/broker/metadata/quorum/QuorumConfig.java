package dev.strata.broker.metadata.quorum;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.ProcessRoles;
import dev.strata.broker.config.TopicConfigs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Where this node sits in the metadata quorum and how the quorum is tuned. The broker settings it reads, with Kafka's
 * KRaft names, are read here and nowhere else:
 *
 * <ul>
 *   <li>{@code controller.quorum.voters}: {@code id@host:port,...}, the Raft (Ratis) address of every voter. Unset,
 *       the node is the only voter, on 127.0.0.1 with a port picked at start (nobody else needs to reach it).
 *   <li>{@code process.roles}: {@code broker,controller} (the default), {@code controller} (a voter that hosts no
 *       partitions) or {@code broker} (no vote: it reads the committed metadata from the voters).
 *   <li>{@code node.id}: one of the voters exactly when the node is a controller.
 *   <li>{@code unclean.leader.election.enable}: the default for topics that do not set it, which this node's
 *       controller writes to the log when it becomes the active controller.
 * </ul>
 *
 * @param raftDir the Ratis storage directory; the group's log and snapshots go in a subdirectory named after the group
 * @param clusterId names the Raft group, so voters of two clusters never join each other's group
 * @param writeTimeout how long a write may wait to be committed (and applied here) before it fails
 * @param snapshotThreshold log entries applied since the last snapshot that trigger the next one
 * @param logSegmentBytes size of a Raft log segment; whole segments below the snapshot are deleted
 * @param heartbeatInterval how often this node's broker tells the controller it is alive
 *     ({@code broker.heartbeat.interval.ms})
 * @param sessionTimeout how long the controller waits for a broker's heartbeat before it fences the broker
 *     ({@code broker.session.timeout.ms})
 * @param roles whether this node votes, hosts partitions, or both
 * @param uncleanElectionDefault this node's {@code unclean.leader.election.enable}
 */
public record QuorumConfig(
        int nodeId,
        List<Voter> voters,
        Path raftDir,
        String clusterId,
        Duration writeTimeout,
        long snapshotThreshold,
        long logSegmentBytes,
        Duration heartbeatInterval,
        Duration sessionTimeout,
        ProcessRoles roles,
        boolean uncleanElectionDefault) {
    public static final String CONTROLLER_QUORUM_VOTERS = BrokerConfig.CONTROLLER_QUORUM_VOTERS;
    public static final String PROCESS_ROLES = ProcessRoles.PROCESS_ROLES;
    /** Under the first log dir, beside {@code meta.properties}. */
    public static final String RAFT_DIR_NAME = "__strata_metadata_raft";

    static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(15);
    static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
    static final long DEFAULT_LOG_SEGMENT_BYTES = 1024 * 1024;
    static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(2000);
    static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofMillis(9000);

    /** A voter's id and the address its Raft server listens on. */
    public record Voter(int id, String host, int port) {
        @Override
        public String toString() {
            return id + "@" + host + ":" + port;
        }
    }

    /** A voter that also hosts partitions, with the default heartbeat interval and session timeout. */
    public QuorumConfig(
            int nodeId,
            List<Voter> voters,
            Path raftDir,
            String clusterId,
            Duration writeTimeout,
            long snapshotThreshold,
            long logSegmentBytes) {
        this(
                nodeId,
                voters,
                raftDir,
                clusterId,
                writeTimeout,
                snapshotThreshold,
                logSegmentBytes,
                DEFAULT_HEARTBEAT_INTERVAL,
                DEFAULT_SESSION_TIMEOUT,
                ProcessRoles.COMBINED,
                false);
    }

    public QuorumConfig {
        voters = List.copyOf(voters);
        boolean listed = voters.stream().anyMatch(v -> v.id() == nodeId);
        if (roles.isVoter() && !listed) {
            throw new ConfigException(
                    BrokerConfig.NODE_ID,
                    nodeId,
                    "this node is not one of the voters in " + CONTROLLER_QUORUM_VOTERS + "=" + votersSpec(voters)
                            + ", but " + PROCESS_ROLES + "=" + roles + " makes it a controller: add it to the voters,"
                            + " or set " + PROCESS_ROLES + "=broker");
        }
        if (!roles.isVoter() && listed) {
            throw new ConfigException(
                    BrokerConfig.NODE_ID,
                    nodeId,
                    "with " + PROCESS_ROLES + "=broker the node id " + nodeId + " must not be one of the voters in "
                            + CONTROLLER_QUORUM_VOTERS + "=" + votersSpec(voters)
                            + " (a broker-only node has no vote)");
        }
    }

    /**
     * The quorum of a node with this configuration.
     *
     * @param clusterId the cluster id the node runs with (from {@code cluster.id} or {@code meta.properties})
     * @throws ConfigException for a voter list that does not parse or repeats an id, a controller that is not a voter,
     *     a broker-only node that is one or has no voters to read from, and a controller listener on another port than
     *     this node's voter
     */
    public static QuorumConfig from(BrokerConfig config, String clusterId) {
        int nodeId = config.nodeId();
        ProcessRoles roles = config.processRoles();
        String spec = config.get(CONTROLLER_QUORUM_VOTERS);
        if (roles == ProcessRoles.BROKER && (spec == null || spec.isBlank())) {
            throw new ConfigException(
                    CONTROLLER_QUORUM_VOTERS,
                    spec,
                    "with " + PROCESS_ROLES + "=broker the voters must be listed: a broker-only node reads the"
                            + " metadata from them");
        }
        QuorumConfig quorum = new QuorumConfig(
                nodeId,
                voters(config),
                config.logDirs().get(0).resolve(RAFT_DIR_NAME),
                clusterId,
                DEFAULT_WRITE_TIMEOUT,
                DEFAULT_SNAPSHOT_THRESHOLD,
                DEFAULT_LOG_SEGMENT_BYTES,
                Duration.ofMillis(config.intValue(BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS)),
                Duration.ofMillis(config.intValue(BrokerConfig.BROKER_SESSION_TIMEOUT_MS)),
                roles,
                uncleanElectionDefault(config));
        config.controllerListener().ifPresent(l -> {
            int votePort = quorum.self().port();
            if (roles.isVoter() && l.port() != 0 && votePort != 0 && l.port() != votePort) {
                throw new ConfigException(
                        BrokerConfig.LISTENERS,
                        config.get(BrokerConfig.LISTENERS),
                        "the controller listener " + l.name() + " is on port " + l.port() + " but this node's entry in "
                                + CONTROLLER_QUORUM_VOTERS + " says " + quorum.self() + "; they must agree");
            }
        });
        return quorum;
    }

    private static boolean uncleanElectionDefault(BrokerConfig config) {
        return config.boolValue(TopicConfigs.BROKER_SYNONYMS.get(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG));
    }

    private static String votersSpec(List<Voter> voters) {
        return String.join(",", voters.stream().map(Voter::toString).toList());
    }

    /** The voters of {@code controller.quorum.voters}; unset, this node alone on 127.0.0.1 with a port picked at start. */
    public static List<Voter> voters(BrokerConfig config) {
        String spec = config.get(CONTROLLER_QUORUM_VOTERS);
        return spec == null || spec.isBlank() ? List.of(new Voter(config.nodeId(), "127.0.0.1", 0)) : parseVoters(spec);
    }

    /** True when this node is the only voter, listening on a port picked at start. */
    public boolean singleVoter() {
        return voters.size() == 1;
    }

    /** This node's voter; a broker-only node has none. */
    public Voter self() {
        return voters.stream()
                .filter(v -> v.id() == nodeId)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("node " + nodeId + " is not a voter"));
    }

    public QuorumConfig withWriteTimeout(Duration timeout) {
        return new QuorumConfig(
                nodeId,
                voters,
                raftDir,
                clusterId,
                timeout,
                snapshotThreshold,
                logSegmentBytes,
                heartbeatInterval,
                sessionTimeout,
                roles,
                uncleanElectionDefault);
    }

    public QuorumConfig withSnapshots(long threshold, long segmentBytes) {
        return new QuorumConfig(
                nodeId,
                voters,
                raftDir,
                clusterId,
                writeTimeout,
                threshold,
                segmentBytes,
                heartbeatInterval,
                sessionTimeout,
                roles,
                uncleanElectionDefault);
    }

    public QuorumConfig withBrokerSession(Duration heartbeat, Duration session) {
        return new QuorumConfig(
                nodeId,
                voters,
                raftDir,
                clusterId,
                writeTimeout,
                snapshotThreshold,
                logSegmentBytes,
                heartbeat,
                session,
                roles,
                uncleanElectionDefault);
    }

    /** This configuration with this {@code unclean.leader.election.enable} (tests). */
    public QuorumConfig withUncleanElectionDefault(boolean enable) {
        return new QuorumConfig(
                nodeId,
                voters,
                raftDir,
                clusterId,
                writeTimeout,
                snapshotThreshold,
                logSegmentBytes,
                heartbeatInterval,
                sessionTimeout,
                roles,
                enable);
    }

    /** Parses Kafka's {@code controller.quorum.voters} format, {@code 1@host:9093,2@[::1]:9093}. */
    public static List<Voter> parseVoters(String spec) {
        String expected = "expected id@host:port,... such as 1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293";
        List<Voter> voters = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (String part : spec.split(",")) {
            String s = part.trim();
            int at = s.indexOf('@');
            int colon = s.lastIndexOf(':');
            if (at <= 0 || colon < at + 2 || colon == s.length() - 1) {
                throw new ConfigException(CONTROLLER_QUORUM_VOTERS, spec, "'" + s + "' does not parse; " + expected);
            }
            String host = s.substring(at + 1, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int id;
            int port;
            try {
                id = Integer.parseInt(s.substring(0, at));
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException(
                        CONTROLLER_QUORUM_VOTERS, spec, "'" + s + "' has a non-numeric id or port; " + expected);
            }
            if (id < 0 || port < 1 || port > 65535 || host.isEmpty()) {
                throw new ConfigException(
                        CONTROLLER_QUORUM_VOTERS, spec, "'" + s + "' has an invalid id, host or port; " + expected);
            }
            if (!ids.add(id)) {
                throw new ConfigException(CONTROLLER_QUORUM_VOTERS, spec, "voter id " + id + " appears twice");
            }
            voters.add(new Voter(id, host, port));
        }
        return voters;
    }
}
