package dev.strata.broker.group;

/**
 * A committed offset with the {@code __consumer_offsets} log offset of the record that holds it: of two commits of
 * one partition, the one written later wins, whatever order their writes complete or their transactions end in.
 */
record WrittenOffset(CommittedOffset offset, long logOffset) {}
