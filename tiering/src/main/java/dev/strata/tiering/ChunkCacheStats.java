package dev.strata.tiering;

/**
 * A snapshot of a {@link ChunkCache}'s counters, for metrics.
 *
 * @param hits chunk lookups served from memory
 * @param misses chunk lookups not in memory (then served from disk, by a fetch in flight, or by a new remote fetch)
 * @param diskHits chunk loads served by the disk tier
 * @param remoteFetches ranged reads sent to the storage backend, read-ahead included
 * @param remoteFetchErrors remote fetches that failed (nothing is cached for them)
 * @param remoteFetchBytes bytes received from the storage backend
 * @param readAheads read-ahead loads started
 * @param evictions chunks evicted from memory to stay within its byte budget
 * @param memoryBytes bytes held in memory now
 * @param diskBytes bytes held by the disk tier now
 */
public record ChunkCacheStats(
        long hits,
        long misses,
        long diskHits,
        long remoteFetches,
        long remoteFetchErrors,
        long remoteFetchBytes,
        long readAheads,
        long evictions,
        long memoryBytes,
        long diskBytes) {

    /** The share of chunk lookups served from memory, 0 when there were none. */
    public double hitRatio() {
        long lookups = hits + misses;
        return lookups == 0 ? 0 : (double) hits / lookups;
    }
}
