package dev.strata.tiering;

import dev.strata.index.OffsetPosition;
import dev.strata.index.RemoteAbortedTxn;
import dev.strata.index.TimestampOffset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a local segment's {@code .index}, {@code .timeindex} and {@code .txnindex} files into the entries the remote
 * index stores.
 *
 * <p>The bytes are Kafka's, big-endian, entries back to back:
 *
 * <pre>
 * .index      relativeOffset int32, position int32        (8 bytes per entry)
 * .timeindex  timestamp int64, relativeOffset int32       (12 bytes per entry)
 * .txnindex   version int16 (0), producerId int64, firstOffset int64, lastOffset int64, lastStableOffset int64
 *                                                         (34 bytes per entry, absolute offsets)
 * </pre>
 *
 * <p>Offsets are relative to the segment's base offset, which is why 4 bytes suffice. Kafka preallocates index files
 * and trims them when the segment is sealed, but a file that was not trimmed (after a crash) ends in zero entries;
 * reading stops at the first entry whose offset does not increase, as Kafka's own sanity check would reject anything
 * after it. Entries pointing beyond the segment make the file corrupt: the copy fails rather than store positions
 * that would send reads to the wrong bytes. A transaction index has no preallocation: a torn last entry (a crash
 * mid-append) is ignored, and an entry whose marker lies outside the segment makes the file corrupt.
 */
final class LocalIndexFiles {

    private static final int OFFSET_ENTRY_SIZE = 8;
    private static final int TIME_ENTRY_SIZE = 12;
    private static final int TXN_ENTRY_SIZE = 2 + 8 + 8 + 8 + 8;

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

    /**
     * The aborted transactions of a {@code .txnindex} file of the segment {@code [baseOffset, endOffset]}, in file
     * order (by marker offset); none when the segment has no such file.
     */
    static List<RemoteAbortedTxn> abortedTxns(Optional<Path> file, long baseOffset, long endOffset) throws IOException {
        if (file.isEmpty() || !Files.exists(file.get())) {
            return List.of();
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file.get()));
        List<RemoteAbortedTxn> entries = new ArrayList<>(bytes.remaining() / TXN_ENTRY_SIZE);
        long previous = -1;
        while (bytes.remaining() >= TXN_ENTRY_SIZE) {
            short version = bytes.getShort();
            long producerId = bytes.getLong();
            long firstOffset = bytes.getLong();
            long lastOffset = bytes.getLong();
            long lastStableOffset = bytes.getLong();
            if (version != 0
                    || lastOffset < baseOffset
                    || lastOffset > endOffset
                    || lastOffset <= previous
                    || firstOffset < 0
                    || firstOffset > lastOffset
                    || lastStableOffset < 0) {
                throw new IOException("Corrupt transaction index " + file.get() + ": entry (version " + version
                        + ", producer " + producerId + ", offsets " + firstOffset + " to " + lastOffset
                        + ", last stable offset " + lastStableOffset + ") does not fit the segment [" + baseOffset
                        + ", " + endOffset + "] after a marker at " + previous);
            }
            entries.add(new RemoteAbortedTxn(producerId, firstOffset, lastOffset, lastStableOffset));
            previous = lastOffset;
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
