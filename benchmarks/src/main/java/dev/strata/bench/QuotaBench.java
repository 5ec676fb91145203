package dev.strata.bench;

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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Client quotas, Strata side by side with Apache Kafka 4.3.1 ({@code bin/strata bench quota}): how close a throttled
 * client's rate comes to its quota. Each broker in its own child JVM, Kafka first, never both at once. Against each:
 *
 * <ol>
 *   <li>a producer with client id {@code quota-producer} and {@code producer_byte_rate=--quota-mb} sends as fast as it
 *       can for {@code --duration} s ({@code acks=1}); its acknowledged bytes per second are the figure;
 *   <li>an unthrottled producer fills the topic well past what the consumer may read in that time;
 *   <li>a consumer with client id {@code quota-consumer} and {@code consumer_byte_rate=--quota-mb} reads from offset 0
 *       for {@code --duration} s; its bytes per second are the figure.
 * </ol>
 *
 * The quotas are set with the Admin API ({@code alterClientQuotas}, as {@code kafka-configs.sh} does), and each
 * client's own throttle-time metric is reported beside its rate. A rate is measured over the whole phase, so the
 * first window (before the broker's measured rate crosses the quota) lets a client above it for a moment: with
 * Kafka's 11 windows of 1 s the figure comes closer to the quota the longer the phase. Writes {@code quota.json} and
 * {@code quota.txt} into {@code benchmarks/results/<UTC time>/}.
 */
@Command(
        name = "strata-bench-quota",
        mixinStandardHelpOptions = true,
        description = "Throttled producer and consumer rates against their byte-rate quotas, Apache Kafka and Strata"
                + " side by side.")
public final class QuotaBench implements Callable<Integer> {
    private static final String TOPIC = "quota-bench";
    private static final String PRODUCER = "quota-producer";
    private static final String CONSUMER = "quota-consumer";

    @Option(
            names = "--quota-mb",
            description = "Each client's byte-rate quota, MB/s (default: ${DEFAULT-VALUE}).",
            defaultValue = "2")
    double quotaMb;

    @Option(
            names = "--duration",
            description = "Seconds of each throttled phase (default: ${DEFAULT-VALUE}).",
            defaultValue = "30")
    int durationSeconds;

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
        Map<String, Map<String, Object>> runs = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder(String.format(
                Locale.ROOT,
                "quota %.2f MB/s per client, %d s phases, %d-byte records%n%-8s %-26s %-26s %s%n",
                quotaMb,
                durationSeconds,
                recordSize,
                "broker",
                "producer MB/s (x quota)",
                "consumer MB/s (x quota)",
                "load average"));
        boolean ok = true;
        for (String broker : brokers.names()) {
            Map<String, Object> run = new LinkedHashMap<>();
            runs.put(broker, run);
            try (ManagedBroker running =
                    brokers.start(broker, options.strataClasspath(), options.workDir(), Map.of())) {
                String load = MachineInfo.loadAverage();
                run.put("load_average", load);
                setQuotas(running.bootstrap());
                ClientRates.Phase produced = produce(running.bootstrap());
                fill(running.bootstrap());
                ClientRates.Phase consumed = consume(running.bootstrap());
                run.put("producer", produced.toJson());
                run.put("consumer", consumed.toJson());
                table.append(String.format(
                        Locale.ROOT,
                        "%-8s %-26s %-26s %s%n",
                        broker,
                        String.format(
                                Locale.ROOT,
                                "%.2f (%.2f)",
                                produced.megabytesPerSecond(),
                                produced.megabytesPerSecond() / quotaMb),
                        String.format(
                                Locale.ROOT,
                                "%.2f (%.2f)",
                                consumed.megabytesPerSecond(),
                                consumed.megabytesPerSecond() / quotaMb),
                        load));
            } catch (Exception e) {
                ok = false;
                run.put("error", e.toString());
                table.append(broker).append(" failed: ").append(e).append('\n');
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("host", MachineInfo.describe());
        json.put("quota_mb_per_s", quotaMb);
        json.put("duration_s", durationSeconds);
        json.put("record_size", recordSize);
        json.put("brokers", runs);
        Files.writeString(out.resolve("quota.txt"), table.toString());
        Json.write(out.resolve("quota.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return ok ? 0 : 1;
    }

    private void setQuotas(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            long bytesPerSecond = Math.round(quotaMb * 1e6);
            List<ClientQuotaAlteration> quotas = new ArrayList<>();
            quotas.add(alteration(PRODUCER, "producer_byte_rate", bytesPerSecond));
            quotas.add(alteration(CONSUMER, "consumer_byte_rate", bytesPerSecond));
            admin.alterClientQuotas(quotas).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static ClientQuotaAlteration alteration(String clientId, String key, double value) {
        return new ClientQuotaAlteration(
                new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId)),
                List.of(new ClientQuotaAlteration.Op(key, value)));
    }

    /** The throttled producer's phase: as fast as the broker lets it for {@code --duration} s. */
    private ClientRates.Phase produce(String bootstrap) {
        return ClientRates.produce(
                ClientRates.client(bootstrap, PRODUCER),
                TOPIC,
                recordSize,
                Duration.ofSeconds(durationSeconds),
                Long.MAX_VALUE);
    }

    /** Without a quota, three phases' worth of the consumer's quota: the consumer is held by its quota, not the log. */
    private void fill(String bootstrap) {
        ClientRates.produce(
                ClientRates.client(bootstrap, "quota-filler"),
                TOPIC,
                recordSize,
                Duration.ofMinutes(10),
                Math.round(3 * quotaMb * 1e6 * durationSeconds));
    }

    private ClientRates.Phase consume(String bootstrap) {
        return ClientRates.consume(
                ClientRates.client(bootstrap, CONSUMER), TOPIC, Duration.ofSeconds(durationSeconds), Long.MAX_VALUE);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new QuotaBench()).execute(args));
    }
}
