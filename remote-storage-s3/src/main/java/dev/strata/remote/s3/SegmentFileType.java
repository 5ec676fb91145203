package dev.strata.remote.s3;

import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;

/**
 * The files KIP-405 uploads for one log segment, each stored as one object whose key ends in {@link #suffix()}.
 *
 * <p>Suffixes follow the file names of a Kafka log directory ({@code .log}, {@code .index}, {@code .timeindex},
 * {@code .txnindex}, {@code .snapshot}, {@code leader-epoch-checkpoint}), so a listing of the bucket reads like a
 * listing of a partition directory.
 */
public enum SegmentFileType {
    LOG("log"),
    OFFSET_INDEX("index"),
    TIME_INDEX("timeindex"),
    TRANSACTION_INDEX("txnindex"),
    PRODUCER_SNAPSHOT("snapshot"),
    LEADER_EPOCH_CHECKPOINT("leader-epoch-checkpoint");

    private final String suffix;

    SegmentFileType(String suffix) {
        this.suffix = suffix;
    }

    public String suffix() {
        return suffix;
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
