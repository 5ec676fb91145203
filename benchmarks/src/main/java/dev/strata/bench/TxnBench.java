package dev.strata.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Transactions, Strata side by side with Apache Kafka 4.3.1 in one run ({@code bin/strata bench txn}): each broker in
 * its own child JVM, Kafka first, never both at once, as in {@link Compare}. Against each, after an unmeasured
 * warm-up:
 *
 * <ol>
 *   <li>the idempotent, non-transactional producer on a fresh topic ({@link ProduceRun}, {@code acks=all}), the
 *       reference;
 *   <li>one transactional producer on a fresh topic, {@code --records-per-txn} records per transaction
 *       ({@link TxnProduceRun}): committed records per second and the latency of {@code commitTransaction};
 *   <li>that topic read from offset 0 with {@code isolation.level=read_committed} by a catch-up consumer (local disk);
 *   <li>with {@code --remote}: the topic (1 MiB segments, {@code local.retention.bytes=1}, not tiered while filled)
 *       turns {@code remote.storage.enable} on, every sealed segment is copied to the remote tier and dropped locally
 *       ({@link RemoteReplayRun#offload}), and a fresh read_committed consumer reads it from offset 0 again, all but
 *       each partition's active segment from the remote tier.
 * </ol>
 *
 * <p>The remote tier of both brokers is a directory, written by Strata's filesystem backend (Strata's embedded default;
 * Apache Kafka loads it as its {@code RemoteStorageManager} plugin, see {@link DirectoryTier}). A broker without
 * transactions fails at step 2 with a readable message; the other broker's figures are still written, and the exit
 * status is 1. Writes {@code txn.json} and {@code txn.txt} into {@code benchmarks/results/<UTC time>/}.
 */
@Command(
        name = "strata-bench-txn",
        mixinStandardHelpOptions = true,
        description = "Transactional produce, commit latency and read_committed reads (local and remote tier),"
                + " Apache Kafka and Strata side by side.")
public final class TxnBench implements Callable<Integer> {
    private static final Duration QUICK = Duration.ofSeconds(3);

    @Option(
            names = "--records-per-txn",
            description = "Records per transaction (default: ${DEFAULT-VALUE}).",
            defaultValue = "100")
    int recordsPerTxn;

    @Option(
            names = "--transactions",
            description = "Transactions to commit; 0 = until --duration (default: ${DEFAULT-VALUE}).",
            defaultValue = "0")
    long transactions;

    @Option(
            names = "--record-size",
            description = "Value size in bytes (default: ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    int recordSize;

    @Option(names = "--partitions", description = "Partitions (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    int partitions;

    @Option(
            names = "--duration",
            description = "Seconds of each produce phase (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    double durationSeconds;

    @Option(names = "--linger-ms", description = "Producer linger.ms (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int lingerMs;

    @Option(
            names = "--batch-size",
            description = "Producer batch.size (default: ${DEFAULT-VALUE}).",
            defaultValue = "16384")
    int batchSize;

    @Option(
            names = "--remote",
            description = "Also tier the transactional topic and read it back read_committed from the remote tier.")
    boolean remote;

    @Option(
            names = "--warmup",
            description = "Seconds of unmeasured produce against each freshly started broker "
                    + "(default: ${DEFAULT-VALUE}; --quick: 1).",
            defaultValue = "10")
    double warmupSeconds;

    @Option(names = "--quick", description = "3 s produce phases and 1 s warm-up: a smoke run, not a measurement.")
    boolean quick;

    @Option(
            names = "--brokers",
            split = ",",
            description = "kafka, strata, or one of them (default: ${DEFAULT-VALUE}).",
            defaultValue = "kafka,strata")
    List<String> brokers;

    @Option(
            names = "--kafka-classpath",
            description = "Apache Kafka's classpath file (default: benchmarks/target/apache-kafka-classpath.txt).")
    Path kafkaClasspath;

    /** Strata's classpath, work and results directories (its S3Proxy option goes unused). */
    @CommandLine.Mixin
    TieredRunOptions options = new TieredRunOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    /** The parts of a run, each one workload result. */
    enum Phase {
        IDEMPOTENT_PRODUCE,
        TRANSACTIONAL_PRODUCE,
        READ_COMMITTED_LOCAL,
        READ_COMMITTED_REMOTE;

        String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One figure of the table: a metric read from one phase's result. */
    record Figure(Phase phase, Metric metric) {}

    /**
     * What one broker's part produced.
     *
     * @param bootstrap where it listened; null if it did not start
     * @param log its log file
     * @param loadAverage the machine's load when its measurements began
     * @param results the phases that completed
     * @param error why the run stopped early; null if it did not
     */
    record BrokerRun(String bootstrap, Path log, String loadAverage, Map<Phase, WorkloadResult> results, String error) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bootstrap", bootstrap);
            m.put("log", log == null ? null : log.toString());
            m.put("load_average", loadAverage);
            m.put("error", error);
            results.forEach((phase, r) -> m.put(phase.key(), r.toJson()));
            return m;
        }
    }

    @Override
    public Integer call() throws Exception {
        validate();
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Map<String, BrokerRun> runs = new LinkedHashMap<>();
        for (String b : brokers) {
            String broker = b.trim().toLowerCase(Locale.ROOT);
            runs.put(broker, runBroker(broker, options.workDir()));
        }
        List<ComparisonRow> rows = rows(figures(recordsPerTxn, remote), runs);
        String table = table(rows, runs);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("finished", Instant.now().toString());
        json.put("quick", quick);
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("warmup_seconds", warmup().toMillis() / 1000.0);
        json.put("records_per_transaction", recordsPerTxn);
        json.put("remote", remote);
        json.put("remote_tier", remote ? DirectoryTier.STORAGE_MANAGER : null);
        Map<String, Object> b = new LinkedHashMap<>();
        runs.forEach((name, run) -> b.put(name, run.toJson()));
        json.put("brokers", b);
        json.put("comparison", rows.stream().map(ComparisonRow::toJson).toList());
        Files.writeString(out.resolve("txn.txt"), table);
        Json.write(out.resolve("txn.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return runs.values().stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    /** Checks the options together; a usage error (exit status 2) if they do not fit. */
    void validate() {
        String problem = null;
        if (recordsPerTxn < 1 || recordSize < 8 || partitions < 1) {
            problem = "--records-per-txn and --partitions must be at least 1, --record-size at least 8";
        } else if (transactions < 0 || durationSeconds <= 0 || warmupSeconds < 0) {
            problem = "--transactions and --warmup must not be negative, --duration must be positive";
        } else if (brokers.isEmpty()
                || !brokers.stream()
                        .map(s -> s.trim().toLowerCase(Locale.ROOT))
                        .allMatch(s -> s.equals("kafka") || s.equals("strata"))) {
            problem = "--brokers takes kafka, strata or both, not " + brokers;
        }
        if (problem != null) {
            throw new CommandLine.ParameterException(command.commandLine(), problem);
        }
    }

    /** The produce phases' spec: one producer, {@code acks=all}, no compression; bounded by time and count. */
    WorkloadSpec produceSpec() {
        Duration duration = quick ? QUICK : Duration.ofMillis(Math.round(durationSeconds * 1000));
        return new WorkloadSpec(
                Workload.PRODUCE,
                recordSize,
                partitions,
                "all",
                "none",
                1,
                duration,
                transactions * recordsPerTxn,
                lingerMs,
                batchSize,
                0,
                null,
                Map.of());
    }

    Duration warmup() {
        return quick ? Duration.ofSeconds(1) : Duration.ofMillis(Math.round(warmupSeconds * 1000));
    }

    /** Starts the broker (tiering to a directory of its own with {@code --remote}), runs every phase, stops it. */
    private BrokerRun runBroker(String broker, Path work) {
        System.err.println("== " + broker);
        Map<Phase, WorkloadResult> results = new EnumMap<>(Phase.class);
        String bootstrap = null;
        Path log = null;
        String load = null;
        Path tier = null;
        try {
            Files.createDirectories(work);
            tier = remote ? Files.createTempDirectory(work, broker + "-remote-tier-") : null;
            try (ManagedBroker running = start(broker, work, tier)) {
                bootstrap = running.bootstrap();
                log = running.log();
                System.err.println(broker + " listening on " + bootstrap + "; log " + log
                        + (tier == null ? "" : "; remote tier " + tier));
                load = MachineInfo.loadAverage();
                System.err.println(broker + ": load average " + load);
                new TxnPhases(bootstrap, running.dataDir(), produceSpec(), recordsPerTxn, remote)
                        .run(warmup(), results);
                return new BrokerRun(bootstrap, log, load, results, null);
            }
        } catch (Exception e) {
            String error = e instanceof TxnProduceRun.TransactionsUnsupportedException ? e.getMessage() : e.toString();
            System.err.println("error: " + broker + " run failed: " + error);
            return new BrokerRun(bootstrap, log, load, results, error);
        } finally {
            if (tier != null) {
                ChildProcess.deleteTree(tier);
            }
        }
    }

    private ManagedBroker start(String broker, Path work, Path tier) throws IOException, InterruptedException {
        Map<String, String> tiering = tier == null ? Map.of() : new DirectoryTier(tier).brokerConfigs();
        if (broker.equals("kafka")) {
            Path classpath = Compare.classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE);
            return KafkaBroker.start(
                    classpath,
                    work,
                    tier == null ? Map.of() : KafkaBroker.tieringConfigs(tiering, DirectoryTier.pluginClasspath()));
        }
        return StrataBroker.start(options.strataClasspath(), work, tiering);
    }

    /** The table's figures; the remote ones only with {@code --remote}. */
    static List<Figure> figures(int recordsPerTxn, boolean remote) {
        List<Figure> f = new ArrayList<>();
        Phase idem = Phase.IDEMPOTENT_PRODUCE;
        Phase txn = Phase.TRANSACTIONAL_PRODUCE;
        Phase local = Phase.READ_COMMITTED_LOCAL;
        f.add(new Figure(idem, metric(Workload.PRODUCE, "idempotent produce", "MB/s", true, mbps())));
        f.add(new Figure(idem, metric(Workload.PRODUCE, "idempotent produce", "records/s", true, rps())));
        f.add(new Figure(txn, metric(Workload.PRODUCE, "txn produce", "MB/s", true, mbps())));
        f.add(new Figure(txn, metric(Workload.PRODUCE, "txn produce", "records/s", true, rps())));
        f.add(new Figure(
                txn, metric(Workload.PRODUCE, "txn", "commits/s", true, r -> r.recordsPerSecond() / recordsPerTxn)));
        f.add(new Figure(txn, metric(Workload.PRODUCE, "commit p50", "ms", false, r -> r.latency()
                .p50Ms())));
        f.add(new Figure(txn, metric(Workload.PRODUCE, "commit p99", "ms", false, r -> r.latency()
                .p99Ms())));
        f.add(new Figure(txn, metric(Workload.PRODUCE, "commit max", "ms", false, r -> r.latency()
                .maxMs())));
        f.add(new Figure(local, metric(Workload.REPLAY, "read_committed local", "MB/s", true, mbps())));
        f.add(new Figure(local, metric(Workload.REPLAY, "read_committed local", "records/s", true, rps())));
        if (remote) {
            Phase rem = Phase.READ_COMMITTED_REMOTE;
            f.add(new Figure(rem, metric(Workload.REMOTE_REPLAY, "time to offload", "s", false, r -> r.offload()
                    .seconds())));
            f.add(new Figure(rem, metric(Workload.REMOTE_REPLAY, "read_committed remote", "MB/s", true, mbps())));
            f.add(new Figure(rem, metric(Workload.REMOTE_REPLAY, "read_committed remote", "records/s", true, rps())));
        }
        return f;
    }

    private static Metric metric(
            Workload w, String name, String unit, boolean higherIsBetter, ToDoubleFunction<WorkloadResult> value) {
        return new Metric(w, name, unit, higherIsBetter, value);
    }

    private static ToDoubleFunction<WorkloadResult> mbps() {
        return WorkloadResult::megabytesPerSecond;
    }

    private static ToDoubleFunction<WorkloadResult> rps() {
        return WorkloadResult::recordsPerSecond;
    }

    static List<ComparisonRow> rows(List<Figure> figures, Map<String, BrokerRun> runs) {
        return figures.stream()
                .map(f -> new ComparisonRow(f.metric(), value(runs.get("kafka"), f), value(runs.get("strata"), f)))
                .toList();
    }

    private static Double value(BrokerRun run, Figure f) {
        if (run == null || !run.results().containsKey(f.phase())) {
            return null;
        }
        return f.metric().value().applyAsDouble(run.results().get(f.phase()));
    }

    /** The comparison table, then each broker's load average and any failure. */
    static String table(List<ComparisonRow> rows, Map<String, BrokerRun> runs) {
        StringBuilder out = new StringBuilder(Compare.table(rows));
        runs.forEach((broker, run) -> {
            if (run.loadAverage() != null) {
                out.append(broker)
                        .append(": load average ")
                        .append(run.loadAverage())
                        .append(" at its start\n");
            }
            if (run.error() != null) {
                out.append(broker).append(" failed: ").append(run.error()).append('\n');
            }
        });
        return out.toString();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TxnBench()).execute(args));
    }
}
