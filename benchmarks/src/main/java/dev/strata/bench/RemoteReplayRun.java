package dev.strata.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The remote-replay workload, the same against Strata and Apache Kafka: fill a fresh topic of 1 MiB segments while
 * it is not yet tiered; turn {@code remote.storage.enable} on (with {@code local.retention.bytes=1}, so that local
 * retention drops every segment that is remote); time the offload until ListOffsets latest-tiered reaches the last
 * offset of every partition's last sealed segment; wait until earliest-local shows the sealed segments gone from local
 * disk; then replay the topic from offset 0 with a fresh catch-up consumer. Everything but each partition's active
 * segment (under 1 MiB) then comes from the remote tier.
 *
 * <p>The topic is filled before tiering is on so that the offload is measured on its own: a topic tiered from its
 * creation uploads while it is written, and the time after the last produce would measure only the backlog. Which
 * segment is active, and how many bytes are sealed, the broker's log directory tells (the file layout is Kafka's:
 * {@code <log dir>/<topic>-<partition>/<20-digit base offset>.log}); it does not change once the fill is over.
 */
final class RemoteReplayRun {
    /** Apache Kafka's smallest {@code segment.bytes}. */
    static final String SEGMENT_BYTES = "1048576";

    /** The bound of the fill and of the replay when the run is sized by {@link #sized}. */
    static final Duration PHASE_LIMIT = Duration.ofMinutes(10);

    private static final Duration AWAIT_LIMIT = Duration.ofMinutes(5);
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Pattern SEGMENT_FILE = Pattern.compile("\\d{20}\\.log");

    private final String bootstrap;
    private final Path logDir;
    private final WorkloadSpec spec;

    /**
     * @param logDir the broker's (only) log directory
     * @param spec the topic, producer and reader settings; its record count is how much is tiered
     */
    RemoteReplayRun(String bootstrap, Path logDir, WorkloadSpec spec) {
        this.bootstrap = bootstrap;
        this.logDir = logDir;
        this.spec = spec;
    }

    /**
     * The spec of the tiered benchmarks: {@code megabytes} MB of {@code recordSize}-byte records over {@code partitions}
     * partitions, one {@code acks=all} producer without compression ({@code linger.ms} 5, 16 KiB batches).
     */
    static WorkloadSpec spec(int recordSize, int partitions, long megabytes) {
        return sized(
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
                megabytes);
    }

    /** The spec with as many records as make {@code megabytes} MB of values, and phases bounded by that, not time. */
    static WorkloadSpec sized(WorkloadSpec spec, long megabytes) {
        return spec.withRecords(Math.max(1, megabytes * 1_000_000 / spec.recordSize()))
                .withDuration(PHASE_LIMIT);
    }

    /** Fills, offloads and replays a fresh topic, then deletes it. */
    WorkloadResult run() {
        try (BenchTopic topic = createTopic()) {
            fill(topic);
            Offload offload = offload(topic);
            return replay(topic).withOffload(offload);
        }
    }

    /**
     * Unmeasured: fills a fresh topic, tiers it and replays it from the remote tier, so that the broker's copy and
     * remote read paths (and the object store's) are not measured on their first run. Returns the topic, for the
     * caller to delete once nothing measured runs any more: its remote deletions would otherwise run beside what is.
     */
    BenchTopic warmUp() {
        BenchTopic topic = createTopic();
        try {
            fill(topic);
            offload(topic);
            replay(topic);
            return topic;
        } catch (RuntimeException | Error e) {
            topic.close();
            throw e;
        }
    }

