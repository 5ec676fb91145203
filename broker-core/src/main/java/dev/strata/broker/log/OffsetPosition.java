package dev.strata.broker.log;

/** An offset and the byte position in a segment's log file of the batch that holds it. */
public record OffsetPosition(long offset, int position) {}
