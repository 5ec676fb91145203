package dev.strata.tiering;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * The encrypted form of one file of a remote segment: AES-256-GCM over chunks of {@code chunkSize} plaintext bytes,
 * each decryptable on its own, so that a ranged read of the log fetches and decrypts only the chunks it covers.
 *
 * <p>The bytes: for each chunk {@code i} in order, its ciphertext (as long as its plaintext: {@code chunkSize}, the
 * last one shorter) followed by its 16-byte GCM tag; nothing else. An empty file is one empty chunk (a tag alone), so
 * that an object cut to nothing fails to decrypt. The ciphertext of plaintext position {@code p} is in chunk
 * {@code p / chunkSize}, which starts at byte {@code (p / chunkSize) * (chunkSize + 16)}: a reader maps a plaintext
 * range to a ciphertext range with no table.
 *
 * <p>Chunk {@code i}'s nonce is the segment's 7-byte prefix ({@link SegmentEnvelope}), the file type and {@code i}
 * (4 bytes); the data key is fresh per segment, so no nonce repeats under a key. Its additional authenticated data
 * binds the segment id, the file type, {@code i} and whether it is the file's last chunk: a chunk moved to another
 * position, another file or another segment, or a file cut at a chunk boundary, fails authentication like a changed
 * byte, and a reader gets a {@link CorruptRecordException}, never wrong bytes.
 *
 * <p>Instances are immutable and thread-safe; each call makes its own {@link Cipher}.
 */
final class ChunkedCipher {

    /** The GCM tag after each chunk. */
    static final int TAG_BYTES = 16;

    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    /** The files of a segment, each encrypted under its own nonces. */
    enum FileType {
        LOG(1),
        OFFSET_INDEX(2),
        TIME_INDEX(3),
        TRANSACTION_INDEX(4),
        PRODUCER_SNAPSHOT(5),
        LEADER_EPOCH_CHECKPOINT(6),
        MANIFEST(7);

        final byte id;

        FileType(int id) {
            this.id = (byte) id;
        }
    }

    private final SecretKey dataKey;
    private final byte[] noncePrefix;
    private final int chunkSize;
    private final Uuid segmentId;

    ChunkedCipher(SecretKey dataKey, SegmentEnvelope envelope, Uuid segmentId) {
        this.dataKey = dataKey;
        this.noncePrefix = envelope.noncePrefix();
        this.chunkSize = envelope.chunkSize();
        this.segmentId = segmentId;
    }

    int chunkSize() {
        return chunkSize;
    }

    /** The chunks of a file of {@code plainSize} bytes: at least one. */
    static long chunkCount(long plainSize, int chunkSize) {
        return Math.max(1, (plainSize + chunkSize - 1) / chunkSize);
    }

    /** The encrypted size of a file of {@code plainSize} bytes. */
    static long cipherSize(long plainSize, int chunkSize) {
        return plainSize + TAG_BYTES * chunkCount(plainSize, chunkSize);
    }

    /** The plaintext size of an encrypted file of {@code cipherSize} bytes. */
    static long plainSize(long cipherSize, int chunkSize) {
        long chunks = Math.max(1, (cipherSize + chunkSize + TAG_BYTES - 1) / (chunkSize + TAG_BYTES));
        long plain = cipherSize - TAG_BYTES * chunks;
        if (plain < 0) {
            throw new CorruptRecordException("An encrypted file of " + cipherSize + " bytes is too short");
        }
        return plain;
    }

    /** Where the chunk holding plaintext position {@code plainPosition} starts in the encrypted file. */
    static long chunkStart(long plainPosition, int chunkSize) {
        return (plainPosition / chunkSize) * (chunkSize + TAG_BYTES);
    }

    /** Encrypts the first {@code plainSize} bytes of {@code in} to {@code out}. */
    void encrypt(FileType type, InputStream in, long plainSize, OutputStream out) throws IOException {
        long chunks = chunkCount(plainSize, chunkSize);
        byte[] plain = new byte[(int) Math.min(chunkSize, Math.max(plainSize, 0))];
        for (long i = 0; i < chunks; i++) {
            int length = (int) Math.min(chunkSize, plainSize - i * chunkSize);
            int read = in.readNBytes(plain, 0, length);
            if (read != length) {
                throw new IOException("The " + type + " file ended at byte " + (i * chunkSize + read) + " of "
                        + plainSize + " while it was being encrypted");
            }
            out.write(seal(type, i, i == chunks - 1, plain, length));
        }
    }

