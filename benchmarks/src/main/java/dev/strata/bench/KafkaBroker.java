package dev.strata.bench;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.Uuid;

/**
 * Apache Kafka 4.3 as the comparison broker: one node in KRaft combined mode (broker and controller), run from the
 * Maven Central jars in a child JVM on free loopback ports. The classpath comes from the file
 * {@code remote-storage-s3/apache-kafka/pom.xml} writes ({@code benchmarks/target/apache-kafka-classpath.txt}), so Kafka's jars never
 * share a JVM with Strata's.
 *
 * <p>Startup is what {@code kafka-storage.sh format --standalone} and {@code kafka-server-start.sh} do: format the
 * log dir with a fresh cluster id and the node as the only voter, then run {@code kafka.Kafka}.
 */
public final class KafkaBroker implements ManagedBroker {
    /** The classpath file's place relative to the repository root, where the build writes it. */
    public static final Path DEFAULT_CLASSPATH_FILE = Path.of("benchmarks", "target", "apache-kafka-classpath.txt");

    /**
     * The runtime dependencies of Strata's S3 backend (the AWS SDK), relative to the repository root: the list its
     * {@code package} writes for a plugin directory, the one {@code ApacheKafkaPluginIT} installs.
     */
    static final Path S3_PLUGIN_CLASSPATH_FILE = Path.of("remote-storage-s3", "target", "plugin-runtime-classpath.txt");

    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final ChildProcess process;

    private KafkaBroker(ChildProcess process) {
        this.process = process;
    }

    /** Formats and starts a broker in a new directory under {@code parent}. */
    public static KafkaBroker start(Path classpathFile, Path parent) throws IOException, InterruptedException {
        return start(classpathFile, parent, Map.of());
    }

    /**
     * Formats and starts a broker in a new directory under {@code parent}.
     *
     * @param overrides settings added to (or replacing) the single-node ones, such as {@link #tieringConfigs}
     */
    static KafkaBroker start(Path classpathFile, Path parent, Map<String, String> overrides)
            throws IOException, InterruptedException {
        String classpath = ChildProcess.readClasspath(
                classpathFile,
                "mvn -B -q -f remote-storage-s3/apache-kafka/pom.xml"
                        + " -Dkafka.classpath.file=$PWD/benchmarks/target/apache-kafka-classpath.txt validate");
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "apache-kafka-");
        int port = ChildProcess.freePort();
        int controllerPort = ChildProcess.freePort();
        Path config = dir.resolve("server.properties");
        Files.writeString(config, serverProperties(dir.resolve("data"), port, controllerPort, overrides));
        Path log4j = dir.resolve("log4j2.properties");
        Files.writeString(log4j, LOG4J2);
        List<String> jvm = new ArrayList<>(ChildProcess.BROKER_JVM_OPTIONS);
        jvm.add("-Dlog4j2.configurationFile=" + log4j);
        ChildProcess.runTool(
                new ChildProcess.Launch(
                        "Apache Kafka's StorageTool format",
                        dir,
                        classpath,
                        List.of("-Xmx256m", "-Dlog4j2.configurationFile=" + log4j),
                        "kafka.tools.StorageTool",
                        List.of(
                                "format",
                                "--standalone",
                                "-t",
                                Uuid.randomUuid().toString(),
                                "-c",
                                config.toString()),
                        "format.log"),
                FORMAT_TIMEOUT);
        return new KafkaBroker(ChildProcess.startBroker(
                new ChildProcess.Launch(
                        "Apache Kafka", dir, classpath, jvm, "kafka.Kafka", List.of(config.toString()), "broker.log"),
                port,
                START_TIMEOUT));
    }

    /**
     * The settings that make Apache Kafka tier to {@code tier} through Strata's S3 backend: the backend and its
     * AWS SDK are loaded from {@code pluginClasspath} by Kafka's own child-first plugin class loader
     * ({@code remote.log.storage.manager.class.path}), as {@code remote-storage-s3/README.md} tells users to install
     * it; remote log metadata goes to Kafka's default {@code TopicBasedRemoteLogMetadataManager}, whose topic has
     * replication factor 1 on one node.
     */
    static Map<String, String> tieringConfigs(S3Tier tier, String pluginClasspath) {
        Map<String, String> c = new LinkedHashMap<>(tier.brokerConfigs());
        c.put("remote.log.storage.manager.class.path", pluginClasspath);
        c.put("remote.log.metadata.manager.listener.name", "PLAINTEXT");
        c.put("rlmm.config.remote.log.metadata.topic.replication.factor", "1");
        // local retention starts after this delay (default 30 s), then runs every log.retention.check.interval.ms
        c.put("log.initial.task.delay.ms", S3Tier.TASK_INTERVAL_MS);
        return c;
    }

    /**
     * Strata's S3 backend as Apache Kafka loads it: the jar (or classes directory) this JVM loads the backend from,
     * then its runtime dependencies from {@code dependenciesFile}. Those leave out what the backend declares
     * {@code provided} (Kafka's storage API, kafka-clients, slf4j), which must come from the broker.
     */
    static String s3PluginClasspath(Path dependenciesFile) throws IOException {
        String dependencies =
                ChildProcess.readClasspath(dependenciesFile, "mvn -B -q -pl remote-storage-s3 -am package -DskipTests");
        try {
            Class<?> backend = Class.forName(S3Tier.STORAGE_MANAGER, false, KafkaBroker.class.getClassLoader());
            Path location = Path.of(
                    backend.getProtectionDomain().getCodeSource().getLocation().toURI());
            return location + File.pathSeparator + dependencies;
        } catch (ClassNotFoundException | URISyntaxException e) {
            throw new IOException("Strata's S3 backend is not on this JVM's classpath: " + e, e);
        }
    }

    /** One node, both roles; every internal topic with replication factor and min ISR 1, as one node needs. */
    static String serverProperties(Path dataDir, int port, int controllerPort, Map<String, String> overrides) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", ChildProcess.HOST + ":" + controllerPort);
        p.put(
                "listeners",
                "PLAINTEXT://" + ChildProcess.HOST + ":" + port + ",CONTROLLER://" + ChildProcess.HOST + ":"
                        + controllerPort);
        p.put(
                "advertised.listeners",
                "PLAINTEXT://" + ChildProcess.HOST + ":" + port + ",CONTROLLER://" + ChildProcess.HOST + ":"
                        + controllerPort);
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
        p.putAll(overrides);
        StringBuilder out = new StringBuilder("# written by dev.strata.bench.KafkaBroker\n");
        p.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        return out.toString();
    }

    /** Kafka's own default: INFO to the console (here the broker log file), request logging off. */
    private static final String LOG4J2 =
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

    @Override
    public String bootstrap() {
        return process.address();
    }

    @Override
    public Path log() {
        return process.log();
    }

    @Override
    public Path dataDir() {
        return process.dataDir();
    }

    @Override
    public void close() {
        process.close();
    }

    /** Starts Apache Kafka and keeps it up until Ctrl-C: {@code KafkaBroker [classpath-file] [work-dir]}. */
    public static void main(String[] args) throws Exception {
        Path classpath = args.length > 0 ? Path.of(args[0]) : DEFAULT_CLASSPATH_FILE;
        Path work = args.length > 1 ? Path.of(args[1]) : Path.of(System.getProperty("java.io.tmpdir"));
        KafkaBroker broker = start(classpath, work);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }));
        System.out.println("Apache Kafka listening on " + broker.bootstrap() + "; log " + broker.log());
        stopped.await();
    }
}
