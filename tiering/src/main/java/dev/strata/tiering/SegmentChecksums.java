package dev.strata.tiering;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The checksum sidecar of one remote segment: the size and CRC32C of every file the segment has.
 *
 * <p>On disk it is a few lines of UTF-8 text, so an operator can read it with {@code cat}:
 *
 * <pre>
 * strata-segment-checksums 1
 * log 1048576 8f2a01c3
 * index 10485760 00000000
 * timeindex 10485756 5b1e9d72
 * snapshot 24 77aa0b1e
 * leader-epoch-checkpoint 14 1c0ffee5
 * </pre>
 *
 * <p>The first line names the format and its version. Each further line is a file suffix (see {@link SegmentFileType}),
 * the file's size in bytes (decimal) and its CRC32C (8 hex digits). A file that the segment does not have (an absent
 * transaction index) has no line. The sidecar is written last, so its presence is what makes a segment count as data.
 */
final class SegmentChecksums {

    private static final String HEADER = "strata-segment-checksums 1";

    /** The size and CRC32C of one file. */
    record Entry(long size, int crc32c) {}

    private final Map<SegmentFileType, Entry> entries;

    SegmentChecksums(Map<SegmentFileType, Entry> entries) {
        EnumMap<SegmentFileType, Entry> copy = new EnumMap<>(SegmentFileType.class);
        copy.putAll(entries);
        this.entries = Collections.unmodifiableMap(copy);
    }

    Optional<Entry> entry(SegmentFileType type) {
        return Optional.ofNullable(entries.get(type));
    }

    String format() {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        entries.forEach((type, entry) -> text.append(type.suffix())
                .append(' ')
                .append(entry.size())
                .append(' ')
                .append(String.format("%08x", entry.crc32c()))
                .append('\n'));
        return text.toString();
    }

    /**
     * Parses a sidecar.
     *
     * @throws IllegalArgumentException if the text is not a sidecar of a version this class reads
     */
    static SegmentChecksums parse(String text) {
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a checksum sidecar (bad header)");
        }
        Map<SegmentFileType, Entry> entries = new EnumMap<>(SegmentFileType.class);
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split(" ");
            if (fields.length != 3) {
                throw new IllegalArgumentException("malformed checksum line " + (i + 1) + ": '" + lines[i] + "'");
            }
            SegmentFileType type = SegmentFileType.ofSuffix(fields[0])
                    .orElseThrow(() -> new IllegalArgumentException("unknown file suffix '" + fields[0] + "'"));
            try {
                long size = Long.parseLong(fields[1]);
                if (size < 0 || fields[2].length() != 8) {
                    throw new NumberFormatException();
                }
                entries.put(type, new Entry(size, Integer.parseUnsignedInt(fields[2], 16)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("malformed checksum line " + (i + 1) + ": '" + lines[i] + "'");
            }
        }
        return new SegmentChecksums(entries);
    }
}
