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
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Replay of history from a remote tier in a local directory, Apache Kafka 4.3.1 with its own
 * {@code LocalTieredStorage} (from kafka-storage's test jar, loaded as a plugin) and Strata with its filesystem backend,
 * one broker after the other and in both orders: issue #14's first target (Strata's remote replay at least 0.8x its
 * own replay of the same data from local disk, and at least 3x Kafka's remote replay).
 *
 * <p>Each broker turn starts a fresh broker (child JVM, the same JVM options for both) tiering to a fresh directory,
 * produces {@code --warmup} seconds unmeasured on a topic of its own and replays it (so that neither the broker nor
 * this JVM's consumer is measured with a cold JIT: without it the first broker of a run, Kafka in odd rounds, replayed
 * at a fraction of its later rate), tiers and replays {@code --warmup-tiered-mb} MB of another topic from the remote
 * tier (the copy and remote read paths' first run, unmeasured), then on one topic of 1 MiB segments
 * ({@link RemoteReplayRun}): fills it with {@code --tiered-mb} MB while not tiered, replays it from local disk with a
 * fresh consumer, turns tiering on and times the upload until every sealed segment is remote and gone locally, and
 * replays it again, now all but each partition's active segment from the remote tier. The same consumer tool reads for
 * both brokers. Writes {@code dir-replay.json} and {@code dir-replay.txt} into {@code benchmarks/results/<UTC time>/}.
 */
@Command(
        name = "strata-bench-dir-replay",
        mixinStandardHelpOptions = true,
        description = "Replay from a directory remote tier: Apache Kafka with LocalTieredStorage and Strata with its"
                + " filesystem backend, beside each one's replay from local disk.")
public final class DirectoryReplayBench implements Callable<Integer> {
    /** Strata's remote replay at least this share of its local replay. */
    static final double LOCAL_TARGET = 0.8;
    /** Strata's remote replay at least this multiple of Kafka's. */
    static final double KAFKA_TARGET = 3.0;

    static final String LOCAL_TIERED_STORAGE = "org.apache.kafka.server.log.remote.storage.LocalTieredStorage";
    /** Written by {@code remote-storage-s3/apache-kafka/pom.xml}: kafka-storage's test jar, which holds it. */
    static final Path LTS_CLASSPATH_FILE = Path.of("benchmarks", "target", "kafka-local-tiered-storage-classpath.txt");

    @CommandLine.Mixin
    private ReplayDataOptions data;

    @Option(
            names = "--runs",
            description = "Rounds; odd rounds run Kafka first, even ones Strata first (default: ${DEFAULT-VALUE}).",
            defaultValue = "2")
    private int runs;

    @Option(
            names = "--warmup",
            description =
                    "Seconds of unmeasured produce against each fresh broker, then an unmeasured replay of what was"
                            + " produced (default: ${DEFAULT-VALUE}).",
            defaultValue = "5")
    private double warmupSeconds;

    @Option(
            names = "--warmup-tiered-mb",
            description = "MB that each fresh broker then fills, tiers and replays from the remote tier, unmeasured, so"
                    + " that neither broker's copy and remote read paths are measured on their first run (default:"
                    + " ${DEFAULT-VALUE}; 0: none).",
            defaultValue = "512")
    private int warmupTieredMb;

    @Option(names = "--quick", description = "A smoke run: 8 MB, one round, no warm-up.")
    private boolean quick;

    @Option(
            names = "--kafka-classpath",
            description = "Apache Kafka's classpath file (default: benchmarks/target/apache-kafka-classpath.txt).")
    private Path kafkaClasspath;

    @Option(
            names = "--lts-classpath",
            description = "The classpath file naming kafka-storage's test jar"
                    + " (default: benchmarks/target/kafka-local-tiered-storage-classpath.txt).")
    private Path ltsClasspath;

    @CommandLine.Mixin
    private TieredRunOptions options;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec command;

    /** One broker's figures in one round. */
    record Turn(String broker, int round, String loadAtStart, String loadAtEnd, Figures figures, String error) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("broker", broker);
            m.put("round", round);
            m.put("load_average_at_start", loadAtStart);
            m.put("load_average_at_end", loadAtEnd);
            m.put("fill", figures.fill == null ? null : figures.fill.toJson());
            m.put("local_replay", figures.localReplay == null ? null : figures.localReplay.toJson());
            m.put("offload", figures.offload == null ? null : figures.offload.toJson());
            m.put("remote_replay", figures.remoteReplay == null ? null : figures.remoteReplay.toJson());
            m.put("error", error);
            return m;
        }
    }

    /** What one broker turn measured; a step that did not run is null. */
    static final class Figures {
        WorkloadResult fill;
        WorkloadResult localReplay;
        Offload offload;
        WorkloadResult remoteReplay;
    }

    @Override
    public Integer call() throws Exception {
        if (quick) {
            data.tieredMb = 8;
            runs = 1;
            warmupSeconds = 0;
            warmupTieredMb = 0;
        }
        if (data.tieredMb < 1 || runs < 1 || data.partitions < 1 || warmupSeconds < 0 || warmupTieredMb < 0) {
            throw new CommandLine.ParameterException(
                    command.commandLine(),
                    "--tiered-mb, --runs and --partitions must be at least 1; --warmup and --warmup-tiered-mb not"
                            + " negative");
        }
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        WorkloadSpec spec = data.spec();
        List<Turn> turns = new ArrayList<>();
        for (int round = 1; round <= runs; round++) {
            List<String> order = round % 2 == 1 ? List.of("kafka", "strata") : List.of("strata", "kafka");
            for (String broker : order) {
                turns.add(turn(broker, round, spec));
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("finished", Instant.now().toString());
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("tiered_records", spec.records());
        json.put("record_size", data.recordSize);
        json.put("partitions", data.partitions);
        json.put("warmup_seconds", warmupSeconds);
        json.put("warmup_tiered_mb", warmupTieredMb);
        json.put("kafka_remote_storage_manager", LOCAL_TIERED_STORAGE);
        json.put("strata_remote_storage_manager", DirectoryTier.STORAGE_MANAGER);
        json.put("turns", turns.stream().map(Turn::toJson).toList());
        String table = table(turns);
        Files.writeString(out.resolve("dir-replay.txt"), table);
        Json.write(out.resolve("dir-replay.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return turns.stream().allMatch(t -> t.error() == null) ? 0 : 1;
    }

    private Turn turn(String broker, int round, WorkloadSpec spec) {
        String loadAtStart = MachineInfo.loadAverage();
        Figures figures = new Figures();
        String error = null;
        Path work = options.workDir().resolve(broker + "-" + round);
        try (ManagedBroker b = start(broker, work)) {
            System.err.println(broker + " (round " + round + ") listening on " + b.bootstrap() + "; log " + b.log());
            measure(b, spec, figures);
        } catch (Exception e) {
            error = e.toString();
            System.err.println("error: " + broker + " round " + round + " failed: " + e);
        } finally {
            ChildProcess.deleteTree(work.resolve("remote-tier"));
        }
        return new Turn(broker, round, loadAtStart, MachineInfo.loadAverage(), figures, error);
    }

    private ManagedBroker start(String broker, Path work) throws Exception {
        Path tier = work.resolve("remote-tier");
        Files.createDirectories(tier);
        Map<String, String> directory = new DirectoryTier(tier).brokerConfigs();
        if (broker.equals("strata")) {
            return StrataBroker.start(options.strataClasspath(), work, directory);
        }
        Map<String, String> lts = new LinkedHashMap<>(directory);
        lts.put("remote.log.storage.manager.class.name", LOCAL_TIERED_STORAGE);
        String ltsJar = ChildProcess.readClasspath(
                Compare.classpathFile(ltsClasspath, LTS_CLASSPATH_FILE),
                "mvn -B -q -f remote-storage-s3/apache-kafka/pom.xml validate");
        return KafkaBroker.start(
                Compare.classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE),
                work,
                KafkaBroker.tieringConfigs(lts, ltsJar));
    }

    private void measure(ManagedBroker broker, WorkloadSpec spec, Figures figures) {
        String bootstrap = broker.bootstrap();
        if (warmupSeconds > 0) {
            new WorkloadRunner(bootstrap)
                    .run(spec.withWorkload(Workload.REPLAY)
                            .withRecords(0)
                            .withDuration(Duration.ofMillis(Math.round(warmupSeconds * 1000))));
        }
        RemoteReplayRun warmUp = new RemoteReplayRun(
                bootstrap, broker.dataDir(), RemoteReplayRun.spec(data.recordSize, data.partitions, warmupTieredMb));
        RemoteReplayRun run = new RemoteReplayRun(bootstrap, broker.dataDir(), spec);
        // the warm-up topic is deleted at the end: its remote deletions would run during the measured phases
        try (BenchTopic warmTopic = warmupTieredMb > 0 ? warmUp.warmUp() : null;
                BenchTopic topic = run.createTopic()) {
            figures.fill = run.fill(topic);
            figures.localReplay = new ConsumeRun(bootstrap, topic, spec, true).run();
            figures.offload = run.offload(topic);
            figures.remoteReplay = new ConsumeRun(bootstrap, topic, spec, true).run();
        }
    }

    /** Per metric, each round's figure of both brokers; then the two ratios issue #14 sets targets for. */
    static String table(List<Turn> turns) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%-34s %-28s %-28s%n", "MB/s (round: value)", "Apache Kafka", "Strata"));
        row(t, turns, "produce (fill, not tiered)", f -> f.fill);
        row(t, turns, "replay from local disk", f -> f.localReplay);
        row(t, turns, "replay from the remote tier", f -> f.remoteReplay);
        t.append(String.format(
                Locale.ROOT,
                "%-34s %-28s %-28s%n",
                "upload",
                values(turns, "kafka", f -> f.offload == null ? Double.NaN : f.offload.megabytesPerSecond()),
                values(turns, "strata", f -> f.offload == null ? Double.NaN : f.offload.megabytesPerSecond())));
        for (Turn s : turns) {
            if (!s.broker().equals("strata") || s.figures().remoteReplay == null) {
                continue;
            }
            double remote = s.figures().remoteReplay.megabytesPerSecond();
            double local = s.figures().localReplay.megabytesPerSecond();
            ratio(t, "round " + s.round() + ": Strata remote / local", remote / local, LOCAL_TARGET);
            turns.stream()
                    .filter(k -> k.broker().equals("kafka") && k.round() == s.round())
                    .filter(k -> k.figures().remoteReplay != null)
                    .findFirst()
                    .ifPresent(k -> ratio(
                            t,
                            "round " + s.round() + ": Strata remote / Kafka remote",
                            remote / k.figures().remoteReplay.megabytesPerSecond(),
                            KAFKA_TARGET));
        }
        for (Turn turn : turns) {
            t.append(String.format(
                    Locale.ROOT,
                    "round %d %s: load average %s at start, %s at end%s%n",
                    turn.round(),
                    turn.broker(),
                    turn.loadAtStart(),
                    turn.loadAtEnd(),
                    turn.error() == null ? "" : "; failed: " + turn.error()));
        }
        return t.toString();
    }

    private static void row(StringBuilder t, List<Turn> turns, String label, Function<Figures, WorkloadResult> of) {
        ToDoubleFunction<Figures> mbps = f -> {
            WorkloadResult r = of.apply(f);
            return r == null ? Double.NaN : r.megabytesPerSecond();
        };
        t.append(String.format(
                Locale.ROOT,
                "%-34s %-28s %-28s%n",
                label,
                values(turns, "kafka", mbps),
                values(turns, "strata", mbps)));
    }

    private static String values(List<Turn> turns, String broker, ToDoubleFunction<Figures> of) {
        StringBuilder v = new StringBuilder();
        for (Turn turn : turns) {
            if (turn.broker().equals(broker)) {
                double x = of.applyAsDouble(turn.figures());
                v.append(v.isEmpty() ? "" : "  ")
                        .append(turn.round())
                        .append(": ")
                        .append(Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f", x));
            }
        }
        return v.toString();
    }

    private static void ratio(StringBuilder t, String label, double r, double target) {
        t.append(String.format(
                Locale.ROOT, "%-62s %6.2f  (target >= %.1f: %s)%n", label, r, target, r >= target ? "met" : "not met"));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new DirectoryReplayBench()).execute(args));
    }
}