    /**
     * A fresh topic with the spec's configs and 1 MiB segments, {@code local.retention.bytes=1} (unless the spec
     * sets them) and remote storage off until {@link #offload}.
     */
    BenchTopic createTopic() {
        Map<String, String> configs = new LinkedHashMap<>(spec.topicConfigs());
        configs.putIfAbsent(TopicConfig.SEGMENT_BYTES_CONFIG, SEGMENT_BYTES);
        configs.putIfAbsent(TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1");
        configs.put(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "false");
        return BenchTopic.create(bootstrap, spec.withTopicConfigs(configs));
    }

    WorkloadResult fill(BenchTopic topic) {
        WorkloadResult fill = new ProduceRun(bootstrap, topic.name(), spec, false).run();
        System.err.printf(
                "%s: filled %s with %d records (%.1f MB) in %.1f s%n",
                spec.workload().label(), topic.name(), fill.records(), fill.bytes() / 1e6, fill.seconds());
        return fill;
    }

    /** Reads the topic from offset 0 to its end as a consumer catching up does: from the remote tier once offloaded. */
    WorkloadResult replay(BenchTopic topic) {
        return new ConsumeRun(bootstrap, topic, spec, true).run();
    }

    /**
     * Turns tiering on for the filled topic and waits until every sealed segment is remote (the measured part) and
     * gone from local disk.
     */
    Offload offload(BenchTopic topic) {
        Map<TopicPartition, Long> active = new HashMap<>();
        int segments = 0;
        long bytes = 0;
        for (TopicPartition tp : topic.partitions()) {
            List<Path> files = segmentFiles(tp);
            active.put(tp, files.isEmpty() ? 0 : baseOffset(files.get(files.size() - 1)));
            for (Path sealed : files.subList(0, Math.max(0, files.size() - 1))) {
                segments++;
                bytes += size(sealed);
            }
        }
        topic.setConfig(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true");
        long start = System.nanoTime();
        await(topic, OffsetSpec.latestTiered(), "latest-tiered", tp -> active.get(tp) - 1);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.err.printf(
                "%s: %d sealed segments (%.1f MB) remote after %.2f s%n",
                spec.workload().label(), segments, bytes / 1e6, seconds);
        await(topic, OffsetSpec.earliestLocal(), "earliest-local", active::get);
        return new Offload(segments, bytes, seconds);
    }

    /**
     * The base offsets of each partition's segments on local disk, the active one last; before {@link #offload}, the
     * segments that become remote and where each ends.
     */
    Map<TopicPartition, List<Long>> segmentBaseOffsets(BenchTopic topic) {
        Map<TopicPartition, List<Long>> bases = new HashMap<>();
        for (TopicPartition tp : topic.partitions()) {
            bases.put(
                    tp,
                    segmentFiles(tp).stream().map(RemoteReplayRun::baseOffset).toList());
        }
        return bases;
    }

    /** Polls ListOffsets until every partition's offset is at least its target. */
    private static void await(
            BenchTopic topic, OffsetSpec offsetSpec, String what, ToLongFunction<TopicPartition> target) {
        long deadline = System.nanoTime() + AWAIT_LIMIT.toNanos();
        while (true) {
            Map<TopicPartition, Long> offsets = topic.offsets(offsetSpec);
            Predicate<TopicPartition> done = tp -> offsets.get(tp) >= target.applyAsLong(tp);
            if (topic.partitions().stream().allMatch(done)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                StringBuilder state = new StringBuilder();
                topic.partitions()
                        .forEach(tp -> state.append(
                                String.format(" %s: %d, wanted %d;", tp, offsets.get(tp), target.applyAsLong(tp))));
                throw new IllegalStateException(
                        "ListOffsets " + what + " did not reach its target within " + AWAIT_LIMIT + ":" + state);
            }
            LockSupport.parkNanos(POLL_NS);
        }
    }

    /** The partition's segment files, by base offset; the last is the active one. */
    private List<Path> segmentFiles(TopicPartition tp) {
        Path dir = logDir.resolve(tp.topic() + "-" + tp.partition());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f ->
                            SEGMENT_FILE.matcher(f.getFileName().toString()).matches())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the segments of " + tp + " in " + dir, e);
        }
    }

    private static long baseOffset(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(0, name.length() - ".log".length()));
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
