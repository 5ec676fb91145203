package dev.strata.broker;

import dev.strata.broker.api.AclHandler;
import dev.strata.broker.api.BrokerConnector;
import dev.strata.broker.api.BrokerEndpoint;
import dev.strata.broker.api.BrokerMarkerSender;
import dev.strata.broker.api.BrokerTxnVerifier;
import dev.strata.broker.api.ClientQuotaHandler;
import dev.strata.broker.api.ClusterAdminHandler;
import dev.strata.broker.api.ConfigHandler;
import dev.strata.broker.api.DescribeProducersHandler;
import dev.strata.broker.api.FetchHandler;
import dev.strata.broker.api.FetchSessionCache;
import dev.strata.broker.api.GroupHandler;
import dev.strata.broker.api.KafkaApis;
import dev.strata.broker.api.KafkaLeaderEndpoint;
import dev.strata.broker.api.ListOffsetsHandler;
import dev.strata.broker.api.ListenerAddresses;
import dev.strata.broker.api.MetadataHandler;
import dev.strata.broker.api.Permissions;
import dev.strata.broker.api.ProduceHandler;
import dev.strata.broker.api.ProducerIdHandler;
import dev.strata.broker.api.RequestAuthorization;
import dev.strata.broker.api.ScramCredentialsHandler;
import dev.strata.broker.api.ThrottlingDispatcher;
import dev.strata.broker.api.TopicAdminHandler;
import dev.strata.broker.api.WriteTxnMarkersHandler;
import dev.strata.broker.cluster.ListenerEndpoint;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.DynamicBrokerConfig;
import dev.strata.broker.console.BrokerSamples;
import dev.strata.broker.console.ConsoleState;
import dev.strata.broker.console.MetricHistory;
import dev.strata.broker.console.WebConsole;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.metadata.quorum.BrokerLifecycle;
import dev.strata.broker.metadata.quorum.QuorumMetadataStore;
import dev.strata.broker.metrics.BrokerMetrics;
import dev.strata.broker.metrics.PrometheusEndpoint;
import dev.strata.broker.metrics.TierStatusReport;
import dev.strata.broker.network.KafkaListeners;
import dev.strata.broker.network.RequestObserver;
import dev.strata.broker.partition.PartitionListener;
import dev.strata.broker.partition.PartitionStateApplier;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.quota.ClientQuotaManager;
import dev.strata.broker.security.AclAuthorizer;
import dev.strata.broker.security.InterBrokerSecurity;
import dev.strata.broker.security.ListenerSecurity;
import dev.strata.broker.tiering.PartitionTiering;
import dev.strata.broker.tiering.RemoteSegmentApplier;
import dev.strata.broker.tiering.RemoteTier;
import dev.strata.broker.tiering.RemoteTierBootstrap;
import dev.strata.broker.tiering.ReplicatedRemoteSegments;
import dev.strata.broker.txn.TransactionVerification;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single Strata broker: opens its log dirs (recovering after a crash), then serves the Kafka protocol on its
 * listener, Prometheus metrics on {@code metrics.prometheus.listener} and the web console on {@code console.listener}
 * when those are set, until {@link #close()}.
 */
public final class StrataServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StrataServer.class);
    /** How long a transactional produce waits for another broker's coordinator to verify it (then: retriable). */
    private static final int TXN_VERIFICATION_TIMEOUT_MS = 10_000;

    private final BrokerConfig config;
    private final List<FileLock> dirLocks;
    private final QuorumMetadataStore store;
    /** Registers this broker and heartbeats to the controller; set at startup. */
    private volatile BrokerLifecycle lifecycle;

    private volatile ReplicaManager replicas;

    private final ScheduledExecutorService scheduler;
    private final ExecutorService ioPool;
    private final LogManager logManager;
    /** The remote tier, when {@code remote.log.storage.system.enable=true}; else null. */
    private final RemoteTier remoteTier;
    /** The broker's metrics, when {@code metrics.prometheus.listener} or {@code console.listener} is set; else null. */
    private final BrokerMetrics metrics;

    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Set when the node shut down because its metadata quorum voter stopped: {@link #main} then exits with 1. */
    private volatile boolean failed;

    private volatile KafkaListeners listeners;
    private volatile int port;
    private volatile PrometheusEndpoint metricsEndpoint;
    private volatile WebConsole console;
    /** The dynamic broker configs (null on a controller-only node). */
    private final DynamicBrokerConfig dynamicConfig;
    /** Sends the transaction coordinator's markers to the other brokers; its threads stop at {@link #close()}. */
    private volatile BrokerMarkerSender markerSender;

    private volatile BrokerTxnVerifier txnVerifier;

    /**
     * Opens what the broker runs on. If a step fails, what the steps before it opened is closed before the failure is
     * thrown ({@link #close()} skips the fields still null), so that the log dirs can be opened again in this JVM.
     */
    private StrataServer(BrokerConfig config) {
        this.config = config;
        this.dirLocks = LogDirLocks.lock(config.logDirs());
        try {
            this.store = QuorumMetadataStore.open(config);
            store.watchServer(this::onMetadataQuorumLost);
            if (!config.processRoles().isBroker()) {
                // a controller only: the quorum's voter is all it runs
                this.dynamicConfig = null;
                this.scheduler = null;
                this.ioPool = null;
                this.logManager = null;
                this.remoteTier = null;
                this.metrics = null;
                this.bossGroup = null;
                this.workerGroup = null;
                return;
            }
            RemoteTier.requireForTieredTopics(config, store.topics());
            this.dynamicConfig = BrokerReconfiguration.load(config, store);
            ScheduledThreadPoolExecutor scheduled =
                    new ScheduledThreadPoolExecutor(2, new DefaultThreadFactory("strata-scheduler", true));
            // at shutdown, delayed tasks (file deletions) are dropped: the next start finishes them
            scheduled.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            this.scheduler = scheduled;
            this.ioPool = Executors.newFixedThreadPool(config.ioThreads(), new DefaultThreadFactory("strata-io", true));
            this.logManager = openLogManager(config);
            this.remoteTier = config.remoteLogStorageSystemEnable()
                    ? RemoteTier.open(config, new ReplicatedRemoteSegments(store, config.nodeId()))
                    : null;
            this.metrics = config.metricsPrometheusListener().isPresent()
                            || config.consoleListener().isPresent()
                    ? new BrokerMetrics(config.logDirs(), Optional.ofNullable(remoteTier))
                    : null;
            if (metrics != null) {
                metrics.bindLogDirectories(logManager.directories());
            }
            this.bossGroup = new NioEventLoopGroup(1, new DefaultThreadFactory("strata-accept"));
            this.workerGroup =
                    new NioEventLoopGroup(config.networkThreads(), new DefaultThreadFactory("strata-network"));
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private LogManager openLogManager(BrokerConfig config) {
        try {
            return new LogManager(
                    config.logDirs(),
                    tp -> store.topic(tp.topic())
                            .map(t -> config.logConfig(t.configs()))
                            .orElseGet(() -> config.logConfig(Map.of())),
                    Time.SYSTEM,
                    scheduler,
                    config.retentionCheckIntervalMs(),
                    config.flushSchedulerIntervalMs(),
                    config.cleanerConfig(),
                    config.longValue(BrokerConfig.LOG_DIR_FREE_BYTES_MIN));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot open the log dirs " + config.logDirs(), e);
        }
    }

    /** Starts a broker and returns once it accepts connections. */
    public static StrataServer start(BrokerConfig config) throws Exception {
        StrataServer server = new StrataServer(config);
        try {
            server.startup();
            return server;
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    private void startup() throws InterruptedException, IOException {
        if (!config.processRoles().isBroker()) {
            log.info(
                    "Strata controller {} (cluster {}): a voter of the metadata quorum {}, no client listener; data in {}",
                    config.nodeId(),
                    store.clusterId(),
                    config.get(BrokerConfig.CONTROLLER_QUORUM_VOTERS),
                    config.logDirs());
            return;
        }
        // key stores and SASL users are read now, before the broker registers: a mistake stops it at once
        Map<BrokerConfig.ClientListener, ListenerSecurity> listenerSecurity = new LinkedHashMap<>();
        for (BrokerConfig.ClientListener l : config.clientListeners()) {
            listenerSecurity.put(
                    l,
                    l.protocol() == SecurityProtocol.PLAINTEXT
                            ? ListenerSecurity.plaintext(l.name())
                            : ListenerSecurity.of(config, l, store));
        }
        BrokerConnector brokerConnector = new BrokerConnector(
                10_000, InterBrokerSecurity.forNode(config, listenerSecurity.get(config.interBrokerListener())));
        Map<TopicPartition, Uuid> known = new HashMap<>();
        for (TopicMetadata t : store.topics()) {
            for (int p = 0; p < t.partitions(); p++) {
                known.put(new TopicPartition(t.name(), p), t.topicId());
            }
        }
        logManager.loadLogs(known);
        ReplicaManager replicas = new ReplicaManager(
                config.nodeId(),
                logManager,
                ioPool,
                scheduler,
                remoteTier == null ? PartitionListener.NONE : new PartitionTiering(remoteTier.manager()),
                Time.SYSTEM,
                store,
                KafkaLeaderEndpoint.factory(config.nodeId(), store::broker, brokerConnector),
                config.replicationConfig());
        this.replicas = replicas;
        if (remoteTier != null) {
            replicas.useTieredBootstrap(new RemoteTierBootstrap(remoteTier.manager()));
            // The index takes every segment the quorum records before any partition opens: a partition's log start
            // and highest remote offset are read from it (a segment the index lost, with its manifest, would move the
            // log start past it), and a copy must extend the remote tier.
            store.addListener(new RemoteSegmentApplier(remoteTier.index(), replicas, store::remoteSegment));
            store.awaitListeners();
        }
        BrokerConfig.Listener advertised = config.advertisedListener();
        lifecycle = new BrokerLifecycle(
                store,
                config.nodeId(),
                Optional.ofNullable(config.get(BrokerConfig.BROKER_RACK)),
                Duration.ofMillis(config.intValue(BrokerConfig.BROKER_HEARTBEAT_INTERVAL_MS)));
        BrokerLifecycle registering = lifecycle;
        logManager.onOfflinePartitions(registering::reportOfflineReplicas);
        List<ListenerEndpoint> unbound = AdvertisedEndpoints.of(config, Map.of());
        ListenerEndpoint interBroker = AdvertisedEndpoints.interBroker(config, unbound);
        lifecycle.register(interBroker.host(), interBroker.port(), unbound);
        lifecycle.startHeartbeats();
        lifecycle.awaitUnfenced(Duration.ofMillis(config.intValue(BrokerConfig.BROKER_SESSION_TIMEOUT_MS)));
        TopicManager topics = new TopicManager(config, store, replicas);
        topics.openAll();
        // from now on the quorum's partition changes drive this broker's replicas (leader, follower, gone)
        store.addListener(new PartitionStateApplier(
                replicas, (topicId, topic) -> store.topic(topicId).map(t -> config.logConfig(t.configs()))));
        replicas.startup();
        if (config.boolValue(BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE)) {
            store.startLeaderBalancing(
                    Duration.ofSeconds(config.longValue(BrokerConfig.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS)),
                    config.intValue(BrokerConfig.LEADER_IMBALANCE_PER_BROKER_PERCENTAGE));
        }
        logManager.startup();
        logManager.scheduleProducerExpiry(
                config.intValue(BrokerConfig.PRODUCER_ID_EXPIRATION_MS),
                config.intValue(BrokerConfig.PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS));
        if (remoteTier != null) {
            remoteTier.startup();
        }

        BrokerReconfiguration.register(dynamicConfig, topics, logManager, remoteTier);
        BrokerReconfiguration.registerTls(dynamicConfig, listenerSecurity.values(), scheduler);
        store.addListener(BrokerReconfiguration.listener(dynamicConfig));
        ClientQuotaManager quotas = ClientQuotaManager.of(config);
        store.addListener(quotas.listener());
        ListenerAddresses addresses = new ListenerAddresses(config.nodeId(), store::broker);
        ConfigHandler configs = new ConfigHandler(config, topics, dynamicConfig, store);
        java.util.function.Supplier<BrokerEndpoint> endpoint = () -> new BrokerEndpoint(
                config.nodeId(),
                AdvertisedEndpoints.host(advertised),
                advertised.port() == 0 ? port : advertised.port(),
                store.clusterId());
        BrokerGroups brokerGroups = new BrokerGroups(config, topics, replicas, store::topics, scheduler, ioPool);
        ProducerIdHandler producerIds = new ProducerIdHandler(store);
        markerSender = BrokerMarkerSender.forCluster(
                config.nodeId(), store::cluster, brokerConnector, BrokerTransactions.MARKER_REPLICATION_TIMEOUT_MS);
        BrokerTransactions transactions = new BrokerTransactions(
                config,
                topics,
                replicas,
                store,
                producerIds::nextProducerId,
                brokerGroups.txnMarkerListener(),
                markerSender,
                scheduler,
                ioPool);
        txnVerifier = new BrokerTxnVerifier(
                config.nodeId(), id -> store.cluster().broker(id), brokerConnector, TXN_VERIFICATION_TIMEOUT_MS);
        TransactionVerification verification = transactions.verification(txnVerifier);
        Permissions permissions = new Permissions(
                AclAuthorizer.fromConfig(config, store), id -> store.topic(id).map(TopicMetadata::name));
        GroupHandler groups = brokerGroups.handler(endpoint, verification, permissions);
        FetchSessionCache fetchSessions =
                new FetchSessionCache(config.maxIncrementalFetchSessionCacheSlots(), System::currentTimeMillis);
        if (metrics != null) {
            metrics.bindFetchSessions(fetchSessions::size, fetchSessions::evictions);
        }
        var apis = new ThrottlingDispatcher(
                new KafkaApis(
                        ThrottlingDispatcher.timedPool(ioPool),
                        // The port is known only after bind; no client can ask before it knows the port.
                        new MetadataHandler(endpoint, topics, replicas, store, config.autoCreateTopics()),
                        new ProduceHandler(topics, replicas, verification, ioPool),
                        new FetchHandler(
                                topics,
                                replicas,
                                remoteTier == null ? null : remoteTier.reader(),
                                config.remoteFetchMaxWaitMs(),
                                config.remoteFetchMaxBytes(),
                                fetchSessions),
                        new ListOffsetsHandler(topics, replicas, remoteTier == null ? null : remoteTier.offsetSearch()),
                        new TopicAdminHandler(topics, replicas, configs, quotas, System::currentTimeMillis),
                        configs,
                        producerIds,
                        groups,
                        new ClusterAdminHandler(topics, store, store, logManager),
                        new WriteTxnMarkersHandler(transactions.localMarkers()),
                        new DescribeProducersHandler(topics, replicas),
                        transactions.handler(endpoint, brokerGroups::offsetsPartitionFor),
                        transactions.adminHandler(),
                        new ClientQuotaHandler(quotas, store),
                        addresses,
                        new ScramCredentialsHandler(store),
                        new RequestAuthorization(
                                permissions, name -> topics.topic(name).isPresent(), config.autoCreateTopics()),
                        new AclHandler(permissions, store)),
                quotas,
                System::currentTimeMillis);
        RequestObserver observer = metrics == null ? RequestObserver.NONE : metrics.requests();
        listeners =
                KafkaListeners.bind(listenerSecurity, bossGroup, workerGroup, config.networkLimits(), apis, observer);
        Map<String, Integer> ports = listeners.ports();
        port = ports.get(config.interBrokerListener().name());
        List<ListenerEndpoint> endpoints = AdvertisedEndpoints.of(config, ports);
        addresses.advertise(endpoints);
        if (!endpoints.equals(unbound)) {
            lifecycle.register(interBroker.host(), port, endpoints);
        }
        if (config.metricsPrometheusListener().isPresent()) {
            startMetricsEndpoint(config.metricsPrometheusListener().orElseThrow());
        }
        if (config.consoleListener().isPresent()) {
            startConsole(config.consoleListener().orElseThrow(), brokerGroups);
        }
        brokerGroups.scheduleOffsetExpiry();
        transactions.scheduleTimeouts();
        log.info(
                "Strata broker {} (cluster {}) listening on {}; data in {}",
                config.nodeId(),
                store.clusterId(),
                listeners.bound().stream()
                        .map(b -> b.listener().name() + "://"
                                + b.listener().bind().host() + ":" + b.port() + " ("
                                + b.security().protocol() + ")")
                        .toList(),
                config.logDirs());
    }

    private TierStatusReport tierStatus() {
        return new TierStatusReport(
                config.nodeId(),
                replicas::partitions,
                Optional.ofNullable(remoteTier).map(RemoteTier::manager));
    }

    private void startMetricsEndpoint(InetSocketAddress address) {
        metricsEndpoint = listen(
                BrokerConfig.METRICS_PROMETHEUS_LISTENER,
                () -> PrometheusEndpoint.start(address, metrics::scrape, tierStatus()::render));
        logUrl("Prometheus metrics", metricsEndpoint.address(), PrometheusEndpoint.PATH);
    }

    /** Opens an HTTP listener; one that cannot bind is a configuration error naming its setting. */
    private <T> T listen(String setting, HttpStart<T> start) {
        try {
            return start.start();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(setting, config.get(setting), "cannot listen there: " + e);
        }
    }

    private interface HttpStart<T> {
        T start() throws IOException;
    }

    private static void logUrl(String what, InetSocketAddress bound, String path) {
        log.info("{} at http://{}:{}{}", what, bound.getHostString(), bound.getPort(), path);
    }

    private void startConsole(InetSocketAddress address, BrokerGroups groups) {
        ReplicaManager hosted = replicas;
        MetricHistory history = new MetricHistory(
                MetricHistory.DEFAULT_CAPACITY,
                new BrokerSamples(
                        metrics, Optional.ofNullable(remoteTier).map(RemoteTier::manager), hosted::partitions));
        ConsoleState state = new ConsoleState(
                config.nodeId(),
                store::clusterId,
                store.cluster(),
                store::topics,
                hosted::partition,
                tierStatus(),
                groups.service(),
                history);
        console = listen(BrokerConfig.CONSOLE_LISTENER, () -> WebConsole.start(address, state, scheduler));
        logUrl("Web console", console.address(), "/");
    }

    /** The port the inter-broker listener (the only listener, on most brokers) is bound to. */
    public int port() {
        return port;
    }

    /** The port the listener of that name is bound to. */
    public int port(String listenerName) {
        Integer p = listeners.ports().get(listenerName);
        if (p == null) {
            throw new IllegalArgumentException("no listener " + listenerName);
        }
        return p;
    }

    /** The port the Prometheus metrics listener is bound to; empty when there is none. */
    public OptionalInt metricsPort() {
        PrometheusEndpoint endpoint = metricsEndpoint;
        return endpoint == null
                ? OptionalInt.empty()
                : OptionalInt.of(endpoint.address().getPort());
    }

    /** The port the web console is bound to; empty when there is none. */
    public OptionalInt consolePort() {
        WebConsole c = console;
        return c == null ? OptionalInt.empty() : OptionalInt.of(c.address().getPort());
    }

    public BrokerConfig config() {
        return config;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("Shutting down {} {}", config.processRoles().isBroker() ? "broker" : "controller", config.nodeId());
        if (lifecycle != null && listeners != null) {
            // leaderships and ISR places move to the other brokers while this one still answers
            try {
                lifecycle.controlledShutdown();
            } catch (RuntimeException e) {
                log.warn("Controlled shutdown of broker {} failed: {}", config.nodeId(), e.toString());
            }
        }
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
        if (console != null) {
            console.close();
        }
        if (listeners != null) {
            listeners.close();
        }
        if (txnVerifier != null) {
            txnVerifier.close();
        }
        if (markerSender != null) {
            markerSender.close();
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (ioPool != null) {
            ioPool.shutdown();
        }
        if (scheduler != null) {
            // no new runs, and a running task finishes: an interrupt would close the file channel it writes to
            scheduler.shutdown();
        }
        try {
            if (ioPool != null && !ioPool.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("Request handlers still busy after 30 s; closing logs anyway");
            }
            if (scheduler != null && !scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("Scheduled tasks still running after 30 s; interrupting them");
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (replicas != null) {
            replicas.shutdown();
        }
        if (remoteTier != null) {
            try {
                remoteTier.close();
            } catch (RuntimeException e) {
                log.error("Error closing the remote tier", e);
            }
        }
        if (logManager != null) {
            try {
                logManager.close();
            } catch (Exception e) {
                log.error("Error closing logs", e);
            }
        }
        if (lifecycle != null) {
            lifecycle.close();
        }
        if (store != null) {
            store.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        LogDirLocks.release(dirLocks);
        log.info("{} {} shut down", config.processRoles().isBroker() ? "Broker" : "Controller", config.nodeId());
        stopped.countDown();
    }

    /** Its Raft server stopped on its own: without a vote or advancing metadata the node shuts down, as Kafka does. */
    private void onMetadataQuorumLost() {
        failed = true;
        log.error("Shutting down node {}: its metadata quorum voter stopped", config.nodeId());
        new Thread(this::close, "strata-quorum-lost").start();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    public static void main(String[] args) {
        if (args.length > 1 || args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.err.println("usage: StrataServer [path/to/server.properties]");
            System.exit(args.length > 1 ? 2 : 0);
        }
        Path file = Path.of(args.length == 1 ? args[0] : "config/server.properties");
        StrataServer server;
        try {
            server = start(BrokerConfig.load(file));
        } catch (ConfigException e) {
            System.err.println("strata: configuration error: " + e.getMessage());
            System.exit(1);
            return;
        } catch (Exception e) {
            System.err.println("strata: cannot start the broker: " + e);
            log.error("Startup failed", e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "strata-shutdown"));
        try {
            server.awaitShutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (server.failed) {
            System.exit(1);
        }
    }
}
