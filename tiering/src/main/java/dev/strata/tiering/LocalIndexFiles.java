package dev.strata.tiering;

import dev.strata.index.OffsetPosition;
import dev.strata.index.TimestampOffset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a local segment's {@code .index} and {@code .timeindex} files into the entries the remote index stores.
 *
 * <p>The bytes are Kafka's, big-endian, entries back to back:
 *
 * <pre>
 * .index      relativeOffset int32, position int32        (8 bytes per entry)
 * .timeindex  timestamp int64, relativeOffset int32       (12 bytes per entry)
 * </pre>
 *
 * <p>Offsets are relative to the segment's base offset, which is why 4 bytes suffice. Kafka preallocates index files
 * and trims them when the segment is sealed, but a file that was not trimmed (after a crash) ends in zero entries;
 * reading stops at the first entry whose offset does not increase, as Kafka's own sanity check would reject anything
 * after it. Entries pointing beyond the segment make the file corrupt: the copy fails rather than store positions
 * that would send reads to the wrong bytes.
 */
final class LocalIndexFiles {

    private static final int OFFSET_ENTRY_SIZE = 8;
    private static final int TIME_ENTRY_SIZE = 12;

    private LocalIndexFiles() {}

    /** The entries of an {@code .index} file of the segment starting at {@code baseOffset}. */
    static List<OffsetPosition> offsetEntries(Path file, long baseOffset, long endOffset, long sizeInBytes)
            throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        List<OffsetPosition> entries = new ArrayList<>(bytes.remaining() / OFFSET_ENTRY_SIZE);
        long previous = -1;
        while (bytes.remaining() >= OFFSET_ENTRY_SIZE) {
            long offset = baseOffset + Integer.toUnsignedLong(bytes.getInt());
            int position = bytes.getInt();
            if (offset <= previous) {
                break;
            }
            if (offset > endOffset || position < 0 || position >= sizeInBytes) {
                throw new IOException("Corrupt offset index " + file + ": entry (" + offset + ", " + position
                        + ") is outside the segment [" + baseOffset + ", " + endOffset + "] of " + sizeInBytes
                        + " bytes");
            }
            entries.add(new OffsetPosition(offset, position));
            previous = offset;
        }
        return entries;
    }

    /** The entries of a {@code .timeindex} file of the segment starting at {@code baseOffset}. */
    static List<TimestampOffset> timeEntries(Path file, long baseOffset, long endOffset) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        List<TimestampOffset> entries = new ArrayList<>(bytes.remaining() / TIME_ENTRY_SIZE);
        long previous = -1;
        while (bytes.remaining() >= TIME_ENTRY_SIZE) {
            long timestamp = bytes.getLong();
            long offset = baseOffset + Integer.toUnsignedLong(bytes.getInt());
            if (offset <= previous) {
                break;
            }
            if (offset > endOffset) {
                throw new IOException("Corrupt time index " + file + ": offset " + offset + " is outside the segment ["
                        + baseOffset + ", " + endOffset + "]");
            }
            entries.add(new TimestampOffset(timestamp, offset));
            previous = offset;
        }
        return entries;
    }
}
