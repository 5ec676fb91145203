package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.IsrChannel;
import dev.strata.broker.cluster.PartitionAdmin;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteLogChannel;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.BrokerConfigStore;
import dev.strata.broker.metadata.FileMetadataStore;
import dev.strata.broker.metadata.MetaProperties;
import dev.strata.broker.metadata.MetadataStore;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.security.AclSet;
import dev.strata.broker.security.AclStore;
import dev.strata.broker.security.ScramCredential;
import dev.strata.broker.security.ScramCredentialStore;
import dev.strata.broker.security.ScramMechanism;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's metadata kept by a Raft group (Apache Ratis) of 1, 3 or 5 voters. This node runs one voter: a Ratis
 * server with a {@link MetadataStateMachine}, its log and snapshots under {@link QuorumConfig#raftDir()}, and a Ratis
 * client that sends this node's writes to whichever voter leads.
 *
 * <p>Reads come from the local image. A write returns once the group has committed it and this voter has applied it,
 * so a caller reads its own writes; it fails with a {@link TimeoutException} after {@link QuorumConfig#writeTimeout()}
 * when no majority of voters answers (the write may still be committed later, as with any timed-out Kafka request).
 * {@link #open} returns once this voter has applied everything the group had committed, so the first read after it
 * sees every write made before.
 *
 * <p>A broker without a vote ({@code process.roles=broker}) runs no Ratis server: it sends its writes and heartbeats
 * through the same client, and keeps its image by asking the leading voter for it ({@link MetadataStateMachine#IMAGE})
 * on the thread {@code strata-metadata-reader-<node id>}: every {@link #IMAGE_POLL_MS} ms, and at once when a write of
 * its own waits to be seen. The leader sends the whole image only when it has applied more than the broker has; a
 * metadata image is small, so that costs less than replaying log entries would in code.
 *
 * <p>This class is the store's lifecycle (start the voter, import a single broker's files, close) and its surface to
 * the broker (reads from the image, a command per write). Committing and waiting is {@link QuorumClient}'s job, the
 * Ratis configuration {@link RatisSetup}'s. Threads: any thread reads and writes (writes block, see
 * {@link QuorumClient}); {@link #alterIsr} and the controller's writes run on the pool
 * {@code strata-metadata-writes-<node id>}.
 */
public final class QuorumMetadataStore
        implements MetadataStore,
                ClusterImage,
                IsrChannel,
                PartitionAdmin,
                RemoteLogChannel,
                BrokerConfigStore,
                ScramCredentialStore,
                AclStore {
    private static final Logger log = LoggerFactory.getLogger(QuorumMetadataStore.class);

    /** How often a broker without a vote asks for a newer image when nothing of its own waits. */
    static final long IMAGE_POLL_MS = 200;

    private final QuorumConfig config;
    private final MetadataStateMachine stateMachine;
    /** Null on a broker without a vote. */
    private final RaftServer server;

    private final QuorumClient quorum;
    /** Null on a broker without a vote. */
    private final QuorumController controller;
    /** Runs the writes of {@link #alterIsr} and of the controller, which wait for their entry to be applied here. */
    private final ExecutorService asyncWrites;
    /** Set by {@link #watchServer}; closed first, so that closing the server is not taken for its failure. */
    private volatile RaftServerWatch serverWatch;

    private QuorumMetadataStore(
            QuorumConfig config,
            MetadataStateMachine stateMachine,
            RaftServer server,
            RaftClient client,
            RaftClient heartbeats) {
        this.config = config;
        this.stateMachine = stateMachine;
        this.server = server;
        this.quorum = new QuorumClient(config, stateMachine, server, client, heartbeats);
        this.asyncWrites = Executors.newCachedThreadPool(
                new DefaultThreadFactory("strata-metadata-writes-" + config.nodeId(), true));
        if (config.roles().isVoter()) {
            this.controller = new QuorumController(
                    config.nodeId(),
                    stateMachine::image,
                    this::controllerWrite,
                    config.sessionTimeout(),
                    config.uncleanElectionDefault(),
                    System::nanoTime);
            stateMachine.attachController(controller);
        } else {
            this.controller = null;
        }
    }

    /**
     * Starts this node's voter (formatting its storage on the first start, recovering it afterwards) and waits until
     * it has caught up with the group.
     *
     * @throws TimeoutException if no leader with a majority shows up within the write timeout
     */
    public static QuorumMetadataStore open(QuorumConfig config) {
        return open(config, QuorumTls.NONE);
    }

    /** {@link #open(QuorumConfig)}, every connection of the quorum over {@code tls}. */
    static QuorumMetadataStore open(QuorumConfig config, QuorumTls tls) {
        if (!config.roles().isVoter()) {
            return openWithoutVote(config, tls);
        }
        RaftGroupId groupId = RatisSetup.groupId(config.clusterId());
        RaftPeerId selfId = RatisSetup.peerId(config.nodeId());
        MetadataStateMachine stateMachine = new MetadataStateMachine(config.nodeId());
        RaftServer server = null;
        RaftClient client = null;
        RaftClient heartbeats = null;
        try {
            Files.createDirectories(config.raftDir());
            boolean formatted =
                    Files.isDirectory(config.raftDir().resolve(groupId.getUuid().toString()));
            server = RaftServer.newBuilder()
                    .setServerId(selfId)
                    .setGroup(RatisSetup.group(groupId, config, null))
                    .setStateMachine(stateMachine)
                    .setProperties(RatisSetup.serverProperties(config))
                    .setParameters(tls.parameters())
                    .setOption(formatted ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
                    .build();
            RatisSetup.checkCanListen(config);
            server.start();
            // A single voter listens on a port picked at start: its peer address stays 127.0.0.1:0 in the Raft
            // configuration (nobody dials it), and only this node's client is told the bound port.
            InetSocketAddress bound = server.getServerRpc().getInetSocketAddress();
            client = RatisSetup.newClient(config, bound, tls);
            heartbeats = RatisSetup.newHeartbeatClient(config, bound, tls);
            QuorumMetadataStore store = new QuorumMetadataStore(config, stateMachine, server, client, heartbeats);
            store.quorum.awaitQuorum();
            return store;
        } catch (IOException | RuntimeException e) {
            closeQuietly(heartbeats, e);
            closeQuietly(client, e);
            closeQuietly(server, e);
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new KafkaStorageException(
                    "Cannot start the metadata quorum voter " + config.self() + " in " + config.raftDir(), e);
        }
    }

    /**
     * A broker without a vote: a Ratis client to the voters, and the image read from them.
     *
     * @throws TimeoutException if no voter leads with a majority within the write timeout
     */
    private static QuorumMetadataStore openWithoutVote(QuorumConfig config, QuorumTls tls) {
        QuorumMetadataStore store = new QuorumMetadataStore(
                config,
                new MetadataStateMachine(config.nodeId()),
                null,
                RatisSetup.newClient(config, null, tls),
                RatisSetup.newHeartbeatClient(config, null, tls));
        try {
            store.quorum.startReadingImages();
            return store;
        } catch (RuntimeException e) {
            closeQuietly(store, e);
            throw e;
        }
    }

    /**
     * Opens the metadata of a broker with this configuration: settles its cluster id with the log dirs'
     * {@code meta.properties}, starts its voter, and on the first start after an upgrade imports what the single-broker
     * {@link FileMetadataStore} kept.
     */
    public static QuorumMetadataStore open(BrokerConfig config) {
        String clusterId =
                MetaProperties.settle(config.logDirs(), config.nodeId(), config.get(BrokerConfig.CLUSTER_ID));
        QuorumMetadataStore store = open(QuorumConfig.from(config, clusterId), QuorumTls.from(config));
        try {
            if (config.processRoles().isVoter()) {
                FileMetadataImport.run(config, store);
            }
            return store;
        } catch (RuntimeException e) {
            closeQuietly(store, e);
            throw e;
        }
    }

    @Override
    public String clusterId() {
        return config.clusterId();
    }

    @Override
    public Collection<TopicMetadata> topics() {
        return stateMachine.image().topics();
    }

    @Override
    public Optional<TopicMetadata> topic(String name) {
        return stateMachine.image().topic(name);
    }

    @Override
    public Optional<TopicMetadata> topic(Uuid topicId) {
        return stateMachine.image().topic(topicId);
    }

    /** The brokers' registrations, as this voter has applied them. */
    public Collection<BrokerRegistration> registrations() {
        return stateMachine.image().brokers();
    }

    @Override
    public ClusterImage cluster() {
        return this;
    }

    @Override
    public Collection<ClusterBroker> brokers() {
        return stateMachine.image().clusterBrokers();
    }

    @Override
    public Optional<ClusterBroker> broker(int nodeId) {
        return stateMachine.image().clusterBroker(nodeId);
    }

    @Override
    public Optional<PartitionState> partition(TopicPartition tp) {
        return stateMachine.image().partition(tp);
    }

    @Override
    public Map<Integer, PartitionState> partitions(Uuid topicId) {
        return stateMachine.image().partitions(topicId);
    }

    @Override
    public int controllerId() {
        // Ratis's view now, not the last leader it announced: a voter that lost its leader with the majority is a
        // candidate, and naming the dead leader would send every admin request of its clients into a timeout. A
        // broker without a vote has no Ratis server: it names the leader its last image came from.
        if (server == null) {
            return stateMachine.leaderId();
        }
        try {
            RaftPeerId leader = server.getDivision(RatisSetup.groupId(config.clusterId()))
                    .getInfo()
                    .getLeaderId();
            return leader == null ? -1 : Integer.parseInt(leader.toString());
        } catch (IOException e) {
            return stateMachine.leaderId();
        }
    }

    /**
     * Tells {@code listener} the whole current state, then every change this voter applies, in log order, on the
     * thread {@code strata-metadata-listeners-<node id>} (never Ratis's apply thread).
     */
    public void addListener(ClusterChangeListener listener) {
        stateMachine.addListener(listener);
    }

    @Override
    public void createTopic(TopicMetadata topic, List<List<Integer>> assignment) {
        quorum.write(new MetadataCommand.CreateTopic(topic, assignment));
    }

    @Override
    public void createPartitions(String name, int newCount, List<List<Integer>> assignment) {
        quorum.write(new MetadataCommand.CreatePartitions(name, newCount, assignment));
    }

    /**
     * This broker's log directory that held these replicas went offline: they stop leading and leave the ISRs (Kafka's
     * offline log dir handling). Only this incarnation's report counts.
     */
    public void markReplicasOffline(int nodeId, Uuid incarnationId, List<TopicPartition> replicas) {
        List<MetadataImage.PartitionRef> refs = replicas.stream()
                .flatMap(tp -> topic(tp.topic()).stream()
                        .map(t -> new MetadataImage.PartitionRef(t.topicId(), tp.partition())))
                .toList();
        quorum.write(new MetadataCommand.MarkReplicasOffline(nodeId, incarnationId, refs));
    }

    /** The replicas of a partition that cannot serve it: on fenced brokers, or reported offline by their broker. */
    @Override
    public List<Integer> offlineReplicas(TopicPartition tp) {
        return stateMachine.image().offlineReplicas(tp);
    }

    /** Fences a broker now, as the controller does when its session expires. */
    public void fenceBroker(int nodeId) {
        quorum.write(new MetadataCommand.FenceBroker(nodeId));
    }

    /**
     * A broker's controlled shutdown: its leaderships move to other ISR members and it leaves the ISRs where others
     * remain; it stays fenced until it registers again. Call before the broker stops serving.
     */
    public void controlledShutdown(int nodeId) {
        quorum.write(new MetadataCommand.ShutDownBroker(nodeId));
    }

    /**
     * Moves leadership of these partitions to their preferred replica where that one is alive and in sync (Kafka's
     * ElectLeaders with the PREFERRED type).
     *
     * @return how many changed leader
     */
    public int electPreferredLeaders(List<TopicPartition> partitions) {
        return electLeaders(partitions, false);
    }

    @Override
    public int electLeaders(List<TopicPartition> partitions, boolean unclean) {
        MetadataCommand command =
                unclean ? new MetadataCommand.ElectUnclean(partitions) : new MetadataCommand.ElectPreferred(partitions);
        return (int) quorum.write(command);
    }

    @Override
    public void alterReassignment(TopicPartition tp, List<Integer> target, boolean allowReplicationFactorChange) {
        quorum.write(new MetadataCommand.AlterReassignment(tp, target, allowReplicationFactorChange));
    }

    @Override
    public Map<String, Map<Integer, PartitionState>> reassignments() {
        return stateMachine.image().reassignments();
    }

    /**
     * Starts the controller's leader balancing ({@code auto.leader.rebalance.enable}): while this voter runs the active
     * controller, every {@code interval} it moves leadership back to preferred replicas that are alive and in sync, for
     * the brokers whose share of partitions led by another replica exceeds {@code imbalancePercentage}. A broker
     * without a vote ({@code process.roles=broker}) runs no controller, so nothing.
     */
    public void startLeaderBalancing(Duration interval, int imbalancePercentage) {
        if (controller != null) {
            controller.scheduleLeaderBalance(interval, imbalancePercentage);
        }
    }

    /** Completes on the thread pool {@code strata-metadata-writes-<node id>}. */
    @Override
    public CompletableFuture<PartitionState> alterIsr(
            TopicPartition tp, int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr) {
        MetadataCommand command = new MetadataCommand.AlterIsr(tp, leaderId, leaderEpoch, partitionEpoch, newIsr);
        return CompletableFuture.supplyAsync(
                () -> {
                    quorum.write(command);
                    return partition(tp).orElseThrow(() -> new UnknownTopicOrPartitionException(tp + " is gone"));
                },
                asyncWrites);
    }

    @Override
    public void copySegmentFinished(
            Uuid topicId, int partition, int leaderId, int leaderEpoch, RemoteSegmentRecord segment) {
        quorum.write(new MetadataCommand.CopySegmentFinished(topicId, partition, leaderId, leaderEpoch, segment));
    }

    @Override
    public void deleteSegmentStarted(Uuid topicId, int partition, int leaderId, int leaderEpoch, Uuid segmentId) {
        quorum.write(new MetadataCommand.DeleteSegmentStarted(topicId, partition, leaderId, leaderEpoch, segmentId));
    }

    @Override
    public void deleteSegmentFinished(Uuid topicId, int partition, Uuid segmentId) {
        quorum.write(new MetadataCommand.DeleteSegmentFinished(topicId, partition, segmentId));
    }

    /** One recorded remote segment of a partition as this voter has applied it; empty once its deletion finished. */
    public Optional<RemoteSegmentRecord> remoteSegment(Uuid topicId, int partition, Uuid segmentId) {
        return stateMachine.image().remoteSegment(topicId, partition, segmentId);
    }

    /**
     * Commits a decision of this voter's controller (fence, unfence, leader balance, the unclean election default)
     * only if this voter leads the quorum when it logs it ({@link QuorumClient#writeAsLeader}). Off the controller's
     * thread, blocking on a thread of the write pool: Ratis's ordered async client closes for good once a request fails
     * for lack of a quorum, after which every fence and unfence of a controller failed at once, even with the quorum
     * back.
     */
    CompletableFuture<?> controllerWrite(MetadataCommand command) {
        return CompletableFuture.supplyAsync(() -> quorum.writeAsLeader(command), asyncWrites);
    }

    /** Waits (up to 10 s) until every change applied so far, and every listener added so far, was told. */
    public void awaitListeners() throws InterruptedException {
        stateMachine.notifier().awaitIdle();
    }

    /** The voters' node ids (tests). */
    List<Integer> voters() {
        return config.voters().stream().map(QuorumConfig.Voter::id).toList();
    }

    /** The image as applied here (tests). */
    MetadataImage image() {
        return stateMachine.image();
    }

    /**
     * A broker's heartbeat, sent to the quorum's leader as this node knows it ({@link #controllerId()}); when this
     * node runs the active controller and Ratis still has it lead, handed to it here, with no connection to fail.
     */
    QuorumController.HeartbeatReply heartbeat(int nodeId, Uuid incarnationId) {
        if (controller != null && controller.isActive() && controllerId() == config.nodeId()) {
            return controller.heartbeat(nodeId, incarnationId);
        }
        return quorum.heartbeat(nodeId, incarnationId, controllerId());
    }

    /** Whether this voter runs the active controller (tests). */
    boolean isActiveController() {
        return controller != null && controller.isActive();
    }

    @Override
    public void putTopic(TopicMetadata topic) {
        quorum.write(new MetadataCommand.PutTopic(topic));
    }

    @Override
    public void removeTopic(String name) {
        quorum.write(new MetadataCommand.RemoveTopic(name));
    }

    @Override
    public long reserveProducerIds(int count) {
        return quorum.write(new MetadataCommand.ReserveProducerIds(count));
    }

    @Override
    public Map<String, String> brokerConfigs(String entity) {
        return stateMachine.image().brokerConfigs(entity);
    }

    @Override
    public void setBrokerConfigs(String entity, Map<String, String> configs) {
        quorum.write(new MetadataCommand.SetBrokerConfigs(entity, configs));
        try {
            awaitListeners();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Optional<ScramCredential> scramCredential(String user, ScramMechanism mechanism) {
        return stateMachine.image().scramCredentials().credential(user, mechanism);
    }

    @Override
    public Map<String, Map<ScramMechanism, ScramCredential>> scramCredentials() {
        return stateMachine.image().scramCredentials().sorted();
    }

    @Override
    public void alterScramCredentials(List<ScramCredentialStore.Change> changes) {
        quorum.write(new MetadataCommand.AlterScramCredentials(changes));
    }

    @Override
    public AclSet acls() {
        return stateMachine.image().acls();
    }

    @Override
    public void createAcls(Collection<AclBinding> bindings) {
        quorum.write(new MetadataCommand.ChangeAcls(List.copyOf(bindings), List.of()));
    }

    @Override
    public void deleteAcls(Collection<AclBinding> bindings) {
        quorum.write(new MetadataCommand.ChangeAcls(List.of(), List.copyOf(bindings)));
    }

    public void registerBroker(BrokerRegistration broker) {
        quorum.write(new MetadataCommand.RegisterBroker(broker));
    }

    /** This node's client of the quorum (tests). */
    QuorumClient quorumClient() {
        return quorum;
    }

    /** Index of the first entry still in this voter's Raft log (tests: the log is purged below snapshots). */
    long logStartIndex() throws IOException {
        return server.getDivision(RatisSetup.groupId(config.clusterId()))
                .getRaftLog()
                .getStartIndex();
    }

    /** Index of the last log entry applied to this node's image (tests). */
    long appliedIndex() {
        return stateMachine.appliedIndex();
    }

    /** Index of this voter's newest snapshot, or -1 (tests). */
    long snapshotIndex() {
        var snapshot = stateMachine.getLatestSnapshot();
        return snapshot == null ? -1 : snapshot.getIndex();
    }

    /**
     * Calls {@code onLost} once, on a thread of its own, if this voter's Raft server stops while the store is open
     * ({@link RaftServerWatch}); nothing to watch on a broker without a vote.
     */
    public void watchServer(Runnable onLost) {
        if (server != null && serverWatch == null) {
            serverWatch =
                    RaftServerWatch.start(config.nodeId(), server, RatisSetup.groupId(config.clusterId()), onLost);
        }
    }

    /** This voter's Raft server (tests). */
    RaftServer raftServer() {
        return server;
    }

    @Override
    public void close() {
        RuntimeException failure = new RuntimeException("Cannot close the metadata quorum node " + config.nodeId());
        closeQuietly(serverWatch, failure);
        closeQuietly(controller, failure);
        closeQuietly(quorum, failure);
        closeQuietly(server, failure);
        closeQuietly(stateMachine.notifier(), failure);
        asyncWrites.shutdownNow();
        if (failure.getSuppressed().length > 0) {
            throw failure;
        }
    }

    private static void closeQuietly(AutoCloseable c, Exception into) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            into.addSuppressed(e);
        }
    }
}
