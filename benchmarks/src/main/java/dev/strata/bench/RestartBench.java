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
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Restart time of a Strata broker whose RocksDB index holds many remote segments. Builds that state quickly: one
 * broker (child JVM) tiers to its filesystem backend; a topic whose {@code segment.bytes} holds exactly one
 * {@value #RECORD_SIZE}-byte record gets one record per produce batch ({@code batch.size=0}), so every record is a
 * segment, and {@code local.retention.bytes=1} drops each local segment once it is remote. When ListOffsets
 * latest-tiered shows {@code --segments} segments remote (and earliest-local that they are gone locally), the broker
 * is stopped (SIGTERM) and started again, {@code --restarts} times; each start is timed from the instant the process
 * is started to its listener accepting connections, and to a fresh consumer's first records from offset 0 of
 * partition 0 (a remote read: the index answers it). Writes {@code restart.json} and {@code restart.txt}.
 */
@Command(
        name = "strata-bench-restart",
        mixinStandardHelpOptions = true,
        description = "Restart time of a Strata broker with many remote segments in its index.")
public final class RestartBench implements Callable<Integer> {
    private static final int RECORD_SIZE = 400;

    /** One batch of one {@value #RECORD_SIZE}-byte record is about 470 bytes: a segment holds one, never two. */
    private static final int SEGMENT_BYTES = RECORD_SIZE + 200;

    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(45);
    private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(5);

    @Option(
            names = "--segments",
            description = "Remote segments to build (default: ${DEFAULT-VALUE}).",
            defaultValue = "10000")
    private int segments;

    @Option(names = "--partitions", description = "Partitions (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    private int partitions;

    @Option(names = "--restarts", description = "Timed restarts (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    private int restarts;

    /** Classpath, work and results directories, shared with the tiered runs (its S3Proxy option goes unused). */
    @CommandLine.Mixin
    private TieredRunOptions options;

    /** One timed start. */
    record Start(double listeningMs, double firstFetchMs) {}

    @Override
    public Integer call() throws Exception {
        if (segments < 1 || partitions < 1 || restarts < 1) {
            throw new IllegalArgumentException("--segments, --partitions and --restarts must be at least 1");
        }
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Path work = options.workDir();
        Files.createDirectories(work);
        Path remote = Files.createTempDirectory(work, "restart-remote-tier-");
        Map<String, String> configs = new DirectoryTier(remote).brokerConfigs();
        List<Start> starts = new ArrayList<>();
        double buildSeconds = Double.NaN;
        long built = 0;
        String error = null;
        String classpath = options.strataClasspath();
        try (StrataBroker broker = StrataBroker.start(classpath, work, configs)) {
            System.err.println(
                    "Strata listening on " + broker.bootstrap() + ", tiering to " + remote + "; log " + broker.log());
            String topic =
                    "strata-bench-restart-" + UUID.randomUUID().toString().substring(0, 8);
            long t0 = System.nanoTime();
            built = build(broker.bootstrap(), topic);
            buildSeconds = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "%d remote segments built in %.0f s%n", built, buildSeconds);
            for (int i = 1; i <= restarts; i++) {
                broker.stop();
                Start s = timedStart(broker, topic);
                starts.add(s);
                System.err.printf(
                        Locale.ROOT,
                        "restart %d: listening after %.0f ms, first fetch from the remote tier served after %.0f ms%n",
                        i,
                        s.listeningMs(),
                        s.firstFetchMs());
                broker.awaitStarted();
            }
        } catch (Exception e) {
            error = e.toString();
            System.err.println("error: restart run failed: " + e);
        } finally {
            ChildProcess.deleteTree(remote);
        }
        String table = table(built, partitions, buildSeconds, starts, error);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("finished", Instant.now().toString());
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("remote_segments", built);
        json.put("partitions", partitions);
        json.put("build_seconds", buildSeconds);
        json.put("listening_ms", starts.stream().map(Start::listeningMs).toList());
        json.put("first_fetch_ms", starts.stream().map(Start::firstFetchMs).toList());
        json.put("error", error);
        Files.writeString(out.resolve("restart.txt"), table);
        Json.write(out.resolve("restart.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return error == null ? 0 : 1;
    }

    /** Fills the topic with one record per segment and waits until they are remote and gone locally. */
    private long build(String bootstrap, String topic) throws Exception {
        try (Admin admin = BenchTopic.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())
                            .configs(Map.of(
                                    "segment.bytes", Integer.toString(SEGMENT_BYTES),
                                    // one entry is all a one-batch segment indexes: no 10 MiB preallocated per roll
                                    "segment.index.bytes", "4096",
                                    "remote.storage.enable", "true",
                                    "local.retention.bytes", "1"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            // every partition's last segment stays active, so one more record per partition seals the last wanted one
            long perPartition = (segments + partitions - 1) / partitions + 1;
            produce(bootstrap, topic, perPartition);
            long wanted = (perPartition - 1) * partitions;
            long deadline = System.nanoTime() + BUILD_TIMEOUT.toNanos();
            long lastReport = 0;
            while (true) {
                long tiered = 0;
                long localGone = 0;
                Map<TopicPartition, OffsetSpec> tieredSpec = new LinkedHashMap<>();
                Map<TopicPartition, OffsetSpec> localSpec = new LinkedHashMap<>();
                for (int p = 0; p < partitions; p++) {
                    tieredSpec.put(new TopicPartition(topic, p), OffsetSpec.latestTiered());
                    localSpec.put(new TopicPartition(topic, p), OffsetSpec.earliestLocal());
                }
                for (var info : admin.listOffsets(tieredSpec)
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .values()) {
                    tiered += info.offset() + 1;
                }
                for (var info : admin.listOffsets(localSpec)
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .values()) {
                    localGone += info.offset();
                }
                if (tiered >= wanted && localGone >= wanted) {
                    return tiered;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "only " + tiered + " of " + wanted + " segments remote after " + BUILD_TIMEOUT);
                }
                if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(15)) {
                    System.err.printf("%d of %d segments remote, %d deleted locally%n", tiered, wanted, localGone);
                    lastReport = System.nanoTime();
                }
                Thread.sleep(500);
            }
        }
    }

    /** {@code perPartition} records to every partition, each its own batch and so its own segment. */
    private void produce(String bootstrap, String topic, long perPartition) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "0");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // every record rolls a segment, so the last ones wait far longer than the default 2 minutes to be sent
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(BUILD_TIMEOUT.toMillis()));
        AtomicReference<Exception> failed = new AtomicReference<>();
        byte[] value = new byte[RECORD_SIZE];
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < perPartition; i++) {
                for (int part = 0; part < partitions; part++) {
                    producer.send(new ProducerRecord<>(topic, part, null, value), (md, e) -> {
                        if (e != null) {
                            failed.compareAndSet(null, e);
                        }
                    });
                }
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("produce failed: " + failed.get(), failed.get());
        }
    }

    /** Starts the stopped broker and times it to its listener and to a first fetch at offset 0 of partition 0. */
    private static Start timedStart(StrataBroker broker, String topic) throws Exception {
        long t0 = System.nanoTime();
        broker.launch();
        long deadline = t0 + FETCH_TIMEOUT.toNanos();
        while (!broker.answers()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not listen within " + FETCH_TIMEOUT);
            }
            Thread.sleep(10);
        }
        double listening = (System.nanoTime() - t0) / 1e6;
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-bench-restart");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            while (consumer.poll(Duration.ofMillis(20)).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no records from offset 0 within " + FETCH_TIMEOUT);
                }
            }
        }
        return new Start(listening, (System.nanoTime() - t0) / 1e6);
    }

    static String table(long segments, int partitions, double buildSeconds, List<Start> starts, String error) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(
                Locale.ROOT,
                "Strata restart with %d remote segments in its index (%d partitions, filesystem tier)%n",
                segments,
                partitions));
        t.append(String.format(Locale.ROOT, "%-44s %10.0f%n", "time to build the state s", buildSeconds));
        row(
                t,
                "process start to listening ms",
                starts.stream().map(Start::listeningMs).toList());
        row(
                t,
                "process start to first remote fetch ms",
                starts.stream().map(Start::firstFetchMs).toList());
        if (error != null) {
            t.append("failed: ").append(error).append('\n');
        }
        return t.toString();
    }

    private static void row(StringBuilder t, String label, List<Double> values) {
        if (values.isEmpty()) {
            return;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        StringBuilder each = new StringBuilder();
        values.forEach(v -> each.append(each.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", v)));
        t.append(String.format(Locale.ROOT, "%-44s %10.0f  (median of [%s])%n", label, median, each));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new RestartBench()).execute(args));
    }
}
