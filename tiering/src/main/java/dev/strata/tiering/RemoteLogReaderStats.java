package dev.strata.tiering;

/**
 * A snapshot of a {@link RemoteLogReader}'s counters, for the broker's metrics.
 *
 * @param reads reads from the remote tier started (one per partition of a fetch, or per step of a timestamp search)
 * @param readBytes bytes of record batches the reads returned
 * @param readErrors reads that failed: offset not in the remote tier, a corrupt batch, or the backend's error
 * @param deferredReads reads that waited for the broker's remote read budget before they started
 * @param bufferedBytes bytes reserved by the reads in flight now
 */
public record RemoteLogReaderStats(
        long reads, long readBytes, long readErrors, long deferredReads, long bufferedBytes) {}
