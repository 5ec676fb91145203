package dev.strata.remote.s3;

import dev.strata.storage.api.SegmentIndexBundle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads the manifests that {@link S3RemoteStorageManager#listManifestKeys} lists, for a broker rebuilding its remote
 * index: a manifest object whole, or the manifest section of a layout-2 segment's {@link SegmentIndexBundle} with
 * ranged GETs, so that a rebuild does not download every segment's indexes. Manifests carry their own checksum, which
 * the reader of the bytes checks, so their SHA-256 is not checked here: a corrupt manifest is the reader's to reject.
 * Thread-safe.
 */
final class ManifestReads {

    private static final Logger LOG = LoggerFactory.getLogger(S3RemoteStorageManager.class);
    /** The first bytes of a bundle read for its manifest: the header and, for most segments, the manifest too. */
    private static final int BUNDLE_HEAD_BYTES = 64 * 1024;

    private final S3Client s3;
    private final String bucket;
    private final SegmentObjectKeys keys;

    ManifestReads(S3Client s3, String bucket, SegmentObjectKeys keys) {
        this.s3 = s3;
        this.bucket = bucket;
        this.keys = keys;
    }

    /**
     * The manifest under {@code key}; empty if it was deleted since it was listed, or is a bundle without a manifest.
     *
     * @throws UncheckedIOException if it cannot be read, as a failure of the listing it belongs to
     */
    Optional<byte[]> read(String key) {
        if (keys.isBundleKey(key)) {
            return readBundledManifest(key);
        }
        return readIfExists(key, null).map(ObjectRead::bytes);
    }

    /**
     * The manifest in the bundle under {@code key}: one ranged GET of its first {@value #BUNDLE_HEAD_BYTES} bytes,
     * and a second of the manifest's range when it extends past them.
     */
    private Optional<byte[]> readBundledManifest(String key) {
        Optional<ObjectRead> read = readIfExists(key, "bytes=0-" + (BUNDLE_HEAD_BYTES - 1));
        if (read.isEmpty()) {
            return Optional.empty();
        }
        byte[] head = read.get().bytes();
        long size = read.get().objectSize();
        SegmentIndexBundle bundle;
        try {
            bundle = SegmentIndexBundle.parse(ByteBuffer.wrap(head), size);
        } catch (CorruptRecordException e) {
            LOG.warn("Corrupted object s3://{}/{}: {}", bucket, key, e.getMessage());
            // bytes that are no manifest: the rebuild counts and skips them, as it does a corrupt manifest
            return Optional.of(new byte[0]);
        }
        Optional<SegmentIndexBundle.Range> manifest = bundle.range(SegmentIndexBundle.Section.MANIFEST);
        if (manifest.isEmpty()) {
            return Optional.empty();
        }
        SegmentIndexBundle.Range range = manifest.get();
        if (range.end() <= head.length) {
            return Optional.of(Arrays.copyOfRange(head, range.offset(), range.end()));
        }
        return readIfExists(key, "bytes=" + range.offset() + "-" + (range.end() - 1))
                .map(ObjectRead::bytes);
    }

    /**
     * The bytes of the object under {@code key} in {@code range} (all when null), for a listing of manifests; empty if
     * there is no such object (it was deleted since it was listed).
     *
     * @throws UncheckedIOException if it cannot be read, as a failure of the listing it belongs to
     */
    private Optional<ObjectRead> readIfExists(String key, String range) {
        try (ResponseInputStream<GetObjectResponse> response = get(key, range)) {
            byte[] bytes = response.readAllBytes();
            return Optional.of(new ObjectRead(bytes, objectSize(response.response(), bytes.length)));
        } catch (S3Exception e) {
            // NoSuchKey from S3; a bare 404 from some compatible stores
            if (e instanceof NoSuchKeyException || e.statusCode() == 404) {
                return Optional.empty();
            }
            throw manifestReadFailure(key, e);
        } catch (SdkException | IOException e) {
            throw manifestReadFailure(key, e);
        }
    }

    /** Bytes read from an object, and the size of the whole object. */
    private record ObjectRead(byte[] bytes, long objectSize) {}

    /** The size of an object from a ranged GET's Content-Range ("bytes 0-99/1000"), or {@code read} without one. */
    private static long objectSize(GetObjectResponse response, long read) {
        String contentRange = response.contentRange();
        int slash = contentRange == null ? -1 : contentRange.indexOf('/');
        if (slash < 0) {
            return read;
        }
        try {
            return Long.parseLong(contentRange.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            return read;
        }
    }

    private UncheckedIOException manifestReadFailure(String key, Exception cause) {
        return new UncheckedIOException(new IOException(
                "Read of the manifest s3://" + bucket + "/" + key + " failed: " + cause.getMessage(), cause));
    }

    private ResponseInputStream<GetObjectResponse> get(String key, String range) {
        GetObjectRequest.Builder request =
                GetObjectRequest.builder().bucket(bucket).key(key);
        if (range != null) {
            request.range(range);
        }
        return s3.getObject(request.build());
    }
}
