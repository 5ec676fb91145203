package dev.strata.tiering;

import dev.strata.index.SegmentManifest;
import dev.strata.storage.api.ManifestBundlingStorage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * A backend that takes each segment's first manifest with its data, as the S3 backend does in its bundle: here the
 * data goes through {@code data} (a copy that may fail), then the manifest is asked for and stored; {@code manifests}
 * records
 * every manifest written or deleted apart from a copy. Records the copies it was given, with their manifests' states.
 */
final class BundlingManifestStorage implements ManifestBundlingStorage {

    private final RemoteStorageManager data;
    private final RecordingManifestStorage manifests;
    private final FileSystemRemoteStorageManager fileSystem;
    private final List<String> copies = new CopyOnWriteArrayList<>();
    private volatile Runnable beforeBundle = () -> {};

    BundlingManifestStorage(
            RemoteStorageManager data, FileSystemRemoteStorageManager fileSystem, RecordingManifestStorage manifests) {
        this.data = data;
        this.fileSystem = fileSystem;
        this.manifests = manifests;
    }

    /** Runs {@code action} in every copy after its data went up, before its bundle is written. */
    void beforeBundle(Runnable action) {
        beforeBundle = action;
    }

    /** "copy with STATE manifest" per bundled copy. */
    List<String> copies() {
        return List.copyOf(copies);
    }

    @Override
    public void copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource source)
            throws RemoteStorageException {
        this.data.copyLogSegmentData(segment, data);
        byte[] manifest = source.manifest();
        beforeBundle.run();
        copies.add("copy with " + SegmentManifest.fromBytes(manifest).segment().state() + " manifest");
        fileSystem.putManifest(segment, manifest);
    }

    @Override
    public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException {
        manifests.putManifest(segment, manifest);
    }

    @Override
    public void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        manifests.deleteManifest(segment);
    }

    @Override
    public Stream<byte[]> listManifests() throws RemoteStorageException {
        return manifests.listManifests();
    }
}
