package dev.strata.storage.api;

import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * A backend's objects by key, for the orphan scrub: objects in the remote tier that no remote index knows (the files
 * of a segment whose manifest was corrupt when the index was rebuilt, or what a deletion left behind when its record
 * was lost) are found by listing them here, and removed one by one only when an operator asks.
 *
 * <p>A key is relative to the backend's root (its directory, or its bucket and key prefix) and uses {@code /} between
 * components. Strata's backends lay segments out as {@code <topic>-<topic id>/<partition>/<20-digit start
 * offset>-<segment id>.<suffix>}; a key that does not follow that layout belongs to no segment, and the scrub reports
 * it but never deletes it.
 *
 * <p>Like {@link SegmentManifestStorage}, a Strata extension that a backend offers by implementing it beside Kafka's
 * {@code RemoteStorageManager}. Implementations are thread-safe.
 */
public interface RemoteObjectStorage {

    /**
     * Every object whose key starts with {@code prefix} ({@code ""} for all), listed as the stream advances, never all
     * in memory at once. The stream must be closed.
     *
     * @throws RemoteStorageException if the listing cannot start; a failure later is an
     *     {@link java.io.UncheckedIOException} thrown by the stream
     */
    Stream<StoredObject> listObjects(String prefix) throws RemoteStorageException;

    /**
     * Deletes one object. Deleting an object that does not exist succeeds.
     *
     * @throws RemoteStorageException if it cannot be deleted
     */
    void deleteObject(String key) throws RemoteStorageException;

    /** One stored object: its key relative to the backend's root, and its size. */
    record StoredObject(String key, long sizeBytes) {}
}
