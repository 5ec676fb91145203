package dev.strata.broker.it;

import dev.strata.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A broker in a JVM of its own, started the way {@code bin/strata server} starts it: {@code java -cp <this test's
 * classpath> dev.strata.broker.StrataServer <server.properties>} (a {@link ChildJvm}). Its stdout and stderr go to a
 * file, quoted when a test fails. The test chooses the port, so it can point clients at the broker before it is up.
 */
final class BrokerProcess implements AutoCloseable {

    static final String MAIN_CLASS = "dev.strata.broker.StrataServer";

    private final ChildJvm jvm;

    private BrokerProcess(ChildJvm jvm) {
        this.jvm = jvm;
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
        return new BrokerProcess(ChildJvm.start(new ChildJvm.Launch(
                "broker",
                null,
                ChildJvm.Launch.ownClasspath(),
                List.of("-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError", "-Dlogback.configurationFile=logback.xml"),
                MAIN_CLASS,
                List.of(args),
                output)));
    }

    /** Writes a server.properties for a broker on {@code port} with data in {@code logDir}. */
    static Path writeConfig(Path file, int port, Path logDir, Map<String, String> extra) throws IOException {
        Properties props = new Properties();
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.setProperty("log.dirs", logDir.toString());
        props.setProperty("node.id", "1");
        extra.forEach(props::setProperty);
        return ChildJvm.writeProperties(file, props);
    }

    /** Waits until the broker accepts connections on {@code port}; fails early, with its output, if it exits. */
    void awaitListening(int port, Duration timeout) {
        jvm.awaitListening(port, timeout);
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        jvm.kill();
    }

    /** SIGSTOP: the process hangs, its sockets open, until {@link #resume()}. */
    void pause() throws IOException, InterruptedException {
        jvm.pause();
    }

    /** SIGCONT: a paused process runs on; harmless for one that runs. */
    void resume() throws IOException, InterruptedException {
        jvm.resume();
    }

    /** SIGTERM, as Ctrl-C or a service manager would send; returns the exit code. */
    int terminate(Duration timeout) throws InterruptedException {
        return jvm.terminate(timeout);
    }

    /** Waits for the process to exit on its own; returns the exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        return jvm.awaitExit(timeout);
    }

    boolean isAlive() {
        return jvm.isAlive();
    }

    String output() {
        return jvm.output();
    }

    String outputTail() {
        return jvm.outputTail();
    }

    /** Stops the process if it still runs: SIGTERM, then {@code kill -9} if it does not exit within 30 seconds. */
    @Override
    public void close() {
        jvm.close();
    }
}
