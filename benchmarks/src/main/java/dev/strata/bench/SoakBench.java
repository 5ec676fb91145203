package dev.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The soak of issue 13: a Strata broker tiering to S3Proxy is killed with {@code kill -9} and restarted, cycle after
 * cycle, under an idempotent {@code acks=all} producer, and the store is down for a while in the middle; at the end
 * every acknowledged record must be read back exactly once from offset 0, across both tiers. Each record's value
 * starts with its number, so what the consumer reads is checked against what the producer saw acknowledged: missing
 * records (acknowledged, not read) and duplicates (read twice) are counted, and must both be zero.
 *
 * <p>Writes {@code soak.json} and {@code soak.txt} into {@code benchmarks/results/<UTC time>/}; exit status 0 when
 * nothing is missing or duplicated.
 */
@Command(
        name = "strata-bench-soak",
        mixinStandardHelpOptions = true,
        description = "kill -9 cycles under an idempotent acks=all producer, with an S3 outage in the middle; every"
                + " acknowledged record must be read back exactly once.")
public final class SoakBench implements Callable<Integer> {
    private static final String BUCKET = "strata-soak";
    private static final String TOPIC = "soak";
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--quick", description = "5 cycles of 3 s and an outage of 20 s, instead of the options below.")
    private boolean quick;

    @Option(names = "--cycles", description = "kill -9 cycles (default: ${DEFAULT-VALUE}).", defaultValue = "100")
    private int cycles;

