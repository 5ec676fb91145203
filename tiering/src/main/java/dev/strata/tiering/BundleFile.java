package dev.strata.tiering;

import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.storage.api.SegmentIndexBundle.Section;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * The bundle file of a layout-2 segment in {@link FileSystemRemoteStorageManager}: the {@link SegmentIndexBundle}, byte
 * for byte as the S3 backend stores it, followed by a fixed-size trailer that plays the part of the S3 object's
 * metadata (which stores the digests there): the log's size and CRC32C, and the CRC32C of each section, so that a
 * ranged read of one section is checked without reading the others.
 *
 * <pre>
 * bundle      the SegmentIndexBundle, its table's offsets from the start of the file
 * magic       4 bytes  "STRF"
 * logSize     int64
 * logCrc      int32    CRC32C of the log file
 * sectionCrc  int32 times 6, by {@link Section} order (0 for a section the bundle does not have)
 * trailerCrc  int32    CRC32C of the trailer's bytes before it
 * </pre>
 */
final class BundleFile {

    private static final byte[] MAGIC = "STRF".getBytes(StandardCharsets.US_ASCII);
    private static final int SECTIONS = Section.values().length;
    static final int TRAILER_SIZE = MAGIC.length + 8 + 4 + 4 * SECTIONS + 4;

    /** The log's size and CRC32C, and each section's CRC32C, as the trailer records them. */
    record Trailer(SegmentChecksums.Entry log, int[] sectionCrcs) {}

    private BundleFile() {}

    /** Writes {@code bundle} and its trailer to {@code dir/name} atomically. */
    static void write(Path dir, String name, byte[] bundle, SegmentChecksums.Entry log) throws IOException {
        SegmentIndexBundle table = SegmentIndexBundle.parse(ByteBuffer.wrap(bundle), bundle.length);
        ByteBuffer out = ByteBuffer.allocate(bundle.length + TRAILER_SIZE);
        out.put(bundle).put(MAGIC).putLong(log.size()).putInt(log.crc32c());
        for (Section section : Section.values()) {
            out.putInt(table.range(section)
                    .map(range -> SegmentDirectory.crc32c(ByteBuffer.wrap(bundle, range.offset(), range.length())))
                    .orElse(0));
        }
        out.putInt(SegmentDirectory.crc32c(ByteBuffer.wrap(out.array(), bundle.length, TRAILER_SIZE - 4)));
        SegmentDirectory.writeAtomically(out.flip(), dir, name);
    }

    /**
     * The trailer of the bundle file open in {@code channel}.
     *
     * @throws CorruptRecordException if the file is too short or its trailer damaged
     */
    static Trailer trailer(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < TRAILER_SIZE) {
            throw new CorruptRecordException("the bundle file has " + size + " bytes, fewer than its trailer");
        }
        ByteBuffer bytes = SegmentDirectory.read(channel, size - TRAILER_SIZE, TRAILER_SIZE);
        int stored = bytes.getInt(TRAILER_SIZE - 4);
        if (stored != SegmentDirectory.crc32c(bytes.duplicate().limit(TRAILER_SIZE - 4))) {
            throw new CorruptRecordException("the bundle file's trailer does not match its checksum");
        }
        byte[] magic = new byte[MAGIC.length];
        bytes.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptRecordException("the bundle file has no trailer");
        }
        SegmentChecksums.Entry log = new SegmentChecksums.Entry(bytes.getLong(), bytes.getInt());
        int[] crcs = new int[SECTIONS];
        for (int i = 0; i < SECTIONS; i++) {
            crcs[i] = bytes.getInt();
        }
        return new Trailer(log, crcs);
    }

    /**
     * The bytes of {@code section} in the bundle file open in {@code channel}, read with two ranged reads (the table,
     * then the section) and checked against the trailer; empty if the segment has none.
     *
     * @throws CorruptRecordException if the file, its table or the section is damaged
     */
    static Optional<byte[]> section(FileChannel channel, Section section) throws IOException {
        Trailer trailer = trailer(channel);
        long bundleSize = channel.size() - TRAILER_SIZE;
        ByteBuffer head =
                SegmentDirectory.read(channel, 0, (int) Math.min(SegmentIndexBundle.MAX_HEADER_SIZE, bundleSize));
        SegmentIndexBundle table = SegmentIndexBundle.parse(head, bundleSize);
        Optional<SegmentIndexBundle.Range> range = table.range(section);
        if (range.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer bytes =
                SegmentDirectory.read(channel, range.get().offset(), range.get().length());
        if (bytes.remaining() != range.get().length()
                || SegmentDirectory.crc32c(bytes) != trailer.sectionCrcs()[section.ordinal()]) {
            throw new CorruptRecordException(
                    "the bundle file's " + section + " section does not match its CRC32C in the trailer");
        }
        return Optional.of(bytes.array());
    }
}
