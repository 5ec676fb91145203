package dev.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The tiered-storage figures of one Strata broker tiering to S3Proxy through its S3 backend, all on the same data, each
 * beside what S3Proxy itself serves on this machine in the same run: a topic of 1 MiB segments is filled while not yet
 * tiered and replayed from local disk; tiering is turned on and the upload timed until every sealed segment is remote,
 * then plain PUTs of as many objects of a segment's size are timed, three times (the PUT ceiling, their median); once
 * local retention has dropped the segments, the topic is replayed from the remote tier by one consumer, then a plain
 * reader GETs the same segment objects one after the other, three times (the GET ceiling); with {@code --consumers N},
 * N consumers replay the partitions at once; after a restart (an empty chunk cache, and the warm-up topic replayed
 * unmeasured so that the restarted JVM is not measured cold), cold fetches of offsets in the middle of remote segments
 * are timed and their GETs counted. With {@code --latency-ms} or {@code --stream-mbps} the upload (of a second topic)
 * and the PUT ceiling, the replays, the GET ceiling and the cold fetches are then repeated with that latency and
 * bandwidth cap injected between the broker and S3Proxy.
 *
 * <p>The broker reaches S3Proxy through a {@link LatencyProxy}, which also counts its requests (per GiB stored and
 * replayed, priced by {@link RequestCosts}); the ceiling client goes through a second one with the same shape. Writes
 * {@code tiered.json} and {@code tiered.txt} into {@code benchmarks/results/<UTC time>/}.
 *
 * <p>S3Proxy serves from files the OS has just written, so without injected latency "remote" is an object-store
 * protocol over loopback with a warm page cache, not the network of a cloud store.
 */
@Command(
        name = "strata-bench-tiered",
        mixinStandardHelpOptions = true,
        description = "Upload, local and remote replay throughput, and cold-fetch latency of Strata tiering to S3Proxy,"
                + " beside S3Proxy's own GET and PUT ceilings; optionally with injected latency.")
public final class TieredBench implements Callable<Integer> {
    private static final String BUCKET = "strata-bench";
    private static final String PREFIX = "strata/";
    /** The broker's {@code remote.log.chunk.size} default: the range of one GET of the remote reader. */
    private static final int CHUNK_BYTES = 4 << 20;
    /** Segment-sized PUTs per round of S3Proxy's warm-up. */
    private static final int WARM_UP_PUTS = 256;
    /** Segment objects of the warm-up topic the GET ceiling's reader reads, unmeasured, before anything is measured. */
    private static final int WARM_UP_GETS = 256;
    /** Rounds of each ceiling, PUT and GET; the figures take their median. */
    private static final int CEILING_ROUNDS = 3;

    @CommandLine.Mixin
    private ReplayDataOptions data;

    @Option(
            names = "--consumers",
            description = "Also replay with this many consumers at once, each its share of the partitions"
                    + " (default: ${DEFAULT-VALUE}: no such phase).",
            defaultValue = "1")
    private int consumers;

    @Option(
            names = "--cold-fetches",
            description = "Cold fetches in the middle of a remote segment, per setting (default: ${DEFAULT-VALUE}).",
            defaultValue = "20")
    private int coldFetches;

    @Option(
            names = "--latency-ms",
            description = "Also measure with this time to first byte injected before S3Proxy (default: none).",
            defaultValue = "0")
    private double latencyMs;

    @Option(
            names = "--stream-mbps",
            description = "With it, this cap in MB/s on each connection to S3Proxy (default: none).",
            defaultValue = "0")
    private double streamMbps;

