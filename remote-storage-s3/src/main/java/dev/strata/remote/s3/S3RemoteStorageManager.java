package dev.strata.remote.s3;

import dev.strata.storage.api.ManifestBundlingStorage;
import dev.strata.storage.api.ManifestBundlingStorage.ManifestSource;
import dev.strata.storage.api.ManifestReadAhead;
import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.SegmentIndexBundle;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Apache Kafka's {@link RemoteStorageManager} on S3 and S3-compatible stores, for Strata and for Apache Kafka 3.9+/4.x
 * alike ({@code remote.log.storage.manager.class.name=dev.strata.remote.s3.S3RemoteStorageManager}, settings under
 * {@code rsm.config.}, see {@link S3StorageConfig}).
 *
 * <p>Layout 2: a segment is two objects, under keys derived from the segment metadata alone
 * ({@link SegmentObjectKeys}): its log, and a {@link SegmentIndexBundle} holding every other file (and, when Strata
 * tiers it, its manifest). So a copy costs two PUTs (plus the parts of a log larger than the part size, which goes up
 * as a multipart upload), copy and delete are idempotent (a repeated copy overwrites the same objects, a delete of
 * missing objects succeeds), and a read of records is one ranged GET of the log. Segments that layout 1 wrote, one
 * object per file, are read as they are: the log's key is the same in both layouts, and an index is looked up in the
 * bundle first and, where the segment has none, in its layout-1 object. A delete removes the objects of both layouts
 * with one DeleteObjects request.
 * Every object carries S3's additional CRC32C checksum and the SHA-256 of its bytes ({@link S3Uploads}).
 *
 * <p>Integrity on the way back: indexes, snapshots and checkpoints are read whole into memory (in layout 2 the whole
 * bundle, of which the last one read is kept, since Apache Kafka asks for a segment's indexes one after the other) and
 * their SHA-256 is checked before the first byte is returned, so a corrupted or replaced object is an error, never served. A read of a
 * log segment that covers the whole object (from position 0 to its end) is checked as it streams and fails when its
 * last byte is read. A read of part of a segment cannot be checked against a whole-object digest: it relies on the
 * CRC32C every record batch carries, which the tiering layer (in Apache Kafka, the consumer) validates. Every read
 * still requires the digest to be stored with the object (an object without it was not written by this plugin or was
 * replaced since), and a range that starts inside the segment's size (from its metadata) but past the object's end
 * means the object was truncated; a range across the end of a truncated object returns the bytes there are, which a
 * reader that knows the segment's size sees as too few.
 *
 * <p>Corrupt data and an unreachable store are told apart: a corrupt, truncated or replaced object is a
 * {@link RemoteStorageException} (or, from a stream that is being read, an {@link IOException}) caused by Kafka's
 * {@link CorruptRecordException}, on which a reader should give up; any other failure is retriable. Retries with
 * backoff on throttling and transient errors happen inside the S3 client ({@link S3ClientFactory}); an error that
 * survives them becomes a {@link RemoteStorageException}, a missing object a {@link RemoteResourceNotFoundException}.
 * Thread-safe once configured.
 *
 * <p>Segment manifests, beyond Kafka's SPI: as a {@link ManifestBundlingStorage} (Strata's storage API) it stores the
 * manifest Strata's broker writes as it tiers in the segment's bundle, and one that replaces it (a deletion's) as a
 * small object of its own under {@link SegmentObjectKeys#manifestKey}; the broker lists them to rebuild its remote
 * index, the latest of each segment, reading several at once ({@link ManifestReadAhead}) since each is a GET or two. They are
 * opaque bytes here (their format and checksum belong to Strata's index), so this plugin depends only on Kafka's SPI,
 * Strata's small storage API and the AWS SDK, none of Strata's engine; Apache Kafka never calls them. As a
 * {@link RemoteObjectStorage} it lists and deletes single objects under the key prefix, for Strata's orphan scrub.
 */
public final class S3RemoteStorageManager
        implements RemoteStorageManager, ManifestBundlingStorage, RemoteObjectStorage {

    private static final Logger LOG = LoggerFactory.getLogger(S3RemoteStorageManager.class);
    /** HTTP 416: the answer to a ranged GET that starts past the end of the object. */
    private static final int RANGE_NOT_SATISFIABLE = 416;
    /** Keys per ListObjectsV2 page, S3's maximum. */
    private static final int LIST_PAGE_SIZE = 1000;

    // set by configure, before the broker calls anything else; volatile so any thread sees them
    private volatile S3StorageConfig config;
    private volatile SegmentObjectKeys objectKeys;
    private volatile S3Client s3;
    private volatile S3Uploads uploads;
    private volatile ManifestReads manifestReads;
    /** The bundle read last, verified; a segment's indexes are asked for one after the other. */
    private volatile ReadBundle lastBundle;

    @Override
    public void configure(Map<String, ?> configs) {
        S3StorageConfig parsed = S3StorageConfig.parse(configs);
        S3Client client = S3ClientFactory.create(parsed);
        synchronized (this) {
            if (s3 != null) {
                s3.close();
            }
            config = parsed;
            objectKeys = new SegmentObjectKeys(parsed.keyPrefix());
            s3 = client;
            uploads = new S3Uploads(client, parsed);
            manifestReads = new ManifestReads(client, parsed.bucketName(), objectKeys);
            lastBundle = null;
        }
        LOG.info("S3 remote storage configured: {}", parsed);
        checkBucketInBackground(client, parsed.bucketName());
    }

    /**
     * Asks the store for the bucket once, off the caller's thread, so that a wrong bucket name, missing permissions or
     * an unreachable endpoint show up in the log at startup rather than at the first copy, and so that the S3 client's
     * classes and first connection are warm before the first fetch from the remote tier waits on them. Never fails
     * {@link #configure}: a store that is down now is retried by every later call.
     */
    private static void checkBucketInBackground(S3Client client, String bucket) {
        Thread check = new Thread(
                () -> {
                    try {
                        client.headBucket(b -> b.bucket(bucket));
                        LOG.info("S3 bucket {} is reachable", bucket);
                    } catch (S3Exception e) {
                        LOG.warn(
                                "S3 bucket {} answered HTTP {} ({}): copies to the remote tier will fail until this"
                                        + " is fixed",
                                bucket,
                                e.statusCode(),
                                e.statusCode() == 404 ? "no such bucket" : "check the credentials and permissions");
                    } catch (SdkException e) {
                        LOG.warn("S3 bucket {} cannot be reached now ({}); tiering retries", bucket, e.getMessage());
                    } catch (RuntimeException e) {
                        // the manager was closed or reconfigured during the check
                        LOG.debug("Bucket check of {} ended early", bucket, e);
                    }
                },
                "strata-s3-bucket-check");
        check.setDaemon(true);
        check.start();
    }

    @Override
    public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data)
            throws RemoteStorageException {
        copy(segment, data, null);
        return Optional.empty();
    }

    /** Copies the segment in layout 2 with its manifest in its bundle: two PUTs, plus a multipart log's parts. */
    @Override
    public void copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource manifest)
            throws RemoteStorageException {
        copy(segment, data, Objects.requireNonNull(manifest, "manifest"));
    }

    /** Copies the log, then the bundle with the manifest {@code manifest} gives then (none when null). */
    private void copy(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource manifest)
            throws RemoteStorageException {
        requireConfigured();
        long started = System.nanoTime();
        String logKey = objectKeys.key(segment, SegmentFileType.LOG);
        String bundleKey = objectKeys.bundleKey(segment);
        forget(bundleKey);
        // only keys of this segment (its id is in each), so a failed copy's cleanup touches no other segment
        List<String> attempted = new ArrayList<>();
        try {
            attempted.add(logKey);
            uploads.file(logKey, data.logSegment());
            byte[] bundle = SegmentIndexBundle.write(data, manifest == null ? null : manifest.manifest());
            // last: a bundle in the store, with its manifest, means the segment is complete
            attempted.add(bundleKey);
            uploads.bytes(bundleKey, ByteBuffer.wrap(bundle));
        } catch (RemoteStorageException e) {
            deleteQuietly(attempted);
            throw e;
        } catch (SdkException | IOException | UncheckedIOException | IllegalArgumentException e) {
            deleteQuietly(attempted);
            throw new RemoteStorageException(
                    "Copy of segment " + segment.remoteLogSegmentId() + " to s3://" + config.bucketName() + "/" + logKey
                            + " failed: " + e.getMessage(),
                    e);
        }
        LOG.debug(
                "Copied segment {} (2 objects) in {} ms",
                segment.remoteLogSegmentId(),
                (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition)
            throws RemoteStorageException {
        requireConfigured();
        if (startPosition < 0) {
            throw new IllegalArgumentException("startPosition must not be negative: " + startPosition);
        }
        return fetchSegmentRange(segment, startPosition, startPosition == 0 ? null : "bytes=" + startPosition + "-");
    }

    /** Reads the segment's log from {@code startPosition} to {@code endPosition}, both inclusive. */
    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition)
            throws RemoteStorageException {
        requireConfigured();
        if (startPosition < 0 || endPosition < startPosition) {
            throw new IllegalArgumentException(
                    "need 0 <= startPosition <= endPosition, got " + startPosition + " and " + endPosition);
        }
        return fetchSegmentRange(segment, startPosition, "bytes=" + startPosition + "-" + endPosition);
    }

    @Override
    public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) throws RemoteStorageException {
        requireConfigured();
        ReadBundle bundle = bundle(segment);
        if (bundle.bytes() == null) {
            // a segment that layout 1 wrote
            return new ByteArrayInputStream(verifiedObject(objectKeys.key(segment, SegmentFileType.of(indexType))));
        }
        SegmentIndexBundle.Range range = bundle.table()
                .range(SegmentFileType.of(indexType).section())
                .orElseThrow(() -> new RemoteResourceNotFoundException("Segment " + segment.remoteLogSegmentId()
                        + " has no " + SegmentFileType.of(indexType).suffix() + " in s3://" + config.bucketName() + "/"
                        + bundle.key()));
        return new ByteArrayInputStream(bundle.bytes(), range.offset(), range.length());
    }

    /** The segment's bundle, read whole and verified, or one without bytes if the segment has none (layout 1). */
    private ReadBundle bundle(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        String key = objectKeys.bundleKey(segment);
        ReadBundle last = lastBundle;
        if (last != null && last.key().equals(key)) {
            return last;
        }
        ReadBundle read;
        try {
            byte[] bytes = verifiedObject(key);
            try {
                read = new ReadBundle(key, bytes, SegmentIndexBundle.parse(ByteBuffer.wrap(bytes), bytes.length));
            } catch (CorruptRecordException e) {
                throw corrupt("Corrupted object s3://" + config.bucketName() + "/" + key + ": " + e.getMessage());
            }
        } catch (RemoteResourceNotFoundException e) {
            read = new ReadBundle(key, null, null);
        }
        lastBundle = read;
        return read;
    }

    /** Forgets the bundle under {@code key} if it is the one kept: it is being written or deleted. */
    private void forget(String key) {
        ReadBundle last = lastBundle;
        if (last != null && last.key().equals(key)) {
            lastBundle = null;
        }
    }

    /** The whole object under {@code key}, whose SHA-256 matched the one stored with it. */
    private byte[] verifiedObject(String key) throws RemoteStorageException {
        try (ResponseInputStream<GetObjectResponse> response = get(key, null)) {
            byte[] bytes = response.readAllBytes();
            String expected = storedDigest(key, response.response());
            String actual = Sha256.of(bytes);
            if (!actual.equals(expected)) {
                throw corrupt("Corrupted object s3://" + config.bucketName() + "/" + key + ": SHA-256 of its "
                        + bytes.length + " bytes is " + actual + " but it was stored with " + expected);
            }
            return bytes;
        } catch (IOException | SdkException e) {
            throw failure("Fetch of s3://" + config.bucketName() + "/" + key, e);
        }
    }

    /**
     * A bundle as read: its key, its bytes and table, or null bytes and table when the object does not exist.
     * Immutable once built; {@code bytes} is never handed out, only streams over it.
     */
    private record ReadBundle(String key, byte[] bytes, SegmentIndexBundle table) {}

    @Override
    public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        requireConfigured();
        String bundleKey = objectKeys.bundleKey(segment);
        forget(bundleKey);
        // exactly this segment's keys, in both layouts: a layout-1 segment's files, a layout-2 segment's two objects,
        // in one DeleteObjects request (S3 answers a missing key as deleted). Its manifest object, which a deletion
        // writes first and deletes last (deleteManifest), is not among them.
        List<ObjectIdentifier> keys = new ArrayList<>();
        objectKeys
                .keys(segment)
                .values()
                .forEach(key -> keys.add(ObjectIdentifier.builder().key(key).build()));
        keys.add(ObjectIdentifier.builder().key(bundleKey).build());
        String what = "Delete of segment " + segment.remoteLogSegmentId() + " from s3://" + config.bucketName();
        DeleteObjectsResponse response;
        try {
            response = s3.deleteObjects(b ->
                    b.bucket(config.bucketName()).delete(d -> d.objects(keys).quiet(true)));
        } catch (SdkException e) {
            throw new RemoteStorageException(what + " failed: " + e.getMessage(), e);
        }
        for (S3Error error : response.errors()) {
            // some compatible stores report a missing key as an error: already deleted either way
            if (!"NoSuchKey".equals(error.code())) {
                throw new RemoteStorageException(
                        what + " failed at " + error.key() + ": " + error.code() + " " + error.message());
            }
        }
        LOG.debug("Deleted segment {}", segment.remoteLogSegmentId());
    }

    /**
     * Stores the manifest of {@code segment} under {@link SegmentObjectKeys#manifestKey}, replacing an earlier one
     * (also the one in the segment's bundle), with the same CRC32C and SHA-256 as every other object.
     *
     * @throws RemoteStorageException if the upload fails
     */
    @Override
    public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException {
        requireConfigured();
        String key = objectKeys.manifestKey(segment);
        try {
            uploads.bytes(key, ByteBuffer.wrap(manifest));
        } catch (SdkException e) {
            throw failure("Upload of the manifest s3://" + config.bucketName() + "/" + key, e);
        }
    }

    /**
     * Deletes the manifest of {@code segment}; deleting a missing manifest succeeds.
     *
     * @throws RemoteStorageException if the delete fails
     */
    @Override
    public void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        requireConfigured();
        String key = objectKeys.manifestKey(segment);
        try {
            s3.deleteObject(b -> b.bucket(config.bucketName()).key(key));
        } catch (NoSuchKeyException e) {
            // already gone
        } catch (SdkException e) {
            throw failure("Delete of the manifest s3://" + config.bucketName() + "/" + key, e);
        }
    }

    /**
     * Every manifest under the configured key prefix, in key order (offset order within a partition): the keys listed
     * by {@link #listManifestKeys}, each read by {@link #readManifest}, {@link ManifestReadAhead#READS_IN_FLIGHT} GETs
     * at a time just ahead of the stream. A failure while listing or reading is an {@link UncheckedIOException} thrown
     * by the stream.
     */
    @Override
    public Stream<byte[]> listManifests() {
        return ManifestReadAhead.read(listManifestKeys(), this::readManifest);
    }

    /**
     * The key of every segment's latest manifest under the configured key prefix, in key order, listed with
     * ListObjectsV2 one page at a time as the stream advances (see {@link ObjectListing}): its bundle's, or its
     * manifest object's where it has one, which replaced the bundled one ({@link SegmentObjectKeys#latestManifests}).
     * {@link #readManifest} reads each, and {@link #listManifests} does both. A failure while listing is an {@link UncheckedIOException} thrown by the
     * stream.
     */
    public Stream<String> listManifestKeys() {
        return listManifestKeys(LIST_PAGE_SIZE);
    }

    Stream<String> listManifestKeys(int pageSize) {
        requireConfigured();
        SegmentObjectKeys keys = objectKeys;
        return SegmentObjectKeys.latestManifests(
                list(keys.prefix(), key -> keys.isManifestKey(key) || keys.isBundleKey(key), pageSize)
                        .map(S3Object::key));
    }

    /**
     * Every object under the key prefix followed by {@code prefix}, with keys relative to the key prefix, listed one
     * page of ListObjectsV2 at a time as the stream advances.
     */
    @Override
    public Stream<StoredObject> listObjects(String prefix) {
        requireConfigured();
        String root = objectKeys.prefix();
        return list(root + prefix, key -> true, LIST_PAGE_SIZE)
                .map(object -> new StoredObject(object.key().substring(root.length()), object.size()));
    }

    /** Deletes the object under the key prefix followed by {@code key}. */
    @Override
    public void deleteObject(String key) throws RemoteStorageException {
        requireConfigured();
        String full = objectKeys.prefix() + key;
        try {
            s3.deleteObject(b -> b.bucket(config.bucketName()).key(full));
        } catch (NoSuchKeyException e) {
            // S3 answers 204 for a missing key; some compatible stores answer 404: already deleted either way
        } catch (SdkException e) {
            throw new RemoteStorageException(
                    "Delete of s3://" + config.bucketName() + "/" + full + " failed: " + e.getMessage(), e);
        }
    }

    private Stream<S3Object> list(String prefix, Predicate<String> keep, int pageSize) {
        ObjectListing listing = new ObjectListing(s3, config.bucketName(), prefix, keep, pageSize);
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(listing, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /**
     * The manifest under {@code key}, as listed by {@link #listManifestKeys}: the object, or the manifest in the
     * bundle; empty if it was deleted since, or is a bundle without a manifest (Apache Kafka tiered its segment).
     * Manifests carry their own checksum, which the reader of the bytes checks, so their SHA-256 is not checked here:
     * a corrupt manifest is the reader's to reject.
     *
     * @throws UncheckedIOException if it cannot be read, as a failure of the listing it belongs to
     */
    public Optional<byte[]> readManifest(String key) {
        requireConfigured();
        return manifestReads.read(key);
    }

    @Override
    public synchronized void close() {
        if (s3 != null) {
            s3.close();
            s3 = null;
        }
    }

    private void requireConfigured() {
        if (s3 == null) {
            throw new IllegalStateException("S3RemoteStorageManager is not configured, or closed");
        }
    }

    private InputStream fetchSegmentRange(RemoteLogSegmentMetadata segment, int startPosition, String range)
            throws RemoteStorageException {
        String key = objectKeys.key(segment, SegmentFileType.LOG);
        String what = "Fetch of s3://" + config.bucketName() + "/" + key + " from position " + startPosition;
        ResponseInputStream<GetObjectResponse> response;
        try {
            response = get(key, range);
        } catch (S3Exception e) {
            if (e.statusCode() == RANGE_NOT_SATISFIABLE && startPosition < segment.segmentSizeInBytes()) {
                throw corrupt("Corrupted object s3://" + config.bucketName() + "/" + key + ": it ends before position "
                        + startPosition + ", but the segment has " + segment.segmentSizeInBytes() + " bytes");
            }
            throw failure(what, e);
        } catch (SdkException e) {
            throw failure(what, e);
        }
        String digest;
        try {
            digest = storedDigest(key, response.response());
        } catch (RemoteStorageException e) {
            response.abort();
            throw e;
        }
        InputStream body = new AbortOnCloseInputStream(response);
        if (startPosition != 0 || !coversWholeObject(response.response())) {
            return body;
        }
        Long length = response.response().contentLength();
        return new DigestVerifyingInputStream(body, length == null ? -1 : length, digest, key);
    }

    private ResponseInputStream<GetObjectResponse> get(String key, String range) {
        GetObjectRequest.Builder request =
                GetObjectRequest.builder().bucket(config.bucketName()).key(key);
        if (range != null) {
            request.range(range);
        }
        return s3.getObject(request.build());
    }

    /** Whether a GET answered with the whole object: no Content-Range, or one that spans it ("bytes 0-99/100"). */
    private static boolean coversWholeObject(GetObjectResponse response) {
        String contentRange = response.contentRange();
        if (contentRange == null) {
            return true;
        }
        int dash = contentRange.indexOf('-');
        int slash = contentRange.indexOf('/');
        if (!contentRange.startsWith("bytes 0-") || dash < 0 || slash < dash) {
            return false;
        }
        String end = contentRange.substring(dash + 1, slash).trim();
        String total = contentRange.substring(slash + 1).trim();
        try {
            return !"*".equals(total) && Long.parseLong(end) + 1 == Long.parseLong(total);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private String storedDigest(String key, GetObjectResponse response) throws RemoteStorageException {
        // S3 lowercases metadata names; some compatible stores keep the case a client sent
        String digest = response.metadata().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase(Sha256.METADATA_KEY))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(null);
        if (digest == null || digest.isBlank()) {
            throw corrupt("Object s3://" + config.bucketName() + "/" + key + " has no " + Sha256.METADATA_KEY
                    + " metadata and cannot be verified; it was not written by this plugin or was replaced since");
        }
        return digest.trim().toLowerCase(Locale.ROOT);
    }

    /** Best effort: removes the objects of a failed copy; what remains is overwritten by the next attempt. */
    private void deleteQuietly(List<String> keys) {
        for (String key : keys) {
            try {
                s3.deleteObject(b -> b.bucket(config.bucketName()).key(key));
            } catch (SdkException e) {
                LOG.warn(
                        "Could not remove s3://{}/{} after a failed copy: {}",
                        config.bucketName(),
                        key,
                        e.getMessage());
            }
        }
    }

    /** The error of an object whose bytes are not those this plugin stored: see the class comment. */
    private static RemoteStorageException corrupt(String message) {
        return new RemoteStorageException(message, new CorruptRecordException(message));
    }

    private static RemoteStorageException failure(String what, Exception cause) {
        if (cause instanceof NoSuchKeyException
                || cause instanceof S3Exception s3Exception && s3Exception.statusCode() == 404) {
            return new RemoteResourceNotFoundException(what + ": no such object", cause);
        }
        return new RemoteStorageException(what + " failed: " + cause.getMessage(), cause);
    }
}
