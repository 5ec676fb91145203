package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.CountingBlobStore;
import dev.strata.testing.CountingBlobStore.Kind;
import dev.strata.testing.CountingBlobStore.Request;
import dev.strata.testing.MinioClients;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.testing.SegmentFiles;
import io.minio.MakeBucketArgs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The request promises of segment layout 2 and its compatibility with layout 1, against S3Proxy in this JVM whose
 * store counts every request it serves ({@link CountingBlobStore}): counted, never timed.
 *
 * <ul>
 *   <li>A copy is two PUTs (a multipart log adds only its multipart steps); a read of records anywhere in a segment
 *       is one ranged GET of the log; Apache Kafka's index fetches of a segment are one GET together.
 *   <li>Segments that layout 1 wrote read back byte for byte, also beside layout-2 segments in one partition.
 *   <li>A delete removes exactly its segment's objects, in either layout; a failed copy's cleanup removes only its own.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3SegmentLayoutIT {

    private static final String BUCKET = "strata-layout";
    private static final int MIB = 1024 * 1024;

    private final CountingBlobStore store = CountingBlobStore.inMemory();
    private S3ProxyEndpoint endpoint;

    @TempDir
    Path dir;

    private String prefix;
    private TopicIdPartition partition;
    private S3RemoteStorageManager rsm;

    @BeforeAll
    void startStore() throws Exception {
        endpoint = S3ProxyEndpoint.over(store);
        MinioClients.of(endpoint)
                .makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
    }

    @AfterAll
    void stopStore() throws Exception {
        endpoint.close();
    }

    @BeforeEach
    void newManager() {
        prefix = "layout-" + UUID.randomUUID() + "/";
        partition = SegmentFiles.newPartition(3);
        rsm = manager(Map.of());
    }

    @AfterEach
    void closeManager() {
        rsm.close();
    }

    @Test
    void aCopyIsTwoPuts() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 0, 100_000, true);
        store.clear();

        rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> utf8("manifest"));

        assertThat(writes())
                .as("the log and one object for the rest")
                .extracting(Request::key)
                .containsExactly(keys().key(segment.metadata(), SegmentFileType.LOG), bundleKey(segment));
    }

    @Test
    void aMultipartLogAddsOnlyItsMultipartSteps() throws Exception {
        try (S3RemoteStorageManager multipart =
                manager(Map.of("s3.multipart.upload.part.size", String.valueOf(5 * MIB)))) {
            SegmentFiles segment = SegmentFiles.write(dir, partition, 1000, 12 * MIB + 1, false);
            store.clear();

            multipart.copyLogSegmentData(segment.metadata(), segment.data());

            assertThat(writes())
                    .extracting(Request::kind)
                    .containsExactly(
                            Kind.CREATE_MULTIPART,
                            Kind.UPLOAD_PART,
                            Kind.UPLOAD_PART,
                            Kind.UPLOAD_PART,
                            Kind.COMPLETE_MULTIPART,
                            Kind.PUT);
        }
    }

    @Test
    void aColdReadInTheMiddleOfASegmentIsOneRangedGetOfTheLog() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 2000, 1_000_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> utf8("manifest"));
        byte[] log = Files.readAllBytes(segment.data().logSegment());
        store.clear();

        assertThat(readAll(rsm.fetchLogSegment(segment.metadata(), 500_000, 500_000 + 65_535)))
                .isEqualTo(Arrays.copyOfRange(log, 500_000, 500_000 + 65_536));

        assertThat(store.requests())
                .containsExactly(new Request(
                        Kind.GET, keys().key(segment.metadata(), SegmentFileType.LOG), "bytes=500000-565535"));
    }

    @Test
    void kafkasIndexFetchesOfASegmentAreOneGet() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 3000, 10_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        store.clear();

        assertIndexesReadBack(segment);

        assertThat(store.requests())
                .as("one GET of the bundle, kept while its indexes are asked for")
                .containsExactly(new Request(Kind.GET, bundleKey(segment), null));
    }

    @Test
    void aSegmentThatLayoutOneWroteReadsBackByteForByte() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 4000, 200_000, true);
        writeLayoutOne(segment.metadata(), segment.data(), utf8("layout-1 manifest"));
        byte[] log = Files.readAllBytes(segment.data().logSegment());

        assertThat(readAll(rsm.fetchLogSegment(segment.metadata(), 0))).isEqualTo(log);
        assertThat(readAll(rsm.fetchLogSegment(segment.metadata(), 70_000, 79_999)))
                .isEqualTo(Arrays.copyOfRange(log, 70_000, 80_000));
        assertIndexesReadBack(segment);
        assertThat(manifests()).containsExactly("layout-1 manifest");
    }

    @Test
    void layoutOneAndLayoutTwoSegmentsOfOnePartitionReadSideBySide() throws Exception {
        SegmentFiles first = SegmentFiles.write(dir, partition, 0, 30_000, true);
        SegmentFiles second = SegmentFiles.write(dir, partition, 1000, 40_000, false);
        SegmentFiles third = SegmentFiles.write(dir, partition, 2000, 50_000, true);
        writeLayoutOne(first.metadata(), first.data(), utf8("first"));
        rsm.copyLogSegmentData(second.metadata(), second.data(), () -> utf8("second"));
        writeLayoutOne(third.metadata(), third.data(), utf8("third"));

        for (SegmentFiles segment : List.of(first, second, third, second, first)) {
            assertThat(readAll(rsm.fetchLogSegment(segment.metadata(), 0)))
                    .isEqualTo(Files.readAllBytes(segment.data().logSegment()));
            assertIndexesReadBack(segment);
        }
        assertThat(manifests()).as("in offset order").containsExactly("first", "second", "third");
        assertThat(listKeys()).hasSize(7 + 2 + 7);

        rsm.deleteLogSegmentData(second.metadata());
        assertThat(listKeys()).as("the others' objects are all there").hasSize(7 + 7);
        rsm.deleteLogSegmentData(first.metadata());
        assertThat(listKeys())
                .as("a layout-1 segment's six objects are deleted, its manifest outlives them")
                .hasSize(1 + 7)
                .contains(keys().manifestKey(first.metadata()));
        assertThat(readAll(rsm.fetchLogSegment(third.metadata(), 0)))
                .isEqualTo(Files.readAllBytes(third.data().logSegment()));
    }

    @Test
    void aDeleteRemovesExactlyItsSegmentsObjects() throws Exception {
        // two copies of one offset range, as a retried copy makes them: the same start offset, two segment ids
        SegmentFiles segment = SegmentFiles.write(dir, partition, 5000, 20_000, true);
        RemoteLogSegmentMetadata retried = withNewId(segment.metadata());
        rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> utf8("first attempt"));
        rsm.copyLogSegmentData(retried, segment.data(), () -> utf8("second attempt"));
        store.clear();

        rsm.deleteLogSegmentData(segment.metadata());

        String deletedId = segment.metadata().remoteLogSegmentId().id().toString();
        assertThat(store.requests())
                .as("one DeleteObjects request instead of a DELETE per key")
                .singleElement()
                .satisfies(request -> {
                    assertThat(request.kind()).isEqualTo(Kind.DELETE_OBJECTS);
                    assertThat(request.key().split(" "))
                            .as("the keys of both layouts, all of this segment")
                            .hasSize(7)
                            .allMatch(key -> key.contains(deletedId));
                });
        assertThat(listKeys())
                .containsExactlyInAnyOrder(keys().key(retried, SegmentFileType.LOG), keys().bundleKey(retried));
        assertThat(manifests()).containsExactly("second attempt");
        assertThat(readAll(rsm.fetchLogSegment(retried, 0)))
                .isEqualTo(Files.readAllBytes(segment.data().logSegment()));
    }

    @Test
    void aFailedCopyRemovesOnlyItsOwnObjects() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 6000, 20_000, true);
        RemoteLogSegmentMetadata retried = withNewId(segment.metadata());
        rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> utf8("finished"));
        List<String> finished = listKeys();
        String failingBundle = keys().bundleKey(retried);
        store.failPuts(failingBundle::equals);
        try (S3RemoteStorageManager once = manager(Map.of("s3.retry.max.attempts", "1"))) {
            assertThatThrownBy(() -> once.copyLogSegmentData(retried, segment.data(), () -> utf8("failed")))
                    .isInstanceOf(RemoteStorageException.class);
        } finally {
            store.failPuts(key -> false);
        }

        assertThat(listKeys())
                .as("the failed copy's log is removed, the finished copy's objects are untouched")
                .containsExactlyInAnyOrderElementsOf(finished);
        assertThat(manifests()).containsExactly("finished");
    }

    @Test
    void aCopyWhoseManifestIsRefusedLeavesNothing() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 6500, 20_000, false);

        assertThatThrownBy(() -> rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> {
                    throw new RemoteStorageException("the leader epoch moved");
                }))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessage("the leader epoch moved");

        assertThat(listKeys()).as("the log that went up first is removed").isEmpty();
        assertThat(manifests()).isEmpty();
    }

    @Test
    void aManifestObjectReplacesTheBundledManifest() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 7000, 1000, false);
        rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> utf8("finished"));
        assertThat(manifests()).containsExactly("finished");

        rsm.putManifest(segment.metadata(), utf8("deleting"));
        assertThat(manifests()).containsExactly("deleting");

        rsm.deleteLogSegmentData(segment.metadata());
        assertThat(manifests()).containsExactly("deleting");
        rsm.deleteManifest(segment.metadata());
        assertThat(manifests()).isEmpty();
        assertThat(listKeys()).isEmpty();
    }

    @Test
    void aLargeBundledManifestIsReadWithASecondRangedGet() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 8000, 1000, false);
        byte[] manifest = new byte[300_000];
        new Random(8000).nextBytes(manifest);
        rsm.copyLogSegmentData(segment.metadata(), segment.data(), () -> manifest);
        store.clear();

        assertThat(rsm.readManifest(bundleKey(segment)))
                .hasValueSatisfying(read -> assertThat(read).isEqualTo(manifest));
        // the header of five sections (no transaction index), then the manifest, the first section
        int manifestOffset = 4 + 1 + 1 + 5 * 9 + 4;
        assertThat(store.requests(Kind.GET))
                .extracting(Request::range)
                .containsExactly(
                        "bytes=0-65535", "bytes=" + manifestOffset + "-" + (manifestOffset + manifest.length - 1));
    }

    @Test
    void aBundleWithoutAManifestIsNotListed() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 9000, 1000, false);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());

        assertThat(manifests()).as("Apache Kafka tiered it: no manifest").isEmpty();
        assertThatThrownBy(() -> rsm.fetchIndex(withNewId(segment.metadata()), IndexType.OFFSET))
                .isInstanceOf(RemoteResourceNotFoundException.class);
    }

    /** Every index Kafka fetches equals the file it came from. */
    private void assertIndexesReadBack(SegmentFiles segment) throws Exception {
        LogSegmentData data = segment.data();
        RemoteLogSegmentMetadata metadata = segment.metadata();
        assertThat(readAll(rsm.fetchIndex(metadata, IndexType.OFFSET)))
                .isEqualTo(Files.readAllBytes(data.offsetIndex()));
        assertThat(readAll(rsm.fetchIndex(metadata, IndexType.TIMESTAMP)))
                .isEqualTo(Files.readAllBytes(data.timeIndex()));
        assertThat(readAll(rsm.fetchIndex(metadata, IndexType.PRODUCER_SNAPSHOT)))
                .isEqualTo(Files.readAllBytes(data.producerSnapshotIndex()));
        assertThat(ByteBuffer.wrap(readAll(rsm.fetchIndex(metadata, IndexType.LEADER_EPOCH))))
                .isEqualTo(data.leaderEpochIndex());
        if (data.transactionIndex().isPresent()) {
            assertThat(readAll(rsm.fetchIndex(metadata, IndexType.TRANSACTION)))
                    .isEqualTo(Files.readAllBytes(data.transactionIndex().get()));
        } else {
            assertThatThrownBy(() -> rsm.fetchIndex(metadata, IndexType.TRANSACTION))
                    .isInstanceOf(RemoteResourceNotFoundException.class);
        }
    }

    private List<Request> writes() {
        return store.requests().stream()
                .filter(r -> r.kind() != Kind.GET
                        && r.kind() != Kind.LIST
                        && r.kind() != Kind.DELETE
                        && r.kind() != Kind.DELETE_OBJECTS)
                .toList();
    }

    private List<String> manifests() {
        try (Stream<byte[]> listed = rsm.listManifests()) {
            return listed.map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .toList();
        }
    }

    private List<String> listKeys() {
        try (Stream<String> keys = rsm.listObjects(partitionPath()).map(o -> prefix + o.key())) {
            return new ArrayList<>(keys.toList());
        }
    }

    private String partitionPath() {
        return keys().partitionPrefix(partition).substring(prefix.length());
    }

    private SegmentObjectKeys keys() {
        return new SegmentObjectKeys(prefix);
    }

    private String bundleKey(SegmentFiles segment) {
        return keys().bundleKey(segment.metadata());
    }

    private void writeLayoutOne(RemoteLogSegmentMetadata segment, LogSegmentData data, byte[] manifest)
            throws IOException {
        S3StorageConfig config = S3StorageConfig.parse(config(Map.of()));
        try (S3Client s3 = S3ClientFactory.create(config)) {
            new LayoutOneWriter(s3, config).write(segment, data, manifest);
        }
    }

    private S3RemoteStorageManager manager(Map<String, String> overrides) {
        S3RemoteStorageManager manager = new S3RemoteStorageManager();
        manager.configure(config(overrides));
        return manager;
    }

    private Map<String, String> config(Map<String, String> overrides) {
        return RemoteStorageRoundTripContract.config(endpoint, BUCKET, prefix, overrides);
    }

    private static RemoteLogSegmentMetadata withNewId(RemoteLogSegmentMetadata segment) {
        return new RemoteLogSegmentMetadata(
                new RemoteLogSegmentId(segment.topicIdPartition(), Uuid.randomUuid()),
                segment.startOffset(),
                segment.endOffset(),
                segment.maxTimestampMs(),
                segment.brokerId(),
                segment.eventTimestampMs(),
                segment.segmentSizeInBytes(),
                segment.segmentLeaderEpochs());
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
