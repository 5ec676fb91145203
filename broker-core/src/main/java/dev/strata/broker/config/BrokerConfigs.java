package dev.strata.broker.config;

import static dev.strata.broker.config.BrokerConfig.*;

import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Validator;

/**
 * Every broker setting Strata reads from {@code server.properties}, defined once: name, type, default, validator and
 * documentation, in Kafka's {@link ConfigDef}. {@link BrokerConfig} parses with {@link #DEF} and its accessors read
 * the typed values; DescribeConfigs answers from it, and a unit test holds the README's configuration tables to it.
 *
 * <p>Besides the settings below, {@link #DEF} holds the remote tier's ({@link RemoteTierConfigs}, with the chunk
 * cache's from the tiering module), the transactions', security's and quotas' settings and, for each topic config with
 * a broker synonym (see {@link TopicConfigs#BROKER_SYNONYMS}), that broker setting with the topic config's type,
 * default and validator. The backend's own settings (after the {@code rsm.config.} prefix) are the backend's, checked
 * when it is configured. Keys that are in none of these are kept and shown, as Kafka does, but mean nothing to Strata.
 */
public final class BrokerConfigs {

    public static final ConfigDef DEF = new ConfigDef();

    /**
     * Parts of a name that mark a credential, masked in DescribeConfigs like a {@link Type#PASSWORD} setting even when
     * Strata does not know the key (the backend's {@code rsm.config.aws.secret.access.key}, for example).
     */
    private static final List<String> CREDENTIAL_WORDS =
            List.of("password", "secret", "access.key", "credential", "token", "jaas", "private.key", "keystore.key");

