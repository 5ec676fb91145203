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
 * A broker running in a child JVM, with its output in a log file under its own temporary directory. Started, it is
 * ready: its port accepts connections and an admin client sees the broker in the cluster. {@link #close()} stops it
 * (SIGTERM, then SIGKILL after a grace period) and deletes its data, keeping config and log; a shutdown hook kills it
 * if the benchmark JVM exits first.
 */
final class BrokerProcess implements AutoCloseable {
    static final String HOST = "127.0.0.1";

    /**
     * The JVM options of both brokers, so that neither gets more memory or a different collector: Apache Kafka's own
     * defaults from {@code kafka-server-start.sh} and {@code kafka-run-class.sh}.
     */
    static final List<String> JVM_OPTIONS = List.of(
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

    private BrokerProcess(String name, Process process, Path dir, Path log, int port) {
        this.name = name;
        this.process = process;
        this.dir = dir;
        this.log = log;
        this.port = port;
        this.hook = new Thread(process::destroyForcibly, name + "-killer");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts {@code java <options> -cp classpath mainClass args} with output to {@code dir/broker.log} and waits
     * until the broker on {@code port} answers.
     */
    static BrokerProcess start(
            String name,
            Path dir,
            String classpath,
            List<String> jvmOptions,
            String mainClass,
            List<String> args,
            int port,
            Duration timeout)
            throws IOException, InterruptedException {
        Path log = dir.resolve("broker.log");
        List<String> command = javaCommand(classpath, jvmOptions, mainClass, args);
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        BrokerProcess broker = new BrokerProcess(name, process, dir, log, port);
        try {
            broker.awaitReady(timeout);
            return broker;
        } catch (IOException | InterruptedException | RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /** Runs a tool to completion in a child JVM (Kafka's storage format); fails with its output if it fails. */
    static void runTool(
            Path dir, String classpath, List<String> jvmOptions, String mainClass, List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "tool", ".log");
        Process p = new ProcessBuilder(javaCommand(classpath, jvmOptions, mainClass, args))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(mainClass + " did not finish within " + timeout + ":\n" + Files.readString(out));
        }
        if (p.exitValue() != 0) {
            throw new IOException(
                    mainClass + " failed with exit code " + p.exitValue() + ":\n" + Files.readString(out));
        }
    }

    private static List<String> javaCommand(
            String classpath, List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(args);
        return command;
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

    String bootstrap() {
        return HOST + ":" + port;
    }

    Path log() {
        return log;
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!answers()) {
            checkAlive(deadline, "its port " + port + " to answer");
            Thread.sleep(100);
        }
        // A bound port is not yet a serving broker: KRaft brokers accept before they have joined the cluster.
        try (Admin admin = BenchTopic.admin(bootstrap())) {
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

    private boolean answers() {
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

    @Override
    public void close() {
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
        deleteData();
    }

    /** Deletes the broker's data ({@code dir/data}); its config and log stay for a post-mortem. */
    private void deleteData() {
        Path data = dir.resolve("data");
        if (!Files.exists(data)) {
            return;
        }
        try (Stream<Path> files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(BrokerProcess::deleteQuietly);
        } catch (IOException e) {
            System.err.println("warning: cannot delete " + data + ": " + e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("warning: cannot delete " + p + ": " + e);
        }
    }
}
