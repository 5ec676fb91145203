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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The tiered-storage figures of one Strata broker tiering to S3Proxy through its S3 backend, all on the same data: a
 * topic of 1 MiB segments is filled while not yet tiered and replayed from local disk; then tiering is turned on and
 * the upload timed until every sealed segment is remote; once local retention has dropped them, the topic is
 * replayed from the remote tier; then the broker is restarted (an empty chunk cache) and a fresh consumer's first
 * fetch from offset 0 is timed, as many times as asked. Writes {@code tiered.json} and {@code tiered.txt} into
 * {@code benchmarks/results/<UTC time>/}.
 *
 * <p>S3Proxy serves from files the OS has just written, so "remote" here is an object-store protocol over loopback
 * with a warm page cache, not the network latency of a cloud store.
 */
@Command(
        name = "strata-bench-tiered",
        mixinStandardHelpOptions = true,
        description = "Upload, local and remote replay throughput, and cold first-fetch latency of Strata tiering"
                + " to S3Proxy.")
public final class TieredBench implements Callable<Integer> {
    private static final String BUCKET = "strata-bench";

    @Option(
            names = "--tiered-mb",
            description = "MB of records to produce, tier and read back (default: ${DEFAULT-VALUE}).",
            defaultValue = "256")
    private long tieredMb;

