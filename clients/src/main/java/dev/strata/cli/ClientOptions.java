package dev.strata.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Option;

/**
 * The connection options every command that talks Kafka takes: where the broker is, a file of client properties (TLS,
 * SASL, anything kafka-clients accepts), and how long to wait for it. Every call is bounded by {@code --timeout-ms}, so
 * an unreachable broker ends in an error rather than a hang.
 */
final class ClientOptions {

    static final String DEFAULT_BOOTSTRAP = "127.0.0.1:9092";

    @Option(
            names = "--bootstrap-server",
            paramLabel = "HOST:PORT[,...]",
            defaultValue = DEFAULT_BOOTSTRAP,
            description = "the broker(s) to connect to (default: ${DEFAULT-VALUE})")
    String bootstrapServer;

    @Option(
            names = "--command-config",
            paramLabel = "FILE",
            description = "a properties file of client settings (security.protocol, ssl.*, sasl.*, ...)")
    Path commandConfig;

    @Option(
            names = "--timeout-ms",
            paramLabel = "MS",
            defaultValue = "15000",
            description = "how long to wait for the broker before failing (default: ${DEFAULT-VALUE})")
    int timeoutMs;

    /** The client properties: the command config's, then the bootstrap servers and the timeouts. */
    Properties properties() {
        Properties props = new Properties();
        if (commandConfig != null) {
            try (Reader reader = Files.newBufferedReader(commandConfig)) {
                props.load(reader);
            } catch (IOException e) {
                throw new CliException("cannot read --command-config " + commandConfig + ": " + e.getMessage(), e);
            }
        }
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServer);
        props.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "strata-cli");
        int requestTimeout = Math.max(1000, Math.min(timeoutMs, 30_000));
        props.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(requestTimeout));
        props.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
        props.putIfAbsent(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "2000");
        return props;
    }

    Admin admin() {
        Properties props = properties();
        props.putIfAbsent(AdminClientConfig.RETRIES_CONFIG, Integer.toString(Integer.MAX_VALUE));
        return Admin.create(props);
    }
}
