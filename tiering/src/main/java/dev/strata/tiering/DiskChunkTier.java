package dev.strata.tiering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional disk tier of the {@link ChunkCache}: one file per chunk, {@code <segmentUuid>.<chunkIndex>.chunk}, in a
 * directory of its own, in least-recently-used order within a byte budget.
 *
 * <p>The files hold the chunk's bytes and nothing else; the size and CRC32C of each are kept in memory and checked on
 * every read, so a damaged file is dropped and fetched again, never served. The tier is a cache of this process only:
 * it starts empty, removing the {@code .chunk} files a previous process left (and nothing else), so it needs no fsync
 * and no recovery. Files are written under a temporary name and renamed, so a reader never sees half a chunk.
 */
final class DiskChunkTier {

    private static final Logger log = LoggerFactory.getLogger(DiskChunkTier.class);
    private static final String SUFFIX = ".chunk";
    private static final String TEMP_SUFFIX = ".chunk.tmp";

    private record Entry(int size, int crc32c) {}

    private final Path dir;
    private final long capacityBytes;
    private final LinkedHashMap<ChunkKey, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long usedBytes;

    DiskChunkTier(Path dir, long capacityBytes) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.capacityBytes = capacityBytes;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(SUFFIX) || name.endsWith(TEMP_SUFFIX)) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /** The chunk if this tier has an intact copy of it. */
    Optional<ByteBuffer> read(ChunkKey key) {
        Entry entry;
        synchronized (this) {
            entry = entries.get(key);
        }
        if (entry == null) {
            return Optional.empty();
        }
        Path file = dir.resolve(key.fileName());
        try {
            byte[] bytes = Files.readAllBytes(file);
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            if (bytes.length == entry.size() && (int) crc.getValue() == entry.crc32c()) {
                return Optional.of(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
            }
            log.warn("Dropping damaged chunk file {} from the disk cache", file);
        } catch (IOException e) {
            log.warn("Dropping unreadable chunk file {} from the disk cache: {}", file, e.toString());
        }
        remove(key, entry);
        return Optional.empty();
    }

    synchronized boolean contains(ChunkKey key) {
        return entries.containsKey(key);
    }

    /** Stores a chunk, evicting the coldest ones beyond the budget. Failures are logged: this is only a cache. */
    void write(ChunkKey key, ByteBuffer chunk) {
        int size = chunk.remaining();
        if (size > capacityBytes) {
            return;
        }
        Path temp = dir.resolve(key.fileName() + "." + UUID.randomUUID() + TEMP_SUFFIX);
        CRC32C crc = new CRC32C();
        crc.update(chunk.duplicate());
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = chunk.duplicate();
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            }
            Files.move(
                    temp,
                    dir.resolve(key.fileName()),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("Could not write chunk {} to the disk cache in {}: {}", key, dir, e.toString());
            deleteQuietly(temp);
            return;
        }
        List<ChunkKey> evicted = new ArrayList<>();
        synchronized (this) {
            Entry previous = entries.put(key, new Entry(size, (int) crc.getValue()));
            usedBytes += size - (previous == null ? 0 : previous.size());
            Iterator<Map.Entry<ChunkKey, Entry>> coldestFirst =
                    entries.entrySet().iterator();
            while (usedBytes > capacityBytes && coldestFirst.hasNext()) {
                Map.Entry<ChunkKey, Entry> coldest = coldestFirst.next();
                if (!coldest.getKey().equals(key)) {
                    usedBytes -= coldest.getValue().size();
                    evicted.add(coldest.getKey());
                    coldestFirst.remove();
                }
            }
        }
        evicted.forEach(victim -> deleteQuietly(dir.resolve(victim.fileName())));
    }

    void removeSegment(RemoteLogSegmentId segmentId) {
        List<ChunkKey> removed = new ArrayList<>();
        synchronized (this) {
            entries.entrySet().removeIf(entry -> {
                if (entry.getKey().segmentId().equals(segmentId)) {
                    usedBytes -= entry.getValue().size();
                    removed.add(entry.getKey());
                    return true;
                }
                return false;
            });
        }
        removed.forEach(key -> deleteQuietly(dir.resolve(key.fileName())));
    }

    void clear() {
        List<ChunkKey> removed;
        synchronized (this) {
            removed = new ArrayList<>(entries.keySet());
            entries.clear();
            usedBytes = 0;
        }
        removed.forEach(key -> deleteQuietly(dir.resolve(key.fileName())));
    }

    synchronized long usedBytes() {
        return usedBytes;
    }

    private void remove(ChunkKey key, Entry expected) {
        synchronized (this) {
            if (!entries.remove(key, expected)) {
                return;
            }
            usedBytes -= expected.size();
        }
        deleteQuietly(dir.resolve(key.fileName()));
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("Could not delete {}", file, e);
        }
    }
}
