package dev.strata.remote.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The keys of the manifests under a key prefix, one page of ListObjectsV2 at a time: a page is requested only when the
 * previous one is used up, so a bucket with months of history is never held in memory. Keys that are not manifests of
 * the layout ({@link SegmentObjectKeys#isManifestKey}) are skipped.
 *
 * <p>A failed request is thrown from {@link #hasNext()} or {@link #next()} as an {@link UncheckedIOException}. Not
 * thread-safe.
 */
final class ManifestListing implements Iterator<String> {

    private final S3Client s3;
    private final String bucket;
    private final SegmentObjectKeys keys;
    private final int pageSize;

    private final Deque<String> pending = new ArrayDeque<>();
    private String continuationToken;
    private boolean lastPage;

    ManifestListing(S3Client s3, String bucket, SegmentObjectKeys keys, int pageSize) {
        this.s3 = s3;
        this.bucket = bucket;
        this.keys = keys;
        this.pageSize = pageSize;
    }

    @Override
    public boolean hasNext() {
        while (pending.isEmpty()) {
            if (lastPage) {
                return false;
            }
            fetchPage();
        }
        return true;
    }

    @Override
    public String next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return pending.poll();
    }

    private void fetchPage() {
        String token = continuationToken;
        ListObjectsV2Response page;
        try {
            page = s3.listObjectsV2(b ->
                    b.bucket(bucket).prefix(keys.prefix()).maxKeys(pageSize).continuationToken(token));
        } catch (SdkException e) {
            throw new UncheckedIOException(
                    new IOException("List of s3://" + bucket + "/" + keys.prefix() + " failed: " + e.getMessage(), e));
        }
        for (S3Object object : page.contents()) {
            if (keys.isManifestKey(object.key())) {
                pending.add(object.key());
            }
        }
        continuationToken = page.nextContinuationToken();
        lastPage = !Boolean.TRUE.equals(page.isTruncated()) || continuationToken == null;
    }
}
