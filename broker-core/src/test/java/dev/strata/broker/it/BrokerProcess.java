package dev.strata.broker.it;

import dev.strata.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A broker in a JVM of its own, started the way {@code bin/strata server} starts it: {@code java -cp <this test's
 * classpath> dev.strata.broker.StrataServer <server.properties>}. Its stdout and stderr go to a file, quoted when a
 * test fails. The test chooses the port, so it can point clients at the broker before it is up.
 */
final class BrokerProcess implements AutoCloseable {

    static final String MAIN_CLASS = "dev.strata.broker.StrataServer";

    private final Process process;
    private final Path output;

    private BrokerProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /**
     * Starts {@code StrataServer.main} with {@code args}, logging at INFO through the broker's own logback.xml.
     *
     * @param output file that receives the process's stdout and stderr (appended)
     */
    static BrokerProcess start(Path output, String... args) throws IOException {
        return startWithHeap(output, "512m", args);
    }

    /** As {@link #start(Path, String...)}, with a maximum heap of {@code maxHeap} ({@code -Xmx}). */
    static BrokerProcess startWithHeap(Path output, String maxHeap, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(
                java,
                "-Xmx" + maxHeap,
                "-XX:+ExitOnOutOfMemoryError",
                "-Dlogback.configurationFile=logback.xml",
                "-cp",
                System.getProperty("java.class.path"),
                MAIN_CLASS));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .start();
        return new BrokerProcess(process, output);
    }

    /** Writes a server.properties for a broker on {@code port} with data in {@code logDir}. */
    static Path writeConfig(Path file, int port, Path logDir, Map<String, String> extra) throws IOException {
        Properties props = new Properties();
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.setProperty("log.dirs", logDir.toString());
        props.setProperty("node.id", "1");
        extra.forEach(props::setProperty);
        try (var writer = Files.newBufferedWriter(file)) {
            props.store(writer, "written by " + BrokerProcess.class.getSimpleName());
        }
        return file;
    }

    /** A port that was free a moment ago. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    /** Waits until the broker accepts connections on {@code port}; fails early, with its output, if it exits. */
    void awaitListening(int port, Duration timeout) {
        Await.until(timeout, "the broker process to listen on port " + port + "; output:\n" + outputTail(), () -> {
            if (!process.isAlive()) {
                throw new AssertionError(
                        "broker process exited with " + process.exitValue() + "; output:\n" + outputTail());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("broker process survived kill -9");
        }
    }

    /** SIGSTOP: the process hangs, its sockets open, until {@link #resume()}. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT: a paused process runs on; harmless for one that runs. */
    void resume() throws IOException, InterruptedException {
        if (process.isAlive()) {
            signal("CONT");
        }
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** SIGTERM, as Ctrl-C or a service manager would send; returns the exit code. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("broker did not shut down within " + timeout + "; output:\n" + outputTail());
        }
        return process.exitValue();
    }

    /** Waits for the process to exit on its own; returns the exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("broker did not exit within " + timeout + "; output:\n" + outputTail());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String output() {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String outputTail() {
        String all = output();
        return all.length() <= 4000 ? all : "..." + all.substring(all.length() - 4000);
    }

    /** Stops the process if it still runs: SIGTERM, then {@code kill -9} if it does not exit within 30 seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        try {
            resume(); // a paused process would not see the SIGTERM
        } catch (IOException e) {
            // kill -9 below, if need be
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
