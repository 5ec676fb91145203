package dev.strata.tiering;

import java.util.Optional;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;

/**
 * The files that make up one remote segment, with the suffix each one carries in the filesystem backend. The names
 * match the local log's, so a remote partition directory reads like a local one.
 */
enum SegmentFileType {
    LOG("log", null),
    OFFSET_INDEX("index", IndexType.OFFSET),
    TIME_INDEX("timeindex", IndexType.TIMESTAMP),
    TRANSACTION_INDEX("txnindex", IndexType.TRANSACTION),
    PRODUCER_SNAPSHOT("snapshot", IndexType.PRODUCER_SNAPSHOT),
    LEADER_EPOCH_CHECKPOINT("leader-epoch-checkpoint", IndexType.LEADER_EPOCH);

    private final String suffix;
    private final IndexType indexType;

    SegmentFileType(String suffix, IndexType indexType) {
        this.suffix = suffix;
        this.indexType = indexType;
    }

    /** The file name suffix, without the dot; also the file's key in the checksum sidecar. */
    String suffix() {
        return suffix;
    }

    static SegmentFileType of(IndexType indexType) {
        for (SegmentFileType type : values()) {
            if (type.indexType == indexType) {
                return type;
            }
        }
        throw new IllegalArgumentException("Unknown index type " + indexType);
    }

    static Optional<SegmentFileType> ofSuffix(String suffix) {
        for (SegmentFileType type : values()) {
            if (type.suffix.equals(suffix)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
