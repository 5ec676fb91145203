package dev.strata.remote.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes a whole object through while hashing it, and fails the read that reaches the end of the stream if the
 * SHA-256 of what was read differs from the digest stored with the object.
 *
 * <p>Used for full reads of a log segment, which are too large to buffer before returning them. A reader that stops
 * early gets no verdict; what it read is protected by the CRC32C of each record batch, which the tiering layer
 * checks. Skipped bytes are read and hashed, never jumped over, so a skip cannot bypass the check.
 */
final class DigestVerifyingInputStream extends FilterInputStream {

    private final MessageDigest digest = Sha256.newDigest();
    private final String expectedHex;
    private final String objectKey;
    private boolean verified;

    DigestVerifyingInputStream(InputStream in, String expectedHex, String objectKey) {
        super(in);
        this.expectedHex = expectedHex;
        this.objectKey = objectKey;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            verify();
        } else {
            digest.update((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n < 0) {
            verify();
        } else {
            digest.update(buffer, offset, n);
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

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        verified = true;
        String actual = Sha256.hex(digest);
        if (!actual.equals(expectedHex)) {
            throw new IOException("Corrupted object " + objectKey + ": SHA-256 of the bytes read is " + actual
                    + " but the object was stored with " + expectedHex);
        }
    }
}
