package dev.strata.broker.config;

import dev.strata.tiering.ChunkCacheConfig;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import dev.strata.tiering.RemoteEncryptionConfig;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteStorageManagers;
import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The broker's settings, read from a Kafka-style {@code server.properties}. Names are Kafka's so that an operator's
 * files and knowledge carry over. Each setting's type, default, validator and documentation are defined once, in
 * {@link BrokerConfigs#DEF}; every value is parsed and checked when the config is made, so a bad value fails at
 * startup with a {@link ConfigException} naming its key. Unknown keys are kept (and shown by DescribeConfigs) but
 * otherwise ignored, as Kafka does.
 */
public final class BrokerConfig {

    public static final String LISTENERS = "listeners";
    public static final String ADVERTISED_LISTENERS = "advertised.listeners";
    public static final String CONTROLLER_LISTENER_NAMES = "controller.listener.names";
    public static final String LISTENER_SECURITY_PROTOCOL_MAP = "listener.security.protocol.map";
    public static final String NODE_ID = "node.id";
    public static final String CONTROLLER_QUORUM_VOTERS = "controller.quorum.voters";
    public static final String LOG_DIRS = "log.dirs";
    public static final String LOG_DIR = "log.dir";
    /** Strata's: appends to a log directory with less free space than this are refused with a retriable error. */
    public static final String LOG_DIR_FREE_BYTES_MIN = "log.dir.free.bytes.min";

    public static final String NUM_PARTITIONS = "num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
    public static final String AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable";
    public static final String SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes";
    public static final String NUM_IO_THREADS = "num.io.threads";
    public static final String REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms";
    public static final String REPLICA_FETCH_RESPONSE_MAX_BYTES = "replica.fetch.response.max.bytes";
    public static final String REPLICA_FETCH_MAX_BYTES = "replica.fetch.max.bytes";
    public static final String REPLICA_FETCH_MIN_BYTES = "replica.fetch.min.bytes";
    public static final String REPLICA_FETCH_WAIT_MAX_MS = "replica.fetch.wait.max.ms";
    public static final String REPLICA_FETCH_BACKOFF_MS = "replica.fetch.backoff.ms";
    public static final String MAX_CONNECTIONS = "max.connections";
    public static final String MAX_CONNECTIONS_PER_IP = "max.connections.per.ip";
    public static final String CONNECTIONS_MAX_IDLE_MS = "connections.max.idle.ms";
    public static final String QUEUED_MAX_REQUESTS = "queued.max.requests";
    public static final String QUEUED_MAX_REQUEST_BYTES = "queued.max.request.bytes";
    /** Strata's: how long a connection may hold part of a request frame without sending another byte. */
    public static final String SOCKET_PARTIAL_REQUEST_TIMEOUT_MS = "socket.partial.request.timeout.ms";

    public static final String NUM_NETWORK_THREADS = "num.network.threads";
    public static final String CLUSTER_ID = "cluster.id";
    public static final String BROKER_RACK = "broker.rack";
    public static final String BROKER_HEARTBEAT_INTERVAL_MS = "broker.heartbeat.interval.ms";
    public static final String BROKER_SESSION_TIMEOUT_MS = "broker.session.timeout.ms";
    public static final String AUTO_LEADER_REBALANCE_ENABLE = "auto.leader.rebalance.enable";
    public static final String LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS = "leader.imbalance.check.interval.seconds";
    public static final String LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = "leader.imbalance.per.broker.percentage";
    public static final String LOG_RETENTION_CHECK_INTERVAL_MS = "log.retention.check.interval.ms";
    public static final String LOG_FLUSH_SCHEDULER_INTERVAL_MS = "log.flush.scheduler.interval.ms";
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    public static final String PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = "producer.id.expiration.check.interval.ms";
    public static final String DELETE_TOPIC_ENABLE = "delete.topic.enable";

    public static final String GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms";
    public static final String GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms";
    public static final String GROUP_INITIAL_REBALANCE_DELAY_MS = "group.initial.rebalance.delay.ms";
    public static final String GROUP_MAX_SIZE = "group.max.size";
    public static final String GROUP_CONSUMER_SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms";
    public static final String GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MAX_SIZE = "group.consumer.max.size";
    public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
    public static final String OFFSETS_TOPIC_SEGMENT_BYTES = "offsets.topic.segment.bytes";
    public static final String OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor";
    public static final String OFFSETS_COMMIT_TIMEOUT_MS = "offsets.commit.timeout.ms";
    public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
    public static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsets.retention.check.interval.ms";

    public static final String TRANSACTION_STATE_LOG_NUM_PARTITIONS = "transaction.state.log.num.partitions";
    public static final String TRANSACTION_STATE_LOG_REPLICATION_FACTOR = "transaction.state.log.replication.factor";
    public static final String TRANSACTION_STATE_LOG_MIN_ISR = "transaction.state.log.min.isr";
    public static final String TRANSACTION_STATE_LOG_SEGMENT_BYTES = "transaction.state.log.segment.bytes";
    public static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
    public static final String TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS =
            "transaction.abort.timed.out.transaction.cleanup.interval.ms";
    public static final String TRANSACTIONAL_ID_EXPIRATION_MS = "transactional.id.expiration.ms";
    public static final String TRANSACTION_PARTITION_VERIFICATION_ENABLE = "transaction.partition.verification.enable";

    public static final String REMOTE_LOG_STORAGE_SYSTEM_ENABLE = "remote.log.storage.system.enable";
    public static final String REMOTE_LOG_STORAGE_MANAGER_CLASS_NAME = RemoteStorageManagers.CLASS_NAME_CONFIG;
    public static final String REMOTE_LOG_INDEX_DIR = "remote.log.index.dir";
    public static final String REMOTE_LOG_MANAGER_TASK_INTERVAL_MS = RemoteLogManager.TASK_INTERVAL_MS_CONFIG;
    public static final String REMOTE_LOG_MANAGER_COPIER_THREAD_POOL_SIZE =
            RemoteLogManager.COPIER_THREAD_POOL_SIZE_CONFIG;
    public static final String REMOTE_LOG_MANAGER_UPLOAD_THREAD_NICENESS =
            RemoteLogManager.UPLOAD_THREAD_NICENESS_CONFIG;
    public static final String REMOTE_LOG_MANAGER_COPY_MAX_BYTES_PER_SECOND =
            RemoteLogManager.COPY_MAX_BYTES_PER_SECOND_CONFIG;
    public static final String REMOTE_LOG_READER_THREADS = "remote.log.reader.threads";
    public static final String REMOTE_FETCH_MAX_WAIT_MS = "remote.fetch.max.wait.ms";
    public static final String MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS = "max.incremental.fetch.session.cache.slots";
    public static final String REMOTE_FETCH_MAX_BYTES = "remote.fetch.max.bytes";
    public static final String REMOTE_FETCH_MAX_BUFFERED_BYTES = "remote.fetch.max.buffered.bytes";
    public static final String REMOTE_LOG_ORPHAN_SCRUB_INTERVAL_MS = "remote.log.orphan.scrub.interval.ms";

    /** {@code host:port} of the HTTP listener serving {@code GET /metrics} to Prometheus; empty or unset for none. */
    public static final String METRICS_PROMETHEUS_LISTENER = "metrics.prometheus.listener";

    public static final String CONSOLE_LISTENER = "console.listener";

    /** Default directory of the remote index, under the first log dir (the log manager skips it). */
    public static final String REMOTE_INDEX_DIR_NAME = "__remote_index";
    /** Default directory of the filesystem remote tier, under the first log dir (the log manager skips it). */
    public static final String REMOTE_TIER_DIR_NAME = "remote-tier";

    /** The topic config that turns tiering on for a topic. */
    public static final String REMOTE_STORAGE_ENABLE = "remote.storage.enable";

    /** The settings as {@code server.properties} has them. */
    private final Map<String, String> staticValues;
    /** The settings in effect: {@link #staticValues} with the dynamic ones over them ({@link DynamicBrokerConfig}). */
    private volatile InEffect inEffect;

    /**
     * The settings in effect as written, and every setting of {@link BrokerConfigs#DEF} parsed to its type (defaults
     * for the unset ones); one object, so that a reader never sees the one new and the other old.
     */
    private record InEffect(Map<String, String> values, Map<String, Object> parsed) {}

    private final ProcessRoles roles;
    /** Empty on a controller-only node, which serves no clients. */
    private final List<ClientListener> clientListeners;
    /** Null on a controller-only node. */
    private final ClientListener interBroker;

    private final Optional<Listener> controllerListener;
    private final SecurityProtocol controllerProtocol;
    private final List<Path> logDirs;
    private final Optional<InetSocketAddress> metricsListener;
    private final Optional<InetSocketAddress> consoleListener;

    private BrokerConfig(Map<String, String> values) {
        this.staticValues = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        Map<String, Object> parsed = BrokerConfigs.DEF.parse(values);
        this.inEffect = new InEffect(staticValues, parsed);
        this.roles = ProcessRoles.parse(stringValue(ProcessRoles.PROCESS_ROLES));
        Listeners listeners = Listeners.split(parsed, roles);
        this.clientListeners = listeners.clients();
        this.interBroker = listeners.interBroker();
        this.controllerListener = listeners.controller();
        this.controllerProtocol = Listeners.controllerProtocol(parsed);
        // each listener's own settings are checked (parsed) at startup
        for (ClientListener l : clientListeners) {
            SecurityConfigs.listenerSecurity(this, l.name());
        }
        String dirs = stringValue(LOG_DIRS) != null ? stringValue(LOG_DIRS) : stringValue(LOG_DIR);
        List<Path> dirList = new ArrayList<>();
        for (String d : dirs.split(",")) {
            if (!d.isBlank()) {
                dirList.add(Path.of(d.trim()).toAbsolutePath().normalize());
            }
        }
        if (dirList.isEmpty()) {
            throw new ConfigException(LOG_DIRS, dirs, "at least one log directory is required");
        }
        this.logDirs = List.copyOf(dirList);
        this.metricsListener =
                Listeners.parseHttpListener(METRICS_PROMETHEUS_LISTENER, stringValue(METRICS_PROMETHEUS_LISTENER));
        this.consoleListener = Listeners.parseHttpListener(CONSOLE_LISTENER, stringValue(CONSOLE_LISTENER));
        // The topic defaults as a whole (log.retention.hours scaled to retention.ms, say) and the rules that span
        // several settings fail at startup too, rather than at first use.
        TopicConfigs.DEF.parse(TopicConfigs.brokerDefaults(values));
        cleanerConfig();
        networkLimits();
        if (remoteLogStorageSystemEnable()) {
            chunkCacheConfig();
            remoteEncryptionConfig();
            TopicConfigs.validateBrokerLocalRetention(TopicConfigs.brokerDefaults(values));
        }
    }

    public static BrokerConfig of(Map<String, String> values) {
        return new BrokerConfig(values);
    }

    /** Reads a properties file; a missing or unreadable file is a {@link ConfigException} naming it. */
    public static BrokerConfig load(Path file) {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            props.load(r);
        } catch (IOException e) {
            throw new ConfigException("Cannot read config file " + file + ": " + e);
        }
        Map<String, String> map = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k).trim()));
        return new BrokerConfig(map);
    }

    /** The settings in effect: those of {@code server.properties}, with the dynamic ones over them. */
    public Map<String, String> values() {
        return inEffect.values();
    }

    /** The settings as {@code server.properties} has them, without the dynamic ones. */
    public Map<String, String> staticValues() {
        return staticValues;
    }

    /** The value of {@code key} in effect (dynamic, else as written in the properties), null when it is not set. */
    public String get(String key) {
        return inEffect.values().get(key);
    }

    /**
     * Puts the values of {@code effective} (this broker's static settings with the dynamic ones over them, checked by
     * building it) in effect. Only settings {@link DynamicConfigs#isDynamic} may differ from the static ones: what was
     * derived once at startup (listeners, log dirs) stays.
     */
    void useDynamic(BrokerConfig effective) {
        this.inEffect = new InEffect(effective.staticValues, effective.inEffect.parsed());
    }

    /**
     * The typed value of an {@code INT} setting of {@link BrokerConfigs#DEF}, its default when unset.
     *
     * @throws IllegalArgumentException if {@code key} is not a defined setting
     */
    public int intValue(String key) {
        return (Integer) parsed(key);
    }

    /** The typed value of a {@code LONG} setting of {@link BrokerConfigs#DEF}, its default when unset. */
    public long longValue(String key) {
        return (Long) parsed(key);
    }

    /** The typed value of a {@code BOOLEAN} setting of {@link BrokerConfigs#DEF}, its default when unset. */
    public boolean boolValue(String key) {
        return (Boolean) parsed(key);
    }

    /** The trimmed value of a {@code STRING} setting of {@link BrokerConfigs#DEF}, its default (maybe null) when unset. */
    public String stringValue(String key) {
        return (String) parsed(key);
    }

    private Object parsed(String key) {
        if (!BrokerConfigs.isDefined(key)) {
            throw new IllegalArgumentException(key + " is not a broker setting defined in BrokerConfigs");
        }
        return inEffect.parsed().get(key);
    }

    /** {@code process.roles}: broker, controller or both. */
    public ProcessRoles processRoles() {
        return roles;
    }

    /** The inter-broker listener (the only client listener, on most brokers); a controller-only node has none. */
    public Listener listener() {
        return interBrokerListener().bind();
    }

    /** The inter-broker listener's advertised address: the one this broker registers. */
    public Listener advertisedListener() {
        return interBrokerListener().advertised();
    }

    /** The listener brokers reach each other on ({@code inter.broker.listener.name}). */
    public ClientListener interBrokerListener() {
        if (interBroker == null) {
            throw new IllegalStateException("process.roles=controller: this node has no client listener");
        }
        return interBroker;
    }

    /** Every listener for clients and brokers, in the order of {@code listeners}; empty on a controller-only node. */
    public List<ClientListener> clientListeners() {
        return clientListeners;
    }

    /** The metadata quorum's protocol: PLAINTEXT or SSL (mutual TLS between every node and the voters). */
    public SecurityProtocol controllerProtocol() {
        return controllerProtocol;
    }

    /** The listener named in {@code controller.listener.names}, when {@code listeners} has one. */
    public Optional<Listener> controllerListener() {
        return controllerListener;
    }

    public List<Path> logDirs() {
        return logDirs;
    }

    public int nodeId() {
        return intValue(NODE_ID);
    }

    public int numPartitions() {
        return intValue(NUM_PARTITIONS);
    }

    public short defaultReplicationFactor() {
        return (short) intValue(DEFAULT_REPLICATION_FACTOR);
    }

    public boolean autoCreateTopics() {
        return boolValue(AUTO_CREATE_TOPICS_ENABLE);
    }

    public boolean deleteTopicEnable() {
        return boolValue(DELETE_TOPIC_ENABLE);
    }

    public int socketRequestMaxBytes() {
        return intValue(SOCKET_REQUEST_MAX_BYTES);
    }

    /** How followers fetch from leaders and when a lagging one leaves the ISR ({@code replica.*}). */
    public ReplicationConfig replicationConfig() {
        return new ReplicationConfig(
                longValue(REPLICA_LAG_TIME_MAX_MS),
                intValue(REPLICA_FETCH_RESPONSE_MAX_BYTES),
                intValue(REPLICA_FETCH_MAX_BYTES),
                intValue(REPLICA_FETCH_MIN_BYTES),
                intValue(REPLICA_FETCH_WAIT_MAX_MS),
                longValue(REPLICA_FETCH_BACKOFF_MS));
    }

    /** The network settings that bound what clients can make the broker hold, as one value. */
    public NetworkLimits networkLimits() {
        int authDelayMs = intValue(SecurityConfigs.CONNECTION_FAILED_AUTHENTICATION_DELAY_MS);
        if (authDelayMs >= longValue(CONNECTIONS_MAX_IDLE_MS)) {
            throw new ConfigException(
                    SecurityConfigs.CONNECTION_FAILED_AUTHENTICATION_DELAY_MS,
                    authDelayMs,
                    "must be less than " + CONNECTIONS_MAX_IDLE_MS + " (" + longValue(CONNECTIONS_MAX_IDLE_MS) + ")");
        }
        return new NetworkLimits(
                socketRequestMaxBytes(),
                intValue(MAX_CONNECTIONS),
                intValue(MAX_CONNECTIONS_PER_IP),
                longValue(CONNECTIONS_MAX_IDLE_MS),
                longValue(SOCKET_PARTIAL_REQUEST_TIMEOUT_MS),
                intValue(QUEUED_MAX_REQUESTS),
                queuedMaxRequestBytes());
    }

    /**
     * {@code queued.max.request.bytes}; Kafka's default -1 (no bound) becomes a quarter of the JVM's maximum heap, so
     * that clients cannot push the broker out of memory with large requests.
     */
    private long queuedMaxRequestBytes() {
        long n = longValue(QUEUED_MAX_REQUEST_BYTES);
        if (n == -1L) {
            return Math.max(1L, Runtime.getRuntime().maxMemory() / 4);
        }
        if (n < 1) {
            throw new ConfigException(QUEUED_MAX_REQUEST_BYTES, n, "must be positive, or -1 for a quarter of the heap");
        }
        return n;
    }

    public int ioThreads() {
        return Math.max(1, intValue(NUM_IO_THREADS));
    }

    public int networkThreads() {
        return Math.max(1, intValue(NUM_NETWORK_THREADS));
    }

    public long retentionCheckIntervalMs() {
        return longValue(LOG_RETENTION_CHECK_INTERVAL_MS);
    }

    public long flushSchedulerIntervalMs() {
        return longValue(LOG_FLUSH_SCHEDULER_INTERVAL_MS);
    }

    /** {@code remote.log.storage.system.enable}: whether this broker tiers topics with remote storage enabled. */
    public boolean remoteLogStorageSystemEnable() {
        return boolValue(REMOTE_LOG_STORAGE_SYSTEM_ENABLE);
    }

    /** {@code remote.log.storage.manager.class.name}: the backend, the filesystem one by default. */
    public String remoteLogStorageManagerClassName() {
        return stringValue(REMOTE_LOG_STORAGE_MANAGER_CLASS_NAME);
    }

    /**
     * The backend's settings ({@code rsm.config.*} without the prefix). For the filesystem backend, {@code dir}
     * defaults to {@code <first log dir>/remote-tier}, so that tiering works with nothing else set up.
     */
    public Map<String, Object> rsmConfigs() {
        Map<String, Object> configs = RemoteStorageManagers.rsmConfigs(values());
        if (remoteLogStorageManagerClassName().equals(FileSystemRemoteStorageManager.class.getName())) {
            configs.putIfAbsent(
                    FileSystemRemoteStorageManager.DIR_CONFIG,
                    logDirs.get(0).resolve(REMOTE_TIER_DIR_NAME).toString());
        }
        return configs;
    }

    /** {@code remote.log.index.dir}: the RocksDB remote index, {@code <first log dir>/__remote_index} by default. */
    public Path remoteLogIndexDir() {
        String dir = stringValue(REMOTE_LOG_INDEX_DIR);
        return dir == null || dir.isEmpty()
                ? logDirs.get(0).resolve(REMOTE_INDEX_DIR_NAME)
                : Path.of(dir).toAbsolutePath().normalize();
    }

    public long remoteLogManagerTaskIntervalMs() {
        return longValue(REMOTE_LOG_MANAGER_TASK_INTERVAL_MS);
    }

    public int remoteLogManagerCopierThreadPoolSize() {
        return intValue(REMOTE_LOG_MANAGER_COPIER_THREAD_POOL_SIZE);
    }

    public int remoteLogManagerUploadThreadNiceness() {
        return intValue(REMOTE_LOG_MANAGER_UPLOAD_THREAD_NICENESS);
    }

    /** The upload byte-rate limit; empty (unlimited) when unset or {@link Long#MAX_VALUE}, as in Kafka. */
    public OptionalLong remoteLogManagerCopyMaxBytesPerSecond() {
        long rate = longValue(REMOTE_LOG_MANAGER_COPY_MAX_BYTES_PER_SECOND);
        return rate == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(rate);
    }

    public int remoteLogReaderThreads() {
        return intValue(REMOTE_LOG_READER_THREADS);
    }

    /**
     * {@code remote.fetch.max.wait.ms}: the longest a fetch that reads from the remote tier waits for those reads
     * before it is answered (Kafka's default, 500 ms); partitions whose read is not done by then get no records.
     */
    /** {@code remote.fetch.max.bytes}: the most bytes one fetch request reads from the remote tier. */
    public int maxIncrementalFetchSessionCacheSlots() {
        return intValue(MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS);
    }

    public int remoteFetchMaxBytes() {
        return intValue(REMOTE_FETCH_MAX_BYTES);
    }

    /** {@code remote.fetch.max.buffered.bytes}: the most bytes of remote reads in flight in the broker. */
    public long remoteFetchMaxBufferedBytes() {
        return longValue(REMOTE_FETCH_MAX_BUFFERED_BYTES);
    }

    /** {@code remote.log.orphan.scrub.interval.ms}: how often the broker counts the remote tier's orphans. */
    public long remoteLogOrphanScrubIntervalMs() {
        return longValue(REMOTE_LOG_ORPHAN_SCRUB_INTERVAL_MS);
    }

    public int remoteFetchMaxWaitMs() {
        return intValue(REMOTE_FETCH_MAX_WAIT_MS);
    }

    /** The remote chunk cache's settings ({@code remote.log.chunk.*}). */
    public ChunkCacheConfig chunkCacheConfig() {
        return ChunkCacheConfig.from(values());
    }

    /** The remote tier's encryption settings ({@code remote.log.encryption.*}). */
    public RemoteEncryptionConfig remoteEncryptionConfig() {
        return RemoteEncryptionConfig.from(values());
    }

    /** The log cleaner's settings ({@code log.cleaner.*}). */
    public CleanerConfig cleanerConfig() {
        return CleanerConfig.from(inEffect.parsed());
    }

    /**
     * {@code metrics.prometheus.listener}: where to serve Prometheus metrics, empty when the setting is unset or empty.
     * The host is resolved when the listener binds.
     */
    public Optional<InetSocketAddress> metricsPrometheusListener() {
        return metricsListener;
    }

    /** Where the web console listens ({@code console.listener}); empty when it is off. */
    public Optional<InetSocketAddress> consoleListener() {
        return consoleListener;
    }

    /** Topic-config defaults this broker gives every topic (topic names as keys). */
    public Map<String, String> topicDefaults() {
        return TopicConfigs.brokerDefaults(values());
    }

    /**
     * Whether a topic with these overrides asks to be tiered ({@code remote.storage.enable=true}), whether or not
     * this broker tiers.
     */
    public boolean tieredConfig(Map<String, String> topicOverrides) {
        return LogConfig.of(topicDefaults(), topicOverrides).remoteStorageEnable();
    }

    /**
     * The log settings of a topic. {@code remote.storage.enable} takes effect only when this broker tiers at all
     * ({@code remote.log.storage.system.enable=true}); otherwise the topic's logs behave as non-tiered.
     */
    public LogConfig logConfig(Map<String, String> topicOverrides) {
        LogConfig config = LogConfig.of(topicDefaults(), topicOverrides);
        if (config.remoteStorageEnable() && !remoteLogStorageSystemEnable()) {
            Map<String, String> overrides = new LinkedHashMap<>(topicOverrides);
            overrides.put(REMOTE_STORAGE_ENABLE, "false");
            Map<String, String> defaults = new LinkedHashMap<>(topicDefaults());
            defaults.remove(REMOTE_STORAGE_ENABLE);
            config = LogConfig.of(defaults, overrides);
        }
        return config;
    }

    /**
     * A listener for clients and brokers: where it binds, what it advertises and its security protocol.
     *
     * @param advertised its {@code advertised.listeners} entry, or {@code bind} when it has none
     */
    public record ClientListener(Listener bind, Listener advertised, SecurityProtocol protocol) {
        public String name() {
            return bind.name();
        }
    }

    /** One entry of {@code listeners} or {@code advertised.listeners}: {@code NAME://host:port}. */
    public record Listener(String name, String host, int port) {

        /** The first entry of a listener list. */
        public static Listener parse(String spec) {
            return parseAll(LISTENERS, spec).get(0);
        }

        /** Every entry of a comma-separated listener list; names must be unique. */
        public static List<Listener> parseAll(String key, String spec) {
            List<Listener> listeners = new ArrayList<>();
            for (String entry : spec.split(",")) {
                if (entry.isBlank()) {
                    continue;
                }
                Listener listener = parseOne(key, spec, entry.trim());
                if (listeners.stream().anyMatch(l -> l.name().equals(listener.name()))) {
                    throw new ConfigException(key, spec, "listener name " + listener.name() + " is used twice");
                }
                listeners.add(listener);
            }
            if (listeners.isEmpty()) {
                throw new ConfigException(key, spec, "expected NAME://host:port");
            }
            return List.copyOf(listeners);
        }

        private static Listener parseOne(String key, String spec, String s) {
            int sep = s.indexOf("://");
            if (sep <= 0) {
                throw new ConfigException(key, spec, "expected NAME://host:port");
            }
            String name = s.substring(0, sep);
            String hostPort = s.substring(sep + 3);
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw new ConfigException(key, spec, "expected NAME://host:port");
            }
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException(key, spec, "port is not a number");
            }
            if (port < 0 || port > 65535) {
                throw new ConfigException(key, spec, "port out of range");
            }
            return new Listener(name, host.isEmpty() ? "0.0.0.0" : host, port);
        }
    }
}
