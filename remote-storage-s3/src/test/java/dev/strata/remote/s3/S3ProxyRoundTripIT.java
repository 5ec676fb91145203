package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.testing.SegmentFiles;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The round trip against S3Proxy in this JVM, plus what only an in-process store can show: the store going away. */
class S3ProxyRoundTripIT extends RemoteStorageRoundTripContract {

    private S3ProxyEndpoint proxy;

    @Override
    void startStore() throws Exception {
        proxy = S3ProxyEndpoint.inMemory();
    }

    @Override
    void stopStore() throws Exception {
        proxy.close();
    }

    @Override
    String endpoint() {
        return proxy.url();
    }

    @Override
    String accessKey() {
        return S3ProxyEndpoint.ACCESS_KEY;
    }

    @Override
    String secretKey() {
        return S3ProxyEndpoint.SECRET_KEY;
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
