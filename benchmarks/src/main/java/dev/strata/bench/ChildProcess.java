package dev.strata.bench;

import dev.strata.testing.ChildJvm;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A server running in a child JVM (a broker, or S3Proxy; a {@link ChildJvm}), with its output in a log file under its
 * own directory. Started, it is ready: its port accepts connections and, for a broker, an admin client sees the broker
 * in the cluster. {@link #stop()} stops it (SIGTERM, then SIGKILL after a grace period) and keeps its data, so that it
 * can be started again over it; {@link #close()} stops it and deletes its data, keeping config and log. A shutdown
 * hook kills it if the benchmark JVM exits first.
 */
final class ChildProcess implements AutoCloseable {
    static final String HOST = Ports.HOST;

    /**
     * The JVM options of both brokers, so that neither gets more memory or a different collector: Apache Kafka's own
     * defaults from {@code kafka-server-start.sh} and {@code kafka-run-class.sh}, plus {@code -XX:+AlwaysPreTouch}. A
     * fresh JVM otherwise pays a page fault for every heap page it touches the first time (1 GiB took 2.1 s here), and
     * a replay from the remote tier, which reads into the heap, ran at half speed on a fresh broker for that alone
     * (192-224 MB/s against 355-364 MB/s pre-touched): a long-running broker has touched its heap long before.
     */
    static final List<String> BROKER_JVM_OPTIONS = List.of(
            "-Xms1g",
            "-Xmx1g",
            "-XX:+AlwaysPreTouch",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    private final ChildJvm jvm;
    private final Path dir;
    private final int port;

    private ChildProcess(ChildJvm jvm, Path dir, int port) {
        this.jvm = jvm;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts {@code java <options> -cp classpath mainClass args} with output appended to {@code dir/<logName>} and
     * waits until the broker on {@code port} answers and lists itself in the cluster.
     */
    static ChildProcess startBroker(Launch launch, int port, Duration timeout) throws IOException {
        ChildProcess child = launch(launch, port);
        child.awaitBroker(timeout);
        return child;
    }

    /** Like {@link #startBroker}, for a server that is ready once its port accepts connections. */
    static ChildProcess startServer(Launch launch, int port, Duration timeout) throws IOException {
        ChildProcess child = launch(launch, port);
        try {
            child.jvm.awaitListening(port, timeout);
            return child;
        } catch (AssertionError e) {
            child.close();
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Starts the process without waiting for it: for the nodes of a cluster, none of which is ready before a quorum of
     * them runs, and for timing a start from its first instant. {@link #awaitBroker} then waits for it.
     */
    static ChildProcess launch(Launch launch, int port) throws IOException {
        return new ChildProcess(ChildJvm.start(launch.jvm()), launch.dir(), port);
    }

    /** Waits until a {@link #launch launched} broker answers and lists itself in the cluster; stops it if not. */
    void awaitBroker(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            jvm.awaitListening(port, timeout);
            jvm.awaitInCluster(address(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (AssertionError e) {
            stop();
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Runs a tool to completion in a child JVM (Kafka's storage format); fails with its output if it fails. */
    static void runTool(Launch launch, Duration timeout) throws IOException, InterruptedException {
        ChildJvm.run(launch.jvm(), timeout);
    }

    /**
     * The classpath in a file that Maven's {@code dependency:build-classpath} wrote.
     *
     * @param howToBuild the command that writes it, for the message when it is missing
     */
    static String readClasspath(Path file, String howToBuild) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("No classpath file at " + file.toAbsolutePath()
                    + "; `bin/strata bench ...` writes it," + " or by hand: " + howToBuild);
        }
        return Files.readString(file).trim();
    }

    /** {@code 127.0.0.1:<port>}. */
    String address() {
        return HOST + ":" + port;
    }

    Path log() {
        return jvm.outputFile();
    }

    /** The directory of its data, {@code dir/data}: what {@link #close()} deletes. */
    Path dataDir() {
        return dir.resolve("data");
    }

    /** The CPU time the process has used so far. */
    Duration cpuTime() {
        return jvm.cpuTime();
    }

    /** Whether the process still runs. */
    boolean alive() {
        return jvm.isAlive();
    }

    /** Whether its port accepts a connection now. */
    boolean answers() {
        return Ports.listens(port, 200);
    }

    /** Kills the process at once, as {@code kill -9} does, and keeps its data. */
    void kill() {
        try {
            jvm.kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the process and keeps its data. */
    void stop() {
        jvm.close();
    }

    /** Stops the process and deletes its data ({@code dir/data}); its config and log stay for a post-mortem. */
    @Override
    public void close() {
        stop();
        deleteTree(dataDir());
    }

    /** Deletes {@code dir} and everything in it, warning about what cannot be deleted. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(ChildProcess::deleteQuietly);
        } catch (IOException e) {
            System.err.println("warning: cannot delete " + dir + ": " + e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("warning: cannot delete " + p + ": " + e);
        }
    }

    /**
     * How to start a child JVM: {@code java <jvmOptions> -cp classpath mainClass args} in {@code dir}, its output
     * appended to {@code dir/logName}.
     *
     * @param name what it is, for messages
     */
    record Launch(
            String name,
            Path dir,
            String classpath,
            List<String> jvmOptions,
            String mainClass,
            List<String> args,
            String logName) {

        ChildJvm.Launch jvm() {
            return new ChildJvm.Launch(name, dir, classpath, jvmOptions, mainClass, args, dir.resolve(logName));
        }
    }
}
