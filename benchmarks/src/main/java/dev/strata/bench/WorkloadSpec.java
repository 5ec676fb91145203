package dev.strata.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What one workload run does. Every run is bounded by {@link #duration()}; {@link #records()} bounds it further when
 * positive.
 *
 * @param workload the workload
 * @param recordSize value size in bytes (keys are null)
 * @param partitions partitions of the topic the run creates
 * @param acks producer {@code acks}: {@code all}, {@code 1} or {@code 0}
 * @param compression producer {@code compression.type}
 * @param producers producer instances, each on its own thread
 * @param duration how long producing (and, for consume and replay, reading) may last
 * @param records total records to produce, split across producers; 0 for no limit but the duration
 * @param lingerMs producer {@code linger.ms}
 * @param batchSize producer {@code batch.size}
 * @param rate records per second over all producers; 0 for as fast as possible ({@code e2e}: see
 *     {@link #effectiveRate()})
 * @param topic an existing topic to read (replay only); null to create, fill and delete a fresh one
 * @param topicConfigs configs of the topic the run creates (for example {@code remote.storage.enable=true})
 */
public record WorkloadSpec(
        Workload workload,
        int recordSize,
        int partitions,
        String acks,
        String compression,
        int producers,
        Duration duration,
        long records,
        int lingerMs,
        int batchSize,
        int rate,
        String topic,
        Map<String, String> topicConfigs) {

    /** The longest run the driver accepts, so that a typo cannot tie up a machine for a day. */
    public static final Duration MAX_DURATION = Duration.ofHours(1);

    /** Records per second an {@code e2e} run sends when no rate is given: latency, not saturation. */
    public static final int DEFAULT_E2E_RATE = 1000;

    public WorkloadSpec {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(acks, "acks");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(duration, "duration");
        topicConfigs = Map.copyOf(topicConfigs);
        if (recordSize < 8) {
            throw new IllegalArgumentException("record size must be at least 8 bytes (e2e stores a timestamp)");
        }
        if (partitions < 1 || producers < 1) {
            throw new IllegalArgumentException("partitions and producers must be at least 1");
        }
        if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("duration must be between 1 ms and " + MAX_DURATION);
        }
        if (records < 0 || rate < 0 || lingerMs < 0 || batchSize < 0) {
            throw new IllegalArgumentException("records, rate, linger and batch size must not be negative");
        }
        if (topic != null && workload != Workload.REPLAY) {
            throw new IllegalArgumentException("an existing topic can only be given to replay");
        }
    }

    /** Defaults close to the Kafka producer's own: 1 KiB records, 3 partitions, acks=all, no compression. */
    public static WorkloadSpec defaults(Workload workload) {
        return new WorkloadSpec(
                workload, 1024, 3, "all", "none", 1, Duration.ofSeconds(10), 0, 5, 16384, 0, null, Map.of());
    }

    /** The send rate: {@link #rate()}, except that an unpaced {@code e2e} run sends {@value #DEFAULT_E2E_RATE}/s. */
    public int effectiveRate() {
        return rate == 0 && workload == Workload.E2E ? DEFAULT_E2E_RATE : rate;
    }

    public WorkloadSpec withWorkload(Workload w) {
        return new WorkloadSpec(
                w,
                recordSize,
                partitions,
                acks,
                compression,
                producers,
                duration,
                records,
                lingerMs,
                batchSize,
                rate,
                w == Workload.REPLAY ? topic : null,
                topicConfigs);
    }

    public WorkloadSpec withRecords(long n) {
        return new WorkloadSpec(
                workload,
                recordSize,
                partitions,
                acks,
                compression,
                producers,
                duration,
                n,
                lingerMs,
                batchSize,
                rate,
                topic,
                topicConfigs);
    }

    public WorkloadSpec withTopicConfigs(Map<String, String> configs) {
        return new WorkloadSpec(
                workload,
                recordSize,
                partitions,
                acks,
                compression,
                producers,
                duration,
                records,
                lingerMs,
                batchSize,
                rate,
                topic,
                configs);
    }

    public WorkloadSpec withRate(int recordsPerSecond) {
        return new WorkloadSpec(
                workload,
                recordSize,
                partitions,
                acks,
                compression,
                producers,
                duration,
                records,
                lingerMs,
                batchSize,
                recordsPerSecond,
                topic,
                topicConfigs);
    }

    public WorkloadSpec withPartitions(int n) {
        return new WorkloadSpec(
                workload,
                recordSize,
                n,
                acks,
                compression,
                producers,
                duration,
                records,
                lingerMs,
                batchSize,
                rate,
                topic,
                topicConfigs);
    }

    public WorkloadSpec withDuration(Duration d) {
        return new WorkloadSpec(
                workload,
                recordSize,
                partitions,
                acks,
                compression,
                producers,
                d,
                records,
                lingerMs,
                batchSize,
                rate,
                topic,
                topicConfigs);
    }
}
