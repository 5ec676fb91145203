package dev.strata.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Reassignment of a tiered partition: how long adding a replica takes and how many bytes it moves when nearly all of
 * the partition's history is in the remote tier. A 3-node Strata cluster ({@link LocalCluster}, every node a broker
 * and quorum voter) tiers to one filesystem directory that all nodes share; a topic of one partition on replicas
 * [1, 2] ({@code remote.storage.enable=true}, {@code segment.bytes} = {@value #SEGMENT_BYTES},
 * {@code local.retention.bytes} = {@code --local-mib}) gets {@code --history-mib} of 1 KiB incompressible records.
 * Once ListOffsets says every segment below the leader's local start is remote and the leader's log directory holds
 * no more than the local tail, AlterPartitionReassignments moves the partition to [1, 3] (node 3 added, node 2
 * removed, leader 1 unchanged). Measured: the time from that request to ListPartitionReassignments being empty with
 * node 3 in the ISR; the bytes of log segments in node 3's directory for the partition right then (what it fetched
 * from the leader: its log restarts at the offset after the last tiered one, below local retention, so nothing has
 * been deleted on it yet); and, from node 3's log, where its log restarted after the bootstrap from the remote tier
 * and how many bytes that bootstrap read from the remote tier. Then the same with Apache Kafka 4.3.1 (three nodes tiering
 * to S3Proxy through Strata's S3 backend; no bootstrap line in its log). Writes {@code reassign.json} and
 * {@code reassign.txt}.
 */
@Command(
        name = "strata-bench-reassign",
        mixinStandardHelpOptions = true,
        description = "Time and bytes moved to add a replica to a tiered partition with long remote history.")
public final class ReassignBench implements Callable<Integer> {
    private static final int RECORD_SIZE = 1024;
    private static final int SEGMENT_BYTES = 4 * 1024 * 1024;
    private static final long MIB = 1024 * 1024;
    private static final Duration TIER_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration REASSIGN_TIMEOUT = Duration.ofMinutes(15);

    @Option(
            names = "--history-mib",
            description = "MiB of records to produce (default: ${DEFAULT-VALUE}).",
            defaultValue = "1024")
    private long historyMib;

    @Option(
            names = "--local-mib",
            description = "local.retention.bytes of the topic, in MiB (default: ${DEFAULT-VALUE}).",
            defaultValue = "10")
    private long localMib;

    @Option(
            names = "--systems",
            split = ",",
            description = "Which systems, in order: strata, kafka (default: ${DEFAULT-VALUE}).",
            defaultValue = "strata,kafka")
    private List<String> systems;

    @Option(
            names = "--kafka-fetch-last-tiered",
            description = "Kafka only: follower.fetch.last.tiered.offset.enable=true (KIP-1023, default false in"
                    + " Kafka 4.3): a new follower starts after the last tiered offset, as Strata's does.")
    private boolean kafkaFetchLastTiered;

    @Option(names = "--kafka-classpath", description = "Apache Kafka's classpath file.")
    private Path kafkaClasspath;

    @Option(names = "--s3-plugin-classpath", description = "The runtime dependencies of Strata's S3 backend for Kafka.")
    private Path s3PluginClasspath;

    /** Classpath, work and results directories and S3Proxy (Kafka's tier), shared with the tiered runs. */
    @CommandLine.Mixin
    private TieredRunOptions options;

    /**
     * One system's figures.
     *
     * @param system {@code strata} or {@code kafka}
     * @param historyBytes record bytes produced (values only)
     * @param leaderLocalBytes segment bytes in the leader's partition directory when the reassignment started
     * @param tieredOffset the leader's latest tiered offset when the reassignment started
     * @param endOffset the partition's end offset
     * @param seconds request to completion; NaN if it did not complete
     * @param newReplicaBytes segment bytes in the new replica's partition directory on completion; -1 if unknown
     * @param bootstrapOffset where the new replica's log restarted after its bootstrap from the remote tier, from its
     *     log; -1 if it did not bootstrap (or did not say)
     * @param remoteBytesRead bytes the new replica read from the remote tier for its bootstrap, from its log; -1 if
     *     unknown
     * @param error why the run failed; null if it did not
     */
    record Result(
            String system,
            long historyBytes,
            long leaderLocalBytes,
            long tieredOffset,
            long endOffset,
            double seconds,
            long newReplicaBytes,
            long bootstrapOffset,
            long remoteBytesRead,
            String error) {

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("system", system);
            m.put("history_bytes", historyBytes);
            m.put("leader_local_bytes_before", leaderLocalBytes);
            m.put("latest_tiered_offset", tieredOffset);
            m.put("end_offset", endOffset);
            m.put("reassignment_seconds", seconds);
            m.put("new_replica_local_bytes", newReplicaBytes);
            m.put("new_replica_bootstrap_offset", bootstrapOffset < 0 ? null : bootstrapOffset);
            m.put("remote_bytes_read", remoteBytesRead < 0 ? null : remoteBytesRead);
            m.put("error", error);
            return m;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (historyMib < 1 || localMib < 1) {
            throw new IllegalArgumentException("--history-mib and --local-mib must be at least 1");
        }
        Instant started = Instant.now();
        Path out = options.resultsDir(started);
        Files.createDirectories(out);
        Path work = options.workDir();
        Files.createDirectories(work);
        List<Result> results = new ArrayList<>();
        for (String system : systems) {
            results.add(
                    switch (system) {
                        case "strata" -> runStrata(work);
                        case "kafka" -> runKafka(work);
                        default -> throw new IllegalArgumentException("unknown system " + system + "; strata or kafka");
                    });
        }
        String table = table(historyMib * MIB, localMib * MIB, SEGMENT_BYTES, results);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("started", started.toString());
        json.put("finished", Instant.now().toString());
        json.put("host", MachineInfo.describe());
        json.put("broker_jvm_options", ChildProcess.BROKER_JVM_OPTIONS);
        json.put("segment_bytes", SEGMENT_BYTES);
        json.put("local_retention_bytes", localMib * MIB);
        json.put("record_bytes", RECORD_SIZE);
        json.put("runs", results.stream().map(Result::toJson).toList());
        Files.writeString(out.resolve("reassign.txt"), table);
        Json.write(out.resolve("reassign.json"), json);
        System.out.print(table);
        System.out.println("results: " + out.toAbsolutePath());
        return results.stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    private Result runStrata(Path work) throws IOException {
        Path remote = Files.createTempDirectory(work, "reassign-remote-tier-");
        Map<String, String> tiering = new DirectoryTier(remote).brokerConfigs();
        Measure m = new Measure("strata");
        try (LocalCluster cluster = LocalCluster.strata(options.strataClasspath(), work, 3, tiering)) {
            System.err.println("Strata cluster up, tiering to " + remote + "; logs in " + cluster.dir());
            return m.run(cluster);
        } catch (Exception e) {
            return m.failed(e);
        } finally {
            ChildProcess.deleteTree(remote);
        }
    }

    /**
     * Apache Kafka 4.3.1, three nodes tiering to S3Proxy through Strata's S3 backend (as in {@code compare}), with
     * Kafka's TopicBasedRemoteLogMetadataManager at replication factor 3.
     */
    private Result runKafka(Path work) {
        Measure m = new Measure(kafkaFetchLastTiered ? "kafka (follower.fetch.last.tiered.offset.enable)" : "kafka");
        try (S3ProxyServer s3 = S3ProxyServer.start(options.s3proxyClasspathFile(), work)) {
            Map<String, String> tiering = new LinkedHashMap<>(KafkaBroker.tieringConfigs(
                    s3.bucket("strata-bench-reassign", "kafka/"),
                    KafkaBroker.s3PluginClasspath(
                            Compare.classpathFile(s3PluginClasspath, KafkaBroker.S3_PLUGIN_CLASSPATH_FILE))));
            tiering.put("rlmm.config.remote.log.metadata.topic.replication.factor", "3");
            tiering.put("follower.fetch.last.tiered.offset.enable", Boolean.toString(kafkaFetchLastTiered));
            try (LocalCluster cluster = LocalCluster.kafka(
                    Compare.classpathFile(kafkaClasspath, KafkaBroker.DEFAULT_CLASSPATH_FILE), work, 3, tiering)) {
                System.err.println("Kafka cluster up, tiering to S3Proxy; logs in " + cluster.dir());
                return m.run(cluster);
            }
        } catch (Exception e) {
            return m.failed(e);
        }
    }

    /** The measurement on one cluster, keeping what it got so far for a failure's report. */
    private final class Measure {
        private final String system;
        private long produced;
        private long leaderLocal = -1;
        private long tiered = -1;
        private long end = -1;

        Measure(String system) {
            this.system = system;
        }

        Result failed(Exception e) {
            System.err.println("error: " + system + " reassignment run failed: " + e);
            return new Result(system, produced, leaderLocal, tiered, end, Double.NaN, -1, -1, -1, e.toString());
        }

        Result run(LocalCluster cluster) throws Exception {
            try (Admin admin = BenchTopic.admin(cluster.bootstrap())) {
                String topic =
                        "strata-bench-reassign-" + UUID.randomUUID().toString().substring(0, 8);
                TopicPartition tp = new TopicPartition(topic, 0);
                admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 2)))
                                .configs(Map.of(
                                        "segment.bytes",
                                        Integer.toString(SEGMENT_BYTES),
                                        "remote.storage.enable",
                                        "true",
                                        "local.retention.bytes",
                                        Long.toString(localMib * MIB),
                                        "min.insync.replicas",
                                        "1"))))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                long t0 = System.nanoTime();
                produced = produce(cluster.bootstrap(), topic, historyMib * MIB);
                System.err.printf(
                        Locale.ROOT,
                        "%s: produced %d MiB in %.0f s%n",
                        system,
                        produced / MIB,
                        (System.nanoTime() - t0) / 1e9);
                long[] state = awaitTiered(admin, tp, cluster.dataDir(1));
                tiered = state[0];
                end = state[1];
                leaderLocal = segmentBytes(cluster.dataDir(1), topic);
                System.err.printf(
                        Locale.ROOT,
                        "%s: tiered up to offset %d of %d; leader holds %d bytes locally; reassigning [1, 2] -> [1, 3]%n",
                        system,
                        tiered,
                        end,
                        leaderLocal);
                long r0 = System.nanoTime();
                admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(1, 3)))))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                long seen = awaitReassigned(admin, tp, cluster.dataDir(3));
                double seconds = (System.nanoTime() - r0) / 1e9;
                long moved = Math.max(seen, segmentBytes(cluster.dataDir(3), topic));
                long[] bootstrap =
                        bootstrapFromLog(Files.readString(cluster.dir().resolve("node3.log")), topic);
                System.err.printf(
                        Locale.ROOT, "%s: reassigned in %.1f s; node 3 holds %d bytes%n", system, seconds, moved);
                return new Result(
                        system, produced, leaderLocal, tiered, end, seconds, moved, bootstrap[0], bootstrap[1], null);
            }
        }
    }

    /** Produces {@code bytes} of incompressible 1 KiB records with {@code acks=all}; returns the bytes sent. */
    private static long produce(String bootstrap, String topic, long bytes) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(TIER_TIMEOUT.toMillis()));
        AtomicReference<Exception> failed = new AtomicReference<>();
        Random random = new Random(42);
        byte[][] values = new byte[64][RECORD_SIZE];
        for (byte[] v : values) {
            random.nextBytes(v);
        }
        long records = (bytes + RECORD_SIZE - 1) / RECORD_SIZE;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < records && failed.get() == null; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, values[(int) (i % values.length)]), (md, e) -> {
                    if (e != null) {
                        failed.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("produce failed: " + failed.get(), failed.get());
        }
        return records * RECORD_SIZE;
    }

    /**
     * Waits until every offset below the leader's local start is tiered and the leader's directory holds at most the
     * local retention plus two segments (the active one and one being deleted); returns {latest tiered, end offset}.
     */
    private long[] awaitTiered(Admin admin, TopicPartition tp, Path leaderDir) throws Exception {
        long deadline = System.nanoTime() + TIER_TIMEOUT.toNanos();
        long lastReport = 0;
        long bound = localMib * MIB + 2L * SEGMENT_BYTES;
        while (true) {
            long tiered = offset(admin, tp, OffsetSpec.latestTiered());
            long localStart = offset(admin, tp, OffsetSpec.earliestLocal());
            long end = offset(admin, tp, OffsetSpec.latest());
            long local = segmentBytes(leaderDir, tp.topic());
            if (localStart > 0 && tiered + 1 >= localStart && local <= bound) {
                return new long[] {tiered, end};
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not tiered after " + TIER_TIMEOUT + ": latest tiered " + tiered
                        + ", local start " + localStart + ", leader local bytes " + local);
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(15)) {
                System.err.printf(
                        Locale.ROOT,
                        "latest tiered %d, local start %d, end %d, leader local %d MiB%n",
                        tiered,
                        localStart,
                        end,
                        local / MIB);
                lastReport = System.nanoTime();
            }
            Thread.sleep(500);
        }
    }

    /**
     * Waits until no reassignment is listed, the replicas are [1, 3] and node 3 is in the ISR; returns the most segment
     * bytes seen in node 3's partition directory meanwhile (in case local retention deleted some on it).
     */
    private static long awaitReassigned(Admin admin, TopicPartition tp, Path newReplicaDir) throws Exception {
        long deadline = System.nanoTime() + REASSIGN_TIMEOUT.toNanos();
        long seen = 0;
        while (true) {
            seen = Math.max(seen, segmentBytes(newReplicaDir, tp.topic()));
            boolean listed = !admin.listPartitionReassignments()
                    .reassignments()
                    .get(30, TimeUnit.SECONDS)
                    .isEmpty();
            TopicPartitionInfo info = admin.describeTopics(List.of(tp.topic()))
                    .allTopicNames()
                    .get(30, TimeUnit.SECONDS)
                    .get(tp.topic())
                    .partitions()
                    .get(0);
            List<Integer> replicas = info.replicas().stream().map(Node::id).toList();
            boolean inIsr = info.isr().stream().anyMatch(n -> n.id() == 3);
            if (!listed && replicas.equals(List.of(1, 3)) && inIsr) {
                return seen;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("reassignment not complete after " + REASSIGN_TIMEOUT + ": replicas "
                        + replicas + ", ISR " + info.isr() + ", still listed " + listed);
            }
            Thread.sleep(100);
        }
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec))
                .partitionResult(tp)
                .get(30, TimeUnit.SECONDS)
                .offset();
    }

    /** The bytes of the {@code .log} segment files of {@code topic}'s partition 0 under a node's log directory. */
    static long segmentBytes(Path logDir, String topic) {
        Path partition = logDir.resolve(topic + "-0");
        if (!Files.isDirectory(partition)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(partition)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log"))
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            return 0; // deleted while we looked
                        }
                    })
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern BOOTSTRAPPED = Pattern.compile(
            "Follower of \\S+:(\\S+) bootstrapped from the remote tier: its log restarts at (\\d+) \\((\\d+) bytes");

    /**
     * Where the new replica's log restarted and how many bytes it read from the remote tier, from the line Strata's
     * RemoteTierBootstrap logs (summed if it bootstrapped more than once); {-1, -1} if there is none.
     */
    static long[] bootstrapFromLog(String log, String topic) {
        Matcher m = BOOTSTRAPPED.matcher(log);
        long offset = -1;
        long bytes = -1;
        while (m.find()) {
            if (m.group(1).equals(topic + "-0")) {
                offset = Long.parseLong(m.group(2));
                bytes = Math.max(bytes, 0) + Long.parseLong(m.group(3));
            }
        }
        return new long[] {offset, bytes};
    }

    static String table(long historyBytes, long localRetention, long segmentBytes, List<Result> results) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(
                Locale.ROOT,
                "Reassignment of a tiered partition: %d MiB of history, local.retention.bytes %d MiB, segment.bytes"
                        + " %d MiB; replicas [1, 2] -> [1, 3]%n",
                historyBytes / MIB,
                localRetention / MIB,
                segmentBytes / MIB));
        for (Result r : results) {
            t.append(r.system()).append('\n');
            t.append(String.format(
                    Locale.ROOT, "  %-58s %12.1f%n", "history produced MiB", r.historyBytes() / (double) MIB));
            if (r.leaderLocalBytes() >= 0) {
                t.append(String.format(
                        Locale.ROOT,
                        "  %-58s %12.1f%n",
                        "leader's local segments before, MiB",
                        r.leaderLocalBytes() / (double) MIB));
            }
            if (r.error() == null) {
                t.append(String.format(
                        Locale.ROOT, "  %-58s %12.1f%n", "reassignment: request to done and in ISR, s", r.seconds()));
                t.append(String.format(
                        Locale.ROOT,
                        "  %-58s %12.1f%n",
                        "new replica's local segments on completion, MiB",
                        r.newReplicaBytes() / (double) MIB));
                if (r.bootstrapOffset() >= 0) {
                    t.append(String.format(
                            Locale.ROOT,
                            "  %-58s %12d%n",
                            "new replica bootstrapped from the remote tier at offset",
                            r.bootstrapOffset()));
                    t.append(String.format(Locale.ROOT, "  %-58s %12d%n", "of an end offset of", r.endOffset()));
                }
                if (r.remoteBytesRead() >= 0) {
                    t.append(String.format(
                            Locale.ROOT, "  %-58s %12d%n", "remote bytes read for the bootstrap", r.remoteBytesRead()));
                }
                t.append(String.format(
                        Locale.ROOT,
                        "  %-58s %11.2f%%%n",
                        "moved to the new replica, share of the history",
                        100.0 * r.newReplicaBytes() / Math.max(1, r.historyBytes())));
            } else {
                t.append("  failed: ").append(r.error()).append('\n');
            }
        }
        return t.toString();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReassignBench()).execute(args));
    }
}
