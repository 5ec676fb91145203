package dev.strata.broker.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.remote.s3.S3RemoteStorageManager;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import dev.strata.tiering.SegmentManifestStorage;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which backends keep manifests: Strata's two do, through the S3 adapter for S3; a third-party one does not. */
class SegmentManifestStoragesTest {

    private final RemoteLogSegmentMetadata segment = new RemoteLogSegmentMetadata(
            new RemoteLogSegmentId(new TopicIdPartition(Uuid.randomUuid(), 0, "t"), Uuid.randomUuid()),
            0,
            9,
            0,
            1,
            0,
            100,
            Map.of(0, 0L));

    @Test
    void theFilesystemBackendIsItsOwnManifestStorage(@TempDir Path dir) {
        FileSystemRemoteStorageManager fileSystem = new FileSystemRemoteStorageManager();
        fileSystem.configure(Map.of("dir", dir.toString()));

        assertThat(SegmentManifestStorages.of(fileSystem)).containsSame(fileSystem);
    }

    @Test
    void theS3BackendIsAdaptedAndEveryCallReachesItsBucket() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (S3RemoteStorageManager s3 = new S3RemoteStorageManager()) {
            s3.configure(Map.of(
                    "s3.bucket.name", "strata-tier",
                    "s3.endpoint.url", "http://127.0.0.1:" + closedPort,
                    "s3.path.style.access.enabled", "true",
                    "aws.access.key.id", "key",
                    "aws.secret.access.key", "secret",
                    "s3.retry.max.attempts", "1"));

            SegmentManifestStorage manifests = SegmentManifestStorages.of(s3).orElseThrow();

            assertThatThrownBy(() -> manifests.putManifest(segment, new byte[] {1}))
                    .isInstanceOf(RemoteStorageException.class)
                    .hasMessageContaining("Upload of the manifest s3://strata-tier/t-");
            assertThatThrownBy(() -> manifests.deleteManifest(segment))
                    .isInstanceOf(RemoteStorageException.class)
                    .hasMessageContaining("Delete of the manifest s3://strata-tier/t-");
            assertThatThrownBy(() -> manifests.listManifests().count())
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("List of s3://strata-tier/");
        }
    }

    @Test
    void aThirdPartyBackendKeepsNoManifests() {
        assertThat(SegmentManifestStorages.of(new ThirdPartyStorageManager())).isEmpty();
    }

    /** A backend that knows only Kafka's SPI. */
    private static final class ThirdPartyStorageManager implements RemoteStorageManager {
        @Override
        public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data) {
            return Optional.empty();
        }

        @Override
        public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition) {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition) {
            return InputStream.nullInputStream();
        }

        @Override
        public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) {
            return InputStream.nullInputStream();
        }

        @Override
        public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) {}

        @Override
        public void configure(Map<String, ?> configs) {}

        @Override
        public void close() {}
    }
}
