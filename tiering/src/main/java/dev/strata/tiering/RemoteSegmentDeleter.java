package dev.strata.tiering;

import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.storage.api.SegmentManifestStorage;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes remote segments for the {@link RemoteLogManager}, in the one order that keeps the remote tier consistent:
 * DELETE_STARTED published (unless {@link #NOT_PUBLISHED}) and written to the index, the manifest overwritten with
 * DELETE_STARTED, the backend's data deleted, DELETE_FINISHED published and written, then the manifest deleted and
 * the segment removed from the index. A deletion interrupted anywhere resumes from the state the index (or a rebuilt
 * index) holds. Its callers say why a segment goes: remote retention ({@link RemoteRetention}), a failed or unfinished
 * copy's cleanup ({@link SegmentCopier}, {@link #rollBackUnfinishedCopies}), a deleted topic ({@link TopicDeletions})
 * or {@code remote.log.delete.on.disable}.
 *
 * <p>Threads: the manager's task pool, under the partition's lock (a deleted topic's partition: its deletion's lock,
 * which was the partition's); it keeps no state besides the counters.
 */
final class RemoteSegmentDeleter {
    /** The leader epoch argument of a deletion that is not published: that of a deleted topic's segments. */
    static final int NOT_PUBLISHED = -1;

    /** The manager's logger: what operators configure for tiering. */
    private static final Logger log = LoggerFactory.getLogger(RemoteLogManager.class);

    private final RemoteStorageManager storage;
    /** The backend's manifests, or null when the backend keeps none. */
    private final SegmentManifestStorage manifests;

    private final RemoteIndexStore store;
    private final RemoteSegmentPublisher publisher;
    private final Time time;
    private final TieringCounters counters;

    RemoteSegmentDeleter(
            RemoteStorageManager storage,
            SegmentManifestStorage manifests,
            RemoteIndexStore store,
            RemoteSegmentPublisher publisher,
            Time time,
            TieringCounters counters) {
        this.storage = storage;
        this.manifests = manifests;
        this.store = store;
        this.publisher = publisher;
        this.time = time;
        this.counters = counters;
    }

    /**
     * Takes a segment in any state through DELETE_STARTED, backend delete and DELETE_FINISHED, out of the index; its
     * manifest says DELETE_STARTED before the data goes and is deleted after it. Unless {@code leaderEpoch} is
     * {@link #NOT_PUBLISHED} (a deleted topic, which no replica records any more), DELETE_STARTED is published as this
     * broker's decision in that leader epoch before anything is deleted, and DELETE_FINISHED once the data is gone.
     */
    void delete(TopicIdPartition tip, RemoteSegment segment, int leaderEpoch) throws RemoteStorageException {
        try {
            RemoteSegment deleting = segment;
            if (leaderEpoch != NOT_PUBLISHED && segment.state() != RemoteSegmentState.DELETE_FINISHED) {
                // also when resuming: an index rebuilt from a DELETE_STARTED manifest may know more than the record
                publisher.deleteStarted(tip, leaderEpoch, segment);
            }
            if (segment.state() == RemoteSegmentState.COPY_STARTED
                    || segment.state() == RemoteSegmentState.COPY_FINISHED) {
                deleting = store.updateState(segment.id(), RemoteSegmentState.DELETE_STARTED, time.milliseconds());
            }
            if (deleting.state() == RemoteSegmentState.DELETE_STARTED) {
                // again when resuming a deletion: the write that should have done it may have failed
                putDeleteStartedManifest(tip, deleting);
                storage.deleteLogSegmentData(KafkaSegmentMetadata.metadataFor(tip, deleting));
                if (leaderEpoch != NOT_PUBLISHED) {
                    publisher.deleteFinished(tip, deleting);
                }
                markDeleteFinished(segment.id());
            }
            if (manifests != null) {
                manifests.deleteManifest(KafkaSegmentMetadata.metadataFor(tip, segment));
            }
            store.removeSegment(segment.id());
        } catch (RemoteStorageException | RuntimeException e) {
            counters.deleteErrors.increment();
            throw e;
        }
    }

    void deleteAll(TopicIdPartition tip, int leaderEpoch) throws RemoteStorageException {
        RemoteStorageException failure = null;
        for (RemoteSegment segment : store.segments(KafkaSegmentMetadata.key(tip))) {
            try {
                delete(tip, segment, leaderEpoch);
                counters.deletedSegments.increment();
            } catch (RemoteStorageException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        store.deletePartition(KafkaSegmentMetadata.key(tip));
    }

    void rollBackUnfinishedCopies(LedPartition state) {
        for (RemoteSegment segment : store.segments(state.key)) {
            if (segment.state() != RemoteSegmentState.COPY_FINISHED) {
                try {
                    // a failed copy's cleanup, or a deletion the previous leader started
                    delete(state.tip(), segment, state.partition.leaderEpoch());
                } catch (RemoteStorageException | RuntimeException e) {
                    log.warn("Could not clean up the unfinished {}", segment, e);
                }
            }
        }
    }

    void finishInterruptedDeletes(LedPartition partition) throws RemoteStorageException {
        for (RemoteSegment segment : store.segments(partition.key)) {
            RemoteSegmentState state = segment.state();
            if (state == RemoteSegmentState.DELETE_STARTED || state == RemoteSegmentState.DELETE_FINISHED) {
                delete(partition.tip(), segment, partition.partition.leaderEpoch());
            }
        }
    }

    /** Tolerates the broker's record applier having got there first: it applies the published DELETE_FINISHED too. */
    private void markDeleteFinished(RemoteSegmentId id) {
        try {
            store.updateState(id, RemoteSegmentState.DELETE_FINISHED, time.milliseconds());
        } catch (java.util.NoSuchElementException e) {
            // removed already
        }
    }

    private void putDeleteStartedManifest(TopicIdPartition tip, RemoteSegment deleting) throws RemoteStorageException {
        if (manifests == null) {
            return;
        }
        SegmentManifest manifest = store.manifest(deleting.id()).orElseThrow();
        manifests.putManifest(KafkaSegmentMetadata.metadataFor(tip, deleting), manifest.toBytes());
    }
}
