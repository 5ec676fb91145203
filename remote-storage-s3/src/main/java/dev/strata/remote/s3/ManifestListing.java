package dev.strata.remote.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The manifests under a key prefix, one page of ListObjectsV2 at a time: a page is requested only when the previous
 * one is used up, and a manifest is read only when it is reached, so a bucket with months of history is never held in
 * memory. Keys that are not manifests of the layout ({@link SegmentObjectKeys#isManifestKey}) are skipped, as is a
 * manifest deleted between the listing and its read.
 *
 * <p>A failed request is thrown from {@link #hasNext()} or {@link #next()} as an {@link UncheckedIOException}. Not
 * thread-safe.
 */
final class ManifestListing implements Iterator<byte[]> {

    private final S3Client s3;
    private final String bucket;
    private final SegmentObjectKeys keys;
    private final int pageSize;
    /** Reads the manifest under a key: null when it no longer exists; an S3 failure as an {@link SdkException}. */
    private final Function<String, byte[]> reader;

    private final Deque<String> pending = new ArrayDeque<>();
    private String continuationToken;
    private boolean lastPage;
    private byte[] next;

    ManifestListing(S3Client s3, String bucket, SegmentObjectKeys keys, int pageSize, Function<String, byte[]> reader) {
        this.s3 = s3;
        this.bucket = bucket;
        this.keys = keys;
        this.pageSize = pageSize;
        this.reader = reader;
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            if (pending.isEmpty()) {
                if (lastPage) {
                    return false;
                }
                fetchPage();
                continue;
            }
            String key = pending.poll();
            next = request("Read of s3://" + bucket + "/" + key, () -> reader.apply(key));
        }
        return true;
    }

    @Override
    public byte[] next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        byte[] manifest = next;
        next = null;
        return manifest;
    }

    private void fetchPage() {
        String token = continuationToken;
        ListObjectsV2Response page = request(
                "List of s3://" + bucket + "/" + keys.prefix(),
                () -> s3.listObjectsV2(b ->
                        b.bucket(bucket).prefix(keys.prefix()).maxKeys(pageSize).continuationToken(token)));
        for (S3Object object : page.contents()) {
            if (keys.isManifestKey(object.key())) {
                pending.add(object.key());
            }
        }
        continuationToken = page.nextContinuationToken();
        lastPage = !Boolean.TRUE.equals(page.isTruncated()) || continuationToken == null;
    }

    private static <T> T request(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (SdkException e) {
            throw new UncheckedIOException(new IOException(what + " failed: " + e.getMessage(), e));
        }
    }
}
