package dev.strata.tiering;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * What a remote read returns: whole record batches in parts, in offset order, one part per remote segment read. A
 * part is either bytes in memory (a read-only view of the chunk cache's chunks) or a region of a segment's log file
 * ({@link LocalLogFiles}), which a fetch response sends from the file with {@code sendfile}. The files stay open until
 * {@link #close()}; whoever ends up with the records closes them, once they are sent or dropped (a channel no one closes
 * is closed by the JDK once it is garbage).
 */
public final class RemoteRecords implements AutoCloseable {

    /** Whole batches, or nothing ({@link #lastOffset()} -1). */
    public sealed interface Part permits Bytes, FileSlice {
        int size();

        /** The last offset of the part's last batch, -1 when it holds none. */
        long lastOffset();
    }

    /** Batches in memory. */
    public record Bytes(ByteBuffer buffer, long lastOffset) implements Part {
        @Override
        public int size() {
            return buffer.remaining();
        }
    }

    /** Batches at bytes {@code [position, position + size)} of an open log file, each checked against its CRC. */
    public record FileSlice(FileChannel channel, long position, int size, long lastOffset) implements Part {}

    /** A part without batches. */
    public static final Part EMPTY = new Bytes(ByteBuffer.allocate(0).asReadOnlyBuffer(), -1);

    private final List<Part> parts;
    private final int size;

    public RemoteRecords(List<Part> parts) {
        long total = 0;
        for (Part part : parts) {
            total += part.size();
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Records of " + total + " bytes do not fit one response");
        }
        this.parts = List.copyOf(parts);
        this.size = (int) total;
    }

    public List<Part> parts() {
        return parts;
    }

    public int sizeInBytes() {
        return size;
    }

    /** The offset after the last batch, -1 when there is none. */
    public long upperBound() {
        for (int i = parts.size() - 1; i >= 0; i--) {
            if (parts.get(i).lastOffset() >= 0) {
                return parts.get(i).lastOffset() + 1;
            }
        }
        return -1;
    }

    /**
     * Every part's bytes in one read-only buffer: the first part's own when it is the only one with bytes, else a copy
     * (file regions read from their files).
     *
     * @throws UncheckedIOException if a file cannot be read
     */
    public ByteBuffer toBuffer() {
        if (parts.get(0) instanceof Bytes first && first.size() == size) {
            return first.buffer();
        }
        ByteBuffer all = ByteBuffer.allocate(size);
        try {
            for (Part part : parts) {
                if (part instanceof Bytes bytes) {
                    all.put(bytes.buffer().duplicate());
                } else if (part instanceof FileSlice slice) {
                    readFully(slice, all);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all.flip().asReadOnlyBuffer();
    }

    private static void readFully(FileSlice slice, ByteBuffer into) throws IOException {
        ByteBuffer target = into.duplicate().limit(into.position() + slice.size());
        long at = slice.position();
        while (target.hasRemaining()) {
            int n = slice.channel().read(target, at);
            if (n < 0) {
                throw new EOFException("The remote log ends before byte " + (slice.position() + slice.size()));
            }
            at += n;
        }
        into.position(target.position());
    }

    /** Closes the files of the file regions; again is a no-op. */
    @Override
    public void close() {
        for (Part part : parts) {
            if (part instanceof FileSlice slice) {
                closeQuietly(slice.channel());
            }
        }
    }

    static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // read-only: nothing was written that closing could lose
        }
    }
}
