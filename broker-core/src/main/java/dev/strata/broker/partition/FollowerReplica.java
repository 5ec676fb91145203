package dev.strata.broker.partition;

/**
 * What a partition's leader knows of one follower, from its fetches (Kafka's {@code Replica} state): its log end
 * offset and when it was last caught up with the leader's log end.
 *
 * <p>"Caught up" is Kafka's rule: a fetch at or beyond the leader's log end catches up at its time; a fetch at or beyond
 * the log end the leader had at the follower's previous fetch means the follower was caught up at that previous fetch.
 * So a follower fetching steadily under a steady stream of appends stays caught up, while one that stopped fetching, or
 * falls further behind, is not. Guarded by the partition's monitor.
 */
final class FollowerReplica {
    private final int id;
    private long logEndOffset = -1L;
    private long logStartOffset = -1L;
    private long lastCaughtUpTimeMs;
    private long lastFetchLeaderLogEndOffset = -1L;
    private long lastFetchTimeMs;

    FollowerReplica(int id, long lastCaughtUpTimeMs) {
        this.id = id;
        this.lastCaughtUpTimeMs = lastCaughtUpTimeMs;
    }

    int id() {
        return id;
    }

    long logEndOffset() {
        return logEndOffset;
    }

    long logStartOffset() {
        return logStartOffset;
    }

    long lastCaughtUpTimeMs() {
        return lastCaughtUpTimeMs;
    }

    void onFetch(long fetchOffset, long followerLogStartOffset, long leaderLogEndOffset, long nowMs) {
        if (fetchOffset >= leaderLogEndOffset) {
            lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, nowMs);
        } else if (fetchOffset >= lastFetchLeaderLogEndOffset) {
            lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, lastFetchTimeMs);
        }
        logEndOffset = fetchOffset;
        logStartOffset = followerLogStartOffset;
        lastFetchLeaderLogEndOffset = leaderLogEndOffset;
        lastFetchTimeMs = nowMs;
    }

    /** Whether the follower has not caught up with the leader for longer than {@code lagTimeMaxMs}. */
    boolean isLagging(long nowMs, long lagTimeMaxMs) {
        return nowMs - lastCaughtUpTimeMs > lagTimeMaxMs;
    }
}
