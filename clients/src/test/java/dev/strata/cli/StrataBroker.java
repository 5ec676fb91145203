package dev.strata.cli;

import dev.strata.testing.ChildJvm;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One Strata broker in a JVM of its own ({@link ChildJvm}), started from broker-core's classes on this test's classpath
 * as {@code bin/strata server} starts it, with the Kafka listener and the HTTP metrics listener on free ports and
 * tiering to a directory. The command line under test talks to it over the network only.
 */
final class StrataBroker implements AutoCloseable {

    private final ChildJvm jvm;
    private final int port;
    private final int httpPort;

    private StrataBroker(ChildJvm jvm, int port, int httpPort) {
        this.jvm = jvm;
        this.port = port;
        this.httpPort = httpPort;
    }

    /** Starts a broker with data under {@code dir} and waits until it listens. */
    static StrataBroker start(Path dir, Map<String, String> extra) throws IOException {
        int port = Ports.free();
        int httpPort = Ports.free();
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
        Path config = ChildJvm.writeProperties(dir.resolve("server.properties"), props);
        ChildJvm jvm = ChildJvm.start(new ChildJvm.Launch(
                "broker",
                null,
                ChildJvm.Launch.ownClasspath(),
                List.of("-Xmx384m", "-XX:+ExitOnOutOfMemoryError"),
                "dev.strata.broker.StrataServer",
                List.of(config.toString()),
                dir.resolve("broker.log")));
        StrataBroker broker = new StrataBroker(jvm, port, httpPort);
        try {
            jvm.awaitListening(port, Duration.ofSeconds(120));
            jvm.awaitListening(httpPort, Duration.ofSeconds(120));
        } catch (AssertionError e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    String http() {
        return "http://127.0.0.1:" + httpPort;
    }

    String output() {
        return jvm.output();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
