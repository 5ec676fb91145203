package dev.strata.broker.it;

import dev.strata.testing.Await;
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
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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
    private int starts;

    private TestCluster(Path dir, int size, Map<String, String> settings) throws IOException {
        this.dir = dir;
        this.settings = settings;
        this.ports = new int[size];
        this.controllerPorts = new int[size];
        this.brokers = new BrokerProcess[size];
        for (int i = 0; i < size; i++) {
            ports[i] = BrokerProcess.freePort();
            controllerPorts[i] = BrokerProcess.freePort();
        }
    }

    /** Starts {@code size} brokers (node ids 1..size) with {@code settings} over the cluster defaults. */
    static TestCluster start(Path dir, int size, Map<String, String> settings) throws Exception {
        TestCluster cluster = new TestCluster(dir, size, settings);
        try {
            for (int node = 1; node <= size; node++) {
                cluster.launch(node);
            }
            for (int node = 1; node <= size; node++) {
                cluster.brokers[node - 1].awaitListening(cluster.port(node), TIMEOUT);
            }
            cluster.awaitBrokers(size);
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    int size() {
        return brokers.length;
    }

    int port(int node) {
        return ports[node - 1];
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

    /** Starts a stopped or killed broker again, on its ports and data. */
    void restart(int node) throws Exception {
        launch(node);
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

    /** An idempotent {@code acks=all} producer that rides out leader changes. */
    KafkaProducer<String, String> producer() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
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
            Await.until(TIMEOUT, count + " live brokers", () -> {
                try {
                    return admin.describeCluster().nodes().get().size() == count;
                } catch (Exception e) {
                    return false;
                }
            });
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

    String output(int node) {
        return brokers[node - 1].outputTail();
    }

    private void launch(int node) throws IOException {
        List<String> voters = new ArrayList<>();
        for (int i = 1; i <= size(); i++) {
            voters.add(i + "@127.0.0.1:" + controllerPorts[i - 1]);
        }
        Map<String, String> config = new HashMap<>();
        config.put("node.id", Integer.toString(node));
        config.put("process.roles", "broker,controller");
        config.put(
                "listeners",
                "PLAINTEXT://127.0.0.1:" + port(node) + ",CONTROLLER://127.0.0.1:" + controllerPorts[node - 1]);
        config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port(node));
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
        config.putAll(settings);
        Path file = BrokerProcess.writeConfig(
                dir.resolve("node" + node + ".properties"), port(node), dir.resolve("data-" + node), config);
        starts++;
        brokers[node - 1] = BrokerProcess.startWithHeap(
                dir.resolve("node" + node + "-" + starts + ".out"), "384m", file.toString());
    }

    @Override
    public void close() {
        for (BrokerProcess broker : brokers) {
            if (broker != null) {
                broker.close();
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
