package dev.strata.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * A server or tool in a JVM of its own ({@code java <options> -cp <classpath> <main> <args>}), its standard output and
 * error appended to one file, quoted when it fails to start. The one launcher behind the tests' Strata brokers, the
 * Apache Kafka broker they compare with, and the benchmarks' children. A shutdown hook kills the child if the parent
 * JVM exits first.
 */
public final class ChildJvm implements AutoCloseable {
    /** How long {@link #close()} waits after SIGTERM before {@code kill -9}. */
    public static final Duration STOP_GRACE = Duration.ofSeconds(30);

    /**
     * What to run: {@code java <jvmOptions> -cp classpath mainClass args}, in {@code workDir} (null: this JVM's working
     * directory), output appended to {@code output}.
     *
     * @param name what it is, for messages
     */
    public record Launch(
            String name,
            Path workDir,
            String classpath,
            List<String> jvmOptions,
            String mainClass,
            List<String> args,
            Path output) {

        /** This JVM's classpath: the child runs the classes the test or benchmark runs. */
        public static String ownClasspath() {
            return System.getProperty("java.class.path");
        }

        public List<String> command() {
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

    private final String name;
    private final Process process;
    private final Path output;
    private final Thread killer;

    private ChildJvm(String name, Process process, Path output) {
        this.name = name;
        this.process = process;
        this.output = output;
        this.killer = new Thread(process::destroyForcibly, name + "-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts the child without waiting for it to be ready. */
    public static ChildJvm start(Launch launch) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(launch.command())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(launch.output().toFile()));
        if (launch.workDir() != null) {
            builder.directory(launch.workDir().toFile());
        }
        return new ChildJvm(launch.name(), builder.start(), launch.output());
    }

    /** Runs a tool to completion; fails with its output if it fails or does not finish within {@code timeout}. */
    public static void run(Launch launch, Duration timeout) throws IOException, InterruptedException {
        try (ChildJvm tool = start(launch)) {
            int exit = tool.awaitExit(timeout);
            if (exit != 0) {
                throw new IOException(launch.name() + " failed with exit code " + exit + ":\n" + tool.output());
            }
        } catch (AssertionError timedOut) {
            throw new IOException(timedOut.getMessage(), timedOut);
        }
    }

    /** Writes {@code properties} as a properties file, for a child's configuration. */
    public static Path writeProperties(Path file, Properties properties) throws IOException {
        try (var writer = Files.newBufferedWriter(file)) {
            properties.store(writer, null);
        }
        return file;
    }

    /**
     * Waits until {@code ready} holds; fails early, quoting the output, if the child exits, and with
     * {@code AssertionError} at {@code timeout}.
     */
    public void awaitReady(Duration timeout, String waitingFor, BooleanSupplier ready) {
        Await.until(
                timeout,
                name + " " + waitingFor,
                () -> {
                    if (!process.isAlive()) {
                        throw new AssertionError(name + " exited with " + process.exitValue() + " before " + waitingFor
                                + "; output " + output + ":\n" + outputTail());
                    }
                    return ready.getAsBoolean();
                },
                () -> "; output " + output + ":\n" + outputTail());
    }

    /** Waits until the child accepts connections on {@code port}. */
    public void awaitListening(int port, Duration timeout) {
        awaitReady(timeout, "to listen on port " + port, () -> Ports.listens(port, 1000));
    }

    /**
     * Waits until the Kafka broker at {@code bootstrap} lists brokers in its cluster: a bound port is not yet a serving
     * KRaft broker.
     */
    public void awaitInCluster(String bootstrap, Duration timeout) {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        try (Admin admin = Admin.create(config)) {
            awaitReady(timeout, "to join its cluster at " + bootstrap, () -> {
                try {
                    return !admin.describeCluster()
                            .nodes()
                            .get(5, TimeUnit.SECONDS)
                            .isEmpty();
                } catch (ExecutionException | TimeoutException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted waiting for " + name, e);
                }
            });
        }
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " survived kill -9");
        }
        forgetKiller();
    }

    /** SIGSTOP: the process hangs, its sockets open, until {@link #resume()}. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT: a paused process runs on; harmless for one that runs. */
    public void resume() throws IOException, InterruptedException {
        if (process.isAlive()) {
            signal("CONT");
        }
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** SIGTERM, as Ctrl-C or a service manager sends; returns the exit code, or fails after {@code timeout}. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return awaitExit(timeout);
    }

    /** Waits for the process to exit on its own; returns the exit code, or fails after {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout + "; output:\n" + outputTail());
        }
        forgetKiller();
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The CPU time the process has used so far, user and system (zero once it exited or where the OS does not say). */
    public Duration cpuTime() {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    public Path outputFile() {
        return output;
    }

    /** Everything the child wrote. */
    public String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last 4,000 characters the child wrote, for failure messages. */
    public String outputTail() {
        String all = output();
        return all.length() <= 4000 ? all : "..." + all.substring(all.length() - 4000);
    }

    /**
     * Stops the child if it still runs: SIGCONT (a paused process would not see the signal), SIGTERM, then
     * {@code kill -9} if it has not exited within {@link #STOP_GRACE}.
     */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                resume();
                process.destroy();
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    System.err.println("warning: " + name + " did not stop within " + STOP_GRACE + "; killing it");
                    process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        forgetKiller();
    }

    private void forgetKiller() {
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway, harmlessly
        }
    }
}
