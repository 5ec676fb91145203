package dev.strata.tiering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The crash-safe file operations of {@link FileSystemRemoteStorageManager}: every file is written under a
 * {@value #TEMP_SUFFIX} name, forced to disk and renamed into place atomically; creations and renames are made
 * durable by forcing the directory.
 */
final class SegmentDirectory {

    static final String TEMP_SUFFIX = ".tmp";
    private static final int COPY_BUFFER_BYTES = 256 * 1024;

    private SegmentDirectory() {}

    /** Copies {@code source} to {@code dir/name} atomically; returns its size and CRC32C. */
    static SegmentChecksums.Entry copyFile(Path source, Path dir, String name) throws IOException {
        Path temp = dir.resolve(name + TEMP_SUFFIX);
        CRC32C crc = new CRC32C();
        long size = 0;
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(
                        temp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.allocate(COPY_BUFFER_BYTES);
            while (in.read(buffer) >= 0) {
                buffer.flip();
                crc.update(buffer.duplicate());
                size += buffer.remaining();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                buffer.clear();
            }
            out.force(true);
        }
        Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return new SegmentChecksums.Entry(size, (int) crc.getValue());
    }

    /** Writes {@code content} (position to limit) to {@code dir/name} atomically; returns its size and CRC32C. */
    static SegmentChecksums.Entry writeFile(ByteBuffer content, Path dir, String name) throws IOException {
        long size = content.remaining();
        int crc = crc32c(content);
        writeAtomically(content, dir, name);
        return new SegmentChecksums.Entry(size, crc);
    }

    static void writeAtomically(ByteBuffer content, Path dir, String name) throws IOException {
        Path temp = dir.resolve(name + TEMP_SUFFIX);
        try (FileChannel out = FileChannel.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (content.hasRemaining()) {
                out.write(content);
            }
            out.force(true);
        }
        Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The CRC32C of {@code bytes} from position to limit, which it leaves as they are. */
    static int crc32c(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return (int) crc.getValue();
    }

    /** Reads exactly {@code length} bytes at {@code position}, or fewer if the file ends first. */
    static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                break;
            }
        }
        return buffer.flip();
    }

    static void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
            return;
        }
        fsyncDirectory(dir.getParent());
    }

    /** Makes renames and creations in {@code dir} durable (POSIX needs the directory itself forced). */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
