package dev.strata.index;

/**
 * One aborted transaction whose ABORT marker lies in a remote segment: an entry of the segment's {@code .txnindex},
 * which the remote index keeps so that a {@code read_committed} fetch served from the remote tier names the aborted
 * transactions among its records, as a local read does, without downloading the index.
 *
 * @param producerId the transaction's producer
 * @param firstOffset offset of the transaction's first record in the partition; may lie in an earlier segment
 * @param lastOffset offset of the ABORT marker, inside the segment
 * @param lastStableOffset the partition's last stable offset once the marker was written: a search up to {@code
 *     upper} can stop at the first entry with {@code lastStableOffset >= upper}
 */
public record RemoteAbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {

    public RemoteAbortedTxn {
        if (firstOffset < 0 || lastOffset < firstOffset) {
            throw new IllegalArgumentException(
                    "need 0 <= firstOffset <= lastOffset, was " + firstOffset + ", " + lastOffset);
        }
        if (lastStableOffset < 0) {
            throw new IllegalArgumentException("lastStableOffset must be >= 0, was " + lastStableOffset);
        }
    }

    /** Whether this transaction has records in {@code [fetchOffset, upperBoundOffset)}. */
    public boolean overlaps(long fetchOffset, long upperBoundOffset) {
        return lastOffset >= fetchOffset && firstOffset < upperBoundOffset;
    }
}