    static {
        Validator listener = (name, value) -> {
            if (value != null) {
                Listener.parseAll(name, (String) value);
            }
        };
        DEF.define(
                        LISTENERS,
                        Type.STRING,
                        "PLAINTEXT://127.0.0.1:9092",
                        listener,
                        Importance.HIGH,
                        "where the broker listens, `NAME://host:port` comma-separated: listeners for clients and"
                                + " brokers, each with its protocol from `listener.security.protocol.map`, and the"
                                + " quorum's listener when `controller.listener.names` names one; port `0` picks a"
                                + " free port")
                .define(
                        ADVERTISED_LISTENERS,
                        Type.STRING,
                        null,
                        listener,
                        Importance.HIGH,
                        "the addresses given to clients in metadata, `NAME://host:port` per listener: a client"
                                + " connected to listener `NAME` is told that listener's address; a listener without"
                                + " an entry advertises its `listeners` address")
                .define(
                        CONTROLLER_LISTENER_NAMES,
                        Type.LIST,
                        "",
                        Importance.HIGH,
                        "names of the `listeners` entries the metadata quorum uses (Kafka's KRaft setting); the"
                                + " first one's protocol in `listener.security.protocol.map` is the quorum's on every"
                                + " node: `PLAINTEXT`, or `SSL` for mutual TLS between every node and the voters with"
                                + " that listener's `ssl.keystore.*` and `ssl.truststore.*`")
                .define(
                        LISTENER_SECURITY_PROTOCOL_MAP,
                        Type.STRING,
                        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                        Importance.LOW,
                        "security protocol of each listener name, `NAME:PROTOCOL` comma-separated: `PLAINTEXT`,"
                                + " `SSL`, `SASL_PLAINTEXT` or `SASL_SSL` (the controller listener: `PLAINTEXT`)")
                .define(NODE_ID, Type.INT, 1, Importance.HIGH, "this broker's id")
                .define(
                        ProcessRoles.PROCESS_ROLES,
                        Type.STRING,
                        null,
                        (name, value) -> ProcessRoles.parse((String) value),
                        Importance.HIGH,
                        "`broker`, `controller` or `broker,controller` (Kafka's KRaft setting); unset, the node is"
                                + " both: a broker hosts partitions and serves clients, a controller is a voter of"
                                + " the metadata quorum")
                .define(
                        CONTROLLER_QUORUM_VOTERS,
                        Type.STRING,
                        null,
                        Importance.HIGH,
                        "`id@host:port,...`: every voter of the metadata quorum and the address of its Raft server"
                                + " (its controller listener); unset, the node is the only voter")
                .define(
                        LOG_DIRS,
                        Type.STRING,
                        null,
                        Importance.HIGH,
                        "comma-separated data directories; relative paths resolve against the working directory;"
                                + " `log.dir` when unset")
                .define(LOG_DIR, Type.STRING, "./data", Importance.HIGH, "the data directory when `log.dirs` is unset")
                .define(
                        LOG_DIR_FREE_BYTES_MIN,
                        Type.LONG,
                        64L * 1024 * 1024,
                        Range.atLeast(0),
                        Importance.MEDIUM,
                        "Strata's: produce to a log directory with less free space than this is refused with the"
                                + " retriable KAFKA_STORAGE_ERROR instead of filling the disk (`0`: never); free"
                                + " space is read once a second")
                .define(
                        CLUSTER_ID,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "the cluster id reported to clients; generated on first start when unset")
                .define(
                        BROKER_RACK,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "this broker's rack; replicas of a partition go to as many racks as there are")
                .define(
                        BROKER_HEARTBEAT_INTERVAL_MS,
                        Type.INT,
                        2000,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "how often the broker tells the controller it is alive; each heartbeat goes to the voter"
                                + " the node knows to lead and waits at most a third of `broker.session.timeout.ms`,"
                                + " then is sent again (so a controller that is cut off or loses its lead costs a"
                                + " broker no session)")
                .define(
                        BROKER_SESSION_TIMEOUT_MS,
                        Type.INT,
                        9000,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "a broker the controller has not heard from for this long is fenced and loses its leaderships")
                .define(
                        AUTO_LEADER_REBALANCE_ENABLE,
                        Type.BOOLEAN,
                        true,
                        Importance.HIGH,
                        "the active controller moves leadership back to each partition's preferred replica (the first)"
                                + " when that one is alive and in the ISR")
                .define(
                        LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS,
                        Type.LONG,
                        300L,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "how often the active controller checks the leaders' balance")
                .define(
                        LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
                        Type.INT,
                        10,
                        Range.between(0, 100),
                        Importance.HIGH,
                        "a broker's leaderships move back to it when more than this share of the partitions it is the"
                                + " preferred replica of are led by another broker")
                .define(
                        NUM_PARTITIONS,
                        Type.INT,
                        1,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "partitions of a topic created without a count, including auto-created topics")
                .define(
                        DEFAULT_REPLICATION_FACTOR,
                        Type.INT,
                        1,
                        Importance.MEDIUM,
                        "replication factor of auto-created topics")
                .define(
                        AUTO_CREATE_TOPICS_ENABLE,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        "create a topic when a client asks for it in a Metadata request")
                .define(DELETE_TOPIC_ENABLE, Type.BOOLEAN, true, Importance.MEDIUM, "allow DeleteTopics")
                .define(
                        SOCKET_REQUEST_MAX_BYTES,
                        Type.INT,
                        100 * 1024 * 1024,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "largest request frame (100 MiB by default); a larger one closes the connection")
                .define(
                        NUM_NETWORK_THREADS,
                        Type.INT,
                        3,
                        Importance.MEDIUM,
                        "Netty event-loop threads; values below `1` count as `1`")
                .define(
                        MAX_CONNECTIONS,
                        Type.INT,
                        Integer.MAX_VALUE,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "connections the broker keeps open at once; at the limit the listener stops accepting until"
                                + " one closes (new ones wait in the listen backlog)")
                .define(
                        MAX_CONNECTIONS_PER_IP,
                        Type.INT,
                        Integer.MAX_VALUE,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "connections from one client address; one beyond it is closed at once")
                .define(
                        CONNECTIONS_MAX_IDLE_MS,
                        Type.LONG,
                        600_000L,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "a connection with no byte in or out and no request in flight for this long is closed")
                .define(
                        SOCKET_PARTIAL_REQUEST_TIMEOUT_MS,
                        Type.LONG,
                        30_000L,
                        Range.atLeast(1),
                        Importance.LOW,
                        "Strata's: a connection that has sent part of a request and then nothing for this long is"
                                + " closed")
                .define(
                        QUEUED_MAX_REQUESTS,
                        Type.INT,
                        500,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "requests read from clients and not yet answered, across all connections; beyond it"
                                + " connections stop reading until requests are answered")
                .define(
                        QUEUED_MAX_REQUEST_BYTES,
                        Type.LONG,
                        -1L,
                        Importance.MEDIUM,
                        "bytes of requests read from clients and not yet answered, across all connections; `-1`"
                                + " means a quarter of the JVM's maximum heap")
                .define(
                        REPLICA_LAG_TIME_MAX_MS,
                        Type.LONG,
                        30_000L,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "a follower that has not caught up with the leader's log end for this long leaves the ISR")
                .define(
                        REPLICA_FETCH_MAX_BYTES,
                        Type.INT,
                        1024 * 1024,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "bytes a follower asks for per partition in one fetch")
                .define(
                        REPLICA_FETCH_RESPONSE_MAX_BYTES,
                        Type.INT,
                        10 * 1024 * 1024,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "bytes a follower asks for in one fetch, across partitions")
                .define(
                        REPLICA_FETCH_MIN_BYTES,
                        Type.INT,
                        1,
                        Range.atLeast(1),
                        Importance.LOW,
                        "bytes the leader waits for before answering a follower's fetch")
                .define(
                        REPLICA_FETCH_WAIT_MAX_MS,
                        Type.INT,
                        500,
                        Range.atLeast(0),
                        Importance.LOW,
                        "longest the leader holds a follower's fetch waiting for data")
                .define(
                        REPLICA_FETCH_BACKOFF_MS,
                        Type.LONG,
                        1_000L,
                        Range.atLeast(0),
                        Importance.LOW,
                        "how long a follower waits after a failed fetch before trying again")
                .define(
                        NUM_IO_THREADS,
                        Type.INT,
                        8,
                        Importance.MEDIUM,
                        "threads that do disk work for requests; values below `1` count as `1`")
                .define(
                        METRICS_PROMETHEUS_LISTENER,
                        Type.STRING,
                        "",
                        (name, value) -> Listeners.parseHttpListener(name, (String) value),
                        Importance.MEDIUM,
                        "`host:port` of an HTTP listener serving Prometheus metrics at `/metrics`; empty for none;"
                                + " port `0` picks a free port (the sample `config/server.properties` sets"
                                + " `127.0.0.1:9404`)")
                .define(
                        CONSOLE_LISTENER,
                        Type.STRING,
                        "",
                        (name, value) -> Listeners.parseHttpListener(name, (String) value),
                        Importance.MEDIUM,
                        "`host:port` of an HTTP listener serving the read-only web console (and its JSON at `/api/v1/`);"
                                + " empty for none; port `0` picks a free port (the sample `config/server.properties`"
                                + " sets `127.0.0.1:9480`)")
                .define(
                        LOG_RETENTION_CHECK_INTERVAL_MS,
                        Type.LONG,
                        300_000L,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "how often retention runs")
                .define(
                        LOG_FLUSH_SCHEDULER_INTERVAL_MS,
                        Type.LONG,
                        1_000L,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "how often the time-based flush policy (`flush.ms`) is checked")
                .define(
                        PRODUCER_ID_EXPIRATION_MS,
                        Type.INT,
                        86_400_000,
                        Range.atLeast(1),
                        Importance.LOW,
                        "how long a partition keeps an idle producer's state (its sequence numbers for deduplication)"
                                + " after the producer's last write, unless a transaction of it is open")
                .define(
                        PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                        Type.INT,
                        600_000,
                        Range.atLeast(1),
                        Importance.LOW,
                        "how often expired producer state is removed (`producer.id.expiration.ms`)")
                .define(
                        GROUP_MIN_SESSION_TIMEOUT_MS,
                        Type.INT,
                        6_000,
                        Importance.MEDIUM,
                        "shortest session timeout a group member may ask for")
                .define(
                        GROUP_MAX_SESSION_TIMEOUT_MS,
                        Type.INT,
                        1_800_000,
                        Importance.MEDIUM,
                        "longest session timeout a group member may ask for")
                .define(
                        GROUP_INITIAL_REBALANCE_DELAY_MS,
                        Type.INT,
                        3_000,
                        Importance.MEDIUM,
                        "how long the first rebalance of an empty group waits for more members")
                .define(
                        GROUP_MAX_SIZE,
                        Type.INT,
                        Integer.MAX_VALUE,
                        Importance.MEDIUM,
                        "most members in one group (the default means no limit)")
                .define(
                        OFFSETS_TOPIC_NUM_PARTITIONS,
                        Type.INT,
                        50,
                        Importance.MEDIUM,
                        "partitions of `__consumer_offsets` (created on first use)")
                .define(
                        OFFSETS_TOPIC_SEGMENT_BYTES,
                        Type.INT,
                        100 * 1024 * 1024,
                        Importance.MEDIUM,
                        "segment size of `__consumer_offsets`")
                .define(
                        OFFSETS_TOPIC_REPLICATION_FACTOR,
                        Type.INT,
                        3,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "replication factor of `__consumer_offsets`, capped at the live brokers when the topic is"
                                + " created (on first use), so that a lone broker needs no setting; Kafka refuses to"
                                + " create it instead, so start every broker of a cluster before the first group")
                .define(
                        OFFSETS_COMMIT_TIMEOUT_MS,
                        Type.INT,
                        5_000,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "how long a write to `__consumer_offsets` (an offset commit, a group's state) waits for every"
                                + " in-sync replica before the coordinator gives up with `COORDINATOR_NOT_AVAILABLE`")
                .define(
                        OFFSETS_RETENTION_MINUTES,
                        Type.LONG,
                        7 * 24 * 60L,
                        Importance.MEDIUM,
                        "committed offsets of an empty group are kept this long (7 days by default)")
                .define(
                        OFFSETS_RETENTION_CHECK_INTERVAL_MS,
                        Type.LONG,
                        600_000L,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "how often expired offsets are removed")
                .define(
                        GROUP_CONSUMER_SESSION_TIMEOUT_MS,
                        Type.INT,
                        45_000,
                        Importance.MEDIUM,
                        "KIP-848 members are removed after this long without a heartbeat")
                .define(
                        GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS,
                        Type.INT,
                        5_000,
                        Importance.MEDIUM,
                        "heartbeat interval the coordinator gives KIP-848 members")
                .define(
                        GROUP_CONSUMER_MAX_SIZE,
                        Type.INT,
                        Integer.MAX_VALUE,
                        Importance.MEDIUM,
                        "most members in one KIP-848 group (the default means no limit)");
        RemoteTierConfigs.define(DEF);
        DEF.define(
                        MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS,
                        Type.INT,
                        1000,
                        Range.atLeast(0),
                        Importance.MEDIUM,
                        "most incremental fetch sessions (KIP-227) the broker keeps; a consumer finding no free slot"
                                + " fetches every partition in every request")
                .define(
                        CleanerConfig.ENABLE,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        "run the log cleaner for compacted topics")
                .define(CleanerConfig.THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM, "cleaner threads")
                .define(
                        CleanerConfig.BACKOFF_MS,
                        Type.LONG,
                        15_000L,
                        Range.atLeast(0),
                        Importance.MEDIUM,
                        "pause when there is nothing to clean")
                .define(
                        CleanerConfig.DEDUPE_BUFFER_SIZE,
                        Type.LONG,
                        128L * 1024 * 1024,
                        Importance.MEDIUM,
                        "memory for the key→offset maps of all cleaner threads")
                .define(
                        CleanerConfig.IO_BUFFER_SIZE,
                        Type.INT,
                        512 * 1024,
                        Importance.MEDIUM,
                        "read/write buffer of all cleaner threads");
        TransactionConfigs.define(DEF);
        SecurityConfigs.define(DEF);
        QuotaConfigs.define(DEF);
        TopicConfigs.BROKER_SYNONYMS.forEach((topicName, brokerName) -> {
            if (brokerName != null) {
                ConfigDef.ConfigKey topic = TopicConfigs.DEF.configKeys().get(topicName);
                DEF.define(
                        brokerName,
                        topic.type,
                        topic.defaultValue,
                        topic.validator,
                        Importance.MEDIUM,
                        "default of the topic config `" + topicName + "`: " + topic.documentation);
            }
        });
        for (TopicConfigs.CoarseSynonym coarse : TopicConfigs.COARSE_SYNONYMS) {
            DEF.define(
                    coarse.brokerName(),
                    Type.LONG,
                    null,
                    Importance.LOW,
                    "default of the topic config `" + coarse.topicName() + "` in " + coarse.unitName() + ", when `"
                            + TopicConfigs.BROKER_SYNONYMS.get(coarse.topicName()) + "` is unset");
        }
    }

    private BrokerConfigs() {}

    /** {@code ssl.key.password} for {@code listener.name.internal.ssl.key.password}; other names as they are. */
    static String withoutListenerPrefix(String name) {
        if (!name.startsWith("listener.name.")) {
            return name;
        }
        int dot = name.indexOf('.', "listener.name.".length());
        return dot < 0 ? name : name.substring(dot + 1);
    }

    /** Whether {@code name} is a broker setting Strata defines (not an unknown key, nor a backend setting). */
    public static boolean isDefined(String name) {
        return DEF.configKeys().containsKey(name);
    }

    /**
     * Whether DescribeConfigs must hide the value: a {@link Type#PASSWORD} setting, or a key whose name says it holds
     * a credential (known to Strata or not), as Kafka hides secrets.
     */
    public static boolean isSensitive(String name) {
        ConfigDef.ConfigKey key = DEF.configKeys().get(withoutListenerPrefix(name));
        if (key != null && key.type == Type.PASSWORD) {
            return true;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        return CREDENTIAL_WORDS.stream().anyMatch(lower::contains);
    }
}