    @Option(
            names = "--warmup",
            description = "Seconds of unmeasured produce against the fresh broker (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    private double warmupSeconds;

    @Option(
            names = "--warmup-upload-mb",
            description = "With a warm-up: MB tiered and replayed from the remote tier before the measured upload,"
                    + " after plain PUTs until S3Proxy's rate levels off, so that neither the broker's copy and remote"
                    + " read paths nor S3Proxy are measured with a cold JIT (default: ${DEFAULT-VALUE}; 0: none).",
            defaultValue = "1024")
    private int warmupUploadMb;

    @Option(
            names = "--probe-rate",
            description = "Records/s of a producer on an untiered topic, timed alone and during the upload"
                    + " (default: ${DEFAULT-VALUE}; 0: no probe).",
            defaultValue = "1000")
    private int probeRate;

    @Option(
            names = "--probe-seconds",
            description = "How long the probe runs alone, before the upload (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    private double probeSeconds;

    @Option(names = "--quick", description = "A smoke run: 16 MB, no warm-up, 3 cold fetches.")
    private boolean quick;

    @Option(
            names = "--encrypt",
            description = "Encrypt the remote tier client-side (remote.log.encryption.enable, a fresh random key).")
    private boolean encrypt;

    @Option(
            names = "--tier",
            description = "Where the broker tiers: s3 (S3Proxy through the S3 backend) or directory (the filesystem"
                    + " backend; S3Proxy still runs, for the ceilings) (default: ${DEFAULT-VALUE}).",
            defaultValue = "s3")
    private String tierKind;

    @Option(
            names = "--broker-config",
            description = "A broker setting on top of the tiering ones, key=value (repeatable), e.g."
                    + " remote.log.chunk.read.ahead.max.in.flight=0 to turn read-ahead off.")
    private Map<String, String> extraBrokerConfigs = new LinkedHashMap<>();

    @CommandLine.Mixin
    private TieredRunOptions options;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec command;

    private final TieredFigures figures = new TieredFigures();

    @Override
    public Integer call() throws Exception {
        if (quick) {
            data.tieredMb = 16;
            warmupSeconds = 0;
            probeSeconds = Math.min(probeSeconds, 2);
            coldFetches = Math.min(coldFetches, 3);
        }
        if (!tierKind.equals("s3") && !tierKind.equals("directory")) {
            throw new CommandLine.ParameterException(command.commandLine(), "--tier must be s3 or directory");
        }
        if (coldFetches < 0
                || data.tieredMb < 1
                || consumers < 1
                || latencyMs < 0
                || streamMbps < 0
                || probeRate < 0
                || warmupUploadMb < 0
                || probeSeconds <= 0) {
            throw new CommandLine.ParameterException(
                    command.commandLine(),
                    "--tiered-mb and --consumers must be at least 1; --cold-fetches, --latency-ms, --stream-mbps,"
                            + " --probe-rate and --warmup-upload-mb not negative; --probe-seconds positive");
        }
        data.partitions = Math.max(data.partitions, consumers);
        figures.consumers = consumers;
        Instant started = Instant.now();
        String loadAtStart = MachineInfo.loadAverage();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Path work = options.workDir();
        WorkloadSpec spec = data.spec();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("warmup_seconds", warmupSeconds);
        json.put("warmup_upload_mb", warmupSeconds == 0 ? 0 : warmupUploadMb);
        json.put("tiered_records", spec.records());
        json.put("partitions", data.partitions);
        json.put("consumers", consumers);
        json.put("latency_ms", latencyMs);
        json.put("stream_mbps", streamMbps);
        json.put("remote_encryption", encrypt);
        json.put("tier", tierKind);
        json.put("probe_records_per_second", probeRate);
        String error = null;
        try (S3ProxyServer s3 = S3ProxyServer.start(options.s3proxyClasspathFile(), work);
                LatencyProxy brokerPath = LatencyProxy.inFrontOf(s3.endpoint());
                LatencyProxy ceilingPath = LatencyProxy.inFrontOf(s3.endpoint())) {
            S3Tier direct = s3.bucket(BUCKET, PREFIX);
            S3Tier tier =
                    new S3Tier(brokerPath.endpoint(), direct.bucket(), direct.accessKey(), direct.secretKey(), PREFIX);
            try (StrataBroker broker = StrataBroker.start(options.strataClasspath(), work, brokerConfigs(tier, work));
                    ObjectStoreCeiling ceiling = new ObjectStoreCeiling(ceilingPath.endpoint(), direct)) {
                json.put(
                        "object_store",
                        Map.of(
                                "endpoint",
                                s3.endpoint(),
                                "broker_proxy",
                                brokerPath.endpoint(),
                                "log",
                                s3.log().toString()));
                json.put(
                        "broker",
                        Map.of(
                                "bootstrap",
                                broker.bootstrap(),
                                "log",
                                broker.log().toString(),
                                "extra_configs",
                                extraBrokerConfigs));
                System.err.println("Strata listening on " + broker.bootstrap() + ", tiering to S3Proxy at "
                        + s3.endpoint() + " through " + brokerPath.endpoint() + "; logs " + broker.log() + ", "
                        + s3.log());
                measure(broker, spec, new Store(brokerPath, ceilingPath, ceiling, s3));
            }
        } catch (Exception e) {
            error = e.toString();
            System.err.println("error: tiered run failed: " + e);
        }
        json.put("finished", Instant.now().toString());
        json.put("load_average_at_end", MachineInfo.loadAverage());
        json.put("error", error);
        figures.toJson(json);
        String table = figures.table(title(loadAtStart), error);
        Files.writeString(out.resolve("tiered.txt"), table);
        Json.write(out.resolve("tiered.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return error == null ? 0 : 1;
    }

    /** The object store's two paths (the broker's, counted, and the ceiling client's) and its process. */
    private record Store(
            LatencyProxy broker, LatencyProxy ceilingPath, ObjectStoreCeiling ceiling, S3ProxyServer server) {
        void shape(double latencyMs, double streamMbps) {
            broker.shape(latencyMs, streamMbps);
            ceilingPath.shape(latencyMs, streamMbps);
        }
    }

    private String title(String loadAtStart) {
        String t = (tierKind.equals("directory") ? "Strata tiering to a directory" : "Strata tiering to S3Proxy")
                + (encrypt ? ", encrypted" : "");
        return t
                + String.format(
                        Locale.ROOT,
                        " (%d partitions; load average %s at start, %s at end)",
                        data.partitions,
                        loadAtStart,
                        MachineInfo.loadAverage());
    }

    /** The tiering settings, with client-side encryption under a fresh random key when {@code --encrypt} asks. */
    private Map<String, String> brokerConfigs(S3Tier tier, Path work) throws java.io.IOException {
        Map<String, String> configs = new LinkedHashMap<>(
                tierKind.equals("directory")
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
        configs.putAll(extraBrokerConfigs);
        return configs;
    }

    private void measure(StrataBroker broker, WorkloadSpec spec, Store store) throws Exception {
        String bootstrap = broker.bootstrap();
        Duration warmup = Duration.ofMillis(Math.round(warmupSeconds * 1000));
        if (!warmup.isZero()) {
            System.err.println("warming up for " + warmup.toSeconds() + " s (not measured)");
            new WorkloadRunner(bootstrap)
                    .run(spec.withWorkload(Workload.PRODUCE).withRecords(0).withDuration(warmup));
        }
        RemoteReplayRun warmUpload = new RemoteReplayRun(
                bootstrap, broker.dataDir(), RemoteReplayRun.spec(data.recordSize, data.partitions, warmupUploadMb));
        RemoteReplayRun run = new RemoteReplayRun(bootstrap, broker.dataDir(), spec);
        // the warm-up topic is deleted at the end: its remote deletions would run during the measured upload
        try (BenchTopic warmTopic = warm(warmUpload, warmup.isZero() ? 0 : warmupUploadMb, store, !warmup.isZero());
                BenchTopic topic = run.createTopic()) {
            figures.fill = run.fill(topic);
            figures.localReplay = new ConsumeRun(bootstrap, topic, spec, true).run();
            Map<TopicPartition, List<Long>> bases = run.segmentBaseOffsets(topic);
            S3RequestCounter.Counts before = store.broker().requests().snapshot();
            figures.offload = offload(run, topic, spec, bootstrap, () -> CpuUse.Reading.now(broker, store.server()));
            S3RequestCounter.Counts upload =
                    store.broker().requests().snapshot().minus(before);
            // S3Proxy's ceilings and request counts say nothing about a broker tiering to a directory
            boolean s3 = tierKind.equals("s3");
            if (s3) {
                CpuUse.Reading cpu = CpuUse.Reading.now(broker, store.server());
                figures.putCeilingRounds = putCeilingRounds(store, "ceiling/", figures.offload);
                figures.putCeiling = ObjectStoreCeiling.Transfer.median(figures.putCeilingRounds);
                figures.ceilingCpu = CpuUse.Reading.now(broker, store.server()).since(cpu);
                figures.putStreams = putWriters();
                System.err.printf(
                        "PUT ceiling: %.1f MB/s (rounds: %s); cores used: %s%n",
                        figures.putCeiling.megabytesPerSecond(),
                        TieredFigures.rates(figures.putCeilingRounds),
                        figures.ceilingCpu.describe());
            }

            before = store.broker().requests().snapshot();
            figures.plain.replay = new ConsumeRun(bootstrap, topic, spec, true).run();
            S3RequestCounter.Counts replay =
                    store.broker().requests().snapshot().minus(before);
            List<S3Object> logs = s3 ? store.ceiling().list(PREFIX + topic.name() + "-", ".log") : List.of();
            if (s3) {
                figures.costs = new RequestCosts(upload, replay, figures.offload.segments(), figures.offload.bytes());
                getCeiling(store, logs, figures.plain);
                System.err.printf(
                        "GET ceiling: %.1f MB/s (rounds: %s)%n",
                        figures.plain.getCeiling.megabytesPerSecond(),
                        TieredFigures.rates(figures.plain.getCeilingRounds));
            }
            List<Map.Entry<TopicPartition, Long>> coldOffsets = ColdFetchRun.offsets(bases, coldFetches);
            // a restart empties the chunk cache and starts a JVM whose JIT has compiled nothing yet
            Restart restart = () -> {
                broker.restart();
                if (warmTopic != null) {
                    System.err.println("replaying the warm-up topic after the restart (not measured)");
                    warmUpload.replay(warmTopic);
                }
            };
            remotePhases(restart, broker, spec, topic, store, coldOffsets, figures.plain);
            if (latencyMs > 0 || streamMbps > 0) {
                store.shape(latencyMs, streamMbps);
                // before the restart, on the broker whose copy path is warm; deleted at the end, as the warm-up topic
                try (BenchTopic second = s3 ? shapedUpload(run, store) : null) {
                    restart.run();
                    figures.shaped.replay = new ConsumeRun(bootstrap, topic, spec, true).run();
                    if (s3) {
                        getCeiling(store, logs, figures.shaped);
                    }
                    remotePhases(restart, broker, spec, topic, store, coldOffsets, figures.shaped);
                }
                figures.shapedLabel = String.format(
                        Locale.ROOT, "%.0f ms to first byte, %.0f MB/s per stream", latencyMs, streamMbps);
            }
        }
    }

    /**
     * Unmeasured: with {@code putsToPlateau}, plain PUTs of segment-sized objects until S3Proxy's PUT rate stops
     * growing ({@link ObjectStoreCeiling#warmUp}), and then {@code mb} MB tiered from a topic of its own and replayed
     * from the remote tier: the first segments a fresh broker copies run its copy path (the S3 client, signing,
     * checksums, the index) through the JIT compilers, which took 40% of the broker's CPU in a profile of a run without
     * this; the measured remote replay was likewise the first run of the remote read path (the JIT 40% of its CPU).
     * A segment's copy calls much of that code once or twice, so it takes many segments to be compiled: in the 6 s of
     * the measured upload (246 segments) the broker's JIT compiled 2,007 methods after a 64 MB warm-up, 316 after 1 GiB
     * and 88 after 2 GiB (JFR {@code jdk.Compilation}), and the upload ran at 42, 67 and 78 MB/s. The default, 1 GiB,
     * measures a broker that has tiered about a thousand segments before. Tiering to S3Proxy, the GET ceiling's reader
     * then reads up to {@value #WARM_UP_GETS} of the topic's log objects: it runs in this JVM, and its first GETs were
     * otherwise the measured ones. The topic, or null when {@code mb} is 0.
     */
    private BenchTopic warm(RemoteReplayRun run, int mb, Store store, boolean putsToPlateau) throws Exception {
        if (putsToPlateau && tierKind.equals("s3")) {
            int objectBytes = Integer.parseInt(RemoteReplayRun.SEGMENT_BYTES);
            figures.putWarmUp = store.ceiling().warmUp("ceiling-warmup/", WARM_UP_PUTS, objectBytes, putWriters());
            System.err.println("S3Proxy's PUT rate while warming up, MB/s: " + TieredFigures.rates(figures.putWarmUp));
        }
        if (mb == 0) {
            return null;
        }
        System.err.println("warming up the upload and the remote replay with " + mb + " MB (not measured)");
        BenchTopic topic = run.warmUp();
        if (tierKind.equals("s3")) {
            // the GET ceiling's reader runs in this JVM: without this its first GETs were the measured ones
            try {
                List<S3Object> logs = store.ceiling().list(PREFIX + topic.name() + "-", ".log");
                figures.getWarmUp =
                        store.ceiling().read(logs.subList(0, Math.min(logs.size(), WARM_UP_GETS)), CHUNK_BYTES);
                System.err.printf(
                        "plain reader's GETs while warming up: %.1f MB/s%n", figures.getWarmUp.megabytesPerSecond());
            } catch (RuntimeException | Error e) {
                topic.close();
                throw e;
            }
        }
        return topic;
    }

    /**
     * Turns tiering on and waits for the upload; with a probe, a paced producer on an untiered topic is timed for
     * {@code --probe-seconds} before (tiering idle) and then for as long as the upload runs.
     */
    private Offload offload(
            RemoteReplayRun run, BenchTopic topic, WorkloadSpec spec, String bootstrap, Supplier<CpuUse.Reading> cpu)
            throws Exception {
        Callable<Offload> upload = () -> {
            CpuUse.Reading start = cpu.get();
            Offload offload = run.offload(topic);
            // to when local retention dropped the last segment too: a little longer than the upload's own time
            figures.uploadCpu = cpu.get().since(start);
            System.err.println("cores used during the upload: " + figures.uploadCpu.describe());
            return offload;
        };
        if (probeRate == 0) {
            return upload.call();
        }
        figures.probeRate = probeRate;
        try (ProduceProbe probe = ProduceProbe.create(bootstrap, spec, probeRate)) {
            figures.probeAlone = probe.alone(Duration.ofMillis(Math.round(probeSeconds * 1000)));
            ProduceProbe.During<Offload> during = probe.during(upload);
            figures.probeDuringUpload = during.probe();
            return during.work();
        }
    }

    /** A broker restart, with what follows it before anything is measured. */
    @FunctionalInterface
    private interface Restart {
        void run() throws Exception;
    }

    /**
     * The N-consumer replay and the cold fetches, each after a {@code restart} that empties the chunk cache (and
     * replays the warm-up topic, so that neither is measured on a broker whose JIT has compiled nothing yet).
     */
    private void remotePhases(
            Restart restart,
            StrataBroker broker,
            WorkloadSpec spec,
            BenchTopic topic,
            Store store,
            List<Map.Entry<TopicPartition, Long>> coldOffsets,
            TieredFigures.Remote into)
            throws Exception {
        if (consumers > 1) {
            restart.run();
            into.parallelReplay = ParallelReplay.run(broker.bootstrap(), topic, spec, consumers);
        }
        if (!coldOffsets.isEmpty()) {
            restart.run();
            into.coldFetches = ColdFetchRun.run(broker.bootstrap(), coldOffsets, store.broker());
            System.err.println("cold fetches: " + ColdFetchRun.summary(into.coldFetches));
            ColdFetchRun.unexpected(into.coldFetches).forEach(s -> System.err.println("  not one GET: " + s));
        }
    }

    /**
     * With the latency injected: a second topic like the measured one, filled while not tiered and uploaded through the
     * shaped path, and the PUT ceiling through the same shape (what a store with latency asks of the copies'
     * concurrency). The topic, for the caller to delete once nothing is measured any more.
     */
    private BenchTopic shapedUpload(RemoteReplayRun run, Store store) throws Exception {
        BenchTopic topic = run.createTopic();
        try {
            run.fill(topic);
            Offload upload = run.offload(topic);
            figures.shaped.upload = upload;
            figures.shaped.putCeilingRounds = putCeilingRounds(store, "ceiling-shaped/", upload);
            figures.shaped.putCeiling = ObjectStoreCeiling.Transfer.median(figures.shaped.putCeilingRounds);
            System.err.printf(
                    "with latency: upload %.1f MB/s, PUT ceiling %.1f MB/s (rounds: %s)%n",
                    upload.megabytesPerSecond(),
                    figures.shaped.putCeiling.megabytesPerSecond(),
                    TieredFigures.rates(figures.shaped.putCeilingRounds));
            return topic;
        } catch (Exception | Error e) {
            topic.close();
            throw e;
        }
    }

    /**
     * {@value #CEILING_ROUNDS} rounds of a ceiling: on this machine S3Proxy's rate moved by up to 1.5x between two
     * measurements minutes apart, so one round decided a ratio's pass or fail; the figures take the median.
     */
    private static List<ObjectStoreCeiling.Transfer> ceilingRounds(Callable<ObjectStoreCeiling.Transfer> round)
            throws Exception {
        List<ObjectStoreCeiling.Transfer> rounds = new java.util.ArrayList<>();
        for (int i = 0; i < CEILING_ROUNDS; i++) {
            rounds.add(round.call());
        }
        return rounds;
    }

    /** The PUT ceiling beside {@code upload}: as many objects as it had segments, each its average segment's size. */
    private List<ObjectStoreCeiling.Transfer> putCeilingRounds(Store store, String prefix, Offload upload)
            throws Exception {
        int objectBytes = (int) (upload.bytes() / Math.max(1, upload.segments()));
        return ceilingRounds(() -> store.ceiling().write(prefix, upload.segments(), objectBytes, putWriters()));
    }

    private static void getCeiling(Store store, List<S3Object> logs, TieredFigures.Remote into) throws Exception {
        into.getCeilingRounds = ceilingRounds(() -> store.ceiling().read(logs, CHUNK_BYTES));
        into.getCeiling = ObjectStoreCeiling.Transfer.median(into.getCeilingRounds);
    }

    /** Writers of the PUT ceiling and its warm-up: as many logs as the broker uploads at once (one per partition). */
    private int putWriters() {
        // one log upload at a time per partition, 10 copier threads
        return Math.min(data.partitions, 10);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TieredBench()).execute(args));
    }
}
