package dev.strata.index;

/**
 * One offset index entry of a remote segment: the record batch holding {@code offset} starts at byte
 * {@code position} of the segment's log object. Positions are ints because a Kafka segment is at most 2 GiB.
 */
public record OffsetPosition(long offset, int position) {

    public OffsetPosition {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
    }
}
