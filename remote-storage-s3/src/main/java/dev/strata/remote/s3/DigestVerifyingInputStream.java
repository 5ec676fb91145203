package dev.strata.remote.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * Passes a whole object through while hashing it, and fails the read that completes the object if the SHA-256 of
 * what was read differs from the digest stored with the object.
 *
 * <p>Used for reads of a whole log segment, which are too large to buffer before returning them. The check runs when
 * the object's last byte is read, not only at the end of the stream: a reader that knows the length and stops there
 * (as Strata's chunk cache does) still gets the verdict. A stream that ends before the object's length, or runs past
 * it, fails too. A reader that stops early gets no verdict; what it read is protected by the CRC32C of each record
 * batch, which the tiering layer checks. Skipped bytes are read and hashed, never jumped over, so a skip cannot bypass
 * the check.
 *
 * <p>A failed check is an {@link IOException} caused by a {@link CorruptRecordException}, the sign by which a reader
 * tells corrupt data from a store it could not reach; once failed, every further read fails the same way.
 */
final class DigestVerifyingInputStream extends FilterInputStream {

    private final MessageDigest digest = Sha256.newDigest();
    private final long objectLength;
    private final String expectedHex;
    private final String objectKey;
    private long count;
    private boolean verified;
    private String failure;

    /**
     * @param objectLength the object's length in bytes, or -1 if unknown (then the check runs at the end of the stream)
     */
    DigestVerifyingInputStream(InputStream in, long objectLength, String expectedHex, String objectKey) {
        super(in);
        this.objectLength = objectLength;
        this.expectedHex = expectedHex;
        this.objectKey = objectKey;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (failure != null) {
            throw corrupt(failure);
        }
        int n = super.read(buffer, offset, length);
        if (n < 0) {
            atEnd();
        } else {
            consumed(buffer, offset, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(8192, Math.max(n, 1))];
        long skipped = 0;
        while (skipped < n) {
            int read = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
            if (read < 0) {
                break;
            }
            skipped += read;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readLimit) {
        // not supported: a reset would feed bytes to the digest twice
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    private void consumed(byte[] buffer, int offset, int n) throws IOException {
        digest.update(buffer, offset, n);
        count += n;
        if (objectLength >= 0 && count > objectLength) {
            fail("has more than its " + objectLength + " bytes");
        }
        if (count == objectLength) {
            verify();
        }
    }

    private void atEnd() throws IOException {
        if (objectLength >= 0 && count < objectLength) {
            fail("ends after " + count + " of its " + objectLength + " bytes");
        }
        verify();
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        verified = true;
        String actual = Sha256.hex(digest);
        if (!actual.equals(expectedHex)) {
            fail("SHA-256 of the bytes read is " + actual + " but the object was stored with " + expectedHex);
        }
    }

    private void fail(String reason) throws IOException {
        failure = "Corrupted object " + objectKey + ": " + reason;
        throw corrupt(failure);
    }

    private static IOException corrupt(String message) {
        return new IOException(message, new CorruptRecordException(message));
    }
}
