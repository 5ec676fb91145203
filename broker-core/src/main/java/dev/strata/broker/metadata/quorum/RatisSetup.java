package dev.strata.broker.metadata.quorum;

import dev.strata.broker.config.BrokerConfig;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * How a node configures Apache Ratis for the metadata quorum: the Raft group (its id derived from the cluster id, a
 * peer per voter of {@code controller.quorum.voters}), the server's properties (timeouts, snapshots, log segments) and
 * the clients' (request timeout, retries until the write timeout; one short attempt per heartbeat). Everything
 * Ratis-specific that is configuration, not behaviour, is here, so that {@link QuorumMetadataStore} reads as the
 * store's lifecycle. Stateless.
 */
final class RatisSetup {
    private RatisSetup() {}

    /** The Raft group of a cluster: every voter derives the same id from the cluster id. */
    static RaftGroupId groupId(String clusterId) {
        return RaftGroupId.valueOf(
                UUID.nameUUIDFromBytes(("strata-metadata:" + clusterId).getBytes(StandardCharsets.UTF_8)));
    }

    static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf(Integer.toString(nodeId));
    }

    /** The group, with this node's own address replaced by {@code bound} when that is given. */
    static RaftGroup group(RaftGroupId groupId, QuorumConfig config, InetSocketAddress bound) {
        List<RaftPeer> peers = config.voters().stream()
                .map(v -> RaftPeer.newBuilder()
                        .setId(peerId(v.id()))
                        .setAddress(
                                v.id() == config.nodeId() && bound != null
                                        ? v.host() + ":" + bound.getPort()
                                        : v.host() + ":" + v.port())
                        .build())
                .toList();
        return RaftGroup.valueOf(groupId, peers);
    }

    /**
     * The server's properties. The transport is gRPC, Ratis's default: with its Netty transport, after a voter died the
     * survivors' connections to it took 5 s to close, on threads that also carried their appends and heartbeats, and
     * a new leader lost its majority and a new controller fenced live brokers over it ({@code ControllerCutOffTest}).
     */
    /** Longer than any JVM pause: Ratis never closes the server over one ({@link #serverProperties}). */
    static final TimeDuration NEVER_CLOSE_ON_PAUSE = TimeDuration.valueOf(3650, TimeUnit.DAYS);

    static RaftProperties serverProperties(QuorumConfig config) {
        RaftProperties props = new RaftProperties();
        RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
        GrpcConfigKeys.Server.setHost(props, config.self().host());
        GrpcConfigKeys.Server.setPort(props, config.self().port());
        RaftServerConfigKeys.setStorageDir(props, List.of(config.raftDir().toFile()));
        // Election timeouts as Kafka's controller.quorum.election.timeout.ms (1 s) would give, and a quick first
        // election so that a single voter leads a moment after it starts.
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(props, TimeDuration.valueOf(50, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(props, TimeDuration.valueOf(150, TimeUnit.MILLISECONDS));
        // A voter whose JVM was paused (a long GC, SIGSTOP, a frozen VM) comes back as a follower and catches up, as a
        // Kafka controller does. Ratis's default closes the server after a pause of over 60 s, which left a running
        // broker without its vote or its metadata: its controller never heard that it no longer led, answered its own
        // broker's heartbeats, and the broker stayed fenced until restarted. A pause of over the leader step-down wait
        // still makes a leader step down.
        RaftServerConfigKeys.setCloseThreshold(props, NEVER_CLOSE_ON_PAUSE);
        // Bounded log: a snapshot every snapshotThreshold entries, then whole segments below it are deleted.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgeGap(props, (int) Math.min(config.snapshotThreshold(), 1024));
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf(config.logSegmentBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(
                props, SizeInBytes.valueOf(Math.min(config.logSegmentBytes(), 1024 * 1024)));
        return props;
    }

    private static RaftProperties clientProperties(long requestTimeoutMs) {
        RaftProperties props = new RaftProperties();
        RaftConfigKeys.Rpc.setType(props, SupportedRpcType.GRPC);
        RaftClientConfigKeys.Rpc.setRequestTimeout(
                props, TimeDuration.valueOf(requestTimeoutMs, TimeUnit.MILLISECONDS));
        return props;
    }

    /** How long one attempt of a write or read waits for its answer before the client tries again. */
    private static long requestTimeoutMs(QuorumConfig config) {
        return Math.min(3000, config.writeTimeout().toMillis());
    }

    /**
     * How long one heartbeat waits for its answer: a third of the broker's session, at most a request's timeout. A
     * heartbeat sent to a voter that was cut off (or no longer leads) then costs the broker a third of its session,
     * not the whole of it, and the next one goes to whichever voter leads by then.
     */
    static long heartbeatTimeoutMs(QuorumConfig config) {
        return Math.max(
                1, Math.min(requestTimeoutMs(config), config.sessionTimeout().toMillis() / 3));
    }

    /** Retries (a leader change, a voter not up yet) every 100 ms until the write timeout has passed. */
    private static RequestTypeDependentRetryPolicy retryPolicy(QuorumConfig config) {
        TimeDuration timeout = TimeDuration.valueOf(config.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        var retry = RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(100, TimeUnit.MILLISECONDS));
        return RequestTypeDependentRetryPolicy.newBuilder()
                .setRetryPolicy(TypeCase.WRITE, retry)
                .setTimeout(TypeCase.WRITE, timeout)
                .setRetryPolicy(TypeCase.READ, retry)
                .setTimeout(TypeCase.READ, timeout)
                .build();
    }

    /**
     * A client of the group, which sends to whichever voter leads; {@code bound} as in {@link #group}, over
     * {@code tls}.
     */
    static RaftClient newClient(QuorumConfig config, InetSocketAddress bound, QuorumTls tls) {
        return RaftClient.newBuilder()
                .setRaftGroup(group(groupId(config.clusterId()), config, bound))
                .setParameters(tls.parameters())
                .setProperties(clientProperties(requestTimeoutMs(config)))
                .setRetryPolicy(retryPolicy(config))
                .build();
    }

    /**
     * A client for the broker's heartbeats: one attempt each, within {@link #heartbeatTimeoutMs}, since the broker
     * sends the next one soon anyway, to the voter it then knows to lead. (The retries of {@link #newClient} would
     * keep one heartbeat on a voter that cannot answer for a request timeout at a time, while the new controller's
     * clock for the broker's session runs.)
     */
    static RaftClient newHeartbeatClient(QuorumConfig config, InetSocketAddress bound, QuorumTls tls) {
        return RaftClient.newBuilder()
                .setRaftGroup(group(groupId(config.clusterId()), config, bound))
                .setParameters(tls.parameters())
                .setProperties(clientProperties(heartbeatTimeoutMs(config)))
                .setRetryPolicy(RetryPolicies.noRetry())
                .build();
    }

    /**
     * Binds this voter's address once and lets it go, so that an address in use is this node's error to explain
     * (almost always a second node started with the id of a running one, from a copied properties file): the gRPC
     * transport of Ratis ends the JVM when it cannot bind. A port of 0 (a single voter) is picked at start.
     *
     * @throws ConfigException if the address is in use
     */
    static void checkCanListen(QuorumConfig config) throws IOException {
        if (config.self().port() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(config.self().host(), config.self().port()));
        } catch (BindException e) {
            throw new ConfigException(
                    "Cannot listen for the metadata quorum on " + config.self().host() + ":"
                            + config.self().port() + ", voter " + config.nodeId() + "'s address in "
                            + QuorumConfig.CONTROLLER_QUORUM_VOTERS + ": the address is already in use. Is a node with "
                            + BrokerConfig.NODE_ID + "=" + config.nodeId() + " already running? Node ids must be unique"
                            + " in a cluster.");
        }
    }
}
