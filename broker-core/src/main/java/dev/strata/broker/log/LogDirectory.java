package dev.strata.broker.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of one log directory, shared by every log in it, as Kafka's {@code LogDirFailureChannel} keeps it: a
 * directory goes <em>offline</em> at the first I/O error writing, flushing or rolling any of its logs (disk full, a
 * failed disk), and stays offline until the broker restarts: its logs then refuse appends and reads with
 * KAFKA_STORAGE_ERROR, so nothing written after a torn write is ever acknowledged, while other directories keep
 * serving. Separately, a directory whose free space is below {@code log.dir.free.bytes.min} refuses appends (the
 * same retriable error) until space is freed, instead of filling the disk.
 *
 * <p>Thread-safe: logs report failures from request threads; {@link #updateFreeSpace} runs on the scheduler.
 */
public final class LogDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(LogDirectory.class);

    private final Path path;
    private final long minFreeBytes;
    private final AtomicBoolean offline = new AtomicBoolean();
    private volatile BiConsumer<Path, Exception> listener = (dir, cause) -> {};
    private volatile long freeBytes = Long.MAX_VALUE;
    private volatile long totalBytes = -1L;

    /**
     * @param minFreeBytes {@code log.dir.free.bytes.min}: appends are refused while less is free; 0 never refuses
     */
    public LogDirectory(Path path, long minFreeBytes) {
        this.path = path;
        this.minFreeBytes = minFreeBytes;
    }

    /** A directory that is never short of space, for a log opened on its own (tests, tools). */
    static LogDirectory standalone(Path path) {
        return new LogDirectory(path, 0);
    }

    /** Told once, when the directory goes offline: the directory and the error that took it offline. */
    void onOffline(BiConsumer<Path, Exception> listener) {
        this.listener = listener;
    }

    public Path path() {
        return path;
    }

    public boolean isOffline() {
        return offline.get();
    }

    /** Whether appends are refused for lack of space. */
    public boolean isLowOnSpace() {
        return minFreeBytes > 0 && freeBytes < minFreeBytes;
    }

    public long freeBytes() {
        return freeBytes;
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** Reads the file system's usable and total space; a directory that cannot be read goes offline. */
    public void updateFreeSpace() {
        if (isOffline()) {
            return;
        }
        try {
            var store = Files.getFileStore(path);
            freeBytes = store.getUsableSpace();
            totalBytes = store.getTotalSpace();
        } catch (IOException e) {
            fail("reading its free space", e);
        }
    }

    /**
     * Takes the directory offline after an I/O error while {@code doing} something to it, and returns the exception to
     * throw to the caller (KAFKA_STORAGE_ERROR).
     */
    public KafkaStorageException fail(String doing, Exception cause) {
        if (offline.compareAndSet(false, true)) {
            LOG.error(
                    "Log directory {} is OFFLINE after an I/O error {}: its partitions refuse writes and reads"
                            + " until the broker restarts; other log directories keep serving",
                    path,
                    doing,
                    cause);
            listener.accept(path, cause);
        }
        return new KafkaStorageException("Log directory " + path + " is offline after an I/O error " + doing, cause);
    }

    /** Throws KAFKA_STORAGE_ERROR if the directory is offline. */
    void checkOnline() {
        if (isOffline()) {
            throw new KafkaStorageException("Log directory " + path + " is offline after an I/O error");
        }
    }

    /** Throws KAFKA_STORAGE_ERROR if the directory is offline or short of space. */
    void checkWritable() {
        checkOnline();
        if (isLowOnSpace()) {
            throw new KafkaStorageException("Log directory " + path + " has " + freeBytes
                    + " bytes free, below log.dir.free.bytes.min=" + minFreeBytes + "; appends wait for space");
        }
    }
}
