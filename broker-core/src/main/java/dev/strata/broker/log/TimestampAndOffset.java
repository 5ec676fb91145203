package dev.strata.broker.log;

import java.util.Optional;

/** A ListOffsets answer: an offset, the timestamp found there (-1 if none applies) and its leader epoch. */
public record TimestampAndOffset(long timestamp, long offset, Optional<Integer> leaderEpoch) {}
