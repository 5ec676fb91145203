package dev.strata.broker.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.remote.s3.S3RemoteStorageManager;
import dev.strata.testing.MinioClients;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import dev.strata.tiering.ManifestReadAhead;
import dev.strata.tiering.SegmentManifestStorage;
import io.minio.MakeBucketArgs;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Which backends keep manifests: Strata's two do, through the S3 adapter for S3, which reads them several at once; a
 * third-party one does not.
 */
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
    void theS3BackendsManifestsAreReadSeveralAtOnceAndListedInKeyOrder() throws Exception {
        int count = 3 * ManifestReadAhead.READS_IN_FLIGHT + 5;
        GatheringBlobStore store = new GatheringBlobStore(ManifestReadAhead.READS_IN_FLIGHT);
        try (S3ProxyEndpoint proxy = S3ProxyEndpoint.over(store);
                S3RemoteStorageManager s3 = new S3RemoteStorageManager()) {
            MinioClients.of(proxy)
                    .makeBucket(MakeBucketArgs.builder().bucket("strata-tier").build());
            s3.configure(Map.of(
                    "s3.bucket.name",
                    "strata-tier",
                    "s3.endpoint.url",
                    proxy.url(),
                    "s3.path.style.access.enabled",
                    "true",
                    "aws.access.key.id",
                    S3ProxyEndpoint.ACCESS_KEY,
                    "aws.secret.access.key",
                    S3ProxyEndpoint.SECRET_KEY));
            SegmentManifestStorage manifests = SegmentManifestStorages.of(s3).orElseThrow();
            TopicIdPartition partition = new TopicIdPartition(Uuid.randomUuid(), 0, "t");
            List<String> written = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                RemoteLogSegmentMetadata segment = new RemoteLogSegmentMetadata(
                        new RemoteLogSegmentId(partition, Uuid.randomUuid()),
                        i * 10L,
                        i * 10L + 9,
                        0,
                        1,
                        0,
                        100,
                        Map.of(0, 0L));
                String manifest = "manifest of the segment at " + i * 10;
                manifests.putManifest(segment, manifest.getBytes(StandardCharsets.UTF_8));
                written.add(manifest);
            }

            try (Stream<byte[]> listed = manifests.listManifests()) {
                assertThat(listed.map(bytes -> new String(bytes, StandardCharsets.UTF_8)))
                        .as("in key order, which is offset order within a partition")
                        .containsExactlyElementsOf(written);
            }
            assertThat(store.mostReadsAtOnce()).hasValue(ManifestReadAhead.READS_IN_FLIGHT);
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

    /**
     * An in-memory store whose first manifest reads wait in the store until {@code gather} of them are there, so that
     * a client reading manifests one at a time leaves the first waiting in vain (for 30 s, then the gate opens); counts
     * the most manifest reads in the store at once.
     */
    private static final class GatheringBlobStore extends ForwardingBlobStore {
        private final CountDownLatch gathered;
        private final AtomicInteger readsNow = new AtomicInteger();
        private final AtomicInteger mostReadsAtOnce = new AtomicInteger();

        GatheringBlobStore(int gather) {
            super(BlobStores.create("transient", new Properties()));
            this.gathered = new CountDownLatch(gather);
        }

        AtomicInteger mostReadsAtOnce() {
            return mostReadsAtOnce;
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
            if (!request.key().endsWith(".manifest")) {
                return super.getBlob(request);
            }
            mostReadsAtOnce.accumulateAndGet(readsNow.incrementAndGet(), Math::max);
            try {
                gathered.countDown();
                if (!gathered.await(30, TimeUnit.SECONDS)) {
                    while (gathered.getCount() > 0) {
                        gathered.countDown();
                    }
                }
                return super.getBlob(request);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while gathering reads", e);
            } finally {
                readsNow.decrementAndGet();
            }
        }
    }
}
