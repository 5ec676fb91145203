package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the behaviour of {@code StrataServer.main}, which {@code bin/strata server} runs: it logs where it listens,
 * where its data lives and the web console's address, shuts down cleanly on SIGTERM (what Ctrl-C sends through the shutdown hook), and a missing
 * or invalid config file gives a readable error and exit status 1 instead of a stack trace.
 */
class ServerMainIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void mainLogsListenerDataDirectoryAndConsoleAndStopsCleanlyOnSigterm() throws Exception {
        int port = Ports.free();
        Path logDir = dir.resolve("data");
        Path config = BrokerProcess.writeConfig(
                dir.resolve("server.properties"), port, logDir, Map.of("console.listener", "127.0.0.1:0"));
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("out.log"), config.toString())) {
            broker.awaitListening(port, TIMEOUT);
            Await.until(TIMEOUT, "log lines naming the listener, the data directory and the console", () -> {
                String out = broker.output();
                return out.contains("127.0.0.1:" + port)
                        && out.contains(logDir.toString())
                        && out.matches("(?s).*Web console at http://127\\.0\\.0\\.1:[0-9]+/.*");
            });

            int exit = broker.terminate(TIMEOUT);

            assertThat(exit)
                    .as("exit status after SIGTERM (128 + 15 once shutdown hooks finish)")
                    .isEqualTo(143);
            assertThat(broker.output()).as("no errors or stack traces").doesNotContain(" ERROR ", "\tat ");
        }
    }

    @Test
    void missingConfigFileExitsWithStatusOneAndNamesTheFile() throws Exception {
        Path missing = dir.resolve("no-such.properties");
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("out.log"), missing.toString())) {
            assertThat(broker.awaitExit(TIMEOUT)).isEqualTo(1);
            assertThat(broker.output()).contains(missing.toString()).doesNotContain("\tat ");
        }
    }

    @Test
    void invalidConfigExitsWithStatusOneAndNamesTheSetting() throws Exception {
        Path config = dir.resolve("bad.properties");
        Files.writeString(config, "listeners=PLAINTEXT://127.0.0.1:not-a-port\nlog.dirs=" + dir.resolve("data") + "\n");
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("out.log"), config.toString())) {
            assertThat(broker.awaitExit(TIMEOUT)).isEqualTo(1);
            assertThat(broker.output()).contains("listeners").doesNotContain("\tat ");
        }
    }
}
