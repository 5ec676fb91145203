package dev.strata.broker.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Disk space per log directory ({@code dir} tag), so that a disk filling up (for instance with segments of tiered
 * topics waiting for a store that is down) shows before it is full: {@code strata_log_dir_used_bytes} (the bytes of
 * the files under the directory, read when Prometheus scrapes), {@code strata_log_dir_free_bytes} (usable by the
 * broker on its file system) and {@code strata_log_dir_total_bytes}. A value that cannot be read (the directory is
 * gone or its disk failed) is NaN.
 */
final class LogDirMetrics {

    private LogDirMetrics() {}

    static void bind(MeterRegistry registry, List<Path> logDirs) {
        for (Path dir : logDirs) {
            String tag = dir.toString();
            Gauge.builder("strata.log.dir.used", dir, LogDirMetrics::usedBytes)
                    .tag("dir", tag)
                    .baseUnit("bytes")
                    .description("Bytes of the files in the log directory")
                    .register(registry);
            Gauge.builder("strata.log.dir.free", dir, d -> fileStore(d, true))
                    .tag("dir", tag)
                    .baseUnit("bytes")
                    .description("Bytes free for the broker on the log directory's file system")
                    .register(registry);
            Gauge.builder("strata.log.dir.total", dir, d -> fileStore(d, false))
                    .tag("dir", tag)
                    .baseUnit("bytes")
                    .description("Size of the log directory's file system")
                    .register(registry);
        }
    }

    private static double fileStore(Path dir, boolean usable) {
        try {
            var store = Files.getFileStore(dir);
            return usable ? store.getUsableSpace() : store.getTotalSpace();
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    static double usedBytes(Path dir) {
        long[] total = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    total[0] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    // a segment deleted by retention while the walk passed by
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return Double.NaN;
        }
        return total[0];
    }
}
