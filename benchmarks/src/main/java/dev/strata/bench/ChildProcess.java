package dev.strata.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;

/**
 * A server running in a child JVM (a broker, or S3Proxy), with its output in a log file under its own directory.
 * Started, it is ready: its port accepts connections and, for a broker, an admin client sees the broker in the
 * cluster. {@link #stop()} stops it (SIGTERM, then SIGKILL after a grace period) and keeps its data, so that it can
 * be started again over it; {@link #close()} stops it and deletes its data, keeping config and log. A shutdown hook
 * kills it if the benchmark JVM exits first.
 */
final class ChildProcess implements AutoCloseable {
    static final String HOST = "127.0.0.1";

    /**
     * The JVM options of both brokers, so that neither gets more memory or a different collector: Apache Kafka's own
     * defaults from {@code kafka-server-start.sh} and {@code kafka-run-class.sh}.
     */
    static final List<String> BROKER_JVM_OPTIONS = List.of(
            "-Xms1g",
            "-Xmx1g",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private final String name;
    private final Process process;
    private final Path dir;
    private final Path log;
    private final int port;
    private final Thread hook;

    private ChildProcess(String name, Process process, Path dir, Path log, int port) {
        this.name = name;
        this.process = process;
        this.dir = dir;
        this.log = log;
        this.port = port;
        this.hook = new Thread(process::destroyForcibly, name + "-killer");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts {@code java <options> -cp classpath mainClass args} with output appended to {@code dir/<logName>} and
     * waits until the broker on {@code port} answers and lists itself in the cluster.
     */
    static ChildProcess startBroker(Launch launch, int port, Duration timeout)
            throws IOException, InterruptedException {
        return start(launch, port, timeout, true);
    }

    /** Like {@link #startBroker}, for a server that is ready once its port accepts connections. */
    static ChildProcess startServer(Launch launch, int port, Duration timeout)
            throws IOException, InterruptedException {
        return start(launch, port, timeout, false);
    }

    private static ChildProcess start(Launch launch, int port, Duration timeout, boolean kafkaProtocol)
            throws IOException, InterruptedException {
        ChildProcess child = launch(launch, port);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            child.awaitPort(deadline);
            if (kafkaProtocol) {
                child.awaitCluster(deadline);
            }
            return child;
        } catch (IOException | InterruptedException | RuntimeException e) {
            child.close();
            throw e;
        }
    }

    /**
     * Starts the process without waiting for it: for the nodes of a cluster, none of which is ready before a quorum of
     * them runs, and for timing a start from its first instant. {@link #awaitBroker} then waits for it.
     */
    static ChildProcess launch(Launch launch, int port) throws IOException {
        Path log = launch.dir().resolve(launch.logName());
        Process process = new ProcessBuilder(launch.command())
                .directory(launch.dir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new ChildProcess(launch.name(), process, launch.dir(), log, port);
    }

    /** Waits until a {@link #launch launched} broker answers and lists itself in the cluster; stops it if not. */
    void awaitBroker(Duration timeout) throws IOException, InterruptedException {
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            awaitPort(deadline);
            awaitCluster(deadline);
        } catch (IOException | InterruptedException | RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** Runs a tool to completion in a child JVM (Kafka's storage format); fails with its output if it fails. */
    static void runTool(Launch launch, Duration timeout) throws IOException, InterruptedException {
        Path out = launch.dir().resolve(launch.logName());
        Process p = new ProcessBuilder(launch.command())
                .directory(launch.dir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(launch.name() + " did not finish within " + timeout + ":\n" + Files.readString(out));
        }
        if (p.exitValue() != 0) {
            throw new IOException(
                    launch.name() + " failed with exit code " + p.exitValue() + ":\n" + Files.readString(out));
        }
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

    /** A loopback port nobody listens on right now. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(HOST, 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    /** {@code 127.0.0.1:<port>}. */
    String address() {
        return HOST + ":" + port;
    }

    Path log() {
        return log;
    }

    /** The directory of its data, {@code dir/data}: what {@link #close()} deletes. */
    Path dataDir() {
        return dir.resolve("data");
    }

    /** Whether the process still runs. */
    boolean alive() {
        return process.isAlive();
    }

    void awaitPort(long deadline) throws IOException, InterruptedException {
        while (!answers()) {
            checkAlive(deadline, "its port " + port + " to answer");
            Thread.sleep(100);
        }
    }

    /** A bound port is not yet a serving broker: KRaft brokers accept before they have joined the cluster. */
    private void awaitCluster(long deadline) throws IOException, InterruptedException {
        try (Admin admin = BenchTopic.admin(address())) {
            while (true) {
                try {
                    if (!admin.describeCluster()
                            .nodes()
                            .get(5, TimeUnit.SECONDS)
                            .isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not ready yet
                }
                checkAlive(deadline, "the cluster to list it");
                Thread.sleep(200);
            }
        }
    }

    private void checkAlive(long deadline, String waitingFor) throws IOException {
        if (!process.isAlive()) {
            throw new IOException(name + " exited with code " + process.exitValue() + " before " + waitingFor + "; log "
                    + log + ":\n" + tail());
        }
        if (System.nanoTime() > deadline) {
            throw new IOException(
                    name + " did not start: timed out waiting for " + waitingFor + "; log " + log + ":\n" + tail());
        }
    }

    /** Whether its port accepts a connection now. */
    boolean answers() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read the log: " + e + ")";
        }
    }

    /** Kills the process at once, as {@code kill -9} does, and keeps its data. */
    void kill() {
        try {
            process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs anyway
            }
        }
    }

    /** Stops the process and keeps its data. */
    void stop() {
        try {
            process.destroy();
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("warning: " + name + " did not stop within " + STOP_GRACE + "; killing it");
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs anyway
            }
        }
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

        List<String> command() {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(classpath);
            command.add(mainClass);
            command.addAll(args);
            return command;
        }
    }
}
