package dev.strata.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Strata broker in a child JVM ({@code dev.strata.broker.StrataServer server.properties}), started the same way
 * and with the same JVM options as {@link KafkaBroker}, so that the two are compared as separate processes.
 */
public final class StrataBroker implements ManagedBroker {
    static final String MAIN_CLASS = "dev.strata.broker.StrataServer";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final BrokerProcess process;

    private StrataBroker(BrokerProcess process) {
        this.process = process;
    }

    /**
     * Starts a broker in a new directory under {@code parent}.
     *
     * @param classpath a classpath holding broker-core and its dependencies; the benchmarks' own runtime classpath
     *     does
     */
    public static StrataBroker start(String classpath, Path parent) throws IOException, InterruptedException {
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "strata-");
        int port = BrokerProcess.freePort();
        Path config = dir.resolve("server.properties");
        Files.writeString(
                config,
                "# written by dev.strata.bench.StrataBroker\n"
                        + "listeners=PLAINTEXT://" + BrokerProcess.HOST + ":" + port + "\n"
                        + "log.dirs=" + dir.resolve("data") + "\n");
        Path logback = dir.resolve("logback.xml");
        Files.writeString(logback, LOGBACK);
        List<String> jvm = new ArrayList<>(BrokerProcess.JVM_OPTIONS);
        jvm.add("-Dlogback.configurationFile=" + logback);
        return new StrataBroker(BrokerProcess.start(
                "Strata", dir, classpath, jvm, MAIN_CLASS, List.of(config.toString()), port, START_TIMEOUT));
    }

    /** INFO to the console (the broker log file), as Kafka logs by default. */
    private static final String LOGBACK =
            """
            <configuration>
              <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>[%d] %level %msg \\(%logger\\)%n</pattern></encoder>
              </appender>
              <root level="INFO"><appender-ref ref="STDOUT"/></root>
            </configuration>
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
}
