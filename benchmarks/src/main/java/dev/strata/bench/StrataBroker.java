package dev.strata.bench;

import dev.strata.testing.ApacheKafkaBroker;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Strata broker in a child JVM ({@code dev.strata.broker.StrataServer server.properties}), started the same way
 * and with the same JVM options as {@link KafkaBroker}, so that the two are compared as separate processes. It can be
 * restarted over its data, on the same port (a cold start: empty chunk cache, fresh JIT).
 */
public final class StrataBroker implements ManagedBroker {
    static final String MAIN_CLASS = "dev.strata.broker.StrataServer";
    // generous: a broker restarted after kill -9 recovers its logs, and a loaded machine (the soak at cycle 79 of 100
    // with 750 local segments a partition after the S3 outage) took more than 90 s
    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

    private final ChildProcess.Launch launch;
    private final int port;
    private ChildProcess process;

    private StrataBroker(ChildProcess.Launch launch, int port, ChildProcess process) {
        this.launch = launch;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a broker in a new directory under {@code parent}.
     *
     * @param classpath a classpath holding broker-core and its dependencies; the benchmarks' own runtime classpath
     *     does
     */
    public static StrataBroker start(String classpath, Path parent) throws IOException, InterruptedException {
        return start(classpath, parent, Map.of());
    }

    /**
     * Starts a broker in a new directory under {@code parent}.
     *
     * @param overrides settings added to the listener and log dir, such as {@link S3Tier#brokerConfigs()}
     */
    static StrataBroker start(String classpath, Path parent, Map<String, String> overrides)
            throws IOException, InterruptedException {
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, "strata-");
        int port = Ports.free();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", "PLAINTEXT://" + ChildProcess.HOST + ":" + port);
        p.put("log.dirs", dir.resolve("data").toString());
        p.putAll(overrides);
        String extra = p.remove(ApacheKafkaBroker.EXTRA_LISTENERS);
        if (extra != null) {
            p.put("listeners", p.get("listeners") + "," + extra); // each named by its protocol, as Kafka's map has
        }
        StringBuilder config = new StringBuilder("# written by dev.strata.bench.StrataBroker\n");
        p.forEach((k, v) -> config.append(k).append('=').append(v).append('\n'));
        Path configFile = dir.resolve("server.properties");
        Files.writeString(configFile, config);
        Path logback = dir.resolve("logback.xml");
        Files.writeString(logback, LOGBACK);
        List<String> jvm = new ArrayList<>(ChildProcess.BROKER_JVM_OPTIONS);
        jvm.add("-Dlogback.configurationFile=" + logback);
        ChildProcess.Launch launch = new ChildProcess.Launch(
                "Strata", dir, classpath, jvm, MAIN_CLASS, List.of(configFile.toString()), "broker.log");
        return new StrataBroker(launch, port, ChildProcess.startBroker(launch, port, START_TIMEOUT));
    }

    /** Stops the broker, keeping its data, and starts it again on the same port; its log continues. */
    void restart() throws IOException, InterruptedException {
        process.stop();
        process = ChildProcess.startBroker(launch, port, START_TIMEOUT);
    }

    /** Kills the broker ({@code kill -9}), keeping its data, and starts it again on the same port. */
    void killAndRestart() throws IOException, InterruptedException {
        process.kill();
        process = ChildProcess.startBroker(launch, port, START_TIMEOUT);
    }

    /** Stops the broker with SIGTERM, keeping its data; {@link #launch()} starts it again. */
    void stop() {
        process.stop();
    }

    /** Starts the stopped broker again on the same port without waiting for it: to time a start from its first instant. */
    void launch() throws IOException {
        process = ChildProcess.launch(launch, port);
    }

    /** Whether its port accepts connections now. */
    boolean answers() {
        return process.answers();
    }

    /** The CPU time the broker's current process has used so far. */
    Duration cpuTime() {
        return process.cpuTime();
    }

    /** Waits until a {@link #launch() launched} broker serves. */
    void awaitStarted() throws IOException, InterruptedException {
        process.awaitBroker(START_TIMEOUT);
    }

    /** INFO to the console (the broker log file), as Kafka logs by default. */
    static final String LOGBACK =
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
}
