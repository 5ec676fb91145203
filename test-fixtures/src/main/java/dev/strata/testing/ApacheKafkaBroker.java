package dev.strata.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;

/**
 * Apache Kafka 4.3 in a child JVM: one KRaft node in combined mode (broker and controller) on free loopback ports, run
 * from the Maven Central jars of a classpath ({@code remote-storage-s3/apache-kafka/pom.xml} writes it to a file), so
 * Kafka's jars never share a JVM with Strata's. It starts the way {@code kafka-storage.sh format --standalone} and
 * {@code kafka-server-start.sh} would: format the log directory with a fresh cluster id and this node as the only
 * voter, then run {@code kafka.Kafka}. Every internal topic has replication factor and min ISR 1, as one node needs.
 *
 * <p>Config, log4j2 config and the broker's output ({@code broker.log}) stay in the broker's directory for a
 * post-mortem, and so does its data ({@link #dataDir()}); {@link #close()} stops the process (SIGTERM, then SIGKILL
 * after a grace period), and {@link #restart()} stops it the same way and starts it again on the same data and ports.
 * A shutdown hook kills it should the JVM exit without closing it.
 *
 * <p>Used by the tests of the S3 backend as a plugin of Apache Kafka, and by {@code bench compare} as the comparison
 * broker.
 */
public final class ApacheKafkaBroker implements AutoCloseable {

    private static final String HOST = Ports.HOST;
    private static final List<String> FORMAT_JVM_OPTIONS = List.of("-Xmx256m");
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /**
     * Kafka's own default: INFO to the console (here the broker's log file), request logging off. Also the log4j2
     * config of the nodes of {@code bench compare --cluster}.
     */
    public static final String LOG4J2 =
            """
            status = warn
            appender.console.type = Console
            appender.console.name = STDOUT
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = [%d] %p %m (%c)%n
            rootLogger.level = INFO
            rootLogger.appenderRef.console.ref = STDOUT
            logger.request.name = kafka.request.logger
            logger.request.level = WARN
            """;

    private final String classpath;
    private final List<String> jvmOptions;
    private final Path dir;
    private final Path log;
    private final int port;
    /** The running broker; replaced by {@link #restart()}. */
    private volatile ChildJvm jvm;

    private ApacheKafkaBroker(String classpath, List<String> jvmOptions, Path dir, int port) {
        this.classpath = classpath;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.dir = dir;
        this.log = dir.resolve("broker.log");
        this.port = port;
    }

    /**
     * Formats and starts a broker in {@code dir} (which must exist) with {@code settings} over the single-node defaults,
     * and waits until an admin client sees it in the cluster.
     *
     * @param classpath Apache Kafka's jars, separated by the platform's path separator
     * @param jvmOptions the broker JVM's options, such as its heap
     */
    public static ApacheKafkaBroker start(
            String classpath, Path dir, List<String> jvmOptions, Map<String, String> settings)
            throws IOException, InterruptedException {
        int port = Ports.free();
        int controllerPort = Ports.free();
        Path config = dir.resolve("server.properties");
        Map<String, String> properties = singleNode(dir.resolve("data"), port, controllerPort);
        Map<String, String> rest = new LinkedHashMap<>(settings);
        String extra = rest.remove(EXTRA_LISTENERS);
        properties.putAll(rest);
        if (extra != null) {
            addListeners(properties, extra);
        }
        write(config, properties);
        Path log4j = dir.resolve("log4j2.properties");
        Files.writeString(log4j, LOG4J2);

        List<String> formatJvm = new ArrayList<>(FORMAT_JVM_OPTIONS);
        formatJvm.add("-Dlog4j2.configurationFile=" + log4j);
        ChildJvm.run(
                new ChildJvm.Launch(
                        "kafka-storage format",
                        dir,
                        classpath,
                        formatJvm,
                        "kafka.tools.StorageTool",
                        List.of(
                                "format",
                                "--standalone",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                config.toString()),
                        dir.resolve("format.log")),
                FORMAT_TIMEOUT);

        ApacheKafkaBroker broker = new ApacheKafkaBroker(classpath, jvmOptions, dir, port);
        broker.launchBroker();
        try {
            broker.awaitInCluster();
            return broker;
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /**
     * Stops the broker as {@link #close()} does (SIGTERM: a controlled shutdown) and starts it again on the same data
     * directory, config and ports, so running clients reconnect to it; returns once it has rejoined its cluster.
     */
    public void restart() throws IOException {
        jvm.close();
        launchBroker();
        awaitInCluster();
    }

    /** Runs {@code kafka.Kafka} on the config in the broker's directory, appending to {@code broker.log}. */
    private void launchBroker() throws IOException {
        List<String> brokerJvm = new ArrayList<>(jvmOptions);
        brokerJvm.add("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"));
        jvm = ChildJvm.start(new ChildJvm.Launch(
                "Apache Kafka",
                dir,
                classpath,
                brokerJvm,
                "kafka.Kafka",
                List.of(dir.resolve("server.properties").toString()),
                log));
    }

    /** Waits until the broker has joined its cluster: a bound port alone is not yet a serving KRaft broker. */
    private void awaitInCluster() throws IOException {
        try {
            jvm.awaitInCluster(bootstrap(), START_TIMEOUT);
        } catch (AssertionError e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** {@code 127.0.0.1:<port>} of its PLAINTEXT listener. */
    public String bootstrap() {
        return HOST + ":" + port;
    }

    /** The file holding its standard output and error. */
    public Path log() {
        return log;
    }

    /** Its {@code log.dirs}, one directory. */
    public Path dataDir() {
        return dir.resolve("data");
    }

    /** The last lines of the broker's output, for failure messages. */
    public String logTail() {
        return jvm.outputTail();
    }

    /** Stops the broker (SIGTERM, then SIGKILL after a grace period), keeping its directory. */
    @Override
    public void close() {
        jvm.close();
    }

    /**
     * A setting that is not Kafka's: listeners to serve besides PLAINTEXT and CONTROLLER, {@code NAME://host:port}
     * comma-separated, each named by its security protocol ({@code SSL://127.0.0.1:9093}); the ports are the caller's.
     */
    public static final String EXTRA_LISTENERS = "strata.test.extra.listeners";

    private static void addListeners(Map<String, String> properties, String extra) {
        properties.put("listeners", properties.get("listeners") + "," + extra);
        properties.put("advertised.listeners", properties.get("advertised.listeners") + "," + extra);
        StringBuilder map = new StringBuilder(properties.get("listener.security.protocol.map"));
        for (String listener : extra.split(",")) {
            String name = listener.substring(0, listener.indexOf(':'));
            map.append(',').append(name).append(':').append(name);
        }
        properties.put("listener.security.protocol.map", map.toString());
    }

    /** The node's own settings: both roles, loopback listeners, one replica of everything. */
    private static Map<String, String> singleNode(Path dataDir, int port, int controllerPort) {
        String broker = "PLAINTEXT://" + HOST + ":" + port;
        String controller = "CONTROLLER://" + HOST + ":" + controllerPort;
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", HOST + ":" + controllerPort);
        p.put("listeners", broker + "," + controller);
        p.put("advertised.listeners", broker + "," + controller);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        return p;
    }

    private static void write(Path file, Map<String, String> properties) throws IOException {
        StringBuilder out = new StringBuilder("# written by ").append(ApacheKafkaBroker.class.getName());
        out.append('\n');
        properties.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        Files.writeString(file, out);
    }
}
