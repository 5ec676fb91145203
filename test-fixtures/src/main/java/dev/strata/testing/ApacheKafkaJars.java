package dev.strata.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Apache Kafka 4.3.1's own jars for tests that run it beside Strata ({@link ApacheKafkaBroker}): resolved once per build
 * through the standalone {@code remote-storage-s3/apache-kafka/pom.xml} with the Maven that runs the build (offline
 * when it is), and listed in a file that later tests reuse. The module's failsafe configuration names the pom, the
 * file, Maven's home and whether the build is offline in system properties {@code strata.apache.kafka.pom},
 * {@code strata.apache.kafka.classpath.file}, {@code strata.maven.home} and {@code strata.maven.offline}.
 */
public final class ApacheKafkaJars {

    private ApacheKafkaJars() {}

    /** Apache Kafka's jars, separated by the platform's path separator, for {@link ApacheKafkaBroker#start}. */
    public static String classpath() throws IOException, InterruptedException {
        return Files.readString(classpathFile()).trim();
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
