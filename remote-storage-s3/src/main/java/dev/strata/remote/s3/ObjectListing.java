package dev.strata.remote.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Predicate;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The objects under a key prefix that {@code keep} accepts (the manifests of the layout, say, with
 * {@link SegmentObjectKeys#isManifestKey}), one page of ListObjectsV2 at a time: a page is requested only when the
 * previous one is used up, so a bucket with months of history is never held in memory.
 *
 * <p>A failed request is thrown from {@link #hasNext()} or {@link #next()} as an {@link UncheckedIOException}. Not
 * thread-safe.
 */
final class ObjectListing implements Iterator<S3Object> {

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final Predicate<String> keep;
    private final int pageSize;

    private final Deque<S3Object> pending = new ArrayDeque<>();
    private String continuationToken;
    private boolean lastPage;

    ObjectListing(S3Client s3, String bucket, String prefix, Predicate<String> keep, int pageSize) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.keep = keep;
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
    public S3Object next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return pending.poll();
    }

    private void fetchPage() {
        String token = continuationToken;
        ListObjectsV2Response page;
        try {
            page = s3.listObjectsV2(
                    b -> b.bucket(bucket).prefix(prefix).maxKeys(pageSize).continuationToken(token));
        } catch (SdkException e) {
            throw new UncheckedIOException(
                    new IOException("List of s3://" + bucket + "/" + prefix + " failed: " + e.getMessage(), e));
        }
        for (S3Object object : page.contents()) {
            if (keep.test(object.key())) {
                pending.add(object);
            }
        }
        continuationToken = page.nextContinuationToken();
        lastPage = !Boolean.TRUE.equals(page.isTruncated()) || continuationToken == null;
    }
}
