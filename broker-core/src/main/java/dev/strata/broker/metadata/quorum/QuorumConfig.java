package dev.strata.broker.metadata.quorum;

import dev.strata.broker.config.BrokerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * Where this node sits in the metadata quorum and how the quorum is tuned. The broker settings it reads, with Kafka's
 * KRaft names, are read here and nowhere else:
 *
 * <ul>
 *   <li>{@code controller.quorum.voters}: {@code id@host:port,...}, the Raft (Ratis) address of every voter. Unset,
 *       the node is the only voter, on 127.0.0.1 with a port picked at start (nobody else needs to reach it).
 *   <li>{@code process.roles}: {@code broker,controller} (the default) or {@code controller}; a broker without a vote
 *       ({@code broker} alone) is not built yet.
 *   <li>{@code node.id}: must be one of the voters.
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
        Duration sessionTimeout) {
    public static final String CONTROLLER_QUORUM_VOTERS = "controller.quorum.voters";
    public static final String PROCESS_ROLES = "process.roles";
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

    /** With the default heartbeat interval and session timeout. */
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
                DEFAULT_SESSION_TIMEOUT);
    }

    public QuorumConfig {
        voters = List.copyOf(voters);
        if (voters.stream().noneMatch(v -> v.id() == nodeId)) {
            throw new ConfigException(
                    BrokerConfig.NODE_ID, nodeId, "this node is not one of the voters in " + CONTROLLER_QUORUM_VOTERS);
        }
    }

    /**
     * The quorum of a broker with this configuration.
     *
     * @param clusterId the cluster id the broker runs with (from {@code cluster.id} or {@code meta.properties})
     * @throws ConfigException for a voter list that does not parse, repeats an id or leaves this node out, and for
     *     roles this build does not run
     */
    public static QuorumConfig from(BrokerConfig config, String clusterId) {
        int nodeId = config.nodeId();
        checkRoles(config.get(PROCESS_ROLES));
        return new QuorumConfig(
                nodeId,
                voters(config),
                config.logDirs().get(0).resolve(RAFT_DIR_NAME),
                clusterId,
                DEFAULT_WRITE_TIMEOUT,
                DEFAULT_SNAPSHOT_THRESHOLD,
                DEFAULT_LOG_SEGMENT_BYTES,
                Duration.ofMillis(config.intValue(BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS)),
                Duration.ofMillis(config.intValue(BrokerConfig.BROKER_SESSION_TIMEOUT_MS)));
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

    public Voter self() {
        return voters.stream().filter(v -> v.id() == nodeId).findFirst().orElseThrow();
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
                sessionTimeout);
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
                sessionTimeout);
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
                session);
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

    private static void checkRoles(String roles) {
        if (roles == null || roles.isBlank()) {
            return;
        }
        Set<String> set = new HashSet<>();
        for (String r : roles.split(",")) {
            String role = r.trim();
            if (!role.equals("broker") && !role.equals("controller")) {
                throw new ConfigException(PROCESS_ROLES, roles, "roles are broker and controller");
            }
            set.add(role);
        }
        if (!set.contains("controller")) {
            throw new ConfigException(
                    PROCESS_ROLES,
                    roles,
                    "a broker without a vote in the metadata quorum (process.roles=broker) is not supported yet; use"
                            + " process.roles=broker,controller and list this node in " + CONTROLLER_QUORUM_VOTERS);
        }
    }
}
