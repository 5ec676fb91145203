package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentState;
import dev.strata.testing.MinioClients;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.MinioException;
import io.minio.messages.Item;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/**
 * A bucket that a broker tiers into, seen through the MinIO Java client: an S3 client independent of the AWS SDK the
 * broker uploads with, so what a test reads here is what the store holds, not what the broker believes.
 *
 * <p>It knows the object layout of {@code remote-storage-s3/README.md} on its own:
 * {@code <key prefix><topic>-<topic id>/<partition>/<20-digit start offset>-<segment id>.<suffix>}, with the SHA-256 of
 * each object's bytes in its {@code x-amz-meta-sha256} metadata. A finished segment is two objects (segment layout 2):
 * its log, and one holding its indexes, snapshot, checkpoint and the manifest Strata's broker writes for it, from which
 * a lost remote index is rebuilt. A segment being deleted has a manifest object of its own (suffix {@code manifest}).
 */
final class TieredBucket {

    /** The objects of a finished segment, by suffix: its log, and its indexes with its manifest. */
    static final Set<String> SEGMENT_SUFFIXES = Set.of("log", "indexes");

    /** The region the broker signs for; S3-compatible stores accept us-east-1. */
    static final String REGION = "us-east-1";

    private static final String DIGEST_METADATA = "sha256";
    private static final int OFFSET_DIGITS = 20;

    private final String endpoint;
    private final String accessKey;
    private final String secretKey;
    private final String name;
    private final MinioClient client;

    TieredBucket(String endpoint, String accessKey, String secretKey, String name) {
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.name = name;
        this.client = MinioClients.of(endpoint, accessKey, secretKey);
    }

    void create() {
        call(() -> {
            client.makeBucket(MakeBucketArgs.builder().bucket(name).build());
            return null;
        });
    }

    /** The broker settings that tier into this bucket through the S3 backend, under {@code keyPrefix}. */
    Map<String, String> brokerSettings(String keyPrefix) {
        return Map.of(
                "remote.log.storage.system.enable", "true",
                "remote.log.storage.manager.class.name", "dev.strata.remote.s3.S3RemoteStorageManager",
                "rsm.config.s3.bucket.name", name,
                "rsm.config.s3.endpoint.url", endpoint,
                "rsm.config.s3.region", REGION,
                "rsm.config.s3.path.style.access.enabled", "true",
                "rsm.config.aws.access.key.id", accessKey,
                "rsm.config.aws.secret.access.key", secretKey,
                "rsm.config.key.prefix", keyPrefix);
    }

    /**
     * {@link #brokerSettings} plus short task intervals and an S3 client that gives up quickly: with the store down, a
     * call fails within a second (or after its attempt timeout, when the store hangs) instead of retrying for the SDK's
     * default time.
     */
    Map<String, String> fastFailingBrokerSettings(String keyPrefix) {
        Map<String, String> config = new HashMap<>(brokerSettings(keyPrefix));
        config.put("remote.log.manager.task.interval.ms", "200");
        config.put("log.retention.check.interval.ms", "200");
        config.put("rsm.config.s3.retry.max.attempts", "2");
        config.put("rsm.config.s3.retry.backoff.base.ms", "50");
        config.put("rsm.config.s3.retry.backoff.max.ms", "200");
        config.put("rsm.config.s3.api.call.attempt.timeout.ms", "5000");
        config.put("rsm.config.s3.api.call.timeout.ms", "10000");
        return config;
    }

    /** The prefix of every object of one partition. */
    static String partitionPrefix(String keyPrefix, String topic, Uuid topicId, int partition) {
        return keyPrefix + topic + "-" + topicId + "/" + partition + "/";
    }

    /** The keys under {@code prefix}, in lexicographic order. */
    List<String> keys(String prefix) {
        return call(() -> {
            List<String> keys = new ArrayList<>();
            for (Result<Item> item : client.listObjects(ListObjectsArgs.builder()
                    .bucket(name)
                    .prefix(prefix)
                    .recursive(true)
                    .build())) {
                keys.add(item.get().objectName());
            }
            return keys;
        });
    }

