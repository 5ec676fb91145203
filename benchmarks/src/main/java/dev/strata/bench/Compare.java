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

    @Option(names = "--quick", description = "Each workload phase runs 3 s (a smoke run, not a measurement).")
    private boolean quick;

    @Option(
            names = "--warmup",
            description = "Seconds of unmeasured produce against each freshly started broker, "
                    + "so that neither is measured with a cold JIT (default: ${DEFAULT-VALUE}; --quick: 1).",
            defaultValue = "10")
    private double warmupSeconds;

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

    @Override
    public Integer call() throws Exception {
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
        Map<String, BrokerRun> runs = new LinkedHashMap<>();
        S3ProxyServer s3 = null;
        try {
            if (specs.stream().anyMatch(s -> s.workload() == Workload.REMOTE_REPLAY)) {
                s3 = S3ProxyServer.start(classpathFile(s3proxyClasspath, S3ProxyServer.DEFAULT_CLASSPATH_FILE), work);
                System.err.println("S3Proxy listening on " + s3.endpoint() + "; log " + s3.log());
            }
            for (String b : brokers) {
                String broker = b.trim().toLowerCase(Locale.ROOT);
                runs.put(broker, runBroker(broker, specs, work, s3));
            }
        } finally {
            if (s3 != null) {
                s3.close();
            }
        }
        List<ComparisonRow> rows = compare(runs, specs);
        String table = table(rows, runs);
        Files.writeString(out.resolve("comparison.txt"), table);
        Json.write(out.resolve("comparison.json"), toJson(started, specs, runs, rows));
        ComparisonChart.write(
                out.resolve("comparison.png"),
                "Strata vs Apache Kafka" + (quick ? " (quick run)" : "") + ", " + LoadDriver.STAMP.format(started)
                        + " UTC, " + Runtime.getRuntime().availableProcessors() + " CPUs",
                rows);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return runs.values().stream().allMatch(r -> r.error() == null) ? 0 : 1;
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

    /** The workloads against one broker; a broker that fails is reported, and the other still runs. */
    private BrokerRun runBroker(String broker, List<WorkloadSpec> specs, Path work, S3ProxyServer s3) {
        System.err.println("== " + broker);
        List<WorkloadResult> results = new ArrayList<>();
        String bootstrap = null;
        Path log = null;
        try (ManagedBroker running = start(broker, work, s3)) {
            bootstrap = running.bootstrap();
            log = running.log();
            System.err.println(broker + " listening on " + bootstrap + "; log " + log);
            WorkloadRunner runner = new WorkloadRunner(bootstrap, running.dataDir());
            Duration warmup = warmup();
            if (!warmup.isZero()) {
                System.err.println(broker + ": warming up for " + warmup.toSeconds() + " s (not measured)");
                runner.run(specs.get(0).withWorkload(Workload.PRODUCE).withDuration(warmup));
            }
            for (WorkloadSpec spec : specs) {
                results.add(runner.run(spec));
            }
            return new BrokerRun(bootstrap, log, results, null);
        } catch (Exception e) {
            System.err.println("error: " + broker + " run failed: " + e);
            return new BrokerRun(bootstrap, log, results, e.toString());
        }
    }

    private Duration warmup() {
        return quick ? Duration.ofSeconds(1) : Duration.ofMillis(Math.round(warmupSeconds * 1000));
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

    static List<ComparisonRow> compare(Map<String, BrokerRun> runs, List<WorkloadSpec> specs) {
        List<ComparisonRow> rows = new ArrayList<>();
        for (Metric m : Metric.ALL) {
            if (specs.stream().anyMatch(s -> s.workload() == m.workload())) {
                rows.add(new ComparisonRow(m, value(runs.get("kafka"), m), value(runs.get("strata"), m)));
            }
        }
        return rows;
    }

    private static Double value(BrokerRun run, Metric m) {
        if (run == null) {
            return null;
        }
        return run.results().stream()
                .filter(r -> r.spec().workload() == m.workload())
                .findFirst()
                .map(r -> m.value().applyAsDouble(r))
                .orElse(null);
    }

    static String table(List<ComparisonRow> rows, Map<String, BrokerRun> runs) {
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
                    number(r.kafka()),
                    number(r.strata()),
                    r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio())));
        }
        out.append("(+) higher is better, (-) lower is better\n");
        runs.forEach((broker, run) -> {
            if (run.error() != null) {
                out.append(broker).append(" failed: ").append(run.error()).append('\n');
            }
        });
        return out.toString();
    }

    private static String number(Double v) {
        if (v == null) {
            return "-";
        }
        return v >= 1000 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private Map<String, Object> toJson(
            Instant started, List<WorkloadSpec> specs, Map<String, BrokerRun> runs, List<ComparisonRow> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("started", started.toString());
        m.put("finished", Instant.now().toString());
        m.put("quick", quick);
        m.put("warmup_seconds", warmup().toMillis() / 1000.0);
        m.put("host", MachineInfo.describe());
        m.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        m.put("workloads", specs.stream().map(s -> s.workload().label()).toList());
        specs.stream()
                .filter(s -> s.workload() == Workload.REMOTE_REPLAY)
                .findFirst()
                .ifPresent(s -> m.put("tiered_records", s.records()));
        Map<String, Object> b = new LinkedHashMap<>();
        runs.forEach((name, run) -> b.put(name, run.toJson()));
        m.put("brokers", b);
        m.put("comparison", rows.stream().map(ComparisonRow::toJson).toList());
        return m;
    }

    /**
     * What one broker's part of the comparison produced.
     *
     * @param bootstrap where it listened; null if it did not start
     * @param log its log file
     * @param results the workloads that completed
     * @param error why the run stopped early; null if it did not
     */
    record BrokerRun(String bootstrap, Path log, List<WorkloadResult> results, String error) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bootstrap", bootstrap);
            m.put("log", log == null ? null : log.toString());
            m.put("error", error);
            m.put("results", results.stream().map(WorkloadResult::toJson).toList());
            return m;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Compare()).execute(args));
    }
}
