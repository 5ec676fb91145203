package dev.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of a benchmark that runs Apache Kafka and Strata one after the other, each in a child JVM without
 * tiering: which brokers, and where Kafka's classpath is ({@code bench quota}, {@code bench tls}).
 */
final class BrokerChoice {
    @Option(
            names = "--brokers",
            split = ",",
            description = "kafka, strata, or one of them (default: ${DEFAULT-VALUE}).",
            defaultValue = "kafka,strata")
    List<String> brokers;

    @Option(
            names = "--kafka-classpath",
            description = "Apache Kafka's classpath file (default: benchmarks/target/apache-kafka-classpath.txt).")
    Path kafkaClasspath;

    /** The brokers to run, in order, lower case. */
    List<String> names() {
        return brokers.stream().map(b -> b.trim().toLowerCase(Locale.ROOT)).toList();
    }

    /** Starts {@code broker} ({@code kafka} or {@code strata}) in a new directory under {@code work}. */
    ManagedBroker start(String broker, String strataClasspath, Path work, Map<String, String> settings)
            throws Exception {
        Files.createDirectories(work);
        return switch (broker) {
            case "kafka" -> KafkaBroker.start(
                    Compare.classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE), work, settings);
            case "strata" -> StrataBroker.start(strataClasspath, work, settings);
            default -> throw new IllegalArgumentException("--brokers takes kafka, strata or both, not " + broker);
        };
    }
}
