package dev.strata.broker.log;

/**
 * What a producer's state remembers about one of its recently appended batches, enough to recognise a retried batch
 * and answer it with the offsets it was first written at.
 *
 * @param firstSeq sequence number of the batch's first record
 * @param lastSeq sequence number of the batch's last record
 * @param lastOffset offset of the batch's last record in the log
 * @param offsetDelta {@code lastOffset - firstOffset}
 * @param timestamp the batch's max timestamp
 */
public record BatchMetadata(int firstSeq, int lastSeq, long lastOffset, int offsetDelta, long timestamp) {

    /** Offset of the batch's first record in the log. */
    public long firstOffset() {
        return lastOffset - offsetDelta;
    }
}