    @Option(
            names = "--cycle-seconds",
            description = "Seconds of produce between two kills (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    private double cycleSeconds;

    @Option(
            names = "--outage-seconds",
            description = "Seconds S3Proxy is down, from the middle cycle on (default: ${DEFAULT-VALUE}).",
            defaultValue = "600")
    private long outageSeconds;

    @Option(names = "--partitions", description = "Partitions (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    private int partitions;

    @Option(names = "--record-size", description = "Value bytes (default: ${DEFAULT-VALUE}).", defaultValue = "512")
    private int recordSize;

    @CommandLine.Mixin
    private TieredRunOptions options;

    private final BitSet acknowledged = new BitSet();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<String, Object> figures = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (quick) {
            cycles = 5;
            cycleSeconds = 3;
            outageSeconds = 20;
        }
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Path work = options.workDir();
        figures.put("started", started.toString());
        figures.put("host", MachineInfo.describe());
        figures.put("cycles", cycles);
        figures.put("cycle_seconds", cycleSeconds);
        figures.put("outage_seconds", outageSeconds);
        String error = null;
        try (S3ProxyServer s3 = S3ProxyServer.start(options.s3proxyClasspathFile(), work);
                StrataBroker broker = StrataBroker.start(
                        options.strataClasspath(), work, brokerConfigs(s3.bucket(BUCKET, "soak/")))) {
            System.err.println("Strata on " + broker.bootstrap() + ", tiering to S3Proxy at " + s3.endpoint()
                    + "; logs " + broker.log() + ", " + s3.log());
            soak(broker, s3);
        } catch (Exception e) {
            error = e.toString();
            System.err.println("error: soak failed: " + e);
        }
        figures.put("finished", Instant.now().toString());
        figures.put("error", error);
        String table = table();
        Files.writeString(out.resolve("soak.txt"), table);
        Json.write(out.resolve("soak.json"), figures);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        boolean exact = error == null
                && Long.valueOf(0).equals(figures.get("missing"))
                && Long.valueOf(0).equals(figures.get("duplicates"));
        return exact ? 0 : 1;
    }

    private static Map<String, String> brokerConfigs(S3Tier tier) {
        Map<String, String> configs = new LinkedHashMap<>(tier.brokerConfigs());
        // a store that is down fails a call within seconds; the broker retries after its own backoff
        configs.put("rsm.config.s3.api.call.attempt.timeout.ms", "5000");
        configs.put("rsm.config.s3.api.call.timeout.ms", "10000");
        return configs;
    }

    private void soak(StrataBroker broker, S3ProxyServer s3) throws Exception {
        String bootstrap = broker.bootstrap();
        try (Admin admin = BenchTopic.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, partitions, (short) 1)
                            .configs(Map.of(
                                    "remote.storage.enable", "true",
                                    "segment.bytes", Integer.toString(256 * 1024),
                                    "local.retention.bytes", "1"))))
                    .all()
                    .get(60, TimeUnit.SECONDS);
        }
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(() -> produce(bootstrap, producing), "soak-producer");
        producer.start();
        int outageCycle = cycles / 2;
        long outageEnds = Long.MAX_VALUE;
        long restartNanos = 0;
        long soakStart = System.nanoTime();
        for (int cycle = 1; cycle <= cycles; cycle++) {
            if (cycle == outageCycle) {
                System.err.println("cycle " + cycle + ": S3Proxy down for " + outageSeconds + " s");
                s3.kill();
                outageEnds = System.nanoTime() + TimeUnit.SECONDS.toNanos(outageSeconds);
            }
            Thread.sleep(Math.round(cycleSeconds * 1000));
            if (System.nanoTime() >= outageEnds) {
                System.err.println("cycle " + cycle + ": S3Proxy back");
                s3.restart();
                outageEnds = Long.MAX_VALUE;
            }
            long killed = System.nanoTime();
            broker.killAndRestart();
            restartNanos += System.nanoTime() - killed;
            System.err.printf(
                    Locale.ROOT,
                    "cycle %d: kill -9 and restart; %d records acknowledged so far%n",
                    cycle,
                    acknowledgedCount());
        }
        if (outageEnds != Long.MAX_VALUE) {
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(outageEnds - System.nanoTime())));
            s3.restart();
        }
        producing.set(false);
        producer.join();
        figures.put("soak_seconds", (System.nanoTime() - soakStart) / 1e9);
        figures.put("mean_restart_seconds", restartNanos / 1e9 / cycles);
        figures.put("records_sent", sent.get());
        figures.put("records_failed", failed.get());
        figures.put("records_acknowledged", acknowledgedCount());
        verify(bootstrap);
    }

    /** Sends numbered records until told to stop, then flushes; records the numbers acknowledged. */
    private void produce(String bootstrap, AtomicBoolean producing) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) TimeUnit.MINUTES.toMillis(5));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TimeUnit.MINUTES.toMillis(5));
        String padding = "x".repeat(Math.max(0, recordSize - 12));
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            int id = 0;
            while (producing.get()) {
                int number = id++;
                sent.incrementAndGet();
                producer.send(
                        new ProducerRecord<>(TOPIC, Integer.toString(number), number + ":" + padding),
                        (metadata, error) -> {
                            if (error == null) {
                                synchronized (acknowledged) {
                                    acknowledged.set(number);
                                }
                            } else {
                                failed.incrementAndGet();
                            }
                        });
                if (number % 200 == 199) {
                    // a steady trickle, not a flood that only measures the buffer
                    Thread.sleep(20);
                }
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads every partition from offset 0 to its end and counts missing and duplicated records. */
    private void verify(String bootstrap) throws Exception {
        Map<TopicPartition, Long> ends = new HashMap<>();
        Map<String, Object> tiers = new LinkedHashMap<>();
        try (Admin admin = BenchTopic.admin(bootstrap)) {
            for (int i = 0; i < partitions; i++) {
                TopicPartition tp = new TopicPartition(TOPIC, i);
                ends.put(tp, offset(admin, tp, OffsetSpec.latest()));
                tiers.put(
                        tp.toString(),
                        Map.of(
                                "earliest", offset(admin, tp, OffsetSpec.earliest()),
                                "earliest_local", offset(admin, tp, OffsetSpec.earliestLocal()),
                                "latest", ends.get(tp)));
            }
        }
        figures.put("offsets", tiers);
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        BitSet read = new BitSet();
        long records = 0;
        long duplicates = 0;
        long readStart = System.nanoTime();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(ends.keySet());
            consumer.seekToBeginning(ends.keySet());
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (ends.keySet().stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading back did not reach the end within " + READ_TIMEOUT);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    records++;
                    int number = Integer.parseInt(
                            record.value().substring(0, record.value().indexOf(':')));
                    if (read.get(number)) {
                        duplicates++;
                    }
                    read.set(number);
                }
            }
        }
        BitSet missing;
        synchronized (acknowledged) {
            missing = (BitSet) acknowledged.clone();
        }
        missing.andNot(read);
        figures.put("read_seconds", (System.nanoTime() - readStart) / 1e9);
        figures.put("records_read", records);
        figures.put("missing", (long) missing.cardinality());
        figures.put("duplicates", duplicates);
    }

    private long acknowledgedCount() {
        synchronized (acknowledged) {
            return acknowledged.cardinality();
        }
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec))
                .partitionResult(tp)
                .get(60, TimeUnit.SECONDS)
                .offset();
    }

    private String table() {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%-44s %14s%n", "Strata soak: kill -9 cycles, S3 outage", "value"));
        for (String key : List.of(
                "cycles",
                "outage_seconds",
                "soak_seconds",
                "mean_restart_seconds",
                "records_sent",
                "records_failed",
                "records_acknowledged",
                "records_read",
                "read_seconds",
                "missing",
                "duplicates")) {
            Object value = figures.get(key);
            if (value != null) {
                t.append(String.format(
                        Locale.ROOT,
                        "%-44s %14s%n",
                        key.replace('_', ' '),
                        value instanceof Double d ? String.format(Locale.ROOT, "%.1f", d) : value));
            }
        }
        if (figures.get("offsets") != null) {
            t.append("offsets (earliest, earliest local, latest): ")
                    .append(figures.get("offsets"))
                    .append('\n');
        }
        if (figures.get("error") != null) {
            t.append("failed: ").append(figures.get("error")).append('\n');
        }
        return t.toString();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SoakBench()).execute(args));
    }
}
