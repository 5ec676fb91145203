package dev.strata.tiering;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * How one remote segment is encrypted, in the clear: the id of the key-encryption key (KEK) that wrapped the segment's
 * data key, the wrapped data key, the nonce prefix of its chunks and the plaintext bytes per chunk. It is the start
 * of the segment's custom metadata ({@code RemoteSegment.customMetadata()}), so it travels with the segment through
 * the remote index, its manifest and the replicated record of its copy: a reader learns from the metadata it already
 * holds whether and how a segment is encrypted, and which key it needs, before it reads a byte of the segment. A
 * segment whose custom metadata does not start with the magic is plaintext (written before encryption was turned on).
 *
 * <p>The bytes (integers big-endian):
 *
 * <pre>
 * magic        4 bytes  "STRE" (Strata remote encryption)
 * version      int8     1
 * chunkSize    int32    plaintext bytes per chunk ({@link ChunkedCipher})
 * keyIdLength  int16    then the KEK's id, UTF-8
 * noncePrefix  7 bytes  random, the first bytes of every chunk's nonce
 * wrappedKey   int16    length, then the data key sealed by the KEK ({@link KeyEncryptionKeys#wrap})
 * backend      the rest: the custom metadata the storage backend returned from its copy, if any
 * </pre>
 *
 * <p>The data key is random per segment, so a nonce (prefix, file, chunk number) is never used twice with one key.
 *
 * @param chunkSize plaintext bytes per chunk
 * @param keyId the id of the KEK that wrapped {@code wrappedKey}
 * @param noncePrefix {@value #NONCE_PREFIX_BYTES} random bytes
 * @param wrappedKey the segment's data key, sealed by the KEK
 * @param backendMetadata what the backend returned from its copy (usually nothing)
 */
public record SegmentEnvelope(
        int chunkSize, String keyId, byte[] noncePrefix, byte[] wrappedKey, byte[] backendMetadata) {

    /** The length of the nonce prefix; the nonce adds a file type byte and a 4-byte chunk number. */
    public static final int NONCE_PREFIX_BYTES = 7;

    static final byte VERSION = 1;
    private static final byte[] MAGIC = "STRE".getBytes(StandardCharsets.US_ASCII);

    public SegmentEnvelope {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be positive: " + chunkSize);
        }
        if (noncePrefix.length != NONCE_PREFIX_BYTES) {
            throw new IllegalArgumentException("the nonce prefix must have " + NONCE_PREFIX_BYTES + " bytes");
        }
        noncePrefix = noncePrefix.clone();
        wrappedKey = wrappedKey.clone();
        backendMetadata = backendMetadata == null ? new byte[0] : backendMetadata.clone();
    }

    /** The envelope at the start of a segment's custom metadata; empty when the segment is not encrypted. */
    public static Optional<SegmentEnvelope> of(byte[] customMetadata) {
        if (customMetadata == null
                || customMetadata.length < MAGIC.length
                || !Arrays.equals(customMetadata, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        return Optional.of(parse(ByteBuffer.wrap(customMetadata)));
    }

    /** Whether {@code bytes} start with the envelope's magic. */
    static boolean startsWithMagic(byte[] bytes) {
        return bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** Reads an envelope from {@code buffer}'s position; the rest of the buffer is the backend's metadata. */
    static SegmentEnvelope parse(ByteBuffer buffer) {
        try {
            buffer.position(buffer.position() + MAGIC.length);
            byte version = buffer.get();
            if (version != VERSION) {
                throw new CorruptRecordException("Unsupported remote segment encryption version " + version);
            }
            int chunkSize = buffer.getInt();
            byte[] keyId = new byte[buffer.getShort()];
            buffer.get(keyId);
            byte[] prefix = new byte[NONCE_PREFIX_BYTES];
            buffer.get(prefix);
            byte[] wrapped = new byte[buffer.getShort()];
            buffer.get(wrapped);
            byte[] backend = new byte[buffer.remaining()];
            buffer.get(backend);
            return new SegmentEnvelope(chunkSize, new String(keyId, StandardCharsets.UTF_8), prefix, wrapped, backend);
        } catch (RuntimeException e) {
            if (e instanceof CorruptRecordException corrupt) {
                throw corrupt;
            }
            throw new CorruptRecordException("Malformed remote segment encryption metadata: " + e, e);
        }
    }

    /** The bytes above, backend metadata included. */
    public byte[] toBytes() {
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length
                + 1
                + 4
                + 2
                + id.length
                + NONCE_PREFIX_BYTES
                + 2
                + wrappedKey.length
                + backendMetadata.length);
        out.put(MAGIC)
                .put(VERSION)
                .putInt(chunkSize)
                .putShort((short) id.length)
                .put(id);
        out.put(noncePrefix).putShort((short) wrappedKey.length).put(wrappedKey).put(backendMetadata);
        return out.array();
    }

    /** This envelope with the backend's custom metadata in place of what it held. */
    public SegmentEnvelope withBackendMetadata(byte[] metadata) {
        return new SegmentEnvelope(chunkSize, keyId, noncePrefix, wrappedKey, metadata);
    }

    @Override
    public byte[] noncePrefix() {
        return noncePrefix.clone();
    }

    @Override
    public byte[] wrappedKey() {
        return wrappedKey.clone();
    }

    @Override
    public byte[] backendMetadata() {
        return backendMetadata.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SegmentEnvelope other
                && chunkSize == other.chunkSize
                && keyId.equals(other.keyId)
                && Arrays.equals(noncePrefix, other.noncePrefix)
                && Arrays.equals(wrappedKey, other.wrappedKey)
                && Arrays.equals(backendMetadata, other.backendMetadata);
    }

    @Override
    public int hashCode() {
        return 31 * keyId.hashCode() + Arrays.hashCode(wrappedKey);
    }

    @Override
    public String toString() {
        return "SegmentEnvelope[keyId=" + keyId + ", chunkSize=" + chunkSize + "]";
    }
}
