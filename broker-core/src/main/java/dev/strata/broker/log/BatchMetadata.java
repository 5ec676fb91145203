package dev.strata.broker.log;

/** What producer state remembers of one appended batch: enough to recognise a retry and answer its offsets. */
public record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {}
