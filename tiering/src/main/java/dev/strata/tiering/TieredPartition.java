package dev.strata.tiering;

import java.util.List;
import org.apache.kafka.common.TopicIdPartition;

/**
 * What the {@link RemoteLogManager} needs from a partition the broker leads: its sealed segments, high watermark and
 * settings, and two callbacks through which tiering tells the broker how far each tier reaches. The broker's
 * partition implements it; tiering never sees broker classes.
 *
 * <p>Implementations are called from the manager's copier threads, concurrently with the broker's own threads, and
 * must be thread-safe.
 */
public interface TieredPartition {

    /** The partition, with its topic id. */
    TopicIdPartition topicIdPartition();

    /** The sealed (no longer active) local segments, oldest first. */
    List<LocalSegment> sealedSegments();

    /**
     * The high watermark, or the last stable offset when a transaction is open below it: only segments that end below
     * it are copied, so the remote tier never holds records whose transaction may still abort.
     */
    long highWatermark();

    /** This broker's current leader epoch for the partition. */
    int leaderEpoch();

    /** The partition's tiering settings as they are now (they may change between calls). */
    TieringConfig config();

    /** The log start offset of the whole log (after DeleteRecords and retention). */
    long logStartOffset();

    /**
     * The highest offset the broker has heard the remote tier holds ({@link #onHighestRemoteOffset}), or -1. It stays
     * when remote retention deletes every remote segment, so that local segments below it are not copied again.
     */
    default long highestRemoteOffset() {
        return -1L;
    }

    /**
     * The remote tier now holds, durably, every offset up to and including {@code offset}. The broker may delete local
     * segments that end at or below it once they are past local retention.
     */
    void onHighestRemoteOffset(long offset);

    /** The remote tier now starts at {@code offset}: remote retention deleted everything below it. */
    void onRemoteLogStartOffset(long offset);
}