    /** {@code plain} encrypted whole. */
    byte[] encrypt(FileType type, byte[] plain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) cipherSize(plain.length, chunkSize));
        try {
            encrypt(type, new ByteArrayInputStream(plain), plain.length, out);
        } catch (IOException e) {
            throw new IllegalStateException("in-memory streams do not fail", e);
        }
        return out.toByteArray();
    }

    /**
     * A whole encrypted file, decrypted.
     *
     * @throws CorruptRecordException if any chunk fails authentication or the file is cut short
     */
    byte[] decrypt(FileType type, byte[] cipherText) {
        long plainSize = plainSize(cipherText.length, chunkSize);
        try (InputStream in = decryptingStream(type, new ByteArrayInputStream(cipherText), plainSize, 0, plainSize)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CorruptRecordException(
                    "The encrypted " + type + " of remote segment " + segmentId + " cannot be read: " + e.getMessage(),
                    e);
        }
    }

    /**
     * The plaintext bytes {@code [start, end)} of a file of {@code plainSize} bytes, from {@code cipherText}: the
     * encrypted file from the start of the chunk that holds {@code start} ({@link #chunkStart}) to at least the end of
     * the chunk that holds {@code end - 1}. Chunks are read and decrypted as the stream is read; a chunk that fails
     * authentication, or ciphertext that ends early, fails the read with a {@link CorruptRecordException}. Closing
     * the stream closes {@code cipherText}.
     */
    InputStream decryptingStream(FileType type, InputStream cipherText, long plainSize, long start, long end) {
        if (start < 0 || end < start || end > plainSize) {
            throw new IllegalArgumentException(
                    "Range [" + start + ", " + end + ") is outside a file of " + plainSize + " bytes");
        }
        return new DecryptingStream(type, cipherText, plainSize, start, end);
    }

    private byte[] seal(FileType type, long index, boolean last, byte[] plain, int length) {
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, type, index, last);
            return cipher.doFinal(plain, 0, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e, e);
        }
    }

    private byte[] open(FileType type, long index, boolean last, byte[] sealed, int length) {
        try {
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, type, index, last);
            return cipher.doFinal(sealed, 0, length);
        } catch (AEADBadTagException e) {
            throw new CorruptRecordException("Chunk " + index + " of the " + type + " of remote segment " + segmentId
                    + " fails authentication: the object was changed, its chunks moved, or the key is wrong");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e, e);
        }
    }

    private Cipher cipher(int mode, FileType type, long index, boolean last) throws GeneralSecurityException {
        if (index > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("A file of more than 2^32 chunks cannot be encrypted");
        }
        byte[] nonce = ByteBuffer.allocate(12)
                .put(noncePrefix)
                .put(type.id)
                .putInt((int) index)
                .array();
        Cipher cipher = Cipher.getInstance(TRANSFORMATION);
        cipher.init(mode, dataKey, new GCMParameterSpec(TAG_BYTES * 8, nonce));
        cipher.updateAAD(ByteBuffer.allocate(16 + 1 + 4 + 1)
                .putLong(segmentId.getMostSignificantBits())
                .putLong(segmentId.getLeastSignificantBits())
                .put(type.id)
                .putInt((int) index)
                .put((byte) (last ? 1 : 0))
                .array());
        return cipher;
    }

    /** Decrypts chunk after chunk as it is read. Not thread-safe, as streams are not. */
    private final class DecryptingStream extends InputStream {
        private final FileType type;
        private final InputStream in;
        private final long chunks;
        private final long plainSize;
        private final long end;
        private final byte[] sealed;
        /** The next chunk to decrypt. */
        private long chunk;
        /** The plaintext position of {@code plain[0]}. */
        private long plainStart;

        private byte[] plain = new byte[0];
        private int position;
        private long skip;
        private boolean started;

        DecryptingStream(FileType type, InputStream in, long plainSize, long start, long end) {
            this.type = type;
            this.in = in;
            this.chunks = chunkCount(plainSize, chunkSize);
            this.plainSize = plainSize;
            this.end = end;
            this.sealed = new byte[chunkSize + TAG_BYTES];
            this.chunk = start / chunkSize;
            this.plainStart = chunk * chunkSize;
            this.skip = start - plainStart;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (position == plain.length) {
                // the first chunk is always opened, so that even an empty file's tag is checked
                if ((started && plainStart + plain.length >= end) || chunk >= chunks) {
                    return -1;
                }
                nextChunk();
                started = true;
            }
            int n = (int) Math.min(Math.min(len, plain.length - position), end - (plainStart + position));
            if (n <= 0) {
                return -1;
            }
            System.arraycopy(plain, position, b, off, n);
            position += n;
            return n;
        }

        private void nextChunk() throws IOException {
            plainStart += plain.length;
            int plainLength = (int) Math.min(chunkSize, plainSize - chunk * chunkSize);
            int length = plainLength + TAG_BYTES;
            int read = in.readNBytes(sealed, 0, length);
            if (read != length) {
                throw new CorruptRecordException("The encrypted " + type + " of remote segment " + segmentId
                        + " ends inside chunk " + chunk + " (" + read + " of its " + length + " bytes)");
            }
            plain = open(type, chunk, chunk == chunks - 1, sealed, length);
            chunk++;
            position = (int) Math.min(skip, plain.length);
            skip -= position;
        }

        @Override
        public void close() throws IOException {
            Arrays.fill(plain, (byte) 0);
            in.close();
        }
    }
}
