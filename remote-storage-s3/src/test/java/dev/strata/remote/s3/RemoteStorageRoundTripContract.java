package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.testing.MinioClients;
import dev.strata.testing.RemoteStorageManagerContract;
import dev.strata.testing.S3Store;
import dev.strata.testing.SegmentFiles;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.messages.Item;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * What {@link S3RemoteStorageManager} must do against any S3 store: what every backend does
 * ({@link RemoteStorageManagerContract}), then its object keys and digests, multipart uploads, detecting corruption,
 * manifests under a key prefix and paged listings. Objects are checked with the MinIO client, an S3 client independent
 * of the AWS SDK under test. Subclasses supply the store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RemoteStorageRoundTripContract extends RemoteStorageManagerContract<S3RemoteStorageManager> {

    static final String BUCKET = "strata-tiered";
    static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private MinioClient minio;
    /** The key prefix of the running test's manager: each test has a namespace of its own in the bucket. */
    private String prefix;

    private S3RemoteStorageManager rsm;
    private TopicIdPartition partition;

    /** The S3 store of this class's tests. */
    S3Store store;

    /** Starts the store; called once per class, and {@link S3Store#close() closed} after its tests. */
    abstract S3Store startStore() throws Exception;

    @BeforeAll
    void startStoreAndCreateBucket() throws Exception {
        store = startStore();
        minio = MinioClients.of(store.url(), store.accessKey(), store.secretKey());
        minio.makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
    }

    @AfterAll
    void closeStore() throws Exception {
        if (store != null) {
            store.close();
        }
    }

    @Override
    protected S3RemoteStorageManager newBackend() {
        prefix = "cluster-" + UUID.randomUUID() + "/";
        rsm = manager(Map.of());
        partition = SegmentFiles.newPartition(7);
        return rsm;
    }

    @Override
    protected Optional<Manifests> manifests(S3RemoteStorageManager backend) {
        return Optional.of(new Manifests(backend::putManifest, backend::deleteManifest, () -> backend.listManifestKeys()
                .map(backend::readManifest)
                .flatMap(Optional::stream)));
    }

    /** A manager on this store with the Aiven-style keys, plus {@code overrides}. */
    S3RemoteStorageManager manager(Map<String, String> overrides) {
        S3RemoteStorageManager manager = new S3RemoteStorageManager();
        manager.configure(config(overrides));
        return manager;
    }

    private Map<String, String> config(Map<String, String> overrides) {
        return config(store, BUCKET, prefix, overrides);
    }

    /**
     * The settings of a manager of {@code bucket} in {@code store} under {@code keyPrefix}, with the Aiven-style keys
     * and short retries, plus {@code overrides}.
     */
    static Map<String, String> config(S3Store store, String bucket, String keyPrefix, Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>(Map.of(
                "storage.s3.bucket.name",
                bucket,
                "storage.s3.endpoint.url",
                store.url(),
                "storage.s3.path.style.access.enabled",
                "true",
                "storage.aws.access.key.id",
                store.accessKey(),
                "storage.aws.secret.access.key",
                store.secretKey(),
                "key.prefix",
                keyPrefix,
                "s3.retry.backoff.base.ms",
                "10",
                "s3.retry.backoff.max.ms",
                "100"));
        config.putAll(overrides);
        return config;
    }

    @Test
    void objectsSeenByAnIndependentClientHaveDeterministicKeysAndDigests() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 42, 10_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());

        String base = prefix + "orders-" + partition.topicId() + "/7/00000000000000000042-"
                + segment.metadata().remoteLogSegmentId().id();
        assertThat(listKeys(partitionPrefix()))
                .as("layout 2: the log, and one object for everything else")
                .containsExactlyInAnyOrder(base + ".log", base + ".indexes");
        StatObjectResponse log = stat(base + ".log");
        assertThat(log.size()).isEqualTo(10_000);
        assertThat(log.userMetadata().getFirst(Sha256.METADATA_KEY))
                .isEqualTo(Sha256.of(segment.data().logSegment()));
        byte[] bundle;
        try (InputStream in = minio.getObject(
                GetObjectArgs.builder().bucket(BUCKET).object(base + ".indexes").build())) {
            bundle = in.readAllBytes();
        }
        assertThat(stat(base + ".indexes").userMetadata().getFirst(Sha256.METADATA_KEY))
                .isEqualTo(Sha256.of(bundle));
        SegmentIndexBundle table = SegmentIndexBundle.parse(ByteBuffer.wrap(bundle), bundle.length);
        assertThat(table.section(bundle, SegmentIndexBundle.Section.OFFSET_INDEX))
                .hasValue(ByteBuffer.wrap(Files.readAllBytes(segment.data().offsetIndex())));
        assertThat(table.section(bundle, SegmentIndexBundle.Section.LEADER_EPOCH_CHECKPOINT))
                .hasValue(segment.data().leaderEpochIndex());
        assertThat(table.range(SegmentIndexBundle.Section.MANIFEST))
                .as("Kafka's copy has no manifest")
                .isEmpty();
    }

    @Test
    void aRepeatedCopyLeavesTheSameTwoObjectsAndDeleteRemovesEveryObject() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 0, 50_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        assertThat(listKeys(partitionPrefix())).hasSize(2);

        rsm.deleteLogSegmentData(segment.metadata());
        assertThat(listKeys(partitionPrefix())).isEmpty();
    }

    @Test
    void objectsAreListedRelativeToTheKeyPrefixAndDeletedOneByOne() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 42, 1_000, false);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        String base = "orders-" + partition.topicId() + "/7/00000000000000000042-"
                + segment.metadata().remoteLogSegmentId().id();

        List<RemoteObjectStorage.StoredObject> listed;
        try (Stream<RemoteObjectStorage.StoredObject> objects = rsm.listObjects(base + ".")) {
            listed = objects.toList();
        }
        assertThat(listed).hasSize(2).contains(new RemoteObjectStorage.StoredObject(base + ".log", 1_000));

        rsm.deleteObject(base + ".log");
        rsm.deleteObject(base + ".log");
        assertThat(listKeys(partitionPrefix())).containsExactly(prefix + base + ".indexes");
    }

    @Test
    void segmentWithoutTransactionIndexHasNoSuchSection() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 5000, 1000, false);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());

        assertThat(listKeys(partitionPrefix())).hasSize(2);
        assertThatThrownBy(() -> rsm.fetchIndex(segment.metadata(), IndexType.TRANSACTION))
                .isInstanceOf(RemoteResourceNotFoundException.class);
    }

    @Test
    void logLargerThanPartSizeGoesUpInPartsAndReadsBack() throws Exception {
        S3RemoteStorageManager multipart = manager(Map.of("s3.multipart.upload.part.size", String.valueOf(5 * MIB)));
        try {
            SegmentFiles segment = SegmentFiles.write(dir, partition, 9000, 12 * MIB + 123, true);
            multipart.copyLogSegmentData(segment.metadata(), segment.data());

            String logKey = new SegmentObjectKeys(prefix).key(segment.metadata(), SegmentFileType.LOG);
            StatObjectResponse stat = stat(logKey);
            assertThat(stat.size()).isEqualTo(12 * MIB + 123);
            assertThat(stat.etag()).as("a multipart ETag names its part count").endsWith("-3");
            byte[] log = Files.readAllBytes(segment.data().logSegment());
            assertThat(readAll(multipart.fetchLogSegment(segment.metadata(), 0)))
                    .isEqualTo(log);
            assertThat(readAll(multipart.fetchLogSegment(segment.metadata(), 5 * MIB - 10, 5 * MIB + 9)))
                    .as("a range across a part boundary")
                    .isEqualTo(Arrays.copyOfRange(log, 5 * MIB - 10, 5 * MIB + 10));
        } finally {
            multipart.close();
        }
    }

    @Test
    void corruptedIndexIsAnErrorNeverServed() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 200, 2000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        String key = new SegmentObjectKeys(prefix).bundleKey(segment.metadata());

        overwriteWithFlippedByte(key, 100, true);

        assertThatThrownBy(() -> rsm.fetchIndex(segment.metadata(), IndexType.OFFSET))
                .isInstanceOf(RemoteStorageException.class)
                .isNotInstanceOf(RemoteResourceNotFoundException.class)
                .hasMessageContaining("Corrupted object")
                .hasMessageContaining(key)
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void indexReplacedWithoutItsDigestIsAnError() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 300, 2000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        String key = new SegmentObjectKeys(prefix).bundleKey(segment.metadata());

        overwriteWithFlippedByte(key, 0, false);

        assertThatThrownBy(() -> rsm.fetchIndex(segment.metadata(), IndexType.TIMESTAMP))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("cannot be verified")
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void corruptedLogFailsAFullReadAtItsEnd() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 400, 100_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        String key = new SegmentObjectKeys(prefix).key(segment.metadata(), SegmentFileType.LOG);

        overwriteWithFlippedByte(key, 50_000, true);

        try (InputStream in = rsm.fetchLogSegment(segment.metadata(), 0)) {
            assertThatThrownBy(in::readAllBytes)
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("Corrupted")
                    .hasCauseInstanceOf(CorruptRecordException.class);
        }
        try (InputStream in = rsm.fetchLogSegment(segment.metadata(), 0, 100_000 - 1)) {
            assertThatThrownBy(() -> in.readNBytes(100_000))
                    .as("a range over the whole object, read to its last byte and no further")
                    .isInstanceOf(IOException.class)
                    .hasCauseInstanceOf(CorruptRecordException.class);
        }
        assertThat(readAll(rsm.fetchLogSegment(segment.metadata(), 0, 49_999)))
                .as("part of the object cannot be checked against its digest")
                .hasSize(50_000);
    }

    @Test
    void logReplacedWithoutItsDigestIsCorruptForEveryRead() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 500, 100_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        String key = new SegmentObjectKeys(prefix).key(segment.metadata(), SegmentFileType.LOG);
        byte[] log = Files.readAllBytes(segment.data().logSegment());

        overwrite(key, log, Map.of());

        for (int[] range : new int[][] {{0, log.length - 1}, {1000, 1999}}) {
            assertThatThrownBy(() -> rsm.fetchLogSegment(segment.metadata(), range[0], range[1]))
                    .as("bytes %d to %d", range[0], range[1])
                    .isInstanceOf(RemoteStorageException.class)
                    .hasMessageContaining("cannot be verified")
                    .hasCauseInstanceOf(CorruptRecordException.class);
        }
        assertThatThrownBy(() -> rsm.fetchLogSegment(segment.metadata(), 0))
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void truncatedLogIsCorruptWhereBytesAreMissing() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 600, 100_000, true);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        String key = new SegmentObjectKeys(prefix).key(segment.metadata(), SegmentFileType.LOG);
        byte[] log = Files.readAllBytes(segment.data().logSegment());

        overwrite(key, Arrays.copyOf(log, 60_000), Map.of(Sha256.METADATA_KEY, Sha256.of(log)));

        assertThatThrownBy(() -> rsm.fetchLogSegment(segment.metadata(), 70_000, 79_999))
                .as("a range past the object's end but inside the segment's size")
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("ends before position 70000")
                .hasCauseInstanceOf(CorruptRecordException.class);
        try (InputStream in = rsm.fetchLogSegment(segment.metadata(), 0, log.length - 1)) {
            assertThatThrownBy(() -> in.readNBytes(log.length))
                    .as("the whole object, shorter than it was stored")
                    .isInstanceOf(IOException.class)
                    .hasCauseInstanceOf(CorruptRecordException.class);
        }
        assertThat(readAll(rsm.fetchLogSegment(segment.metadata(), 50_000, 69_999)))
                .as("a range across the end returns the bytes there are; the reader knows how many it asked for")
                .isEqualTo(Arrays.copyOfRange(log, 50_000, 60_000));
    }

    @Test
    void aManifestIsStoredNextToItsSegmentAndOutlivesTheSegmentsDataUntilDeleted() throws Exception {
        SegmentFiles segment = SegmentFiles.write(dir, partition, 42, 10_000, false);
        rsm.copyLogSegmentData(segment.metadata(), segment.data());
        rsm.putManifest(segment.metadata(), utf8("finished"));
        rsm.putManifest(segment.metadata(), utf8("deleting"));

        String key = prefix + "orders-" + partition.topicId() + "/7/00000000000000000042-"
                + segment.metadata().remoteLogSegmentId().id() + ".manifest";
        assertThat(new SegmentObjectKeys(prefix).manifestKey(segment.metadata()))
                .isEqualTo(key);
        assertThat(listKeys(partitionPrefix())).hasSize(3).contains(key);
        assertThat(stat(key).userMetadata().getFirst(Sha256.METADATA_KEY)).isEqualTo(Sha256.of(utf8("deleting")));

        rsm.deleteLogSegmentData(segment.metadata());
        assertThat(listKeys(partitionPrefix())).containsExactly(key);
        try (InputStream in = minio.getObject(
                GetObjectArgs.builder().bucket(BUCKET).object(key).build())) {
            assertThat(in.readAllBytes()).isEqualTo(utf8("deleting"));
        }

        rsm.deleteManifest(segment.metadata());
        rsm.deleteManifest(segment.metadata());
        assertThat(listKeys(partitionPrefix())).isEmpty();
        assertThat(rsm.readManifest(key))
                .as("a manifest deleted since it was listed")
                .isEmpty();
    }

    @Test
    void listingPagesThroughEveryManifestUnderThePrefixAndSkipsTheSegmentsObjects() throws Exception {
        String prefix = "paged-" + UUID.randomUUID() + "/";
        TopicIdPartition other = SegmentFiles.newPartition(0);
        List<String> written = new ArrayList<>();
        try (S3RemoteStorageManager paged = manager(Map.of("key.prefix", prefix));
                S3Client s3 = S3ClientFactory.create(S3StorageConfig.parse(config(Map.of())))) {
            for (int i = 0; i < 7; i++) {
                SegmentFiles segment = SegmentFiles.write(dir, i % 2 == 0 ? partition : other, i * 1000L, 1000, false);
                paged.copyLogSegmentData(segment.metadata(), segment.data());
                paged.putManifest(segment.metadata(), utf8("manifest " + i));
                written.add("manifest " + i);
            }
            assertThat(listKeys(prefix)).hasSize(7 * 3);
            ListObjectsV2Response firstPage =
                    s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix).maxKeys(2));
            assertThat(firstPage.isTruncated())
                    .as("the store pages at max-keys")
                    .isTrue();
            assertThat(firstPage.contents()).hasSize(2);

            assertThat(manifests(paged, paged.listManifestKeys(2)))
                    .as("11 pages of 2 keys, a bundle and a manifest object per segment, the manifest object listed")
                    .containsExactlyInAnyOrderElementsOf(written);
            assertThat(manifests(paged, paged.listManifestKeys())).containsExactlyInAnyOrderElementsOf(written);
        }
    }

    @Test
    void withoutAKeyPrefixManifestsLiveAtTheRootAndManifestsUnderAPrefixAreNotListed() throws Exception {
        String prefix = "prefixed-" + UUID.randomUUID() + "/";
        try (S3RemoteStorageManager unprefixed = manager(Map.of("key.prefix", ""));
                S3RemoteStorageManager prefixed = manager(Map.of("key.prefix", prefix))) {
            RemoteLogSegmentMetadata atRoot =
                    SegmentFiles.write(dir, partition, 0, 100, false).metadata();
            RemoteLogSegmentMetadata underPrefix =
                    SegmentFiles.write(dir, partition, 100, 100, false).metadata();
            unprefixed.putManifest(atRoot, utf8("at the root"));
            prefixed.putManifest(underPrefix, utf8("under a prefix"));

            assertThat(listKeys("orders-" + partition.topicId() + "/"))
                    .containsExactly(new SegmentObjectKeys("").manifestKey(atRoot));
            assertThat(manifests(unprefixed, unprefixed.listManifestKeys())).containsExactly("at the root");
            assertThat(manifests(prefixed, prefixed.listManifestKeys())).containsExactly("under a prefix");

            unprefixed.deleteManifest(atRoot);
            assertThat(manifests(unprefixed, unprefixed.listManifestKeys())).isEmpty();
            assertThat(manifests(prefixed, prefixed.listManifestKeys())).containsExactly("under a prefix");
        }
    }

    /** The manifests under {@code keys}, as listed by {@code rsm}, each read by it. */
    static List<String> manifests(S3RemoteStorageManager rsm, Stream<String> keys) {
        try (keys) {
            return keys.map(rsm::readManifest)
                    .flatMap(Optional::stream)
                    .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .toList();
        }
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Re-uploads an object through MinIO with one byte flipped, keeping (or dropping) its user metadata. */
    private void overwriteWithFlippedByte(String key, int position, boolean keepMetadata) throws Exception {
        byte[] bytes;
        try (InputStream in = minio.getObject(
                GetObjectArgs.builder().bucket(BUCKET).object(key).build())) {
            bytes = in.readAllBytes();
        }
        bytes[position] ^= 0x10;
        Map<String, String> metadata = keepMetadata
                ? Map.of(Sha256.METADATA_KEY, stat(key).userMetadata().getFirst(Sha256.METADATA_KEY))
                : Map.of();
        overwrite(key, bytes, metadata);
    }

    /** Replaces an object through MinIO, behind the manager's back. */
    private void overwrite(String key, byte[] bytes, Map<String, String> metadata) throws Exception {
        minio.putObject(PutObjectArgs.builder()
                .bucket(BUCKET)
                .object(key)
                .userMetadata(metadata)
                .data(bytes, bytes.length)
                .build());
    }

    private String partitionPrefix() {
        return new SegmentObjectKeys(prefix).partitionPrefix(partition);
    }

    private StatObjectResponse stat(String key) throws Exception {
        return minio.statObject(
                StatObjectArgs.builder().bucket(BUCKET).object(key).build());
    }

    private List<String> listKeys(String prefix) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Result<Item> item : minio.listObjects(ListObjectsArgs.builder()
                .bucket(BUCKET)
                .prefix(prefix)
                .recursive(true)
                .build())) {
            keys.add(item.get().objectName());
        }
        return keys;
    }

    static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
