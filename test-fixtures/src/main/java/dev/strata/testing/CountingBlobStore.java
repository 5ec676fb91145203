package dev.strata.testing;

import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A blob store under {@link S3ProxyEndpoint#over} that records every object request S3Proxy hands it, for tests that
 * count requests (what a store bills) instead of timing them: each PUT, multipart step, GET (with its range), DELETE,
 * DeleteObjects and LIST, in order (what S3Proxy does for its own bookkeeping while serving one, such as the stub blob beside a
 * multipart upload, is not a request). It can also fail the PUTs of chosen keys, as a store that breaks mid-copy does.
 */
public final class CountingBlobStore extends ForwardingBlobStore {

    /** The kinds of request counted; the multipart steps are PUT-class requests in S3's price list. */
    public enum Kind {
        PUT,
        CREATE_MULTIPART,
        UPLOAD_PART,
        COMPLETE_MULTIPART,
        GET,
        DELETE,
        /** A DeleteObjects request: one request, its keys joined by a space. */
        DELETE_OBJECTS,
        LIST
    }

    /** One request: its kind, its key ({@code ""} for a listing: its prefix), and a GET's range header or null. */
    public record Request(Kind kind, String key, String range) {}

    /** Keys of the blobs S3Proxy keeps beside a multipart upload in progress, in its own bookkeeping. */
    private static final String MULTIPART_STUB_PREFIX = ".s3proxy-mpu-stub-";

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Whether this thread is inside a counted call: S3Proxy implements some (multipart) with others, not counted. */
    private final ThreadLocal<Boolean> inside = ThreadLocal.withInitial(() -> false);

    private volatile Predicate<String> failingPuts = key -> false;

    public CountingBlobStore(BlobStore delegate) {
        super(delegate);
    }

    /** A counting store over a new in-memory store. */
    public static CountingBlobStore inMemory() {
        return new CountingBlobStore(BlobStores.create("transient", new Properties()));
    }

    /** A counting store over a new filesystem store whose blobs live under {@code blobDir}, which it creates. */
    public static CountingBlobStore onDisk(java.nio.file.Path blobDir) {
        try {
            java.nio.file.Files.createDirectories(blobDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", blobDir.toString());
        return new CountingBlobStore(BlobStores.create("filesystem", props));
    }

    /** Every request since the last {@link #clear()}, in the order they reached the store. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The requests of {@code kind} since the last {@link #clear()}. */
    public List<Request> requests(Kind kind) {
        return requests.stream().filter(r -> r.kind() == kind).toList();
    }

    /** Forgets the requests counted so far. */
    public void clear() {
        requests.clear();
    }

    /** From now on, PUTs (also multipart ones) of keys matching {@code keys} fail in the store and store nothing. */
    public void failPuts(Predicate<String> keys) {
        failingPuts = keys;
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream payload) {
        return counted(new Request(Kind.PUT, request.key(), null), () -> {
            if (failingPuts.test(request.key())) {
                throw new IllegalStateException("PUT of " + request.key() + " failed by the test");
            }
            return super.putBlob(request, payload);
        });
    }

    @Override
    public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
        return counted(
                new Request(Kind.CREATE_MULTIPART, request.key(), null), () -> super.initiateMultipartUpload(request));
    }

    @Override
    public UploadPartResponse uploadMultipartPart(
            MultipartUpload upload, UploadPartRequest request, InputStream payload) {
        return counted(new Request(Kind.UPLOAD_PART, request.key(), null), () -> {
            if (failingPuts.test(request.key())) {
                throw new IllegalStateException("Upload of a part of " + request.key() + " failed by the test");
            }
            return super.uploadMultipartPart(upload, request, payload);
        });
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(
            MultipartUpload upload, CompleteMultipartUploadRequest request) {
        return counted(
                new Request(Kind.COMPLETE_MULTIPART, request.key(), null),
                () -> super.completeMultipartUpload(upload, request));
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
        return counted(new Request(Kind.GET, request.key(), request.range()), () -> super.getBlob(request));
    }

    @Override
    public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
        return counted(new Request(Kind.DELETE, request.key(), null), () -> super.removeBlob(request));
    }

    @Override
    public DeleteObjectsResponse removeBlobs(DeleteObjectsRequest request) {
        String keys =
                request.delete().objects().stream().map(ObjectIdentifier::key).collect(Collectors.joining(" "));
        // the delegate's, so that the single deletes it may make of the keys are not counted as requests
        return counted(
                new Request(Kind.DELETE_OBJECTS, keys, null), () -> delegate().removeBlobs(request));
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        return counted(
                new Request(Kind.LIST, request.prefix() == null ? "" : request.prefix(), null),
                () -> super.list(request));
    }

    private <T> T counted(Request request, Supplier<T> call) {
        if (inside.get() || request.key().startsWith(MULTIPART_STUB_PREFIX)) {
            return call.get();
        }
        requests.add(request);
        inside.set(true);
        try {
            return call.get();
        } finally {
            inside.set(false);
        }
    }
}
