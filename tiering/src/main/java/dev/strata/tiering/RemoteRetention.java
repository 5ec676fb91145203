package dev.strata.tiering;

import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remote retention of a led partition for the {@link RemoteLogManager}: the oldest COPY_FINISHED segments are deleted
 * while they lie wholly below the log start offset, are older than {@code retention.ms} (by their max timestamp), or
 * can go without the log (local segments not yet copied plus remote segments) falling below {@code retention.bytes};
 * deletion stops at the first segment that must stay, so the remote tier stays contiguous. Then the partition hears
 * its new remote log start offset. Turning tiering off with {@code remote.log.delete.on.disable} deletes everything
 * remote (KIP-950). It also keeps the partition's remote log size for the stats.
 *
 * <p>Threads: the manager's task pool, under the partition's lock ({@link LedPartition#lock}); no state of its own.
 */
final class RemoteRetention {
    /** The manager's logger: what operators configure for tiering. */
    private static final Logger log = LoggerFactory.getLogger(RemoteLogManager.class);

    private final RemoteIndexStore store;
    private final RemoteSegmentDeleter deleter;
    private final Time time;
    private final TieringCounters counters;

    RemoteRetention(RemoteIndexStore store, RemoteSegmentDeleter deleter, Time time, TieringCounters counters) {
        this.store = store;
        this.deleter = deleter;
        this.time = time;
        this.counters = counters;
    }

    /**
     * Finishes the deletions an earlier run or leader started, then applies retention, or deletes everything remote
     * when tiering was turned off with {@code remote.log.delete.on.disable}. Called under the partition's lock.
     */
    void run(LedPartition state) {
        try {
            deleter.finishInterruptedDeletes(state);
            TieringConfig config = state.partition.config();
            if (!config.remoteStorageEnable()) {
                if (config.deleteOnDisable()) {
                    // an explicit user action (KIP-950)
                    deleter.deleteAll(state.tip(), state.partition.leaderEpoch());
                    state.remoteLogSize = RemoteLogManagerStats.RemoteLogSize.NONE;
                }
                return;
            }
            expire(state, config);
        } catch (RemoteStorageException e) {
            log.warn("Could not delete all remote data of {}; retrying on the next run", state.tip(), e);
        }
    }

    private void expire(LedPartition state, TieringConfig config) throws RemoteStorageException {
        List<RemoteSegment> finished = new ArrayList<>();
        long total = 0;
        for (RemoteSegment segment : store.segments(state.key)) {
            if (segment.state().isReadable()) {
                finished.add(segment);
                total += segment.sizeInBytes();
            }
        }
        long remoteBytes = total;
        state.remoteLogSize = new RemoteLogManagerStats.RemoteLogSize(finished.size(), remoteBytes);
        if (finished.isEmpty()) {
            return;
        }
        long highest = finished.get(finished.size() - 1).endOffset();
        for (LocalSegment local : state.partition.sealedSegments()) {
            if (local.endOffset() > highest) {
                total += local.sizeInBytes();
            }
        }
        long logStartOffset = state.partition.logStartOffset();
        long now = time.milliseconds();
        RemoteSegment lastDeleted = null;
        int deleted = 0;
        for (RemoteSegment segment : finished) {
            boolean belowLogStart = segment.endOffset() < logStartOffset;
            boolean pastRetentionMs =
                    config.retentionMs() >= 0 && now - segment.maxTimestampMs() > config.retentionMs();
            boolean pastRetentionBytes =
                    config.retentionBytes() >= 0 && total - segment.sizeInBytes() >= config.retentionBytes();
            if (!belowLogStart && !pastRetentionMs && !pastRetentionBytes) {
                break;
            }
            // remote retention
            deleter.delete(state.tip(), segment, state.partition.leaderEpoch());
            counters.deletedSegments.increment();
            total -= segment.sizeInBytes();
            remoteBytes -= segment.sizeInBytes();
            lastDeleted = segment;
            deleted++;
            state.remoteLogSize = new RemoteLogManagerStats.RemoteLogSize(finished.size() - deleted, remoteBytes);
        }
        if (lastDeleted != null) {
            long remoteLogStart =
                    deleted < finished.size() ? finished.get(deleted).startOffset() : lastDeleted.endOffset() + 1;
            log.info(
                    "Expired {} remote segments of {}; the remote log now starts at {}",
                    deleted,
                    state.tip(),
                    remoteLogStart);
            state.partition.onRemoteLogStartOffset(remoteLogStart);
        }
    }
}
