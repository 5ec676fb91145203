package dev.strata.broker.it;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import dev.strata.testing.TcpProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A cluster of brokers, each in a JVM of its own started as {@code bin/strata server} starts one, each a broker and a
 * voter of the metadata quorum (Kafka's KRaft settings: {@code process.roles=broker,controller}, a CONTROLLER
 * listener, {@code controller.quorum.voters}), on free loopback ports, with data under one directory. Brokers can be
 * killed ({@code kill -9}), stopped (SIGTERM, a controlled shutdown) and started again on the same ports and data.
 */
final class TestCluster implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final Map<String, String> settings;
    private final int[] ports;
    private final int[] controllerPorts;
    private final BrokerProcess[] brokers;
    /** Per broker, the proxy its advertised listener points at (clients and followers reach it through), or null. */
    private final TcpProxy[] proxies;
    /**
     * With {@link #startBehindProxies}: {@code quorumProxies[i][j]} carries node i+1's metadata-quorum traffic to node
     * j+1 (each node's {@code controller.quorum.voters} names the others at these), so a node can be cut off from
     * the quorum in both directions.
     */
    private TcpProxy[][] quorumProxies;

    private int starts;
    private BiConsumer<Integer, Map<String, String>> nodeSettings = (node, config) -> {};

    private TestCluster(Path dir, int size, Map<String, String> settings) throws IOException {
        this.dir = dir;
        this.settings = settings;
        this.ports = new int[size];
        this.controllerPorts = new int[size];
        this.brokers = new BrokerProcess[size];
        this.proxies = new TcpProxy[size];
        for (int i = 0; i < size; i++) {
            ports[i] = Ports.free();
            controllerPorts[i] = Ports.free();
        }
    }

    /** Starts {@code size} brokers (node ids 1..size) with {@code settings} over the cluster defaults. */
    static TestCluster start(Path dir, int size, Map<String, String> settings) throws Exception {
        return prepare(dir, size, settings).startAll();
    }

    /**
     * As {@link #start}, each node's configuration then changed by {@code nodeSettings} (given the node id and the
     * configuration, to add listeners to its {@code listeners}, say); the cluster's {@link #port} of a node must stay
     * the one clients of {@link #bootstrap} use.
     */
    static TestCluster start(
            Path dir, int size, Map<String, String> settings, BiConsumer<Integer, Map<String, String>> nodeSettings)
            throws Exception {
        TestCluster cluster = prepare(dir, size, settings);
        cluster.nodeSettings = nodeSettings;
        return cluster.startAll();
    }

    /**
     * As {@link #start}, with every broker advertised at a {@link TcpProxy} of its own, so that clients and the other
     * brokers' replica fetchers reach it only through that proxy, which a test can cut, and the metadata quorum's
     * traffic between every two voters through a proxy of its own ({@link #cutFromQuorum}).
     */
    static TestCluster startBehindProxies(Path dir, int size, Map<String, String> settings) throws Exception {
        TestCluster cluster = prepare(dir, size, settings);
        cluster.quorumProxies = new TcpProxy[size][size];
        for (int node = 1; node <= size; node++) {
            cluster.proxies[node - 1] = TcpProxy.start(cluster.port(node));
            for (int to = 1; to <= size; to++) {
                if (to != node) {
                    cluster.quorumProxies[node - 1][to - 1] = TcpProxy.start(cluster.controllerPorts[to - 1]);
                }
            }
        }
        return cluster.startAll();
    }

    private TestCluster startAll() throws Exception {
        try {
            for (int node = 1; node <= size(); node++) {
                launch(node);
            }
            for (int node = 1; node <= size(); node++) {
                awaitListening(node);
            }
            awaitBrokers(size());
            return this;
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** The proxy in front of a broker started by {@link #startBehindProxies}. */
    TcpProxy proxy(int node) {
        return proxies[node - 1];
    }

    /** Cuts a node started by {@link #startBehindProxies} off from the other voters, both ways, until {@link #heal}. */
    void cutFromQuorum(int node) {
        for (int other = 1; other <= size(); other++) {
            if (other != node) {
                quorumProxies[node - 1][other - 1].cut();
                quorumProxies[other - 1][node - 1].cut();
            }
        }
    }

    /** Lets every proxy of {@link #startBehindProxies} forward everything again. */
    void heal() {
        for (TcpProxy proxy : allProxies()) {
            proxy.restore();
        }
    }

    private List<TcpProxy> allProxies() {
        List<TcpProxy> all = new ArrayList<>();
        for (TcpProxy proxy : proxies) {
            if (proxy != null) {
                all.add(proxy);
            }
        }
        if (quorumProxies != null) {
            for (TcpProxy[] row : quorumProxies) {
                for (TcpProxy proxy : row) {
                    if (proxy != null) {
                        all.add(proxy);
                    }
                }
            }
        }
        return all;
    }

    /** A cluster of {@code size} brokers whose ports are chosen and none started: the test starts them one by one. */
    static TestCluster prepare(Path dir, int size, Map<String, String> settings) throws IOException {
        return new TestCluster(dir, size, settings);
    }

    /** Starts one broker and returns without waiting for it to listen (it may wait for a quorum, or fail). */
    BrokerProcess launch(int node) throws IOException {
        Map<String, String> config = config(node, port(node), controllerPorts[node - 1]);
        if (proxies[node - 1] != null) {
            config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + proxies[node - 1].port());
        }
        config.putAll(settings);
        nodeSettings.accept(node, config);
        brokers[node - 1] = startProcess("node" + node, dir.resolve("data-" + node), port(node), config);
        return brokers[node - 1];
    }

    /**
     * Starts a process that is not one of the cluster's brokers, with a configuration of its own: the cluster's
     * defaults for {@code nodeId} on fresh ports and data, then {@code overrides}. The caller closes it.
     */
    BrokerProcess launchStranger(String name, int nodeId, Map<String, String> overrides) throws IOException {
        int port = Ports.free();
        // a copy of a member's config (same id) also has that member's controller port, its entry in the voter list
        int controllerPort = nodeId >= 1 && nodeId <= size() ? controllerPorts[nodeId - 1] : Ports.free();
        Map<String, String> config = config(nodeId, port, controllerPort);
        config.putAll(settings);
        config.putAll(overrides);
        return startProcess(name, dir.resolve("data-" + name), port, config);
    }

    int size() {
        return brokers.length;
    }

    int port(int node) {
        return ports[node - 1];
    }

    /** The port of a node's metadata-quorum (controller) listener. */
    int controllerPort(int node) {
        return controllerPorts[node - 1];
    }

    /** The log dir of a broker. */
    Path logDir(int node) {
        return dir.resolve("data-" + node);
    }

    String bootstrap() {
        List<String> all = new ArrayList<>();
        for (int port : ports) {
            all.add("127.0.0.1:" + port);
        }
        return String.join(",", all);
    }

    /** {@code kill -9} of one broker: nothing flushed, no controlled shutdown. */
    void kill(int node) throws InterruptedException {
        brokers[node - 1].kill();
    }

    /** SIGTERM: the broker moves its leaderships away, then stops. */
    void stop(int node) throws InterruptedException {
        brokers[node - 1].terminate(TIMEOUT);
    }

    /** SIGSTOP: the broker hangs (no heartbeat, no fetch, connections open) until {@link #resume}. */
    void pause(int node) throws IOException, InterruptedException {
        brokers[node - 1].pause();
    }

    /** SIGCONT: a paused broker runs on; harmless for one that runs or was never started. */
    void resume(int node) throws IOException, InterruptedException {
        if (brokers[node - 1] != null) {
            brokers[node - 1].resume();
        }
    }

    /** Starts a stopped or killed broker again, on its ports and data. */
    void restart(int node) throws Exception {
        launch(node);
        brokers[node - 1].awaitListening(port(node), TIMEOUT);
    }

    /** Waits until a launched broker accepts connections; fails with its output if it exits. */
    void awaitListening(int node) {
        brokers[node - 1].awaitListening(port(node), TIMEOUT);
    }

    boolean isAlive(int node) {
        return brokers[node - 1] != null && brokers[node - 1].isAlive();
    }

    Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(props);
    }

    /**
     * An idempotent {@code acks=all} producer of string keys and values that retries for two minutes, as a producer
     * that must lose nothing through a failover is set up.
     */
    KafkaProducer<String, String> producer() {
        return producer(Map.of());
    }

    /** {@link #producer()} with {@code overrides}. */
    KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Map<String, Object> settings = producerSettings(bootstrap());
        settings.putAll(overrides);
        return new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
    }

    static Map<String, Object> producerSettings(String bootstrap) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return props;
    }

    /** Creates a topic and waits until every partition has a leader and all {@code replicationFactor} in sync. */
    void createTopic(String topic, int partitions, int replicationFactor) {
        try (Admin admin = admin()) {
            call(() -> admin.createTopics(List.of(new NewTopic(topic, partitions, (short) replicationFactor)))
                    .all()
                    .get());
            Await.until(TIMEOUT, "full ISRs of " + topic, () -> {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                            .allMatch(p -> p.leader() != null && p.isr().size() == replicationFactor);
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    /** Sends {@code count} records keyed {@code prefix<i>} with {@link #producer()}; returns the acknowledged keys. */
    Set<String> produce(String topic, String prefix, int count) {
        Set<String> acknowledged = new ConcurrentSkipListSet<>();
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < count; i++) {
                String key = prefix + i;
                producer.send(new ProducerRecord<>(topic, key, key), (md, e) -> {
                    if (e == null) {
                        acknowledged.add(key);
                    }
                });
            }
            producer.flush();
        }
        return acknowledged;
    }

    /** Every record of every partition of {@code topic}, from the log start to the end offsets of now. */
    List<ConsumerRecord<String, String>> readAll(String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap(),
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(tps);
            long end = consumer.endOffsets(tps).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
            consumer.seekToBeginning(tps);
            return Await.records(consumer, (int) end, TIMEOUT);
        }
    }

    /** The keys of {@link #readAll}. */
    Set<String> readKeys(String topic) {
        return readAll(topic).stream().map(ConsumerRecord::key).collect(Collectors.toSet());
    }

    /** A consumer without a group that reads from the earliest offset. */
    KafkaConsumer<String, String> consumer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    /** The bytes of the partition's local {@code .log} files on a broker; -1 if they cannot be listed. */
    long localLogBytes(int node, TopicPartition tp) {
        Path partitionDir = logDir(node).resolve(tp.topic() + "-" + tp.partition());
        try (Stream<Path> files = Files.list(partitionDir)) {
            return files.filter(f -> f.toString().endsWith(".log"))
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        } catch (IOException | UncheckedIOException e) {
            return -1;
        }
    }

    /** Waits until the cluster's metadata lists {@code count} live brokers. */
    void awaitBrokers(int count) {
        try (Admin admin = admin()) {
            Await.until(
                    TIMEOUT,
                    count + " live brokers",
                    () -> {
                        try {
                            return admin.describeCluster().nodes().get().size() == count;
                        } catch (Exception e) {
                            return false;
                        }
                    },
                    this::keepOutputs);
        }
    }

    /** The partition as the cluster's metadata describes it now. */
    static TopicPartitionInfo describe(Admin admin, TopicPartition tp) {
        TopicDescription d = call(() ->
                admin.describeTopics(List.of(tp.topic())).allTopicNames().get().get(tp.topic()));
        return d.partitions().get(tp.partition());
    }

    static int leader(Admin admin, TopicPartition tp) {
        Node leader = describe(admin, tp).leader();
        return leader == null ? -1 : leader.id();
    }

    static List<Integer> isr(Admin admin, TopicPartition tp) {
        return describe(admin, tp).isr().stream().map(Node::id).sorted().collect(Collectors.toList());
    }

    /**
     * Waits until the ISR of {@code tp} satisfies {@code condition}; a describe that fails (the broker asked is hung or
     * gone) is tried again. On a timeout the message holds what each broker logged about {@code tp}.
     */
    void awaitIsr(Admin admin, TopicPartition tp, String what, Predicate<List<Integer>> condition) {
        Await.until(
                TIMEOUT,
                what,
                () -> {
                    try {
                        return condition.test(isr(admin, tp));
                    } catch (AssertionError e) {
                        return false;
                    }
                },
                () -> linesAbout(tp.toString()) + keepOutputs());
    }

    /**
     * Copies every broker's whole output under {@code target/cluster-logs/} (the build's directory, which outlives the
     * test's temporary one), for a failure to be read afterwards; returns where, for the failure message.
     */
    String keepOutputs() {
        Path kept = Path.of(System.getProperty("strata.it.work.dir", "target"), "cluster-logs")
                .resolve(dir.getFileName() + "-" + System.currentTimeMillis());
        try {
            Files.createDirectories(kept);
            for (int node = 1; node <= brokers.length; node++) {
                if (brokers[node - 1] != null) {
                    Files.writeString(kept.resolve("node" + node + ".out"), brokers[node - 1].output());
                }
            }
            return "\nthe brokers' output is in " + kept.toAbsolutePath();
        } catch (IOException | UncheckedIOException e) {
            return "\nthe brokers' output could not be kept: " + e;
        }
    }

    /** Each started broker's output lines that contain {@code text} (the last 40 of each), for failure messages. */
    String linesAbout(String text) {
        StringBuilder lines = new StringBuilder();
        for (int node = 1; node <= brokers.length; node++) {
            if (brokers[node - 1] == null) {
                continue;
            }
            List<String> about = brokers[node - 1]
                    .output()
                    .lines()
                    .filter(line -> line.contains(text))
                    .toList();
            lines.append("\nbroker ").append(node).append(" on ").append(text).append(':');
            about.subList(Math.max(0, about.size() - 40), about.size())
                    .forEach(line -> lines.append("\n  ").append(line));
        }
        return lines.toString();
    }

    String output(int node) {
        return brokers[node - 1].outputTail();
    }

    private Map<String, String> config(int node, int port, int controllerPort) {
        List<String> voters = new ArrayList<>();
        for (int i = 1; i <= size(); i++) {
            int voterPort = quorumProxies != null && i != node && node <= size()
                    ? quorumProxies[node - 1][i - 1].port()
                    : controllerPorts[i - 1];
            voters.add(i + "@127.0.0.1:" + voterPort);
        }
        Map<String, String> config = new HashMap<>();
        config.put("node.id", Integer.toString(node));
        config.put("process.roles", "broker,controller");
        config.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("controller.quorum.voters", String.join(",", voters));
        config.put("cluster.id", "strata-test-cluster");
        config.put("default.replication.factor", Integer.toString(Math.min(3, size())));
        config.put("offsets.topic.replication.factor", Integer.toString(Math.min(3, size())));
        config.put("min.insync.replicas", "2");
        config.put("broker.heartbeat.interval.ms", "500");
        config.put("broker.session.timeout.ms", "4000");
        config.put("replica.lag.time.max.ms", "6000");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("log.dir.free.bytes.min", "0");
        return config;
    }

    private BrokerProcess startProcess(String name, Path data, int port, Map<String, String> config)
            throws IOException {
        Path file = BrokerProcess.writeConfig(dir.resolve(name + ".properties"), port, data, config);
        starts++;
        return BrokerProcess.startWithHeap(dir.resolve(name + "-" + starts + ".out"), "384m", file.toString());
    }

    /**
     * Ends the cluster with {@code kill -9} on every broker: a test that checks a clean stop stops its brokers itself.
     * A clean stop of the whole cluster costs each class about 15 s: whichever voter stops last waits the quorum's
     * write timeout for a controlled shutdown that the others, gone with their votes, can no longer commit.
     */
    @Override
    public void close() {
        for (BrokerProcess broker : brokers) {
            if (broker != null) {
                try {
                    broker.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    broker.close();
                }
            }
        }
        for (TcpProxy proxy : allProxies()) {
            try {
                proxy.close();
            } catch (IOException e) {
                // the next test's ports are free ones anyway
            }
        }
    }

    interface Call<T> {
        T call() throws Exception;
    }

    static <T> T call(Call<T> call) {
        try {
            return call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
