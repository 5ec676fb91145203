package dev.strata.remote.s3;

import dev.strata.storage.api.SegmentIndexBundle.Section;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;

/**
 * The files KIP-405 uploads for one log segment: in layout 1 each stored as one object whose key ends in
 * {@link #suffix()}, in layout 2 the log alone and the others as {@link #section() sections} of one bundle.
 *
 * <p>Suffixes follow the file names of a Kafka log directory ({@code .log}, {@code .index}, {@code .timeindex},
 * {@code .txnindex}, {@code .snapshot}, {@code leader-epoch-checkpoint}), so a listing of the bucket reads like a
 * listing of a partition directory.
 */
public enum SegmentFileType {
    LOG("log", null),
    OFFSET_INDEX("index", Section.OFFSET_INDEX),
    TIME_INDEX("timeindex", Section.TIME_INDEX),
    TRANSACTION_INDEX("txnindex", Section.TRANSACTION_INDEX),
    PRODUCER_SNAPSHOT("snapshot", Section.PRODUCER_SNAPSHOT),
    LEADER_EPOCH_CHECKPOINT("leader-epoch-checkpoint", Section.LEADER_EPOCH_CHECKPOINT);

    private final String suffix;
    private final Section section;

    SegmentFileType(String suffix, Section section) {
        this.suffix = suffix;
        this.section = section;
    }

    public String suffix() {
        return suffix;
    }

    /** Where layout 2 keeps this file: its section of the segment's bundle; null for the log, an object of its own. */
    public Section section() {
        return section;
    }

    /** The object that holds the index Kafka asks for in {@code fetchIndex}. */
    public static SegmentFileType of(IndexType indexType) {
        return switch (indexType) {
            case OFFSET -> OFFSET_INDEX;
            case TIMESTAMP -> TIME_INDEX;
            case TRANSACTION -> TRANSACTION_INDEX;
            case PRODUCER_SNAPSHOT -> PRODUCER_SNAPSHOT;
            case LEADER_EPOCH -> LEADER_EPOCH_CHECKPOINT;
        };
    }
}
