package dev.strata.storage.api;

import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * A {@link SegmentManifestStorage} that stores a segment's first manifest inside the segment's own objects, so that a
 * tiered segment costs no PUT beyond its data's: Strata's S3 backend keeps it in the segment's
 * {@link SegmentIndexBundle}. The broker then copies a segment with {@link #copyLogSegmentData(RemoteLogSegmentMetadata,
 * LogSegmentData, byte[])} instead of Kafka's copy followed by {@link #putManifest}.
 *
 * <p>{@link #putManifest} still stores a manifest that replaces the bundled one (a deletion records DELETE_STARTED
 * that way), and {@link #listManifests()} lists the latest manifest of every segment, bundled or not.
 */
public interface ManifestBundlingStorage extends SegmentManifestStorage {

    /**
     * Copies the segment as {@link RemoteStorageManager#copyLogSegmentData} does, with the manifest that
     * {@code manifest} gives stored in its objects: once this returns, {@link #listManifests()} returns it. The manifest
     * is asked for once, after the log is stored and before the object that holds the manifest is written, so that the
     * caller can check at the last moment that it may still publish the segment (its leader epoch): a failure there
     * fails the copy. Returns no custom metadata: the manifest, written with the copy, could not record it.
     *
     * @throws RemoteStorageException if the copy fails, or {@code manifest} does; the objects it wrote are removed as
     *     far as possible, and a later copy of the same segment overwrites what remains
     */
    void copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource manifest)
            throws RemoteStorageException;

    /** The manifest of a segment being copied, asked for once, when the copy is about to store it. */
    @FunctionalInterface
    interface ManifestSource {
        /**
         * @throws RemoteStorageException if the copy must not publish the segment after all
         */
        byte[] manifest() throws RemoteStorageException;
    }
}
