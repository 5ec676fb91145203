package dev.strata.tiering;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.zip.CRC32C;
import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * A stream over the byte range {@code [start, end)} of a file, read with positional reads on one {@link FileChannel}
 * (closed with the stream).
 *
 * <p>When the range is a whole file whose CRC32C is known, the stream checks it as the bytes go by and fails the read
 * that reaches the end if they do not match, so a reader that consumes the stream to its end never takes a corrupt file
 * for a good one. Skipping turns the check off, since skipped bytes are not seen. A mismatch, or a file that ends
 * before the range does, is an {@link IOException} caused by a {@link CorruptRecordException}.
 */
final class FileRangeInputStream extends InputStream {

    private final FileChannel channel;
    private final long end;
    private final String description;
    private final int expectedCrc;
    private long position;
    private CRC32C crc;

    FileRangeInputStream(FileChannel channel, long start, long end, OptionalInt expectedCrc, String description) {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("invalid range [" + start + ", " + end + ")");
        }
        this.channel = channel;
        this.position = start;
        this.end = end;
        this.description = description;
        this.crc = expectedCrc.isPresent() ? new CRC32C() : null;
        this.expectedCrc = expectedCrc.orElse(0);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (length == 0) {
            return 0;
        }
        long remaining = end - position;
        if (remaining <= 0) {
            verifyAtEnd();
            return -1;
        }
        ByteBuffer target = ByteBuffer.wrap(bytes, offset, (int) Math.min(length, remaining));
        int n = channel.read(target, position);
        if (n < 0) {
            throw corrupt(description + " is shorter than expected: ended at byte " + position);
        }
        if (crc != null) {
            crc.update(bytes, offset, n);
        }
        position += n;
        if (position == end) {
            verifyAtEnd();
        }
        return n;
    }

    @Override
    public long skip(long n) {
        long skipped = Math.max(0, Math.min(n, end - position));
        if (skipped > 0) {
            crc = null;
        }
        position += skipped;
        return skipped;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, end - position);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static IOException corrupt(String message) {
        return new IOException(message, new CorruptRecordException(message));
    }

    private void verifyAtEnd() throws IOException {
        if (crc != null && (int) crc.getValue() != expectedCrc) {
            // crc stays set: every later read at the end fails the same way
            throw corrupt(description + " is corrupt: its CRC32C does not match the checksum sidecar");
        }
        crc = null;
    }
}
