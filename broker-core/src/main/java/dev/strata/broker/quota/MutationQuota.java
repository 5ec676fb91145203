package dev.strata.broker.quota;

import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.protocol.Errors;

/**
 * A client's controller mutation quota (KIP-599, {@code controller_mutation_rate}) as one CreateTopics, DeleteTopics
 * or CreatePartitions request sees it, as Apache Kafka's {@code StrictControllerMutationQuota} and
 * {@code PermissiveControllerMutationQuota} apply it. Each topic created or deleted costs its partition count, each
 * CreatePartitions the partitions it adds, taken from the client's token bucket: it refills at the quota's rate and
 * holds at most {@code controller.quota.window.num} x {@code controller.quota.window.size.seconds} x rate tokens (its
 * burst), and starts full.
 *
 * <p>Strict (CreateTopics v6+, DeleteTopics v5+, CreatePartitions v3+): a mutation that finds the bucket below zero
 * is refused with THROTTLING_QUOTA_EXCEEDED; one that finds it at zero or above is made, even if it takes the bucket
 * below zero (so a topic larger than the burst can still be created). Permissive (older versions, whose clients do not
 * know the error): every mutation is made. Either way the request's throttle time is how long the bucket takes to
 * refill to zero: {@code -tokens / rate} seconds, in strict mode only once a mutation was refused. Used by one request
 * thread; the bucket it shares with the client's other requests is guarded by its own monitor.
 */
public final class MutationQuota {
    /** No quota applies: every mutation is made, nothing is throttled. */
    public static final MutationQuota UNBOUNDED = new MutationQuota(null, null, false, 0);

    private final ClientQuotaManager.Measured bucket;
    private final MetricConfig config;
    private final boolean strict;
    private final long nowMs;
    private int throttleTimeMs;

    MutationQuota(ClientQuotaManager.Measured bucket, MetricConfig config, boolean strict, long nowMs) {
        this.bucket = bucket;
        this.config = config;
        this.strict = strict;
        this.nowMs = nowMs;
    }

    /** Whether a quota applies (handlers validate a mutation first then, so that a refused one costs nothing). */
    public boolean bounded() {
        return bucket != null;
    }

    /**
     * Takes {@code partitions} mutations from the client's bucket.
     *
     * @throws ThrottlingQuotaExceededException strict, when the bucket is already below zero: the mutation must not
     *     be made
     */
    public void record(int partitions) {
        if (bucket == null) {
            return;
        }
        synchronized (bucket) {
            double tokens = bucket.measure(config, nowMs);
            if (strict && tokens < 0) {
                throttleTimeMs = throttleMs(tokens);
                throw new ThrottlingQuotaExceededException(throttleTimeMs, Errors.THROTTLING_QUOTA_EXCEEDED.message());
            }
            bucket.record(config, partitions, nowMs);
            double after = bucket.measure(config, nowMs);
            if (!strict && after < 0) {
                throttleTimeMs = throttleMs(after);
            }
        }
    }

    /** How long the client should wait before its next mutation, in ms: 0 unless the quota was exceeded. */
    public int throttleTimeMs() {
        return throttleTimeMs;
    }

    private int throttleMs(double tokens) {
        return (int)
                Math.min(Integer.MAX_VALUE, Math.round(-tokens / config.quota().bound() * 1000));
    }
}
