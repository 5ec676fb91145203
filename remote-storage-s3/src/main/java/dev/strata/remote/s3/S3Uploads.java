package dev.strata.remote.s3;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The uploads of {@link S3RemoteStorageManager}: every object carries S3's additional CRC32C checksum, which the store
 * checks on upload, and the SHA-256 of its bytes in user metadata ({@link Sha256}), which reads check. A file larger
 * than the part size goes up as a multipart upload streamed from the file, one part at a time (a smaller one with one
 * PUT, streamed the same way); a failed multipart
 * upload is aborted so that the store keeps none of its parts. Every PUT and multipart upload asks for the
 * server-side encryption that {@code s3.sse.algorithm} and {@code s3.sse.kms.key.id} name (none asked: the bucket's
 * default applies). Thread-safe.
 */
final class S3Uploads {

    private static final String OCTET_STREAM = "application/octet-stream";
    /**
     * What each read of an uploaded file takes at once. The SDK reads a body 4 KiB at a time, twice over plain HTTP (once
     * for the payload's SHA-256, once to send it): straight from the file that was a system call per 4 KiB, 15% of the
     * upload threads' CPU in a profile of {@code bench tiered}.
     */
    static final int READ_BUFFER_BYTES = 256 * 1024;

    private final S3Client s3;
    private final String bucket;
    private final long partSize;
    /** Null for the bucket's default. */
    private final ServerSideEncryption sse;
    /** Null for the account's default KMS key. */
    private final String kmsKeyId;

    S3Uploads(S3Client s3, S3StorageConfig config) {
        this.s3 = s3;
        this.bucket = config.bucketName();
        this.partSize = config.multipartUploadPartSize();
        this.sse = config.sseAlgorithm().map(ServerSideEncryption::fromValue).orElse(null);
        this.kmsKeyId = config.sseKmsKeyId().orElse(null);
    }

    /** Uploads {@code file} under {@code key}: one PUT, or a multipart upload when it is larger than a part. */
    void file(String key, Path file) throws IOException {
        long size = Files.size(file);
        String digest = Sha256.of(file);
        if (size <= partSize) {
            s3.putObject(
                    b -> b.bucket(bucket)
                            .key(key)
                            .metadata(Map.of(Sha256.METADATA_KEY, digest))
                            .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)
                            .serverSideEncryption(sse)
                            .ssekmsKeyId(kmsKeyId),
                    RequestBody.fromContentProvider(() -> openRegion(file, 0, size), size, OCTET_STREAM));
            return;
        }
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket)
                        .key(key)
                        .metadata(Map.of(Sha256.METADATA_KEY, digest))
                        .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)
                        .serverSideEncryption(sse)
                        .ssekmsKeyId(kmsKeyId))
                .uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int partNumber = 1;
            for (long offset = 0; offset < size; offset += partSize, partNumber++) {
                long partOffset = offset;
                long length = Math.min(partSize, size - offset);
                int number = partNumber;
                UploadPartResponse uploaded = s3.uploadPart(
                        b -> b.bucket(bucket)
                                .key(key)
                                .uploadId(uploadId)
                                .partNumber(number)
                                .contentLength(length)
                                .checksumAlgorithm(ChecksumAlgorithm.CRC32_C),
                        RequestBody.fromContentProvider(
                                () -> openRegion(file, partOffset, length), length, OCTET_STREAM));
                parts.add(CompletedPart.builder()
                        .partNumber(number)
                        .eTag(uploaded.eTag())
                        .checksumCRC32C(uploaded.checksumCRC32C())
                        .build());
            }
            s3.completeMultipartUpload(
                    b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (SdkException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            throw e;
        }
    }

    /** Uploads {@code bytes} (from position to limit) under {@code key} with one PUT. */
    void bytes(String key, ByteBuffer bytes) {
        String digest = Sha256.of(bytes);
        s3.putObject(
                b -> b.bucket(bucket)
                        .key(key)
                        .metadata(Map.of(Sha256.METADATA_KEY, digest))
                        .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)
                        .serverSideEncryption(sse)
                        .ssekmsKeyId(kmsKeyId),
                RequestBody.fromByteBuffer(bytes.duplicate()));
    }

    private static InputStream openRegion(Path file, long offset, long length) {
        try {
            return new BufferedInputStream(
                    new FileRegionInputStream(file, offset, length), (int) Math.min(READ_BUFFER_BYTES, length + 1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
