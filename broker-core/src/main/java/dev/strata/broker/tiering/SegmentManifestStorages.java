package dev.strata.broker.tiering;

import dev.strata.remote.s3.S3RemoteStorageManager;
import dev.strata.tiering.ManifestReadAhead;
import dev.strata.tiering.SegmentManifestStorage;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the broker's backend keeps segment manifests, from which a lost remote index is rebuilt. The filesystem
 * backend is a {@link SegmentManifestStorage}; the S3 backend has the same methods but cannot implement the interface,
 * since it is also a plugin for Apache Kafka and depends on nothing of Strata, so it is adapted here. Any other
 * {@link RemoteStorageManager} keeps no manifests.
 */
final class SegmentManifestStorages {
    private static final Logger log = LoggerFactory.getLogger(SegmentManifestStorages.class);

    private SegmentManifestStorages() {}

    /** The backend's manifests; empty, and a warning logged, when it keeps none. */
    static Optional<SegmentManifestStorage> of(RemoteStorageManager storage) {
        if (storage instanceof SegmentManifestStorage manifests) {
            return Optional.of(manifests);
        }
        if (storage instanceof S3RemoteStorageManager s3) {
            return Optional.of(new S3Manifests(s3));
        }
        log.warn(
                "{} keeps no segment manifests: if the remote index is lost, it cannot be rebuilt from the remote tier",
                storage.getClass().getName());
        return Optional.empty();
    }

    /**
     * The S3 backend's manifest methods as a {@link SegmentManifestStorage}; its manifests are read several at once
     * ({@link ManifestReadAhead}), since each is a GET.
     */
    private record S3Manifests(S3RemoteStorageManager s3) implements SegmentManifestStorage {
        @Override
        public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException {
            s3.putManifest(segment, manifest);
        }

        @Override
        public void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
            s3.deleteManifest(segment);
        }

        @Override
        public Stream<byte[]> listManifests() {
            return ManifestReadAhead.read(s3.listManifestKeys(), s3::readManifest);
        }
    }
}
