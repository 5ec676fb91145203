package dev.strata.bench;

import dev.strata.testing.ApacheKafkaBroker;
import dev.strata.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.SslConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Produce and consume over TLS against PLAINTEXT, Apache Kafka 4.3.1 and Strata side by side
 * ({@code bin/strata bench tls}): each broker in its own child JVM (Kafka first, never both at once) with a PLAINTEXT
 * and an SSL listener (a PKCS12 key store made with the JDK's keytool, TLS as the JVM negotiates it). After
 * {@code --warmup} s of unmeasured produce on each listener, on each listener in turn one producer ({@code acks=1},
 * 1 KiB records) sends for {@code --duration} s to a topic of its own, then one consumer reads that topic from offset
 * 0 (up to what was produced, at most {@code --duration} s). The table gives MB/s per listener and the TLS/PLAINTEXT
 * ratio of each broker; Strata copies fetched bytes into buffers to encrypt them as Kafka's SSL transport does, so
 * zero-copy is what TLS gives up on both. Writes {@code tls.json} and {@code tls.txt} into
 * {@code benchmarks/results/<UTC time>/}.
 */
@Command(
        name = "strata-bench-tls",
        mixinStandardHelpOptions = true,
        description = "Produce and consume over TLS and PLAINTEXT, Apache Kafka and Strata side by side.")
public final class TlsBench implements Callable<Integer> {
    private static final String PASSWORD = "bench-secret";

    @Option(
            names = "--duration",
            description = "Seconds of each produce and consume phase (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    int durationSeconds;

    @Option(
            names = "--warmup",
            description = "Seconds of unmeasured produce on each listener first (default: ${DEFAULT-VALUE}).",
            defaultValue = "5")
    int warmupSeconds;

    @Option(
            names = "--record-size",
            description = "Value size in bytes (default: ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    int recordSize;

    @CommandLine.Mixin
    BrokerChoice brokers = new BrokerChoice();

    /** Strata's classpath, work and results directories (its S3Proxy option goes unused). */
    @CommandLine.Mixin
    TieredRunOptions options = new TieredRunOptions();

    @Override
    public Integer call() throws Exception {
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Path work = options.workDir();
        Files.createDirectories(work);
        Path stores = Files.createTempDirectory(work, "tls-stores-");
        Path keyStore = stores.resolve("broker.p12");
        Path trustStore = stores.resolve("clients-trust.p12");
        makeStores(stores, keyStore, trustStore);
        Map<String, Object> runs = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder(String.format(
                Locale.ROOT,
                "%d s phases, %d-byte records, acks=1%n%-8s %-12s %-12s %-12s %-12s %-14s %-14s %s%n",
                durationSeconds,
                recordSize,
                "broker",
                "produce PT",
                "produce TLS",
                "consume PT",
                "consume TLS",
                "produce TLS/PT",
                "consume TLS/PT",
                "load average"));
        boolean ok = true;
        for (String broker : brokers.names()) {
            Map<String, Object> run = new LinkedHashMap<>();
            runs.put(broker, run);
            int sslPort = Ports.free();
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put(ApacheKafkaBroker.EXTRA_LISTENERS, "SSL://" + ChildProcess.HOST + ":" + sslPort);
            settings.put("ssl.keystore.type", "PKCS12");
            settings.put("ssl.keystore.location", keyStore.toString());
            settings.put("ssl.keystore.password", PASSWORD);
            settings.put("ssl.key.password", PASSWORD);
            try (ManagedBroker running = brokers.start(broker, options.strataClasspath(), work, settings)) {
                String load = MachineInfo.loadAverage();
                run.put("load_average", load);
                Properties plaintext = ClientRates.client(running.bootstrap(), "bench-plaintext");
                Properties tls = ClientRates.client(ChildProcess.HOST + ":" + sslPort, "bench-tls");
                tls.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
                tls.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
                tls.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, trustStore.toString());
                tls.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, PASSWORD);
                createTopics(running.bootstrap());
                // a freshly started JVM is slower for its first seconds: neither listener's figure should pay for it
                Duration warmup = Duration.ofSeconds(warmupSeconds);
                ClientRates.produce(plaintext, "tls-bench-warmup", recordSize, warmup, Long.MAX_VALUE);
                ClientRates.produce(tls, "tls-bench-warmup", recordSize, warmup, Long.MAX_VALUE);
                Duration phase = Duration.ofSeconds(durationSeconds);
                ClientRates.Phase producePt =
                        ClientRates.produce(plaintext, "tls-bench-plaintext", recordSize, phase, Long.MAX_VALUE);
                ClientRates.Phase produceTls =
                        ClientRates.produce(tls, "tls-bench-tls", recordSize, phase, Long.MAX_VALUE);
                ClientRates.Phase consumePt =
                        ClientRates.consume(plaintext, "tls-bench-plaintext", phase, producePt.bytes());
                ClientRates.Phase consumeTls = ClientRates.consume(tls, "tls-bench-tls", phase, produceTls.bytes());
                run.put("produce_plaintext", producePt.toJson());
                run.put("produce_tls", produceTls.toJson());
                run.put("consume_plaintext", consumePt.toJson());
                run.put("consume_tls", consumeTls.toJson());
                table.append(String.format(
                        Locale.ROOT,
                        "%-8s %-12.2f %-12.2f %-12.2f %-12.2f %-14.2f %-14.2f %s%n",
                        broker,
                        producePt.megabytesPerSecond(),
                        produceTls.megabytesPerSecond(),
                        consumePt.megabytesPerSecond(),
                        consumeTls.megabytesPerSecond(),
                        produceTls.megabytesPerSecond() / producePt.megabytesPerSecond(),
                        consumeTls.megabytesPerSecond() / consumePt.megabytesPerSecond(),
                        load));
            } catch (Exception e) {
                ok = false;
                run.put("error", e.toString());
                table.append(broker).append(" failed: ").append(e).append('\n');
            }
        }
        ChildProcess.deleteTree(stores);
        table.append("(MB/s; PT = PLAINTEXT)\n");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("host", MachineInfo.describe());
        json.put("duration_s", durationSeconds);
        json.put("record_size", recordSize);
        json.put("brokers", runs);
        Files.writeString(out.resolve("tls.txt"), table.toString());
        Json.write(out.resolve("tls.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return ok ? 0 : 1;
    }

    private static void createTopics(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(
                            new NewTopic("tls-bench-plaintext", 1, (short) 1),
                            new NewTopic("tls-bench-tls", 1, (short) 1),
                            new NewTopic("tls-bench-warmup", 1, (short) 1)))
                    .all()
                    .get(60, TimeUnit.SECONDS);
        }
    }

    /** A self-signed key for 127.0.0.1 in a PKCS12 key store, and its certificate in the clients' trust store. */
    private static void makeStores(Path dir, Path keyStore, Path trustStore) throws IOException, InterruptedException {
        Path cert = dir.resolve("broker.crt");
        keytool(
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-storetype",
                "PKCS12",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD);
        keytool(
                "-exportcert",
                "-alias",
                "broker",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                cert.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "broker",
                "-file",
                cert.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                trustStore.toString(),
                "-storepass",
                PASSWORD);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TlsBench()).execute(args));
    }
}
