package dev.strata.tiering;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Opens the logs of the {@link FileSystemRemoteStorageManager}'s segments for reading, after the size check every read
 * makes, and remembers for the segments read recently where their log is and the size and CRC32C their bundle (or
 * layout-1 sidecar) records. A replay reads each segment a few times, a fetch or two each; without this every read
 * formatted the segment's file names, opened its bundle and read its trailer again (a third of a directory read's CPU
 * in a profile).
 *
 * <p>What a segment's bundle says does not change while the segment exists: a segment id names one upload. A copy or
 * delete through the same backend forgets the segment first; a remembered file that is missing or of another size
 * (another broker sharing the directory deleted the segment, or copied it again) is forgotten and looked up afresh, so
 * a read answers what the files say now, as if nothing were remembered. At most {@code capacity} segments, the least
 * recently read forgotten first.
 *
 * <p>Thread-safe: reader threads and copier threads share one. Opening blocks on the file system.
 */
final class RecentLogFiles {
    /** A segment's log file and what its bundle or sidecar says of it. */
    record LogFile(Path path, SegmentChecksums.Entry checksum) {}

    /** A log opened for reading, and what it was checked against. The caller closes the channel. */
    record Opened(FileChannel channel, LogFile file) {}

    /** How a segment's log file is found from its bundle or sidecar. */
    interface Lookup {
        LogFile find(RemoteLogSegmentMetadata segment) throws RemoteStorageException;
    }

    private final Lookup lookup;
    private final Map<RemoteLogSegmentId, LogFile> files;

    RecentLogFiles(int capacity, Lookup lookup) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity + " must be at least 1");
        }
        this.lookup = lookup;
        this.files = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<RemoteLogSegmentId, LogFile> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * Opens the segment's log once its size is the one its bundle or sidecar records.
     *
     * @throws RemoteStorageException as the lookup throws it; or when the log is missing (the segment is damaged), has
     *     another size (caused by a {@link org.apache.kafka.common.errors.CorruptRecordException}) or cannot be read
     */
    Opened open(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        RemoteLogSegmentId id = segment.remoteLogSegmentId();
        LogFile remembered;
        synchronized (this) {
            remembered = files.get(id);
        }
        if (remembered != null) {
            try {
                return new Opened(open(segment, remembered), remembered);
            } catch (RemoteStorageException e) {
                // the files changed since: looked up again below, and that decides
                forget(id);
            }
        }
        // outside the lock: the lookup reads a file
        LogFile found = lookup.find(segment);
        FileChannel channel = open(segment, found);
        synchronized (this) {
            files.put(id, found);
        }
        return new Opened(channel, found);
    }

    /** The segment is copied again or deleted: the next read looks at its bundle again. */
    synchronized void forget(RemoteLogSegmentId segment) {
        files.remove(segment);
    }

    synchronized int size() {
        return files.size();
    }

    private static FileChannel open(RemoteLogSegmentMetadata segment, LogFile file) throws RemoteStorageException {
        Path path = file.path();
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new RemoteStorageException(
                    FileSystemRemoteStorageManager.describe(segment) + " is damaged: " + path + " is missing", e);
        } catch (IOException e) {
            throw new RemoteStorageException("Failed to open " + path + ": " + e, e);
        }
        try {
            long size = channel.size();
            if (size != file.checksum().size()) {
                throw LayoutOneFiles.corrupt(FileSystemRemoteStorageManager.describe(segment) + " is corrupt: " + path
                        + " has " + size + " bytes, its bundle or checksum sidecar says "
                        + file.checksum().size());
            }
            return channel;
        } catch (IOException | RemoteStorageException | RuntimeException e) {
            RemoteRecords.closeQuietly(channel);
            if (e instanceof RemoteStorageException rse) {
                throw rse;
            }
            throw new RemoteStorageException("Failed to read " + path + ": " + e, e);
        }
    }
}
