package dev.strata.tiering;

import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.storage.api.SegmentManifestStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * The filesystem backend's manifests, recording each write and delete together with what the index and the backend
 * held at that moment; writes of one manifest state can be made to fail.
 */
final class RecordingManifestStorage implements SegmentManifestStorage {

    private final FileSystemRemoteStorageManager backend;
    private final RemoteIndexStore store;
    private final List<String> events = new CopyOnWriteArrayList<>();
    private volatile RemoteSegmentState failingState;

    RecordingManifestStorage(FileSystemRemoteStorageManager backend, RemoteIndexStore store) {
        this.backend = backend;
        this.store = store;
    }

    /** Writes of manifests in {@code state} fail from now on; null lets every write through. */
    void failWritesOf(RemoteSegmentState state) {
        failingState = state;
    }

    /** "put STATE" or "delete", each with the index's state of the segment and whether its data exists. */
    List<String> events() {
        return List.copyOf(events);
    }

    @Override
    public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException {
        RemoteSegmentState state = SegmentManifest.fromBytes(manifest).segment().state();
        events.add("put " + state + context(segment));
        if (state == failingState) {
            throw new RemoteStorageException("injected failure to write a " + state + " manifest");
        }
        backend.putManifest(segment, manifest);
    }

    @Override
    public void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        events.add("delete" + context(segment));
        backend.deleteManifest(segment);
    }

    @Override
    public Stream<byte[]> listManifests() throws RemoteStorageException {
        return backend.listManifests();
    }

    private String context(RemoteLogSegmentMetadata segment) {
        Uuid id = segment.remoteLogSegmentId().id();
        RemoteSegmentId segmentId = new RemoteSegmentId(
                RemoteLogManager.key(segment.topicIdPartition()),
                new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()));
        String indexState = store.segment(segmentId)
                .map(stored -> stored.state().toString())
                .orElse("none");
        return " (index " + indexState + ", data " + (hasData(segment) ? "present" : "gone") + ")";
    }

    private boolean hasData(RemoteLogSegmentMetadata segment) {
        try (InputStream ignored = backend.fetchLogSegment(segment, 0)) {
            return true;
        } catch (RemoteResourceNotFoundException e) {
            return false;
        } catch (RemoteStorageException | IOException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
