package dev.strata.broker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's {@code .lock} file in each log dir, held by {@link StrataServer} while it runs: two brokers must never share a
 * directory. All or none are taken.
 */
final class LogDirLocks {
    private static final Logger log = LoggerFactory.getLogger(LogDirLocks.class);

    private LogDirLocks() {}

    /** Takes the lock of every dir, or none: a dir another process holds is a {@link ConfigException} naming it. */
    static List<FileLock> lock(List<Path> dirs) {
        List<FileLock> locks = new ArrayList<>();
        try {
            for (Path dir : dirs) {
                locks.add(lock(dir));
            }
        } catch (RuntimeException e) {
            release(locks);
            throw e;
        }
        return locks;
    }

    private static FileLock lock(Path dir) {
        try {
            Files.createDirectories(dir);
            FileChannel ch =
                    FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new ConfigException("Log dir " + dir + " is in use by another broker process");
            }
            return lock;
        } catch (IOException e) {
            throw new ConfigException("Cannot use log dir " + dir + ": " + e.getMessage());
        }
    }

    static void release(List<FileLock> locks) {
        for (FileLock lock : locks) {
            try {
                lock.release();
                lock.channel().close();
            } catch (IOException e) {
                log.debug("Cannot release {}", lock, e);
            }
        }
    }
}
