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
 */
@Command(
        name = "strata-bench-compare",
        mixinStandardHelpOptions = true,
        description = "Runs the same workloads against Apache Kafka and Strata and writes the comparison.")
public final class Compare implements Callable<Integer> {
    private static final Duration QUICK = Duration.ofSeconds(3);

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
            defaultValue = "produce,consume,e2e,replay")
    private List<String> workloads;

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
        List<WorkloadSpec> specs = new ArrayList<>();
        for (String w : workloads) {
            WorkloadSpec s = specOptions.toSpec(Workload.parse(w));
            specs.add(quick ? s.withDuration(QUICK) : s);
        }
        Map<String, BrokerRun> runs = new LinkedHashMap<>();
        for (String b : brokers) {
            String broker = b.trim().toLowerCase(Locale.ROOT);
            runs.put(broker, runBroker(broker, specs, work));
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

    /** The workloads against one broker; a broker that fails is reported, and the other still runs. */
    private BrokerRun runBroker(String broker, List<WorkloadSpec> specs, Path work) {
        System.err.println("== " + broker);
        List<WorkloadResult> results = new ArrayList<>();
        String bootstrap = null;
        Path log = null;
        try (ManagedBroker running = start(broker, work)) {
            bootstrap = running.bootstrap();
            log = running.log();
            System.err.println(broker + " listening on " + bootstrap + "; log " + log);
            WorkloadRunner runner = new WorkloadRunner(bootstrap);
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

    private ManagedBroker start(String broker, Path work) throws IOException, InterruptedException {
        return switch (broker) {
            case "kafka" -> KafkaBroker.start(kafkaClasspathFile(), work);
            case "strata" -> StrataBroker.start(
                    strataClasspath != null ? strataClasspath : System.getProperty("java.class.path"), work);
            default -> throw new IllegalArgumentException("unknown broker " + broker + "; kafka or strata");
        };
    }

    private Path kafkaClasspathFile() {
        if (kafkaClasspath != null) {
            return kafkaClasspath;
        }
        Path fromRoot = KafkaBroker.DEFAULT_CLASSPATH_FILE;
        return Files.exists(fromRoot) ? fromRoot : Path.of("target", "apache-kafka-classpath.txt");
    }

    private static Path defaultResultsDir() {
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
        out.append(String.format(
                Locale.ROOT, "%-24s %14s %14s %14s%n", "metric", "Apache Kafka", "Strata", "Strata/Kafka"));
        for (ComparisonRow r : rows) {
            out.append(String.format(
                    Locale.ROOT,
                    "%-24s %14s %14s %14s%n",
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
        m.put("broker_jvm_options", BrokerProcess.JVM_OPTIONS);
        m.put("workloads", specs.stream().map(s -> s.workload().label()).toList());
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
