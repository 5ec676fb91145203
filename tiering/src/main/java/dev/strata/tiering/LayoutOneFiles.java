package dev.strata.tiering;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Reads of the segments that {@link FileSystemRemoteStorageManager} wrote in layout 1, before bundles: one file per
 * segment file, named {@code <stem>.<suffix>} ({@link SegmentFileType}), and a {@value #CHECKSUM_SUFFIX} sidecar
 * ({@link SegmentChecksums}) with each file's size and CRC32C, written last as the commit point.
 */
final class LayoutOneFiles {

    /** The suffix of a layout-1 segment's checksum sidecar. */
    static final String CHECKSUM_SUFFIX = "crc";

    private LayoutOneFiles() {}

    /** The file of {@code type} of the layout-1 segment {@code base} in {@code dir}, checked against the sidecar. */
    static InputStream index(String segment, SegmentFileType type, Path dir, String base)
            throws RemoteStorageException {
        SegmentChecksums.Entry expected = checksums(segment, dir, base)
                .entry(type)
                .orElseThrow(() -> new RemoteResourceNotFoundException(segment + " has no " + type.suffix() + " file"));
        Path path = dir.resolve(base + "." + type.suffix());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new RemoteStorageException(segment + " is damaged: " + path + " is missing", e);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to read " + path + ": " + e, e);
        }
        if (bytes.length != expected.size() || SegmentDirectory.crc32c(ByteBuffer.wrap(bytes)) != expected.crc32c()) {
            throw corrupt(
                    segment + " is corrupt: " + path + " does not match its size and CRC32C in the checksum sidecar");
        }
        return new ByteArrayInputStream(bytes);
    }

    /**
     * The sidecar of the layout-1 segment {@code base} in {@code dir}.
     *
     * @throws RemoteResourceNotFoundException if it has none: no such segment
     */
    static SegmentChecksums checksums(String segment, Path dir, String base) throws RemoteStorageException {
        Path path = dir.resolve(base + "." + CHECKSUM_SUFFIX);
        String text;
        try {
            text = Files.readString(path, UTF_8);
        } catch (NoSuchFileException e) {
            throw new RemoteResourceNotFoundException("No " + segment + " in " + dir);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to read " + path + ": " + e, e);
        }
        try {
            return SegmentChecksums.parse(text);
        } catch (IllegalArgumentException e) {
            throw corrupt(segment + " is corrupt: " + path + ": " + e.getMessage());
        }
    }

    /** The error of a file whose bytes are not those copied, as the {@link ChunkCache} expects it. */
    static RemoteStorageException corrupt(String message) {
        return new RemoteStorageException(message, new CorruptRecordException(message));
    }
}
