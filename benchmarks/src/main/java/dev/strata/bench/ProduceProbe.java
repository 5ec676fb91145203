package dev.strata.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * A producer paced at a fixed rate into a topic of its own that is never tiered, measuring send-to-acknowledgement
 * latency: once on its own, and once while other work runs (the upload of another topic's segments), so that the two
 * latency distributions show what that work costs the producers of a broker (issue #14: produce p99 with uploads at
 * full speed at most 1.2x produce p99 with tiering off).
 */
final class ProduceProbe implements AutoCloseable {
    private final String bootstrap;
    private final WorkloadSpec spec;
    private final BenchTopic topic;

    private ProduceProbe(String bootstrap, WorkloadSpec spec, BenchTopic topic) {
        this.bootstrap = bootstrap;
        this.spec = spec;
        this.topic = topic;
    }

    /**
     * Creates the probe's topic (the partitions, record size and acks of {@code like}, remote storage off) for a probe
     * sending {@code recordsPerSecond}.
     */
    static ProduceProbe create(String bootstrap, WorkloadSpec like, int recordsPerSecond) {
        WorkloadSpec spec = like.withWorkload(Workload.PRODUCE)
                .withRecords(0)
                .withRate(recordsPerSecond)
                .withTopicConfigs(Map.of(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "false"));
        return new ProduceProbe(bootstrap, spec, BenchTopic.create(bootstrap, spec));
    }

    /**
     * Produces for {@code duration} with nothing else running: after {@code sync(1)}, so that the writeback of what was
     * just written (the measured topic's fill) is not timed as the idle broker's.
     */
    WorkloadResult alone(Duration duration) {
        long waitedMs = syncToDisk();
        if (waitedMs >= 0) {
            System.err.printf("sync before the idle produce probe: %d ms%n", waitedMs);
        }
        return new ProduceRun(bootstrap, topic.name(), spec.withDuration(duration), false).run();
    }

    /** Runs {@code sync}: how long it took in ms, or -1 where it could not be run (the probe then starts at once). */
    static long syncToDisk() {
        long start = System.nanoTime();
        try {
            Process sync = new ProcessBuilder("sync").redirectErrorStream(true).start();
            sync.getInputStream().transferTo(OutputStream.nullOutputStream());
            return sync.waitFor() == 0 ? (System.nanoTime() - start) / 1_000_000 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** What {@code work} returned and the probe's latencies while it ran. */
    record During<T>(T work, WorkloadResult probe) {}

    /** Produces from just before {@code work} starts until it returns (for at most {@link WorkloadSpec#MAX_DURATION}). */
    <T> During<T> during(Callable<T> work) throws Exception {
        ProduceRun run = new ProduceRun(bootstrap, topic.name(), spec.withDuration(WorkloadSpec.MAX_DURATION), false);
        CompletableFuture<WorkloadResult> probe =
                CompletableFuture.supplyAsync(run::run, r -> new Thread(r, "produce-probe").start());
        T result;
        try {
            result = work.call();
        } finally {
            run.stop();
        }
        try {
            return new During<>(result, probe.get());
        } catch (ExecutionException e) {
            throw new IllegalStateException("the produce probe failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        topic.close();
    }
}
