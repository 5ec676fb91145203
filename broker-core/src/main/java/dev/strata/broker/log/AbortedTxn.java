package dev.strata.broker.log;

/**
 * One aborted transaction of one partition, as its {@link TransactionIndex} stores it.
 *
 * @param producerId the transaction's producer
 * @param firstOffset offset of the transaction's first record in this partition
 * @param lastOffset offset of the ABORT marker that ended it
 * @param lastStableOffset the partition's last stable offset once the marker was written: the first offset of the
 *     oldest transaction still open then, or {@code lastOffset + 1} when none was. A fetch that reads up to
 *     {@code upper} can stop looking at later entries once one has {@code lastStableOffset >= upper}.
 */
public record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {}
