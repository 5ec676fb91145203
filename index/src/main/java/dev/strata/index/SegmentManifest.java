package dev.strata.index;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Everything the remote index holds about one segment (its metadata, its offset and time index entries and the
 * aborted transactions of its transaction index), as a
 * small object that tiering stores in the bucket next to the segment's data. Listing the manifests of a bucket and
 * passing them to {@link RemoteIndexStore#rebuild} restores a broker's lost index: the bucket, not the broker's disk,
 * is the durable record of remote history.
 *
 * <p>The bytes (integers big-endian):
 *
 * <pre>
 * magic          4 bytes  "STRM" (Strata remote manifest), so a stray object is told apart at once
 * version        int8     1, or 2 when the segment has aborted transactions
 * segmentLength  int32    then segmentLength bytes of {@link RemoteSegmentCodec}
 * offsetCount    int32    then offsetCount times:  offset - startOffset int32, position int32
 * timeCount      int32    then timeCount times:    timestamp int64, offset - startOffset int32
 * abortedCount   int32    version 2 only, then abortedCount times:
 *                         producerId int64, firstOffset int64, lastOffset - startOffset int32, lastStableOffset int64
 * crc32c         int32    CRC32C of every byte before it
 * </pre>
 *
 * <p>Why this shape: a binary layout needs no library in a module that may depend only on RocksDB, and it is small
 * (a 1 GiB segment with Kafka's default 4 KiB index interval has about 260 000 offset entries, 2 MiB of manifest; a
 * JSON rendering would be several times that). The checksum covers the whole object so that a truncated upload or a
 * flipped bit is rejected rather than restored as wrong positions that would send reads to the wrong bytes. Offsets
 * are stored relative to the segment's start offset as in Kafka's {@code .index}. A reader rejects any version it does
 * not know; a later version may add fields only by bumping it.
 *
 * <p><b>Versions.</b> Version 2 adds the segment's aborted transactions (its {@code .txnindex} entries, whose first
 * offsets are absolute because a transaction may start in an earlier segment), so that a rebuilt index answers
 * {@code read_committed} fetches as the lost one did. A manifest is written as version 1 whenever the segment has no
 * aborted transaction, which is nearly always: a broker that reads only version 1 (one from before version 2, during a
 * rolling upgrade or after a downgrade) keeps reading those, and rejects only the manifests of segments with aborted
 * transactions, as it rejects a corrupt one: it leaves that segment out of a rebuild, and as a follower does not apply
 * it. This code reads both.
 *
 * <p>The manifest records the segment's state. Tiering writes it once the copy is complete (state
 * {@link RemoteSegmentState#COPY_FINISHED}), and should overwrite it with {@link RemoteSegmentState#DELETE_STARTED}
 * before deleting the segment's data, so that a rebuild in the middle of a deletion resumes the deletion instead of
 * offering half-deleted data to readers.
 *
 * @param segment the segment's metadata
 * @param offsetEntries offset index entries, each inside the segment's offsets and below its size
 * @param timeEntries time index entries, each inside the segment's offsets
 * @param abortedTxns the aborted transactions whose marker is inside the segment, by increasing marker offset
 */
public record SegmentManifest(
        RemoteSegment segment,
        List<OffsetPosition> offsetEntries,
        List<TimestampOffset> timeEntries,
        List<RemoteAbortedTxn> abortedTxns) {

    static final byte VERSION = 1;
    /** The version that adds aborted transactions; written only for a segment that has some. */
    static final byte VERSION_WITH_ABORTED_TXNS = 2;

    private static final byte[] MAGIC = "STRM".getBytes(StandardCharsets.US_ASCII);
    private static final int OFFSET_ENTRY_SIZE = 4 + 4;
    private static final int TIME_ENTRY_SIZE = 8 + 4;
    private static final int ABORTED_TXN_SIZE = 8 + 8 + 4 + 8;
    private static final int CRC_SIZE = 4;
    private static final int MIN_SIZE = MAGIC.length + 1 + 4 + 4 + 4 + CRC_SIZE;

    /**
     * @throws IllegalArgumentException if an entry lies outside the segment
     */
    public SegmentManifest {
        Objects.requireNonNull(segment, "segment");
        offsetEntries = List.copyOf(offsetEntries);
        timeEntries = List.copyOf(timeEntries);
        for (OffsetPosition entry : offsetEntries) {
            checkInSegment(segment, entry.offset(), entry);
            if (entry.position() >= segment.sizeInBytes()) {
                throw new IllegalArgumentException("Position of " + entry + " is not below the size "
                        + segment.sizeInBytes() + " of " + segment.id());
            }
        }
        for (TimestampOffset entry : timeEntries) {
            checkInSegment(segment, entry.offset(), entry);
        }
        abortedTxns = List.copyOf(abortedTxns);
        long previousMarker = -1;
        for (RemoteAbortedTxn txn : abortedTxns) {
            checkInSegment(segment, txn.lastOffset(), txn);
            if (txn.lastOffset() <= previousMarker) {
                throw new IllegalArgumentException("Aborted transactions of " + segment.id()
                        + " are not ordered by their markers' offsets: " + abortedTxns);
            }
            previousMarker = txn.lastOffset();
        }
    }

    /** A manifest of a segment without aborted transactions. */
    public SegmentManifest(
            RemoteSegment segment, List<OffsetPosition> offsetEntries, List<TimestampOffset> timeEntries) {
        this(segment, offsetEntries, timeEntries, List.of());
    }

    /** The manifest's bytes, as described in the class comment. */
    public byte[] toBytes() {
        int segmentSize = RemoteSegmentCodec.sizeOf(segment);
        int size = MIN_SIZE
                + segmentSize
                + offsetEntries.size() * OFFSET_ENTRY_SIZE
                + timeEntries.size() * TIME_ENTRY_SIZE
                + (abortedTxns.isEmpty() ? 0 : 4 + abortedTxns.size() * ABORTED_TXN_SIZE);
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.put(MAGIC);
        buffer.put(abortedTxns.isEmpty() ? VERSION : VERSION_WITH_ABORTED_TXNS);
        buffer.putInt(segmentSize);
        RemoteSegmentCodec.write(segment, buffer);
        buffer.putInt(offsetEntries.size());
        for (OffsetPosition entry : offsetEntries) {
            buffer.putInt(relative(entry.offset()));
            buffer.putInt(entry.position());
        }
        buffer.putInt(timeEntries.size());
        for (TimestampOffset entry : timeEntries) {
            buffer.putLong(entry.timestampMs());
            buffer.putInt(relative(entry.offset()));
        }
        if (!abortedTxns.isEmpty()) {
            buffer.putInt(abortedTxns.size());
            for (RemoteAbortedTxn txn : abortedTxns) {
                buffer.putLong(txn.producerId());
                buffer.putLong(txn.firstOffset());
                buffer.putInt(relative(txn.lastOffset()));
                buffer.putLong(txn.lastStableOffset());
            }
        }
        buffer.putInt(crc32c(buffer.array(), buffer.position()));
        return buffer.array();
    }

    /**
     * Parses and checks a manifest.
     *
     * @throws CorruptManifestException if the bytes are not a complete, intact manifest of a known version
     */
    public static SegmentManifest fromBytes(byte[] bytes) {
        if (bytes.length < MIN_SIZE) {
            throw new CorruptManifestException("Manifest of " + bytes.length + " bytes is too short");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CorruptManifestException("Not a segment manifest: wrong magic bytes");
        }
        int bodyEnd = bytes.length - CRC_SIZE;
        int storedCrc = ByteBuffer.wrap(bytes, bodyEnd, CRC_SIZE).getInt();
        if (storedCrc != crc32c(bytes, bodyEnd)) {
            throw new CorruptManifestException("Segment manifest checksum mismatch");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes, MAGIC.length, bodyEnd - MAGIC.length);
        byte version = buffer.get();
        if (version != VERSION && version != VERSION_WITH_ABORTED_TXNS) {
            throw new CorruptManifestException("Unsupported segment manifest version " + version);
        }
        try {
            int segmentSize = RemoteSegmentCodec.checkedCount(buffer, buffer.getInt(), 1);
            ByteBuffer segmentBytes = buffer.slice(buffer.position(), segmentSize);
            RemoteSegment segment = RemoteSegmentCodec.read(segmentBytes);
            if (segmentBytes.hasRemaining()) {
                throw new CorruptManifestException("Trailing bytes after the segment in a manifest");
            }
            buffer.position(buffer.position() + segmentSize);
            int offsetCount = RemoteSegmentCodec.checkedCount(buffer, buffer.getInt(), OFFSET_ENTRY_SIZE);
            List<OffsetPosition> offsetEntries = new ArrayList<>(offsetCount);
            for (int i = 0; i < offsetCount; i++) {
                offsetEntries.add(new OffsetPosition(segment.startOffset() + buffer.getInt(), buffer.getInt()));
            }
            int timeCount = RemoteSegmentCodec.checkedCount(buffer, buffer.getInt(), TIME_ENTRY_SIZE);
            List<TimestampOffset> timeEntries = new ArrayList<>(timeCount);
            for (int i = 0; i < timeCount; i++) {
                long timestampMs = buffer.getLong();
                timeEntries.add(new TimestampOffset(timestampMs, segment.startOffset() + buffer.getInt()));
            }
            List<RemoteAbortedTxn> abortedTxns = new ArrayList<>();
            if (version == VERSION_WITH_ABORTED_TXNS) {
                int abortedCount = RemoteSegmentCodec.checkedCount(buffer, buffer.getInt(), ABORTED_TXN_SIZE);
                for (int i = 0; i < abortedCount; i++) {
                    long producerId = buffer.getLong();
                    long firstOffset = buffer.getLong();
                    long lastOffset = segment.startOffset() + buffer.getInt();
                    abortedTxns.add(new RemoteAbortedTxn(producerId, firstOffset, lastOffset, buffer.getLong()));
                }
            }
            if (buffer.hasRemaining()) {
                throw new CorruptManifestException(buffer.remaining() + " trailing bytes in a segment manifest");
            }
            return new SegmentManifest(segment, offsetEntries, timeEntries, abortedTxns);
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new CorruptManifestException("Invalid segment manifest: " + e.getMessage(), e);
        }
    }

    private int relative(long offset) {
        return (int) (offset - segment.startOffset());
    }

    private static void checkInSegment(RemoteSegment segment, long offset, Object entry) {
        if (!segment.contains(offset)) {
            throw new IllegalArgumentException("Index entry " + entry + " lies outside offsets ["
                    + segment.startOffset() + ", " + segment.endOffset() + "] of " + segment.id());
        }
    }

    private static int crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
