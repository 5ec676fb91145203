package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.storage.api.ManifestReadAhead;
import dev.strata.storage.api.SegmentManifestStorage;
import dev.strata.testing.MinioClients;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.testing.S3Store;
import dev.strata.testing.SegmentFiles;
import io.minio.MakeBucketArgs;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** The round trip against S3Proxy in this JVM, plus what only an in-process store can show: the store going away. */
class S3ProxyRoundTripIT extends RemoteStorageRoundTripContract {

    private S3ProxyEndpoint proxy;

    @Override
    S3Store startStore() throws Exception {
        proxy = S3ProxyEndpoint.inMemory();
        return proxy;
    }

    @Test
    void copyFailsAfterItsRetriesWhenTheEndpointIsDown(@TempDir Path segmentDir) throws Exception {
        SegmentFiles segment = SegmentFiles.write(segmentDir, SegmentFiles.newPartition(0), 0, 10_000, true);

        try (S3RemoteStorageManager rsm = managerOfAStoppedEndpoint()) {
            assertThatThrownBy(() -> rsm.copyLogSegmentData(segment.metadata(), segment.data()))
                    .isInstanceOf(RemoteStorageException.class)
                    .hasMessageContaining("Copy of segment")
                    .as("the 4 attempts of s3.retry.max.attempts were made, and then the copy gave up")
                    .hasMessageContaining("(SDK Attempt Count: 4)")
                    .rootCause()
                    .hasMessageContaining("Connection refused");
        }
    }

    @Test
    void manifestCallsFailWithTheStoreWhenTheEndpointIsDown(@TempDir Path segmentDir) throws Exception {
        RemoteLogSegmentMetadata segment = SegmentFiles.write(segmentDir, SegmentFiles.newPartition(0), 0, 100, false)
                .metadata();
        try (S3RemoteStorageManager rsm = managerOfAStoppedEndpoint()) {
            assertThatThrownBy(() -> rsm.putManifest(segment, new byte[] {1}))
                    .isInstanceOf(RemoteStorageException.class)
                    .hasMessageContaining("Upload of the manifest");
            assertThatThrownBy(() -> rsm.deleteManifest(segment)).isInstanceOf(RemoteStorageException.class);
            assertThatThrownBy(() -> manifests(rsm, rsm.listManifestKeys()))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("List of s3://" + BUCKET + "/");
            SegmentManifestStorage manifests = rsm;
            assertThatThrownBy(() -> manifests.listManifests().count())
                    .as("the listing of Strata's storage API, whose reads and listing fail as the stream's")
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("List of s3://" + BUCKET + "/");
            String key = new SegmentObjectKeys("").manifestKey(segment);
            assertThatThrownBy(() -> rsm.readManifest(key))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("Read of the manifest s3://" + BUCKET + "/" + key + " failed");
        }
    }

    @Test
    void aReadFromAStoreThatIsDownFailsWithoutClaimingCorruption(@TempDir Path segmentDir) throws Exception {
        RemoteLogSegmentMetadata segment = SegmentFiles.write(segmentDir, SegmentFiles.newPartition(0), 0, 100, false)
                .metadata();
        try (S3RemoteStorageManager rsm = managerOfAStoppedEndpoint()) {
            assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 0, 99))
                    .isInstanceOf(RemoteStorageException.class)
                    .rootCause()
                    .as("a store that is down is no sign of corrupt data")
                    .hasMessageContaining("Connection refused")
                    .isNotInstanceOf(CorruptRecordException.class);
        }
    }

    @Test
    void manifestsAreReadSeveralAtOnceAndListedInKeyOrder() throws Exception {
        int count = 3 * ManifestReadAhead.READS_IN_FLIGHT + 5;
        GatheringBlobStore store = new GatheringBlobStore(ManifestReadAhead.READS_IN_FLIGHT);
        try (S3ProxyEndpoint gathering = S3ProxyEndpoint.over(store);
                S3RemoteStorageManager rsm = new S3RemoteStorageManager()) {
            MinioClients.of(gathering)
                    .makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
            rsm.configure(Map.of(
                    "s3.bucket.name",
                    BUCKET,
                    "s3.endpoint.url",
                    gathering.url(),
                    "s3.path.style.access.enabled",
                    "true",
                    "aws.access.key.id",
                    S3ProxyEndpoint.ACCESS_KEY,
                    "aws.secret.access.key",
                    S3ProxyEndpoint.SECRET_KEY));
            TopicIdPartition partition = SegmentFiles.newPartition(0);
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
                rsm.putManifest(segment, utf8(manifest));
                written.add(manifest);
            }

            try (Stream<byte[]> listed = rsm.listManifests()) {
                assertThat(listed.map(bytes -> new String(bytes, StandardCharsets.UTF_8)))
                        .as("in key order, which is offset order within a partition")
                        .containsExactlyElementsOf(written);
            }
            assertThat(store.mostReadsAtOnce()).hasValue(ManifestReadAhead.READS_IN_FLIGHT);
        }
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

    /** A manager configured against an S3Proxy that has been stopped, with short retries. */
    private static S3RemoteStorageManager managerOfAStoppedEndpoint() throws Exception {
        S3RemoteStorageManager rsm;
        try (S3ProxyEndpoint doomed = S3ProxyEndpoint.inMemory()) {
            rsm = new S3RemoteStorageManager();
            rsm.configure(Map.of(
                    "s3.bucket.name", BUCKET,
                    "s3.endpoint.url", doomed.url(),
                    "s3.path.style.access.enabled", "true",
                    "aws.access.key.id", S3ProxyEndpoint.ACCESS_KEY,
                    "aws.secret.access.key", S3ProxyEndpoint.SECRET_KEY,
                    "s3.retry.max.attempts", "4",
                    "s3.retry.backoff.base.ms", "50",
                    "s3.retry.backoff.max.ms", "200",
                    "s3.api.call.timeout.ms", "5000"));
            doomed.stop();
        }
        return rsm;
    }
}
