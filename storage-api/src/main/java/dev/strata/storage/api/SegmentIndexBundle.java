package dev.strata.storage.api;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * The second of the two objects of a remote segment in layout 2: every file of the segment but its log (offset, time
 * and transaction indexes, producer snapshot, leader-epoch checkpoint) and, when Strata tiers it, the segment's
 * manifest, one after the other behind a table of contents. The log is the other object, alone, so that a read of
 * records is one ranged GET of it.
 *
 * <p>Why one object: object stores bill per request. Layout 1 stored each file as an object of its own, six objects
 * and a manifest per segment; with 1 MiB segments the PUTs of a GiB cost more than storing it for a month. Two
 * objects make it two PUTs (plus the parts of a multipart log upload). Reads lose nothing: Strata reads records by
 * positions from its own index and never fetches these files on the read path, and Apache Kafka fetches the indexes of
 * a segment together, which one GET of this object serves.
 *
 * <p>The bytes (integers big-endian):
 *
 * <pre>
 * magic       4 bytes  "STRX" (Strata remote indexes), so a stray object is told apart at once
 * version     int8     1
 * count       int8     then count times: section int8 ({@link Section#id()}), offset int32, length int32
 * headerCrc   int32    CRC32C of every byte before it
 * sections    the sections' bytes, at the offsets the table gives, in {@link Section} order, nothing between them
 * </pre>
 *
 * <p>The table says where each section is, so a reader that wants only one (the manifest, when a broker rebuilds its
 * index) reads the header and that range. The header carries its own checksum and so does the manifest; the other
 * sections are covered by the whole object's digest, which the backend stores and checks when it reads the object
 * whole. A section that the segment does not have (a transaction index, a manifest when Apache Kafka tiers) is left
 * out of the table. A reader rejects any version it does not know.
 */
public final class SegmentIndexBundle {

    /**
     * The suffix of a bundle's key or file name after the segment's stem ({@code <stem>.log} is the log's), so that
     * tools that list a backend's objects, such as the orphan scrub, know which object holds a segment's manifest.
     */
    public static final String SUFFIX = "indexes";

    /** The version of this format. */
    public static final byte VERSION = 1;

    private static final byte[] MAGIC = "STRX".getBytes(StandardCharsets.US_ASCII);
    private static final int ENTRY_SIZE = 1 + 4 + 4;

    /** The longest header: a reader that reads this many bytes from the start of the object has the whole table. */
    public static final int MAX_HEADER_SIZE = headerSize(6);

    /** The sections, in the order they are written: the small ones that are read alone first. */
    public enum Section {
        MANIFEST(0),
        LEADER_EPOCH_CHECKPOINT(1),
        PRODUCER_SNAPSHOT(2),
        TRANSACTION_INDEX(3),
        TIME_INDEX(4),
        OFFSET_INDEX(5);

        private final byte id;

        Section(int id) {
            this.id = (byte) id;
        }

        public byte id() {
            return id;
        }

        /** The section that holds the file Kafka's {@code fetchIndex} asks for as {@code type}. */
        public static Section of(RemoteStorageManager.IndexType type) {
            return switch (type) {
                case OFFSET -> OFFSET_INDEX;
                case TIMESTAMP -> TIME_INDEX;
                case TRANSACTION -> TRANSACTION_INDEX;
                case PRODUCER_SNAPSHOT -> PRODUCER_SNAPSHOT;
                case LEADER_EPOCH -> LEADER_EPOCH_CHECKPOINT;
            };
        }

        static Section ofId(byte id) {
            for (Section section : values()) {
                if (section.id == id) {
                    return section;
                }
            }
            throw new CorruptRecordException("Unknown section " + id + " in a segment index bundle");
        }
    }

    /** Where a section lies in the object. */
    public record Range(int offset, int length) {
        public int end() {
            return offset + length;
        }
    }

    private final Map<Section, Range> table;
    private final int headerSize;

    private SegmentIndexBundle(Map<Section, Range> table, int headerSize) {
        this.table = table;
        this.headerSize = headerSize;
    }

    /**
     * The bundle of a segment's files, with {@code manifest} (or none when null).
     *
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if the files add up to more than an array can hold
     */
    public static byte[] write(LogSegmentData data, byte[] manifest) throws IOException {
        Map<Section, ByteBuffer> sections = new EnumMap<>(Section.class);
        if (manifest != null) {
            sections.put(Section.MANIFEST, ByteBuffer.wrap(manifest));
        }
        sections.put(Section.LEADER_EPOCH_CHECKPOINT, data.leaderEpochIndex().duplicate());
        sections.put(Section.PRODUCER_SNAPSHOT, ByteBuffer.wrap(Files.readAllBytes(data.producerSnapshotIndex())));
        if (data.transactionIndex().isPresent()) {
            sections.put(
                    Section.TRANSACTION_INDEX,
                    ByteBuffer.wrap(Files.readAllBytes(data.transactionIndex().get())));
        }
        sections.put(Section.TIME_INDEX, ByteBuffer.wrap(Files.readAllBytes(data.timeIndex())));
        sections.put(Section.OFFSET_INDEX, ByteBuffer.wrap(Files.readAllBytes(data.offsetIndex())));
        return write(sections);
    }

    static byte[] write(Map<Section, ByteBuffer> sections) {
        int headerSize = headerSize(sections.size());
        long total = headerSize;
        for (ByteBuffer section : sections.values()) {
            total += section.remaining();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("A segment's indexes of " + total + " bytes do not fit one bundle");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        out.put(MAGIC).put(VERSION).put((byte) sections.size());
        int offset = headerSize;
        for (Map.Entry<Section, ByteBuffer> section : new EnumMap<>(sections).entrySet()) {
            int length = section.getValue().remaining();
            out.put(section.getKey().id()).putInt(offset).putInt(length);
            offset += length;
        }
        out.putInt(crc32c(out.array(), out.position()));
        for (ByteBuffer section : new EnumMap<>(sections).values()) {
            out.put(section.duplicate());
        }
        return out.array();
    }

    /**
     * Reads the table of contents from the first bytes of a bundle ({@link #MAX_HEADER_SIZE} are always enough, the
     * whole object too) and checks it against {@code objectSize}.
     *
     * @throws CorruptRecordException if the bytes do not start an intact bundle of a known version, or a section lies
     *     outside the object
     */
    public static SegmentIndexBundle parse(ByteBuffer start, long objectSize) {
        ByteBuffer buffer = start.duplicate();
        try {
            byte[] magic = new byte[MAGIC.length];
            buffer.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new CorruptRecordException("Not a segment index bundle: wrong magic bytes");
            }
            byte version = buffer.get();
            if (version != VERSION) {
                throw new CorruptRecordException("Unsupported segment index bundle version " + version);
            }
            int count = buffer.get();
            if (count < 0 || count > Section.values().length) {
                throw new CorruptRecordException("Segment index bundle with " + count + " sections");
            }
            int headerSize = headerSize(count);
            ByteBuffer header = start.duplicate().limit(start.position() + headerSize - 4);
            byte[] headerBytes = new byte[header.remaining()];
            header.get(headerBytes);
            int storedCrc = start.getInt(start.position() + headerSize - 4);
            if (storedCrc != crc32c(headerBytes, headerBytes.length)) {
                throw new CorruptRecordException("Segment index bundle header checksum mismatch");
            }
            Map<Section, Range> table = new EnumMap<>(Section.class);
            for (int i = 0; i < count; i++) {
                Section section = Section.ofId(buffer.get());
                Range range = new Range(buffer.getInt(), buffer.getInt());
                if (range.offset() < headerSize || range.length() < 0 || (long) range.end() > objectSize) {
                    throw new CorruptRecordException("Section " + section + " at " + range
                            + " lies outside the segment index bundle of " + objectSize + " bytes");
                }
                if (table.put(section, range) != null) {
                    throw new CorruptRecordException("Section " + section + " twice in a segment index bundle");
                }
            }
            return new SegmentIndexBundle(table, headerSize);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new CorruptRecordException("Segment index bundle header is truncated", e);
        }
    }

    /** Where {@code section} lies in the object, or empty if the segment has none. */
    public Optional<Range> range(Section section) {
        return Optional.ofNullable(table.get(section));
    }

    /** The bytes of the header and its table. */
    public int headerSize() {
        return headerSize;
    }

    /** The bytes of {@code section} in {@code object}, the whole bundle; empty if the segment has none. */
    public Optional<ByteBuffer> section(byte[] object, Section section) {
        return range(section).map(range -> ByteBuffer.wrap(object, range.offset(), range.length())
                .slice()
                .asReadOnlyBuffer());
    }

    private static int headerSize(int sections) {
        return MAGIC.length + 1 + 1 + sections * ENTRY_SIZE + 4;
    }

    private static int crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
