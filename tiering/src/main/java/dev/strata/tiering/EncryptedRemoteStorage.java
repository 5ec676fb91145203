package dev.strata.tiering;

import dev.strata.storage.api.ManifestBundlingStorage;
import dev.strata.storage.api.SegmentManifestStorage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client-side encryption of the remote tier, around any storage backend: what the broker writes for a segment (its
 * log, indexes, producer snapshot, leader-epoch checkpoint and manifest) reaches the backend encrypted, and what it
 * reads is decrypted here, so every backend, Strata's or a third party's, stores only ciphertext.
 *
 * <p>A segment is encrypted when its metadata's custom metadata starts with a {@link SegmentEnvelope}: the copier puts
 * one ({@link #newSegmentMetadata()}) in the COPY_STARTED record of every segment it copies while
 * {@code remote.log.encryption.enable} is on, and it stays with the segment through the remote index, the manifest and
 * the replicated record. Segments without one were written in the clear and are passed through untouched, so turning
 * encryption on or off never makes a segment unreadable while its key is configured. The backend sees the segment's
 * metadata without the envelope (with its own custom metadata, if it returned any).
 *
 * <p>Every file is encrypted in chunks ({@link ChunkedCipher}): a ranged read of the log maps the plaintext range to the
 * chunks that hold it, reads those bytes from the backend with one ranged read, and decrypts them as they are read;
 * the {@link ChunkCache} above keeps plaintext chunks and reads ahead as before. Indexes are read whole. A manifest
 * is sealed with its segment's data key behind a clear header ({@link #SEALED_MAGIC}, the segment id and the envelope),
 * so a rebuild of the remote index knows which key opens it.
 *
 * <p>A segment whose key is not configured fails its reads with a {@link KafkaStorageException} naming the key id
 * (logged at WARN at most once a minute per key); a chunk that fails authentication fails with a
 * {@link CorruptRecordException}. Neither returns a byte.
 *
 * <p>The orphan scrub lists the backend's objects directly ({@link RemoteStorageManagers#objectStorage}): object keys
 * are not encrypted.
 *
 * <p>Thread-safe: the keys are immutable and every call makes its own ciphers.
 */
public class EncryptedRemoteStorage implements RemoteStorageManager, SegmentManifestStorage {

    private static final Logger log = LoggerFactory.getLogger(EncryptedRemoteStorage.class);
    /** The first bytes of a sealed manifest: "STRS" (Strata remote sealed manifest). */
    static final byte[] SEALED_MAGIC = "STRS".getBytes(StandardCharsets.US_ASCII);

    private static final long MISSING_KEY_WARNING_INTERVAL_MS = 60_000;
    private static final int DATA_KEY_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    final RemoteStorageManager backend;
    private final RemoteEncryptionConfig config;
    private final KeyEncryptionKeys keys;
    private final ConcurrentMap<String, Long> missingKeyWarnings = new ConcurrentHashMap<>();

    EncryptedRemoteStorage(RemoteStorageManager backend, RemoteEncryptionConfig config, KeyEncryptionKeys keys) {
        this.backend = backend;
        this.config = config;
        this.keys = keys;
    }

    /**
     * {@code backend} as the broker should use it: wrapped when encryption is on or keys are configured (so that
     * encrypted segments stay readable after encryption is turned off), as it is otherwise.
     *
     * @throws org.apache.kafka.common.config.ConfigException if the keys cannot be loaded or the active one is missing
     */
    public static RemoteStorageManager wrap(RemoteStorageManager backend, RemoteEncryptionConfig config) {
        if (!config.enabled() && !config.keysConfigured()) {
            return backend;
        }
        KeyEncryptionKeys keys = config.loadKeys();
        log.info(
                "Remote tier encryption: {}, key ids {}",
                config.enabled() ? "new segments under key '" + config.activeKeyId() + "'" : "off for new segments",
                keys.ids());
        return backend instanceof ManifestBundlingStorage
                ? new EncryptedBundlingStorage(backend, config, keys)
                : new EncryptedRemoteStorage(backend, config, keys);
    }

    /** The backend this encrypts for. */
    public RemoteStorageManager backend() {
        return backend;
    }

    /** Whether the backend keeps manifests (implements {@link SegmentManifestStorage}). */
    boolean keepsManifests() {
        return backend instanceof SegmentManifestStorage;
    }

    /**
     * The custom metadata of a segment about to be copied: a fresh envelope (a random data key wrapped by the active
     * key, a random nonce prefix) when new segments are encrypted, null when they are not.
     */
    byte[] newSegmentMetadata() {
        if (!config.enabled()) {
            return null;
        }
        byte[] dataKey = new byte[DATA_KEY_BYTES];
        RANDOM.nextBytes(dataKey);
        byte[] prefix = new byte[SegmentEnvelope.NONCE_PREFIX_BYTES];
        RANDOM.nextBytes(prefix);
        byte[] wrapped = keys.wrap(config.activeKeyId(), new SecretKeySpec(dataKey, "AES"));
        Arrays.fill(dataKey, (byte) 0);
        return new SegmentEnvelope(config.chunkSize(), config.activeKeyId(), prefix, wrapped, null).toBytes();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        backend.configure(configs);
    }

    @Override
    public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data)
            throws RemoteStorageException {
        Optional<SegmentEnvelope> envelope = envelope(segment);
        if (envelope.isEmpty()) {
            return backend.copyLogSegmentData(segment, data);
        }
        try (EncryptedSegmentFiles files = encrypt(segment, envelope.get(), data)) {
            Optional<CustomMetadata> own = backend.copyLogSegmentData(forBackend(segment, envelope), files.data());
            byte[] backendMetadata = own.map(CustomMetadata::value).orElse(null);
            return Optional.of(new CustomMetadata(
                    envelope.get().withBackendMetadata(backendMetadata).toBytes()));
        }
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition)
            throws RemoteStorageException {
        Optional<SegmentEnvelope> envelope = envelope(segment);
        if (envelope.isEmpty()) {
            return backend.fetchLogSegment(segment, startPosition);
        }
        return fetchLog(segment, envelope, startPosition, segment.segmentSizeInBytes());
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition)
            throws RemoteStorageException {
        Optional<SegmentEnvelope> envelope = envelope(segment);
        if (envelope.isEmpty()) {
            return backend.fetchLogSegment(segment, startPosition, endPosition);
        }
        if (startPosition < 0 || endPosition < startPosition) {
            throw new IllegalArgumentException(
                    "need 0 <= startPosition <= endPosition, got " + startPosition + " and " + endPosition);
        }
        long end = Math.min((long) endPosition + 1, segment.segmentSizeInBytes());
        return fetchLog(segment, envelope, startPosition, end);
    }

    /** The plaintext bytes {@code [start, end)} of an encrypted log: the chunks that hold them, in one ranged read. */
    private InputStream fetchLog(
            RemoteLogSegmentMetadata segment, Optional<SegmentEnvelope> envelope, int start, long end)
            throws RemoteStorageException {
        ChunkedCipher cipher = cipher(segment, envelope.get());
        long size = segment.segmentSizeInBytes();
        if (start >= end) {
            return InputStream.nullInputStream();
        }
        int chunkSize = cipher.chunkSize();
        long cipherStart = ChunkedCipher.chunkStart(start, chunkSize);
        long cipherEnd = Math.min(
                ChunkedCipher.chunkStart(end - 1, chunkSize) + chunkSize + ChunkedCipher.TAG_BYTES,
                ChunkedCipher.cipherSize(size, chunkSize));
        if (cipherEnd > Integer.MAX_VALUE) {
            throw new RemoteStorageException("The encrypted log of " + describe(segment) + " is over 2 GiB");
        }
        InputStream in = backend.fetchLogSegment(forBackend(segment, envelope), (int) cipherStart, (int) cipherEnd - 1);
        return cipher.decryptingStream(ChunkedCipher.FileType.LOG, in, size, start, end);
    }

    @Override
    public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) throws RemoteStorageException {
        Optional<SegmentEnvelope> envelope = envelope(segment);
        if (envelope.isEmpty()) {
            return backend.fetchIndex(segment, indexType);
        }
        ChunkedCipher cipher = cipher(segment, envelope.get());
        byte[] sealed;
        try (InputStream in = backend.fetchIndex(forBackend(segment, envelope), indexType)) {
            sealed = in.readAllBytes();
        } catch (IOException e) {
            throw new RemoteStorageException("Reading the " + indexType + " of " + describe(segment) + " failed", e);
        }
        return new ByteArrayInputStream(cipher.decrypt(EncryptedSegmentFiles.fileType(indexType), sealed));
    }

    @Override
    public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        backend.deleteLogSegmentData(forBackend(segment, envelope(segment)));
    }

    @Override
    public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException {
        manifests().putManifest(forBackend(segment, envelope(segment)), seal(segment, manifest));
    }

    @Override
    public void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        manifests().deleteManifest(forBackend(segment, envelope(segment)));
    }

    @Override
    public Stream<byte[]> listManifests() throws RemoteStorageException {
        return manifests().listManifests().map(this::openManifest);
    }

    @Override
    public void close() throws IOException {
        backend.close();
    }

    /**
     * The manifest as it is stored: sealed with the segment's data key when the segment is encrypted. A segment whose
     * key is gone (a deletion after the key was retired) keeps a clear manifest: it holds no record.
     */
    byte[] seal(RemoteLogSegmentMetadata segment, byte[] manifest) {
        Optional<SegmentEnvelope> envelope = envelope(segment);
        if (envelope.isEmpty()) {
            return manifest;
        }
        ChunkedCipher cipher;
        try {
            cipher = cipher(segment, envelope.get());
        } catch (KafkaStorageException e) {
            return manifest;
        }
        byte[] header = envelope.get().withBackendMetadata(null).toBytes();
        byte[] sealed = cipher.encrypt(ChunkedCipher.FileType.MANIFEST, manifest);
        Uuid id = segment.remoteLogSegmentId().id();
        return ByteBuffer.allocate(SEALED_MAGIC.length + 16 + 4 + header.length + sealed.length)
                .put(SEALED_MAGIC)
                .putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits())
                .putInt(header.length)
                .put(header)
                .put(sealed)
                .array();
    }

    /**
     * A manifest as the index reads it: opened when it is sealed. A sealed manifest whose key is not configured stops
     * the listing (an {@link UncheckedIOException} naming the key), since a rebuild without it would lose history; one
     * that fails authentication is returned as it is, and the index rejects it as corrupt.
     */
    byte[] openManifest(byte[] stored) {
        if (stored.length < SEALED_MAGIC.length
                || !Arrays.equals(stored, 0, SEALED_MAGIC.length, SEALED_MAGIC, 0, SEALED_MAGIC.length)) {
            return stored;
        }
        ByteBuffer buffer = ByteBuffer.wrap(stored);
        try {
            buffer.position(SEALED_MAGIC.length);
            Uuid id = new Uuid(buffer.getLong(), buffer.getLong());
            int headerLength = buffer.getInt();
            SegmentEnvelope envelope = SegmentEnvelope.parse(buffer.slice(buffer.position(), headerLength));
            buffer.position(buffer.position() + headerLength);
            byte[] sealed = new byte[buffer.remaining()];
            buffer.get(sealed);
            SecretKey key = unwrap(envelope, id.toString());
            return new ChunkedCipher(key, envelope, id).decrypt(ChunkedCipher.FileType.MANIFEST, sealed);
        } catch (KafkaStorageException e) {
            throw new UncheckedIOException(new IOException(e.getMessage(), e));
        } catch (CorruptRecordException | IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            log.warn("A sealed remote manifest cannot be opened: {}", e.getMessage());
            return stored;
        }
    }

    private ChunkedCipher cipher(RemoteLogSegmentMetadata segment, SegmentEnvelope envelope) {
        Uuid id = segment.remoteLogSegmentId().id();
        return new ChunkedCipher(unwrap(envelope, describe(segment)), envelope, id);
    }

    private SecretKey unwrap(SegmentEnvelope envelope, String segment) {
        try {
            return keys.unwrap(envelope.keyId(), envelope.wrappedKey(), segment);
        } catch (KafkaStorageException e) {
            long now = System.currentTimeMillis();
            Long last = missingKeyWarnings.get(envelope.keyId());
            if (last == null || now - last >= MISSING_KEY_WARNING_INTERVAL_MS) {
                missingKeyWarnings.put(envelope.keyId(), now);
                log.warn("{} (logged at most once a minute per key id)", e.getMessage());
            }
            throw e;
        }
    }

    EncryptedSegmentFiles encrypt(RemoteLogSegmentMetadata segment, SegmentEnvelope envelope, LogSegmentData data)
            throws RemoteStorageException {
        try {
            return EncryptedSegmentFiles.write(cipher(segment, envelope), data, segment.segmentSizeInBytes());
        } catch (IOException | RuntimeException e) {
            throw new RemoteStorageException("Encrypting " + describe(segment) + " failed: " + e, e);
        }
    }

    static Optional<SegmentEnvelope> envelope(RemoteLogSegmentMetadata segment) {
        return segment.customMetadata().flatMap(custom -> SegmentEnvelope.of(custom.value()));
    }

    /** The segment's metadata as the backend knows it: with its own custom metadata in place of the envelope. */
    static RemoteLogSegmentMetadata forBackend(RemoteLogSegmentMetadata segment, Optional<SegmentEnvelope> envelope) {
        if (envelope.isEmpty()) {
            return segment;
        }
        return withCustomMetadata(segment, envelope.get().backendMetadata());
    }

    /** {@code segment} with {@code custom} as its custom metadata (none when empty). */
    static RemoteLogSegmentMetadata withCustomMetadata(RemoteLogSegmentMetadata segment, byte[] custom) {
        return new RemoteLogSegmentMetadata(
                segment.remoteLogSegmentId(),
                segment.startOffset(),
                segment.endOffset(),
                segment.maxTimestampMs(),
                segment.brokerId(),
                segment.eventTimestampMs(),
                segment.segmentSizeInBytes(),
                custom == null || custom.length == 0 ? Optional.empty() : Optional.of(new CustomMetadata(custom)),
                segment.state(),
                segment.segmentLeaderEpochs());
    }

    private SegmentManifestStorage manifests() throws RemoteStorageException {
        if (backend instanceof SegmentManifestStorage manifests) {
            return manifests;
        }
        throw new RemoteStorageException(backend.getClass().getName() + " keeps no segment manifests");
    }

    static String describe(RemoteLogSegmentMetadata segment) {
        return segment.remoteLogSegmentId().id() + " of " + segment.topicIdPartition();
    }

    /** The wrapper of a backend that stores a segment's manifest with its objects. */
    static final class EncryptedBundlingStorage extends EncryptedRemoteStorage implements ManifestBundlingStorage {

        EncryptedBundlingStorage(RemoteStorageManager backend, RemoteEncryptionConfig config, KeyEncryptionKeys keys) {
            super(backend, config, keys);
        }

        @Override
        public void copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data, ManifestSource manifest)
                throws RemoteStorageException {
            ManifestBundlingStorage bundling = (ManifestBundlingStorage) backend;
            Optional<SegmentEnvelope> envelope = envelope(segment);
            if (envelope.isEmpty()) {
                bundling.copyLogSegmentData(segment, data, manifest);
                return;
            }
            try (EncryptedSegmentFiles files = encrypt(segment, envelope.get(), data)) {
                bundling.copyLogSegmentData(
                        forBackend(segment, envelope), files.data(), () -> seal(segment, manifest.manifest()));
            }
        }
    }
}
