package dev.strata.storage.api;

import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * Where a backend keeps the manifest of each remote segment (a {@code dev.strata.index.SegmentManifest}: the
 * segment's metadata, state and index entries), next to the segment's own objects. Listing every manifest restores a
 * broker's lost remote index ({@code dev.strata.tiering.RemoteIndexRebuild}), so the backend, not the broker's disk,
 * is the durable record of remote history.
 *
 * <p>A Strata extension of Kafka's {@link RemoteStorageManager}, which can neither write an object of its own choosing
 * nor list. A backend offers it by implementing this interface beside {@link RemoteStorageManager}, as Strata's
 * filesystem ({@code dev.strata.tiering.FileSystemRemoteStorageManager}) and S3
 * ({@code dev.strata.remote.s3.S3RemoteStorageManager}) backends do; the broker keeps no manifests with any other
 * backend. The signatures use only JDK and {@code kafka-storage-api} types, so that a backend offers it with this
 * small artifact and without Strata's engine, and still loads in Apache Kafka, which never calls it. A manifest is
 * opaque bytes here: its format and checksum belong to the index.
 *
 * <p>Implementations are thread-safe. The remote log manager never writes two manifests of one segment at once.
 */
public interface SegmentManifestStorage {

    /**
     * Stores the manifest of {@code segment}, replacing the one stored before. Once this returns, the manifest is
     * durable and {@link #listManifests()} returns it.
     *
     * @throws RemoteStorageException if it cannot be stored; a manifest stored before may then remain
     */
    void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException;

    /**
     * Deletes the manifest of {@code segment}. Deleting a manifest that does not exist succeeds.
     *
     * @throws RemoteStorageException if it cannot be deleted
     */
    void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException;

    /**
     * Every manifest the backend holds, in no particular order, listed as the stream advances and read a few at a time
     * just ahead of it ({@link ManifestReadAhead}): months of history may be a hundred thousand manifests, which are
     * never all in memory at once, and which one read at a time would take long to fetch from an object store. A
     * manifest deleted while the listing runs may be left out. The stream must be closed.
     *
     * @throws RemoteStorageException if the listing cannot start; a failure later, while listing or reading, is an
     *     {@link java.io.UncheckedIOException} thrown by the stream
     */
    Stream<byte[]> listManifests() throws RemoteStorageException;
}
