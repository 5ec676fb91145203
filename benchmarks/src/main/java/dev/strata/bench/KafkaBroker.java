package dev.strata.bench;

import dev.strata.testing.ApacheKafkaBroker;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Apache Kafka 4.3 as the comparison broker: the single-node KRaft broker of the test fixtures
 * ({@link ApacheKafkaBroker}, the one the S3 backend's plugin test runs) with the same JVM options as the Strata broker,
 * in a new directory whose data {@link #close()} deletes. The classpath comes from the file
 * {@code remote-storage-s3/apache-kafka/pom.xml} writes ({@code benchmarks/target/apache-kafka-classpath.txt}), so
 * Kafka's jars never share a JVM with Strata's.
 */
public final class KafkaBroker implements ManagedBroker {
    /** The classpath file's place relative to the repository root, where the build writes it. */
    public static final Path DEFAULT_CLASSPATH_FILE = Path.of("benchmarks", "target", "apache-kafka-classpath.txt");

    /**
     * The runtime dependencies of Strata's S3 backend (the AWS SDK), relative to the repository root: the list its
     * {@code package} writes for a plugin directory, the one {@code ApacheKafkaPluginIT} installs.
     */
    static final Path S3_PLUGIN_CLASSPATH_FILE = Path.of("remote-storage-s3", "target", "plugin-runtime-classpath.txt");

    private final ApacheKafkaBroker broker;

    private KafkaBroker(ApacheKafkaBroker broker) {
        this.broker = broker;
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
        return new KafkaBroker(ApacheKafkaBroker.start(classpath, dir, ChildProcess.BROKER_JVM_OPTIONS, overrides));
    }

    /**
     * The settings that make Apache Kafka tier to {@code tier} through Strata's S3 backend: the backend and its
     * AWS SDK are loaded from {@code pluginClasspath} by Kafka's own child-first plugin class loader
     * ({@code remote.log.storage.manager.class.path}), as {@code remote-storage-s3/README.md} tells users to install
     * it; remote log metadata goes to Kafka's default {@code TopicBasedRemoteLogMetadataManager}, whose topic has
     * replication factor 1 on one node.
     */
    static Map<String, String> tieringConfigs(S3Tier tier, String pluginClasspath) {
        return tieringConfigs(tier.brokerConfigs(), pluginClasspath);
    }

    /**
     * The settings that make Apache Kafka tier through the backend {@code tierConfigs} name (such as
     * {@link DirectoryTier#brokerConfigs()}), loaded from {@code pluginClasspath}; remote log metadata as above.
     */
    static Map<String, String> tieringConfigs(Map<String, String> tierConfigs, String pluginClasspath) {
        Map<String, String> c = new LinkedHashMap<>(tierConfigs);
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
        return codeSource(S3Tier.STORAGE_MANAGER) + File.pathSeparator + dependencies;
    }

    /** The jar or classes directory this JVM loads {@code className} from. */
    static Path codeSource(String className) throws IOException {
        try {
            Class<?> c = Class.forName(className, false, KafkaBroker.class.getClassLoader());
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (ClassNotFoundException | URISyntaxException e) {
            throw new IOException(className + " is not on this JVM's classpath: " + e, e);
        }
    }

    @Override
    public String bootstrap() {
        return broker.bootstrap();
    }

    @Override
    public Path log() {
        return broker.log();
    }

    @Override
    public Path dataDir() {
        return broker.dataDir();
    }

    @Override
    public void close() {
        broker.close();
        ChildProcess.deleteTree(broker.dataDir());
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
