package dev.strata.cli;

import dev.strata.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
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
 * One Strata broker in a JVM of its own, started from broker-core's classes on this test's classpath as
 * {@code bin/strata server} starts it, with the Kafka listener and the HTTP metrics listener on free ports and tiering
 * to a directory. The command line under test talks to it over the network only.
 */
final class StrataBroker implements AutoCloseable {

    private final Process process;
    private final Path output;
    private final int port;
    private final int httpPort;

    private StrataBroker(Process process, Path output, int port, int httpPort) {
        this.process = process;
        this.output = output;
        this.port = port;
        this.httpPort = httpPort;
    }

    /** Starts a broker with data under {@code dir} and waits until it listens. */
    static StrataBroker start(Path dir, Map<String, String> extra) throws IOException {
        int port = freePort();
        int httpPort = freePort();
        Properties props = new Properties();
        props.setProperty("node.id", "1");
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.setProperty("log.dirs", dir.resolve("data").toString());
        props.setProperty("metrics.prometheus.listener", "127.0.0.1:" + httpPort);
        props.setProperty("remote.log.storage.system.enable", "true");
        props.setProperty("rsm.config.dir", dir.resolve("remote").toString());
        props.setProperty("remote.log.manager.task.interval.ms", "500");
        props.setProperty("log.retention.check.interval.ms", "500");
        extra.forEach(props::setProperty);
        Path config = dir.resolve("server.properties");
        try (var writer = Files.newBufferedWriter(config)) {
            props.store(writer, "written by " + StrataBroker.class.getSimpleName());
        }
        Path output = dir.resolve("broker.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(
                        java,
                        "-Xmx384m",
                        "-XX:+ExitOnOutOfMemoryError",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.strata.broker.StrataServer",
                        config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        StrataBroker broker = new StrataBroker(process, output, port, httpPort);
        Await.until(Duration.ofSeconds(120), "the broker to listen on " + port, () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the broker exited with " + process.exitValue() + ":\n" + broker.output());
            }
            return listens(port) && listens(httpPort);
        });
        return broker;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    String http() {
        return "http://127.0.0.1:" + httpPort;
    }

    String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port nothing listens on a moment ago. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean listens(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
