package dev.strata.bench;

import java.io.IOException;
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
 * {@code apache-kafka/pom.xml} writes ({@code benchmarks/target/apache-kafka-classpath.txt}), so Kafka's jars never
 * share a JVM with Strata's.
 *
 * <p>Startup is what {@code kafka-storage.sh format --standalone} and {@code kafka-server-start.sh} do: format the
 * log dir with a fresh cluster id and the node as the only voter, then run {@code kafka.Kafka}.
 */
public final class KafkaBroker implements ManagedBroker {
    /** The classpath file's place relative to the repository root, where the build writes it. */
    public static final Path DEFAULT_CLASSPATH_FILE = Path.of("benchmarks", "target", "apache-kafka-classpath.txt");

    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final BrokerProcess process;

    private KafkaBroker(BrokerProcess process) {
        this.process = process;
    }

    /** Formats and starts a broker in a new directory under {@code parent}. */
    public static KafkaBroker start(Path classpathFile, Path parent) throws IOException, InterruptedException {
        String classpath = readClasspath(classpathFile);
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "apache-kafka-");
        int port = BrokerProcess.freePort();
        int controllerPort = BrokerProcess.freePort();
        Path config = dir.resolve("server.properties");
        Files.writeString(config, serverProperties(dir.resolve("data"), port, controllerPort));
        Path log4j = dir.resolve("log4j2.properties");
        Files.writeString(log4j, LOG4J2);
        List<String> jvm = new ArrayList<>(BrokerProcess.JVM_OPTIONS);
        jvm.add("-Dlog4j2.configurationFile=" + log4j);
        BrokerProcess.runTool(
                dir,
                classpath,
                List.of("-Xmx256m", "-Dlog4j2.configurationFile=" + log4j),
                "kafka.tools.StorageTool",
                List.of("format", "--standalone", "-t", Uuid.randomUuid().toString(), "-c", config.toString()),
                FORMAT_TIMEOUT);
        return new KafkaBroker(BrokerProcess.start(
                "Apache Kafka", dir, classpath, jvm, "kafka.Kafka", List.of(config.toString()), port, START_TIMEOUT));
    }

    static String readClasspath(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "No Apache Kafka classpath file at " + file.toAbsolutePath() + "; build it with "
                            + "`mvn -B -o -q -pl benchmarks -am package -DskipTests` (it runs benchmarks/apache-kafka/pom.xml)");
        }
        return Files.readString(file).trim();
    }

    /** One node, both roles; every internal topic with replication factor and min ISR 1, as one node needs. */
    static String serverProperties(Path dataDir, int port, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", BrokerProcess.HOST + ":" + controllerPort);
        p.put(
                "listeners",
                "PLAINTEXT://" + BrokerProcess.HOST + ":" + port + ",CONTROLLER://" + BrokerProcess.HOST + ":"
                        + controllerPort);
        p.put(
                "advertised.listeners",
                "PLAINTEXT://" + BrokerProcess.HOST + ":" + port + ",CONTROLLER://" + BrokerProcess.HOST + ":"
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
        return process.bootstrap();
    }

    @Override
    public Path log() {
        return process.log();
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
