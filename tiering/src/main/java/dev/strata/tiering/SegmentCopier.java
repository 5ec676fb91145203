package dev.strata.tiering;

import dev.strata.index.OffsetPosition;
import dev.strata.index.RemoteAbortedTxn;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.index.TimestampOffset;
import dev.strata.storage.api.ManifestBundlingStorage;
import dev.strata.storage.api.SegmentManifestStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a led partition's sealed segments to the remote tier for the {@link RemoteLogManager}, and measures its copy
 * lag (a WARN when copies stall).
 *
 * <p>Sealed segments that end below the high watermark and above the highest COPY_FINISHED offset are
 * copied oldest first. Per segment: COPY_STARTED is written to the {@link RemoteIndexStore} (durably, under a new
 * segment id), the upload byte-rate limit is paid, the backend copies the files (the transaction index too, when the
 * segment has one) with its manifest in the same objects when the backend bundles them ({@link ManifestBundlingStorage},
 * no PUT of its own), else its manifest after them (when there is a {@link SegmentManifestStorage}), then the
 * segment's offset and time index entries, aborted transactions and COPY_FINISHED are written to the index, and
 * only then is the partition told its new highest remote offset, which allows local deletion. A failure, also of the
 * manifest, rolls the attempt back (DELETE_STARTED, backend delete, DELETE_FINISHED, removed from the index) and the
 * partition waits an exponential backoff before the next attempt. A COPY_STARTED segment left by a crash is rolled
 * back the same way on the next run, and so is a copy during which the partition's leader epoch changed (this broker
 * may no longer lead). Nothing is data before COPY_FINISHED is durable.
 *
 * <p>Threads: the manager's task pool, under the partition's lock ({@link LedPartition#lock}), and the manager's upload
 * pool for the uploads (COPY_STARTED, the rate limit, the backend's copy: no rollback, no publication, no change to
 * the partition's state there). It keeps no state of its own besides
 * the counters, all per-partition state is in the {@link LedPartition}.
 */
final class SegmentCopier {
    /** The manager's logger: what operators configure for tiering. */
    private static final Logger log = LoggerFactory.getLogger(RemoteLogManager.class);

    private final int brokerId;
    private final RemoteStorageManager storage;
    /** The backend's manifests, or null when the backend keeps none. */
    private final SegmentManifestStorage manifests;

    private final RemoteIndexStore store;
    private final RemoteSegmentPublisher publisher;
    private final RemoteSegmentDeleter deleter;
    private final Time time;
    /** Null for unlimited. */
    private final UploadRateLimiter rateLimiter;

    private final TieringCounters counters;
    /** Whether the manager closed: a copy stops before its next segment. */
    private final BooleanSupplier closed;
    /** Where a segment's upload runs while the one before it is published. */
    private final ExecutorService uploadPool;

    SegmentCopier(
            int brokerId,
            RemoteStorageManager storage,
            SegmentManifestStorage manifests,
            RemoteIndexStore store,
            RemoteSegmentPublisher publisher,
            RemoteSegmentDeleter deleter,
            Time time,
            UploadRateLimiter rateLimiter,
            TieringCounters counters,
            BooleanSupplier closed,
            ExecutorService uploadPool) {
        this.brokerId = brokerId;
        this.storage = storage;
        this.manifests = manifests;
        this.store = store;
        this.publisher = publisher;
        this.deleter = deleter;
        this.time = time;
        this.rateLimiter = rateLimiter;
        this.counters = counters;
        this.closed = closed;
        this.uploadPool = uploadPool;
    }

    /**
     * Copies the partition's eligible segments, oldest first, unless it is backing off after a failure; first rolls
     * back the copies a crash or an earlier leader left unfinished. Called under the partition's lock.
     *
     * <p>Uploads (COPY_STARTED, the segment's log, then its indexes and manifest into the backend) run on the upload
     * pool, and a segment's upload starts once the log of the one before it is in the backend: while that one's
     * bundle goes up and it is published (COPY_FINISHED to the replicas and the index). So a partition has at most two
     * uploads in flight, only one of them writing a log, and segments are published one at a time in offset order. An
     * upload whose segment is not published (the one before it failed, the partition was unregistered) is rolled back
     * here.
     */
    void copyPending(LedPartition state) {
        TieringConfig config = state.partition.config();
        if (!config.remoteStorageEnable() || config.copyDisabled()) {
            state.copyLag = RemoteLogManagerStats.CopyLag.NONE;
            return;
        }
        // the lag and the stall are measured while backing off too: that is when they grow
        List<LocalSegment> pending = pendingCopies(state);
        state.copyLag = LedPartition.lagOf(pending);
        warnIfStalled(state, pending.isEmpty());
        if (time.milliseconds() < state.nextCopyAttemptMs) {
            return;
        }
        deleter.rollBackUnfinishedCopies(state);
        InFlight current = null;
        InFlight next = null;
        try {
            for (int i = 0; i < pending.size(); i++) {
                state.copyLag = LedPartition.lagOf(pending.subList(i, pending.size()));
                if (state.unregistered || closed.getAsBoolean()) {
                    return;
                }
                LocalSegment segment = pending.get(i);
                current = current != null ? current : startUpload(state, segment);
                Boolean logUp = current == null ? null : current.awaitLogUp();
                if (logUp == null) {
                    // the manager is closing; an unfinished copy is rolled back by the next leader's run
                    return;
                }
                if (i + 1 < pending.size() && logUp) {
                    next = startUpload(state, pending.get(i + 1));
                }
                Upload upload = await(current.upload());
                current = null;
                if (upload == null) {
                    return;
                }
                if (!publish(state, upload)) {
                    state.failedAttempts++;
                    long backoff = RemoteLogManager.backoffMs(state.failedAttempts);
                    state.nextCopyAttemptMs = time.milliseconds() + backoff;
                    return;
                }
                state.failedAttempts = 0;
                state.nextCopyAttemptMs = 0;
                state.lastCopyProgressMs = time.milliseconds();
                state.partition.onHighestRemoteOffset(segment.endOffset());
                current = next;
                next = null;
            }
            state.copyLag = RemoteLogManagerStats.CopyLag.NONE;
        } finally {
            abandon(state, current);
            abandon(state, next);
        }
    }

    /** The sealed segments below the high watermark that the remote tier does not hold yet, oldest first. */
    private List<LocalSegment> pendingCopies(LedPartition state) {
        // the partition's own mark too: remote retention may have deleted every segment the index knew
        long highest =
                Math.max(store.highestRemoteOffset(state.key).orElse(-1L), state.partition.highestRemoteOffset());
        long highWatermark = state.partition.highWatermark();
        List<LocalSegment> pending = new ArrayList<>();
        for (LocalSegment segment : state.partition.sealedSegments()) {
            if (segment.endOffset() < highWatermark && segment.endOffset() > highest) {
                pending.add(segment);
            }
        }
        return pending;
    }

    /**
     * Logs a WARN, once per {@value RemoteLogManager#COPY_STALL_MS} ms, while segments have waited that long without a copy finishing:
     * the store is down or too slow, and the local disk of tiered topics grows meanwhile.
     */
    private void warnIfStalled(LedPartition state, boolean nothingWaits) {
        long now = time.milliseconds();
        if (nothingWaits) {
            state.lastCopyProgressMs = now;
            return;
        }
        long stalledMs = now - state.lastCopyProgressMs;
        if (stalledMs >= RemoteLogManager.COPY_STALL_MS
                && now - state.lastStallWarningMs >= RemoteLogManager.COPY_STALL_MS) {
            state.lastStallWarningMs = now;
            log.warn(
                    "Copies of {} to the remote tier have made no progress for {} s: {} segments ({} bytes) wait on"
                            + " the local disk",
                    state.tip(),
                    stalledMs / 1000,
                    state.copyLag.segments(),
                    state.copyLag.bytes());
        }
    }

    /**
     * A segment's upload: its COPY_STARTED record (null if that could not be written), and either what publishing it
     * needs or why it failed.
     */
    private record Upload(RemoteSegment started, int leaderEpoch, SegmentManifest manifest, Exception error) {}

    /**
     * An upload on the upload pool: its outcome, and whether the segment's log went up to the backend (known once it
     * did, or once the upload failed before that).
     */
    private record InFlight(Future<Upload> upload, CompletableFuture<Boolean> logUp) {
        /**
         * Waits until the log is up (true) or the upload failed before that (false); null if this thread was
         * interrupted meanwhile.
         */
        Boolean awaitLogUp() {
            return await(logUp);
        }
    }

    /** Starts the upload of {@code local} on the upload pool; null if the pool is shut down (the manager closes). */
    private InFlight startUpload(LedPartition state, LocalSegment local) {
        CompletableFuture<Boolean> logUp = new CompletableFuture<>();
        try {
            return new InFlight(uploadPool.submit(() -> upload(state, local, logUp)), logUp);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** An upload's outcome or whether its log is up; null if this thread was interrupted while it waited. */
    private static <T> T await(Future<T> upload) {
        try {
            return upload.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            // upload() returns its failures and completes logUp normally: this is an Error, which the pool reports
            throw new IllegalStateException("An upload failed unexpectedly", e.getCause());
        }
    }

    /**
     * An upload whose segment will not be published (none if null): waited for, and rolled back if it wrote anything;
     * unless the manager closes, when its COPY_STARTED record stays for the next run to roll back, as after a crash.
     */
    private void abandon(LedPartition state, InFlight inFlight) {
        if (inFlight == null) {
            return;
        }
        Upload upload = await(inFlight.upload());
        if (upload != null && upload.started() != null && !closed.getAsBoolean()) {
            rollBack(state, upload.started());
        }
    }

    /**
     * Writes COPY_STARTED, pays the upload byte-rate limit and copies the segment's files and manifest to the backend;
     * completes {@code logUp} once the log is there (or the upload ends). Rolls nothing back: the thread that holds
     * the partition's lock does ({@link #publish}, {@link #abandon}).
     */
    private Upload upload(LedPartition state, LocalSegment local, CompletableFuture<Boolean> logUp) {
        Upload upload = null;
        try {
            upload = upload(state, local, () -> logUp.complete(true));
            return upload;
        } finally {
            // no effect once the log is up; false if the upload failed before
            logUp.complete(upload != null && upload.error() == null);
        }
    }

    private Upload upload(LedPartition state, LocalSegment local, Runnable logIsUp) {
        int leaderEpoch = state.partition.leaderEpoch();
        RemoteSegment started = new RemoteSegment(
                RemoteSegmentId.random(state.key),
                local.baseOffset(),
                local.endOffset(),
                local.maxTimestampMs(),
                local.sizeInBytes(),
                local.segmentLeaderEpochs(),
                brokerId,
                RemoteSegmentState.COPY_STARTED,
                time.milliseconds(),
                // how the segment is encrypted, if it is: known before a byte is copied, so every record of it says
                storage instanceof EncryptedRemoteStorage encrypted ? encrypted.newSegmentMetadata() : null);
        try {
            store.putSegment(started);
        } catch (RuntimeException e) {
            return new Upload(null, leaderEpoch, null, e);
        }
        try {
            rateLimiter.acquire(local.sizeInBytes());
            LogSegmentData data = new LogSegmentData(
                    local.log(),
                    local.offsetIndex(),
                    local.timeIndex(),
                    local.txnIndex(),
                    local.producerSnapshot(),
                    local.leaderEpochCheckpoint());
            SegmentManifest manifest;
            if (manifests instanceof ManifestBundlingStorage bundling) {
                // the manifest goes up with the data: no PUT of its own
                byte[] envelope = started.customMetadata();
                manifest = manifestOf(local, started, envelope.length == 0 ? null : envelope);
                byte[] manifestBytes = manifest.toBytes();
                bundling.copyLogSegmentData(KafkaSegmentMetadata.metadataFor(state.tip(), started), data, () -> {
                    // asked for after the log is up: a fenced leader publishes no COPY_FINISHED manifest, which a
                    // rebuild would take for history
                    logIsUp.run();
                    checkLeaderEpoch(state, leaderEpoch);
                    return manifestBytes;
                });
            } else {
                Optional<CustomMetadata> custom =
                        storage.copyLogSegmentData(KafkaSegmentMetadata.metadataFor(state.tip(), started), data);
                logIsUp.run();
                manifest = manifestOf(
                        local, started, custom.map(CustomMetadata::value).orElse(null));
                if (manifests != null) {
                    checkLeaderEpoch(state, leaderEpoch);
                    // before the index says COPY_FINISHED: a segment the index offers to readers can always be rebuilt
                    manifests.putManifest(
                            KafkaSegmentMetadata.metadataFor(state.tip(), manifest.segment()), manifest.toBytes());
                }
            }
            return new Upload(started, leaderEpoch, manifest, null);
        } catch (RemoteStorageException | IOException | RuntimeException e) {
            return new Upload(started, leaderEpoch, null, e);
        }
    }

    /**
     * Publishes an uploaded segment's COPY_FINISHED to the replicas, then to the index; or, if its upload or this
     * fails, records the error and rolls the copy back. Whether the segment is in the remote tier now.
     */
    private boolean publish(LedPartition state, Upload upload) {
        RemoteSegment started = upload.started();
        try {
            if (upload.error() != null) {
                throw upload.error();
            }
            checkLeaderEpoch(state, upload.leaderEpoch());
            // the replicas hear of it before this index offers it, so no reader here sees a segment they may not know
            publisher.copyFinished(state.tip(), upload.leaderEpoch(), upload.manifest());
            store.applyManifest(upload.manifest());
        } catch (Exception e) {
            recordCopyError(state, e);
            if (started == null) {
                log.warn("Could not record the start of a copy of {}; retrying later", state.tip(), e);
            } else {
                log.warn("Copy of {} failed; rolling it back and retrying later", started, e);
                rollBack(state, started);
            }
            return false;
        }
        counters.copiedBytes.add(started.sizeInBytes());
        counters.copiedSegments.increment();
        state.remoteLogSize = state.remoteLogSize.plus(started.sizeInBytes());
        log.debug("Copied {}", started.id());
        return true;
    }

    /** Rolls back a copy that will not be published; under the partition's lock. */
    private void rollBack(LedPartition state, RemoteSegment started) {
        try {
            // a finished copy's cleanup: published, so that a copy whose publication is uncertain stays
            deleter.delete(state.tip(), started, state.partition.leaderEpoch());
        } catch (RemoteStorageException | RuntimeException cleanup) {
            // the COPY_STARTED or DELETE_STARTED record stays; the next run cleans it up
            log.warn("Could not roll back the failed copy of {}", started, cleanup);
        }
    }

    /** The COPY_FINISHED manifest of {@code started}, with the index entries of its local files. */
    private SegmentManifest manifestOf(LocalSegment local, RemoteSegment started, byte[] customMetadata)
            throws IOException {
        List<OffsetPosition> offsetEntries = LocalIndexFiles.offsetEntries(
                local.offsetIndex(), local.baseOffset(), local.endOffset(), local.sizeInBytes());
        List<TimestampOffset> timeEntries =
                LocalIndexFiles.timeEntries(local.timeIndex(), local.baseOffset(), local.endOffset());
        List<RemoteAbortedTxn> abortedTxns =
                LocalIndexFiles.abortedTxns(local.txnIndex(), local.baseOffset(), local.endOffset());
        RemoteSegment finished = new RemoteSegment(
                started.id(),
                started.startOffset(),
                started.endOffset(),
                started.maxTimestampMs(),
                started.sizeInBytes(),
                started.leaderEpochs(),
                brokerId,
                RemoteSegmentState.COPY_FINISHED,
                time.milliseconds(),
                customMetadata);
        return new SegmentManifest(finished, offsetEntries, timeEntries, abortedTxns);
    }

    private void recordCopyError(LedPartition state, Exception e) {
        counters.copyErrors.increment();
        state.lastCopyError = e.toString();
        state.lastCopyErrorMs = time.milliseconds();
    }

    /** Another broker may lead and copy now: only the leader of one epoch may finish a copy. */
    private static void checkLeaderEpoch(LedPartition state, int leaderEpoch) throws RemoteStorageException {
        if (state.partition.leaderEpoch() != leaderEpoch) {
            throw new RemoteStorageException("The leader epoch of " + state.tip() + " moved from " + leaderEpoch
                    + " to " + state.partition.leaderEpoch() + " during the copy");
        }
    }
}