    @Option(
            names = "--record-size",
            description = "Value size in bytes (default: ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    private int recordSize;

    @Option(names = "--partitions", description = "Partitions (default: ${DEFAULT-VALUE}).", defaultValue = "3")
    private int partitions;

    @Option(
            names = "--cold-fetches",
            description = "Broker restarts, each followed by one timed first fetch (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    private int coldFetches;

    @Option(
            names = "--warmup",
            description = "Seconds of unmeasured produce against the fresh broker (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    private double warmupSeconds;

    @Option(
            names = "--encrypt",
            description = "Encrypt the remote tier client-side (remote.log.encryption.enable, a fresh random key).")
    private boolean encrypt;

    @Option(
            names = "--tier",
            description = "Where the broker tiers: s3 (S3Proxy through the S3 backend) or directory (the filesystem"
                    + " backend; S3Proxy still runs, idle) (default: ${DEFAULT-VALUE}).",
            defaultValue = "s3")
    private String tier;

    @CommandLine.Mixin
    private TieredRunOptions options;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec command;

    // what the run measured, step by step; a step that did not run is null
    private WorkloadResult fill;
    private WorkloadResult localReplay;
    private Offload offload;
    private WorkloadResult remoteReplay;
    private final List<Double> coldFirstFetchMs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!tier.equals("s3") && !tier.equals("directory")) {
            throw new CommandLine.ParameterException(command.commandLine(), "--tier must be s3 or directory");
        }
        if (coldFetches < 0 || tieredMb < 1) {
            throw new CommandLine.ParameterException(
                    command.commandLine(), "--tiered-mb must be at least 1 and --cold-fetches not negative");
        }
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Path work = options.workDir();
        WorkloadSpec spec = RemoteReplayRun.sized(
                new WorkloadSpec(
                        Workload.REMOTE_REPLAY,
                        recordSize,
                        partitions,
                        "all",
                        "none",
                        1,
                        Duration.ofSeconds(1),
                        0,
                        5,
                        16384,
                        0,
                        null,
                        Map.of()),
                tieredMb);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("warmup_seconds", warmupSeconds);
        json.put("tiered_records", spec.records());
        json.put("remote_encryption", encrypt);
        json.put("tier", tier);
        String error = null;
        try (S3ProxyServer s3 = S3ProxyServer.start(options.s3proxyClasspathFile(), work);
                StrataBroker broker = StrataBroker.start(
                        options.strataClasspath(), work, brokerConfigs(s3.bucket(BUCKET, "strata/"), work))) {
            json.put(
                    "object_store",
                    Map.of("endpoint", s3.endpoint(), "log", s3.log().toString()));
            json.put(
                    "broker",
                    Map.of("bootstrap", broker.bootstrap(), "log", broker.log().toString()));
            System.err.println("Strata listening on " + broker.bootstrap() + ", tiering to S3Proxy at " + s3.endpoint()
                    + "; logs " + broker.log() + ", " + s3.log());
            measure(broker, spec);
        } catch (Exception e) {
            error = e.toString();
            System.err.println("error: tiered run failed: " + e);
        }
        json.put("finished", Instant.now().toString());
        json.put("error", error);
        json.put("fill", fill == null ? null : fill.toJson());
        json.put("local_replay", localReplay == null ? null : localReplay.toJson());
        json.put("offload", offload == null ? null : offload.toJson());
        json.put("remote_replay", remoteReplay == null ? null : remoteReplay.toJson());
        json.put("cold_first_fetch_ms", coldFirstFetchMs);
        String table = table(error);
        Files.writeString(out.resolve("tiered.txt"), table);
        Json.write(out.resolve("tiered.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return error == null ? 0 : 1;
    }

    /** The tiering settings, with client-side encryption under a fresh random key when {@code --encrypt} asks. */
    private Map<String, String> brokerConfigs(S3Tier tier, Path work) throws java.io.IOException {
        Map<String, String> configs = new LinkedHashMap<>(
                this.tier.equals("directory")
                        ? new DirectoryTier(work.resolve("remote-tier")).brokerConfigs()
                        : tier.brokerConfigs());
        if (encrypt) {
            byte[] key = new byte[32];
            new java.security.SecureRandom().nextBytes(key);
            Files.createDirectories(work);
            Path keyFile = work.resolve("remote-encryption-keys.properties");
            Files.writeString(
                    keyFile, "bench-1=" + java.util.Base64.getEncoder().encodeToString(key) + "\n");
            Files.setPosixFilePermissions(
                    keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            configs.put("remote.log.encryption.enable", "true");
            configs.put("remote.log.encryption.active.key.id", "bench-1");
            configs.put("remote.log.encryption.key.file", keyFile.toString());
        }
        return configs;
    }

    private void measure(StrataBroker broker, WorkloadSpec spec) throws Exception {
        String bootstrap = broker.bootstrap();
        Duration warmup = Duration.ofMillis(Math.round(warmupSeconds * 1000));
        if (!warmup.isZero()) {
            System.err.println("warming up for " + warmup.toSeconds() + " s (not measured)");
            new WorkloadRunner(bootstrap)
                    .run(spec.withWorkload(Workload.PRODUCE).withRecords(0).withDuration(warmup));
        }
        RemoteReplayRun run = new RemoteReplayRun(bootstrap, broker.dataDir(), spec);
        try (BenchTopic topic = run.createTopic()) {
            fill = run.fill(topic);
            localReplay = new ConsumeRun(bootstrap, topic, spec, true).run();
            offload = run.offload(topic);
            remoteReplay = new ConsumeRun(bootstrap, topic, spec, true).run();
            for (int i = 0; i < coldFetches; i++) {
                broker.restart();
                coldFirstFetchMs.add(new ConsumeRun(bootstrap, topic, spec, true).firstRecordsMs());
                System.err.printf("cold first fetch %d: %.1f ms%n", i + 1, coldFirstFetchMs.get(i));
            }
        }
    }

    private String table(String error) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(
                Locale.ROOT,
                "%-40s %14s%n",
                (tier.equals("directory") ? "Strata tiering to a directory" : "Strata tiering to S3Proxy")
                        + (encrypt ? ", encrypted" : ""),
                "value"));
        if (fill != null) {
            row(t, "produce (fill, not tiered) MB/s", fill.megabytesPerSecond());
        }
        if (localReplay != null) {
            row(t, "replay from local disk MB/s", localReplay.megabytesPerSecond());
            row(t, "replay from local disk records/s", localReplay.recordsPerSecond());
        }
        if (offload != null) {
            row(t, "upload to S3Proxy MB/s", offload.megabytesPerSecond());
            row(t, "time to offload s (" + offload.segments() + " segments)", offload.seconds());
        }
        if (remoteReplay != null) {
            row(t, "replay from the remote tier MB/s", remoteReplay.megabytesPerSecond());
            row(t, "replay from the remote tier records/s", remoteReplay.recordsPerSecond());
        }
        if (!coldFirstFetchMs.isEmpty()) {
            List<Double> sorted = coldFirstFetchMs.stream().sorted().toList();
            t.append(String.format(
                    Locale.ROOT,
                    "%-40s %14s%n",
                    "cold first fetch ms (min/median/max)",
                    String.format(
                            Locale.ROOT,
                            "%.0f/%.0f/%.0f",
                            sorted.get(0),
                            sorted.get(sorted.size() / 2),
                            sorted.get(sorted.size() - 1))));
        }
        if (error != null) {
            t.append("failed: ").append(error).append('\n');
        }
        return t.toString();
    }

    private static void row(StringBuilder t, String label, double value) {
        t.append(String.format(Locale.ROOT, value >= 1000 ? "%-40s %14.0f%n" : "%-40s %14.2f%n", label, value));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TieredBench()).execute(args));
    }
}
