package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Strata broker started in the test JVM on a free port below the kernel's ephemeral range ({@link Ports#free()})
 * with a log directory of its own under a temporary directory, plus factories for kafka-clients pointed at it.
 *
 * <p>Register it with {@code @RegisterExtension}: in a static field one broker serves every test of the class; in an
 * instance field every test gets a fresh broker and a fresh directory. {@link #restart()} closes the broker and starts
 * a new one on the same log directory (on a new port, so clients must be created again). A test that needs settings
 * known only once something else has started (an object store on a free port) starts it with {@link #start()} and
 * ends it with {@link #close()} instead.
 */
public final class TestBroker
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, AutoCloseable {
    /** The port of the last start; 0 before the first. */
    private int lastPort;

    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, String> overrides;
    private boolean perClass;
    private Path tempDir;
    private StrataServer server;

    private TestBroker(Map<String, String> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    /** A broker with the defaults of {@link BrokerConfig}. */
    public static TestBroker create() {
        return new TestBroker(Map.of());
    }

    /** A broker with these settings over the test defaults (ephemeral port, temporary log directory). */
    public static TestBroker withConfig(Map<String, String> overrides) {
        return new TestBroker(overrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stopAndDelete();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            stopAndDelete();
        }
    }

    /** Starts the broker; the log directory survives {@link #stop()} so a later start finds the same data. */
    public void start() throws Exception {
        assertThat(server).as("broker already running").isNull();
        if (tempDir == null) {
            tempDir = Files.createTempDirectory("strata-it-");
        }
        server = StrataServer.start(BrokerConfig.of(config()));
        lastPort = server.port();
    }

    /** Closes the broker cleanly, keeping its log directory. */
    public void stop() {
        if (server != null) {
            StrataServer s = server;
            server = null;
            s.close();
        }
    }

    /** A clean shutdown followed by a start on the same log directory. */
    public void restart() throws Exception {
        stop();
        start();
    }

    /** The settings the broker is started with. */
    public Map<String, String> config() {
        Map<String, String> config = new HashMap<>();
        // A free port below the kernel's ephemeral range the first time: the kernel may give an ephemeral port to any
        // outgoing connection while the broker is down, and its restart could not bind it again ("Address already in
        // use" in S3TransactionalTieringIT, CI). The same port after a restart, so running clients can reconnect.
        if (lastPort <= 0) {
            lastPort = Ports.free();
        }
        config.put(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:" + lastPort);
        config.put(BrokerConfig.LOG_DIRS, logDir().toString());
        config.put(BrokerConfig.NODE_ID, "1");
        config.putAll(overrides);
        return config;
    }

    public Path logDir() {
        return tempDir.resolve("data");
    }

    public int port() {
        assertThat(server).as("broker running").isNotNull();
        return server.port();
    }

    /** The port of the listener of that name. */
    public int port(String listenerName) {
        assertThat(server).as("broker running").isNotNull();
        return server.port(listenerName);
    }

    /** The port of the broker's Prometheus listener; fails unless {@code metrics.prometheus.listener} is set. */
    public int metricsPort() {
        assertThat(server).as("broker running").isNotNull();
        return server.metricsPort().orElseThrow(() -> new AssertionError("the broker serves no metrics"));
    }

    /** The port of the broker's web console; fails unless {@code console.listener} is set. */
    public int consolePort() {
        assertThat(server).as("broker running").isNotNull();
        return server.consolePort().orElseThrow(() -> new AssertionError("the broker serves no console"));
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port();
    }

    public Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(props);
    }

    /** An idempotent (the default) acks=all String producer, with {@code overrides} applied last. */
    public KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        props.putAll(overrides);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    public KafkaProducer<String, String> producer() {
        return producer(Map.of());
    }

    /** A String consumer without a group, for {@code assign()}; starts from the earliest offset. */
    public KafkaConsumer<String, String> consumer(Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CLIENT_TIMEOUT.toMillis());
        props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        props.putAll(overrides);
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    public KafkaConsumer<String, String> consumer() {
        return consumer(Map.of());
    }

    /** Creates a topic with replication factor 1 and waits for the broker's answer. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                    .all()
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("CreateTopics " + name + " failed", e.getCause());
        }
    }

    /** Stops the broker and deletes its directory. */
    @Override
    public void close() {
        stopAndDelete();
    }

    private void stopAndDelete() {
        try {
            stop();
        } finally {
            if (tempDir != null) {
                deleteRecursively(tempDir);
                tempDir = null;
            }
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
