package dev.strata.broker.log;

/**
 * A transaction a COMMIT or ABORT marker just ended in one partition.
 *
 * @param producerId the transaction's producer
 * @param firstOffset offset of its first record in this partition, or the marker's offset when it wrote none here
 * @param lastOffset offset of the marker
 * @param aborted whether the marker was ABORT
 */
public record CompletedTxn(long producerId, long firstOffset, long lastOffset, boolean aborted) {}