    /**
     * The segments whose objects lie under {@code partitionPrefix}, in offset order.
     *
     * @throws AssertionError if an object there does not follow the layout
     */
    List<SegmentObjects> segments(String partitionPrefix) {
        Map<String, SegmentObjects> segments = new TreeMap<>();
        for (String key : keys(partitionPrefix)) {
            String file = key.substring(partitionPrefix.length());
            int dot = file.lastIndexOf('.');
            assertThat(file.length() > OFFSET_DIGITS + 1 && file.charAt(OFFSET_DIGITS) == '-' && dot > OFFSET_DIGITS)
                    .as("object %s follows <start offset>-<segment id>.<suffix>", key)
                    .isTrue();
            String base = file.substring(0, dot);
            SegmentObjects segment = segments.computeIfAbsent(
                    base,
                    b -> new SegmentObjects(
                            Long.parseLong(b.substring(0, OFFSET_DIGITS)),
                            b.substring(OFFSET_DIGITS + 1),
                            new TreeMap<>()));
            segment.keys().put(file.substring(dot + 1), key);
        }
        return List.copyOf(segments.values());
    }

    byte[] read(String key) {
        return call(() -> {
            try (InputStream in = client.getObject(
                    GetObjectArgs.builder().bucket(name).object(key).build())) {
                return in.readAllBytes();
            }
        });
    }

    long size(String key) {
        return call(() -> client.statObject(
                        StatObjectArgs.builder().bucket(name).object(key).build())
                .size());
    }

    /** The SHA-256 the broker stored with the object, as lowercase hex. */
    String storedSha256(String key) {
        return call(() -> client.statObject(
                        StatObjectArgs.builder().bucket(name).object(key).build())
                .userMetadata()
                .getFirst(DIGEST_METADATA));
    }

    /** Replaces the object with {@code bytes} and no user metadata: a copy put back by a tool that knows nothing of it. */
    void overwriteWithoutMetadata(String key, byte[] bytes) {
        call(() -> client.putObject(PutObjectArgs.builder()
                .bucket(name)
                .object(key)
                .data(bytes, bytes.length)
                .build()));
    }

    /** Replaces the object's bytes and keeps its metadata: a copy that rotted at rest. */
    void overwriteKeepingMetadata(String key, byte[] bytes) {
        String digest = storedSha256(key);
        call(() -> client.putObject(PutObjectArgs.builder()
                .bucket(name)
                .object(key)
                .userMetadata(Map.of(DIGEST_METADATA, digest))
                .data(bytes, bytes.length)
                .build()));
    }

    /**
     * Asserts that the partition's objects are exactly those of {@code indexed}, the segments the broker's remote
     * index holds, plus those of the {@code unindexed} segment ids (known to be left behind): each in state
     * COPY_FINISHED with all of its objects, and no object of any other segment.
     */
    void assertHoldsExactly(String partitionPrefix, Collection<RemoteSegment> indexed, String... unindexed) {
        assertThat(indexed).extracting(RemoteSegment::state).containsOnly(RemoteSegmentState.COPY_FINISHED);
        Map<String, Long> expected =
                indexed.stream().collect(Collectors.toMap(TieredBucket::objectId, RemoteSegment::startOffset));
        Set<String> leftBehind = Set.of(unindexed);
        List<SegmentObjects> stored = segments(partitionPrefix);
        assertThat(stored).extracting(SegmentObjects::segmentId).containsAll(leftBehind);
        assertThat(stored.stream()
                        .filter(segment -> !leftBehind.contains(segment.segmentId()))
                        .collect(Collectors.toMap(SegmentObjects::segmentId, SegmentObjects::startOffset)))
                .as("segments in the bucket under %s", partitionPrefix)
                .isEqualTo(expected);
        for (SegmentObjects segment : stored) {
            assertThat(segment.keys().keySet())
                    .as("objects of segment %s", segment.segmentId())
                    .isEqualTo(SEGMENT_SUFFIXES);
        }
    }

    /** The segment id of an index entry as the object keys spell it. */
    static String objectId(RemoteSegment segment) {
        UUID id = segment.id().segmentId();
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits()).toString();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T call(MinioCall<T> call) {
        try {
            return call.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (MinioException e) {
            throw new IllegalStateException("MinIO client: " + e.getMessage(), e);
        }
    }

    /** A MinIO client call. */
    private interface MinioCall<T> {
        T run() throws IOException, MinioException;
    }

    /**
     * The objects of one remote segment.
     *
     * @param keys object keys by suffix ({@code log}, {@code index}, ...)
     */
    record SegmentObjects(long startOffset, String segmentId, Map<String, String> keys) {
        String logKey() {
            return keys.get("log");
        }
    }
}
