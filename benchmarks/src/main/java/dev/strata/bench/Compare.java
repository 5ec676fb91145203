package dev.strata.bench;

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
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Strata side by side with Apache Kafka on this machine: starts Apache Kafka (KRaft, one node, child JVM), runs the
 * workloads, stops it; starts Strata the same way, runs the same workloads, stops it; then writes
 * {@code comparison.json}, {@code comparison.txt} (Strata/Kafka ratios) and {@code comparison.png} into
 * {@code benchmarks/results/<UTC time>/}. The brokers run one after the other, never together, so that neither
 * takes CPU from the other.
 *
 * <p>So that the figures do not rest on one client, one order or one partition count: {@code --driver} runs Apache
 * Kafka's own perf tools ({@link KafkaPerfTools}) beside Strata's {@link LoadDriver}; {@code --order} runs each round
 * with Kafka first and again with Strata first (the default), each broker freshly started; {@code --runs N} repeats the
 * rounds; {@code --partitions 1,3,8} runs every workload at each partition count. The table gives min/median/max per
 * metric ({@link CompareSummary}).
 *
 * <p>With the {@code remote-replay} workload, S3Proxy runs in a child JVM for the whole comparison and both brokers
 * tier to it through Strata's S3 backend, each under its own key prefix in one bucket (see {@link S3Tier},
 * {@link KafkaBroker#tieringConfigs}).
 */
@Command(
        name = "strata-bench-compare",
        mixinStandardHelpOptions = true,
        description = "Runs the same workloads against Apache Kafka and Strata and writes the comparison.")
public final class Compare implements Callable<Integer> {
    private static final Duration QUICK = Duration.ofSeconds(3);
    private static final long QUICK_TIERED_MB = 16;
    private static final String BUCKET = "strata-bench";
    private static final long PERF_RECORDS = 1_000_000;
    private static final long QUICK_PERF_RECORDS = 20_000;
    private static final String KAFKA_FIRST = CompareSummary.KAFKA_FIRST;
    private static final String STRATA_FIRST = CompareSummary.STRATA_FIRST;

    @Option(names = "--quick", description = "Each workload phase runs 3 s (a smoke run, not a measurement).")
    private boolean quick;

    @Option(
            names = "--warmup",
            description = "Seconds of unmeasured produce against each freshly started broker, "
                    + "so that neither is measured with a cold JIT (default: ${DEFAULT-VALUE}; --quick: 1).",
            defaultValue = "10")
    private double warmupSeconds;

    @Option(
            names = "--warmup-tiered-mb",
            description = "With remote-replay: MB that each broker fills, tiers and replays from the remote tier,"
                    + " unmeasured, before its measured workloads, so that neither broker's copy and remote read paths"
                    + " are measured on their first run (default: ${DEFAULT-VALUE}; --quick: 0).",
            defaultValue = "1024")
    private long warmupTieredMb;

    @Option(
            names = "--workload",
            split = ",",
            description = "Workloads (default: ${DEFAULT-VALUE}).",
            defaultValue = "produce,consume,e2e,replay,remote-replay")
    private List<String> workloads;

    @Option(
            names = "--tiered-mb",
            description = "MB of records remote-replay tiers and reads back (default: ${DEFAULT-VALUE}; --quick: "
                    + QUICK_TIERED_MB + ").",
            defaultValue = "256")
    private long tieredMb;

    @Option(
            names = "--driver",
            split = ",",
            description = "Clients: loaddriver (Strata's LoadDriver, every workload), kafka-perf (Apache Kafka's "
                    + "ProducerPerformance and ConsumerPerformance in child JVMs: produce and consume only) "
                    + "(default: ${DEFAULT-VALUE}).",
            defaultValue = "loaddriver")
    private List<String> drivers;

    @Option(
            names = "--order",
            split = ",",
            description = "Which broker goes first in a round: kafka-first, strata-first; both runs each round twice "
                    + "(default: ${DEFAULT-VALUE}).",
            defaultValue = KAFKA_FIRST + "," + STRATA_FIRST)
    private List<String> orders;

    @Option(
            names = "--runs",
            description = "Rounds of each order; the table gives min/median/max over them (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    private int runs;

    @Option(
            names = "--brokers",
            split = ",",
            description = "kafka, strata (default: ${DEFAULT-VALUE}).",
            defaultValue = "kafka,strata")
    private List<String> brokers;

    @Option(
            names = "--kafka-classpath",
            description = "Apache Kafka's classpath file (default: "
                    + "benchmarks/target/apache-kafka-classpath.txt, or target/... from inside benchmarks/).")
    private Path kafkaClasspath;

    @Option(
            names = "--s3proxy-classpath",
            description = "S3Proxy's classpath file (default: benchmarks/target/s3proxy-classpath.txt).")
    private Path s3proxyClasspath;

    @Option(
            names = "--s3-plugin-classpath",
            description = "The runtime dependencies of Strata's S3 backend, which Apache Kafka loads it with (default: "
                    + "remote-storage-s3/target/plugin-runtime-classpath.txt, written by its package).")
    private Path s3PluginClasspath;

    @Option(
            names = "--cluster",
            description = "N > 1: N-node clusters of each system instead of single brokers, and the cluster figures "
                    + "(produce with RF=3, failover after kill -9, controlled shutdown); see ClusterBench "
                    + "(default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    private int clusterNodes;

    @Option(
            names = "--paced-rate",
            description = "With --cluster: records/s of the second, paced produce run, whose p99 is latency at a load "
                    + "both systems carry (default: ${DEFAULT-VALUE}).",
            defaultValue = "1000")
    private int pacedRate;

    @Option(
            names = "--failovers",
            description = "With --cluster: leader kills (kill -9) per system (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    private int failovers;

    @Option(
            names = "--shutdowns",
            description = "With --cluster: controlled shutdowns (SIGTERM) per system (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    private int shutdowns;

    @Option(names = "--strata-classpath", description = "Classpath of the Strata broker (default: this JVM's).")
    private String strataClasspath;

    @Option(names = "--results-dir", description = "Where the run's directory goes (default: benchmarks/results).")
    private Path resultsDir;

    @Option(names = "--work-dir", description = "Brokers' data and logs (default: the system temp directory).")
    private Path workDir;

    @CommandLine.Mixin
    private LoadDriver.SpecOptions specOptions = new LoadDriver.SpecOptions();

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec command;

    @Override
    public Integer call() throws Exception {
        List<CompareDriver> driverList = parseDrivers();
        List<List<String>> sequences = sequences();
        if (runs < 1) {
            throw new CommandLine.ParameterException(command.commandLine(), "--runs must be at least 1");
        }
        Instant started = Instant.now();
        Path out = (resultsDir != null ? resultsDir : defaultResultsDir()).resolve(LoadDriver.STAMP.format(started));
        Files.createDirectories(out);
        Path work = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"), "strata-bench");
        if (clusterNodes > 1) {
            return compareClusters(started, out, work);
        }
        List<WorkloadSpec> specs = new ArrayList<>();
        for (String w : workloads) {
            WorkloadSpec s = specOptions.toSpec(Workload.parse(w));
            if (s.workload() == Workload.REMOTE_REPLAY) {
                specs.add(RemoteReplayRun.sized(s, quick ? QUICK_TIERED_MB : tieredMb));
            } else {
                specs.add(quick ? s.withDuration(QUICK) : s);
            }
        }
        List<BrokerRun> phases = new ArrayList<>();
        S3ProxyServer s3 = null;
        try {
            if (specs.stream().anyMatch(s -> s.workload() == Workload.REMOTE_REPLAY)) {
                s3 = S3ProxyServer.start(classpathFile(s3proxyClasspath, S3ProxyServer.DEFAULT_CLASSPATH_FILE), work);
                System.err.println("S3Proxy listening on " + s3.endpoint() + "; log " + s3.log());
            }
            KafkaPerfTools tools = driverList.contains(CompareDriver.KAFKA_PERF)
                    ? new KafkaPerfTools(
                            ChildProcess.readClasspath(
                                    classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE),
                                    "bin/strata bench compare resolves it"),
                            out.resolve("kafka-perf"))
                    : null;
            for (int round = 1; round <= runs; round++) {
                for (List<String> sequence : sequences) {
                    String order = sequence.get(0) + "-first";
                    for (String broker : sequence) {
                        phases.add(runBroker(broker, order, round, driverList, specs, work, s3, tools));
                    }
                }
            }
        } finally {
            if (s3 != null) {
                s3.close();
            }
        }
        List<String> orderNames =
                sequences.stream().map(q -> q.get(0) + "-first").toList();
        List<CompareSummary.Row> rows = CompareSummary.rows(
                measured(phases),
                driverList,
                specOptions.partitionCounts(),
                specs.stream().map(WorkloadSpec::workload).toList());
        String table = CompareSummary.table(rows, runs, orderNames) + loadAndErrors(phases);
        Files.writeString(out.resolve("comparison.txt"), table);
        Json.write(out.resolve("comparison.json"), toJson(started, specs, driverList, orderNames, phases, rows));
        ComparisonChart.write(
                out.resolve("comparison.png"),
                "Strata vs Apache Kafka" + (quick ? " (quick run)" : "") + ", medians, "
                        + LoadDriver.STAMP.format(started) + " UTC, "
                        + Runtime.getRuntime().availableProcessors()
                        + " CPUs",
                rows.stream().map(CompareSummary.Row::medians).toList());
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return phases.stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    private List<CompareDriver> parseDrivers() {
        try {
            return drivers.stream().map(CompareDriver::parse).distinct().toList();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(command.commandLine(), "--driver: " + e.getMessage());
        }
    }

    /**
     * The brokers of each round in the order they run: per {@code --order}, the {@code --brokers} with the one that
     * goes first in front. With one broker there is one order.
     */
    List<List<String>> sequences() {
        List<String> names = brokers.stream()
                .map(b -> b.trim().toLowerCase(Locale.ROOT))
                .distinct()
                .toList();
        for (String b : names) {
            if (!b.equals("kafka") && !b.equals("strata")) {
                throw new CommandLine.ParameterException(
                        command.commandLine(), "--brokers: unknown broker " + b + "; kafka or strata");
            }
        }
        List<List<String>> sequences = new ArrayList<>();
        for (String o : orders) {
            String first =
                    switch (o.trim().toLowerCase(Locale.ROOT)) {
                        case KAFKA_FIRST -> "kafka";
                        case STRATA_FIRST -> "strata";
                        default -> throw new CommandLine.ParameterException(
                                command.commandLine(), "--order: unknown order " + o + "; kafka-first or strata-first");
                    };
            List<String> sequence = new ArrayList<>(names);
            if (sequence.remove(first)) {
                sequence.add(0, first);
            }
            if (!sequences.contains(sequence)) {
                sequences.add(sequence);
            }
        }
        return sequences;
    }

    /**
     * {@code --cluster N}: an N-node Apache Kafka cluster, then an N-node Strata cluster, each through
     * {@link ClusterBench}; writes {@code cluster.json} and {@code cluster.txt}.
     */
    private int compareClusters(Instant started, Path out, Path work) throws IOException {
        WorkloadSpec produce = specOptions.toSpec(Workload.PRODUCE);
        if (quick) {
            produce = produce.withDuration(QUICK);
        }
        Map<String, ClusterBench.ClusterRun> runs = new LinkedHashMap<>();
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (String b : brokers) {
            String broker = b.trim().toLowerCase(Locale.ROOT);
            System.err.println("== " + broker + ", " + clusterNodes + " nodes");
            try (LocalCluster cluster = startCluster(broker, work)) {
                dirs.put(broker, cluster.dir());
                System.err.println(broker + " cluster on " + cluster.bootstrap() + "; logs in " + cluster.dir());
                runs.put(broker, ClusterBench.run(broker, cluster, produce, pacedRate, warmup(), failovers, shutdowns));
            } catch (IOException | InterruptedException | RuntimeException e) {
                System.err.println("error: " + broker + " cluster did not start: " + e);
                runs.put(
                        broker,
                        new ClusterBench.ClusterRun(
                                broker, null, null, List.of(), List.of(), List.of(), 0, e.toString()));
            }
        }
        String table = ClusterBench.table(clusterNodes, runs.get("kafka"), runs.get("strata"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("finished", Instant.now().toString());
        json.put("quick", quick);
        json.put("nodes", clusterNodes);
        json.put("warmup_seconds", warmup().toMillis() / 1000.0);
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("clusters", ClusterBench.toJson(runs, dirs));
        Files.writeString(out.resolve("cluster.txt"), table);
        Json.write(out.resolve("cluster.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return runs.values().stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    private LocalCluster startCluster(String broker, Path work) throws IOException, InterruptedException {
        return switch (broker) {
            case "kafka" -> LocalCluster.kafka(
                    classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE), work, clusterNodes);
            case "strata" -> LocalCluster.strata(
                    strataClasspath != null ? strataClasspath : System.getProperty("java.class.path"),
                    work,
                    clusterNodes);
            default -> throw new IllegalArgumentException("unknown broker " + broker + "; kafka or strata");
        };
    }

    /**
     * One broker's turn in a round: start it, warm it up, run every driver at every partition count, stop it. A broker
     * that fails is reported, and the rest still runs.
     */
    private BrokerRun runBroker(
            String broker,
            String order,
            int round,
            List<CompareDriver> driverList,
            List<WorkloadSpec> specs,
            Path work,
            S3ProxyServer s3,
            KafkaPerfTools tools) {
        System.err.println("== round " + round + ", " + order + ": " + broker);
        String loadAtStart = MachineInfo.loadAverage();
        List<ComparePhase.Sample> samples = new ArrayList<>();
        String bootstrap = null;
        Path log = null;
        String error = null;
        try (ManagedBroker running = start(broker, work, s3)) {
            bootstrap = running.bootstrap();
            log = running.log();
            System.err.println(broker + " listening on " + bootstrap + "; log " + log);
            ComparePhase phase = new ComparePhase(bootstrap, running.dataDir(), tools);
            phase.warmUp(specs.get(0), warmup());
            try (BenchTopic warmTopic = phase.warmUpTiered(specs, warmupTieredMb())) {
                for (int p : specOptions.partitionCounts()) {
                    for (CompareDriver d : driverList) {
                        samples.addAll(phase.run(d, specsFor(d, p, specs)));
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("error: " + broker + " run failed: " + e);
            error = e.toString();
        }
        return new BrokerRun(
                broker, order, round, bootstrap, log, samples, error, loadAtStart, MachineInfo.loadAverage());
    }

    /**
     * The specs at {@code partitions}; Kafka's producer tool sends a record count, so without {@code --records} it
     * gets {@value #PERF_RECORDS} ({@value #QUICK_PERF_RECORDS} with {@code --quick}).
     */
    private List<WorkloadSpec> specsFor(CompareDriver driver, int partitions, List<WorkloadSpec> specs) {
        return specs.stream()
                .map(s -> s.withPartitions(partitions))
                .map(s -> driver == CompareDriver.KAFKA_PERF && s.records() == 0
                        ? s.withRecords(quick ? QUICK_PERF_RECORDS : PERF_RECORDS)
                        : s)
                .toList();
    }

    private Duration warmup() {
        return quick ? Duration.ofSeconds(1) : Duration.ofMillis(Math.round(warmupSeconds * 1000));
    }

    private long warmupTieredMb() {
        return quick ? 0 : warmupTieredMb;
    }

    /** Starts the broker; with an object store, tiering to it under a key prefix of the broker's name. */
    private ManagedBroker start(String broker, Path work, S3ProxyServer s3) throws IOException, InterruptedException {
        return switch (broker) {
            case "kafka" -> KafkaBroker.start(
                    classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE),
                    work,
                    s3 == null
                            ? Map.of()
                            : KafkaBroker.tieringConfigs(
                                    s3.bucket(BUCKET, "kafka/"),
                                    KafkaBroker.s3PluginClasspath(
                                            classpathFile(s3PluginClasspath, KafkaBroker.S3_PLUGIN_CLASSPATH_FILE))));
            case "strata" -> StrataBroker.start(
                    strataClasspath != null ? strataClasspath : System.getProperty("java.class.path"),
                    work,
                    s3 == null ? Map.of() : s3.bucket(BUCKET, "strata/").brokerConfigs());
            default -> throw new IllegalArgumentException("unknown broker " + broker + "; kafka or strata");
        };
    }

    /**
     * The given classpath file, or the default one, {@code fromRoot}: relative to the repository root when run from
     * there, else seen from a module's directory such as benchmarks/.
     */
    static Path classpathFile(Path given, Path fromRoot) {
        if (given != null) {
            return given;
        }
        return Files.exists(fromRoot) ? fromRoot : Path.of("..").resolve(fromRoot);
    }

    static Path defaultResultsDir() {
        return Files.isDirectory(Path.of("benchmarks")) ? Path.of("benchmarks", "results") : Path.of("results");
    }

    private static List<CompareSummary.Measured> measured(List<BrokerRun> phases) {
        List<CompareSummary.Measured> m = new ArrayList<>();
        for (BrokerRun r : phases) {
            r.samples().forEach(s -> m.add(new CompareSummary.Measured(r.broker(), r.order(), r.round(), s)));
        }
        return m;
    }

    /** The 1-minute load average at each broker's start and end, and the failures. */
    static String loadAndErrors(List<BrokerRun> phases) {
        StringBuilder out = new StringBuilder();
        List<Double> loads = new ArrayList<>();
        for (BrokerRun r : phases) {
            for (String l : new String[] {r.loadAtStart(), r.loadAtEnd()}) {
                if (l != null) {
                    loads.add(Double.parseDouble(l.split(",")[0].trim()));
                }
            }
        }
        if (!loads.isEmpty()) {
            CompareSummary.Stats s = CompareSummary.Stats.of(loads);
            out.append(String.format(
                    Locale.ROOT,
                    "1-minute load average at each broker's start and end: min %.2f, median %.2f, max %.2f%n",
                    s.min(),
                    s.median(),
                    s.max()));
        }
        for (BrokerRun r : phases) {
            if (r.error() != null) {
                out.append(String.format(
                        Locale.ROOT, "%s failed in round %d (%s): %s%n", r.broker(), r.round(), r.order(), r.error()));
            }
        }
        return out.toString();
    }

    /** The two-column table of one value per broker (used by {@code bench txn}). */
    static String table(List<ComparisonRow> rows) {
        StringBuilder out = new StringBuilder();
        int width = rows.stream()
                .mapToInt(r -> r.metric().label().length() + 4)
                .max()
                .orElse(0);
        String format = "%-" + Math.max(28, width) + "s %14s %14s %14s%n";
        out.append(String.format(Locale.ROOT, format, "metric", "Apache Kafka", "Strata", "Strata/Kafka"));
        for (ComparisonRow r : rows) {
            out.append(String.format(
                    Locale.ROOT,
                    format,
                    r.metric().label() + (r.metric().higherIsBetter() ? " (+)" : " (-)"),
                    r.kafka() == null ? "-" : CompareSummary.number(r.kafka()),
                    r.strata() == null ? "-" : CompareSummary.number(r.strata()),
                    r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio())));
        }
        out.append("(+) higher is better, (-) lower is better\n");
        return out.toString();
    }

    private Map<String, Object> toJson(
            Instant started,
            List<WorkloadSpec> specs,
            List<CompareDriver> driverList,
            List<String> orderNames,
            List<BrokerRun> phases,
            List<CompareSummary.Row> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("started", started.toString());
        m.put("finished", Instant.now().toString());
        m.put("quick", quick);
        m.put("warmup_seconds", warmup().toMillis() / 1000.0);
        m.put("warmup_tiered_mb", warmupTieredMb());
        m.put("host", MachineInfo.describe());
        m.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        m.put("kafka_perf_jvm_options", KafkaPerfTools.TOOL_JVM_OPTIONS);
        m.put("workloads", specs.stream().map(s -> s.workload().label()).toList());
        m.put("drivers", driverList.stream().map(CompareDriver::label).toList());
        m.put("partitions", specOptions.partitionCounts());
        m.put("orders", orderNames);
        m.put("runs", runs);
        specs.stream()
                .filter(s -> s.workload() == Workload.REMOTE_REPLAY)
                .findFirst()
                .ifPresent(s -> m.put("tiered_records", s.records()));
        m.put("phases", phases.stream().map(BrokerRun::toJson).toList());
        m.put("comparison", rows.stream().map(CompareSummary.Row::toJson).toList());
        return m;
    }

    /**
     * What one broker's turn in one round produced.
     *
     * @param broker {@code kafka} or {@code strata}
     * @param order which broker went first in the round
     * @param round 1-based
     * @param bootstrap where it listened; null if it did not start
     * @param log its log file
     * @param samples the workloads that completed
     * @param error why the turn stopped early; null if it did not
     * @param loadAtStart load averages ({@code /proc/loadavg}) when it started
     * @param loadAtEnd and when it stopped
     */
    record BrokerRun(
            String broker,
            String order,
            int round,
            String bootstrap,
            Path log,
            List<ComparePhase.Sample> samples,
            String error,
            String loadAtStart,
            String loadAtEnd) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("broker", broker);
            m.put("order", order);
            m.put("round", round);
            m.put("bootstrap", bootstrap);
            m.put("log", log == null ? null : log.toString());
            m.put("load_average_at_start", loadAtStart);
            m.put("load_average_at_end", loadAtEnd);
            m.put("error", error);
            m.put("results", samples.stream().map(ComparePhase.Sample::toJson).toList());
            return m;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Compare()).execute(args));
    }
}
