package dev.strata.index;

/**
 * One time index entry of a remote segment, with the meaning of Kafka's {@code .timeindex}: {@code timestampMs} is
 * the largest timestamp seen up to {@code offset}, so any record with a larger timestamp comes at or after it.
 */
public record TimestampOffset(long timestampMs, long offset) {

    public TimestampOffset {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
    }
}
