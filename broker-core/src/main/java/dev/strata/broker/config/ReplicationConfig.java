package dev.strata.broker.config;

/**
 * The broker settings replication runs on, with Kafka's names and defaults.
 *
 * @param replicaLagTimeMaxMs {@code replica.lag.time.max.ms}: a follower that has not caught up with the leader's log
 *     end for this long leaves the ISR
 * @param fetchMaxBytes {@code replica.fetch.response.max.bytes}: the byte limit of one fetch from a leader
 * @param fetchPartitionMaxBytes {@code replica.fetch.max.bytes}: the byte limit of one partition in that fetch
 * @param fetchMinBytes {@code replica.fetch.min.bytes}: how much data the leader waits for before it answers
 * @param fetchWaitMaxMs {@code replica.fetch.wait.max.ms}: how long the leader waits for it
 * @param fetchBackoffMs {@code replica.fetch.backoff.ms}: the pause after a failed fetch, or for a partition in error
 */
public record ReplicationConfig(
        long replicaLagTimeMaxMs,
        int fetchMaxBytes,
        int fetchPartitionMaxBytes,
        int fetchMinBytes,
        int fetchWaitMaxMs,
        long fetchBackoffMs) {

    public static final long DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000L;

    public static ReplicationConfig defaults() {
        return new ReplicationConfig(DEFAULT_REPLICA_LAG_TIME_MAX_MS, 10 * 1024 * 1024, 1024 * 1024, 1, 500, 1_000L);
    }
}
