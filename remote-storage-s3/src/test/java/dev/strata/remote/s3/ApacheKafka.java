package dev.strata.remote.s3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Apache Kafka 4.3.1 for other modules' tests (through this module's test jar): a public door to the package-private
 * {@link ApacheKafkaBroker}, plus the one-time resolution of Kafka's jars that {@code ApacheKafkaPluginIT} uses too.
 *
 * <p>Temporary: when the launcher moves to a shared test-fixtures module with a public API, this class goes there.
 */
public final class ApacheKafka implements AutoCloseable {

    private final ApacheKafkaBroker broker;

    private ApacheKafka(ApacheKafkaBroker broker) {
        this.broker = broker;
    }

    /**
     * Resolves Kafka's classpath if this build has not yet (system properties {@code strata.apache.kafka.*}, set by
     * failsafe), then formats and starts one KRaft node in {@code dir} with {@code settings} over its single-node
     * defaults.
     */
    public static ApacheKafka start(Path dir, Map<String, String> settings) throws IOException, InterruptedException {
        return new ApacheKafka(ApacheKafkaBroker.start(classpathFile(), dir, settings));
    }

    public String bootstrap() {
        return broker.bootstrap();
    }

    /** The last lines of the broker's output, for failure messages. */
    public String logTail() {
        return broker.logTail();
    }

    @Override
    public void close() {
        broker.close();
    }

    /**
     * The file listing Apache Kafka's jars, resolved through {@code apache-kafka/pom.xml} with the Maven that runs the
     * build if this build has not written it yet.
     */
    static Path classpathFile() throws IOException, InterruptedException {
        Path file = Path.of(property("strata.apache.kafka.classpath.file"));
        if (Files.isRegularFile(file) && Files.size(file) > 0) {
            return file;
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(property("strata.maven.home"), "bin", "mvn").toString());
        command.add("-B");
        command.add("-q");
        if (property("strata.maven.offline").equals("offline=true")) {
            command.add("-o");
        }
        command.add("-f");
        command.add(property("strata.apache.kafka.pom"));
        command.add("-Dkafka.classpath.file=" + file);
        command.add("validate");
        Path output = file.resolveSibling("apache-kafka-resolve.log");
        Process maven = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!maven.waitFor(5, TimeUnit.MINUTES)) {
            maven.destroyForcibly();
            throw new IOException("Resolving Apache Kafka's jars took over 5 minutes; see " + output);
        }
        if (maven.exitValue() != 0 || !Files.isRegularFile(file)) {
            throw new IOException("Could not resolve Apache Kafka's jars (" + String.join(" ", command) + "):\n"
                    + Files.readString(output));
        }
        return file;
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("System property " + name + " is not set; run this test through Maven's"
                    + " failsafe plugin (`mvn -B verify -pl broker-core -am -Dit.test=...`)");
        }
        return value;
    }
}
