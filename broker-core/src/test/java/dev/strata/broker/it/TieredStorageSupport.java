package dev.strata.broker.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/** What the tiered-storage ITs share: record values, ListOffsets answers, and counting segments in either tier. */
final class TieredStorageSupport {

    private TieredStorageSupport() {}

    /** A temporary directory for a filesystem remote tier. */
    static Path tempDir() {
        try {
            return Files.createTempDirectory("strata-remote-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A value of {@code length} characters that starts with {@code i} and does not compress much. */
    static String value(int i, int length) {
        StringBuilder value = new StringBuilder(length).append(i).append(':');
        long x = i * 0x9E3779B97F4A7C15L;
        while (value.length() < length) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            value.append((char) ('a' + Math.floorMod(x, 26)));
        }
        return value.toString();
    }

    /** The offset ListOffsets answers for {@code spec}. */
    static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        return listOffset(admin, tp, spec).offset();
    }

    /** ListOffsets' answer (offset, timestamp, leader epoch) for {@code spec}. */
    static ListOffsetsResultInfo listOffset(Admin admin, TopicPartition tp, OffsetSpec spec) {
        try {
            return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("ListOffsets " + spec + " failed", e.getCause());
        }
    }

    /** The {@code .log} files of the topic's partitions in the filesystem remote tier under {@code remoteDir}. */
    static long remoteLogFiles(Path remoteDir, String topic) {
        // the filesystem backend keeps a partition under <topic>-<topic id>/<partition>
        return countLogFiles(remoteDir, dir -> dir.startsWith(topic + "-"));
    }

    /** The {@code .log} files of one partition in a broker's log directory. */
    static long localLogFiles(Path logDir, TopicPartition tp) {
        return countLogFiles(logDir, dir -> dir.equals(tp.topic() + "-" + tp.partition()));
    }

    /**
     * The {@code .log} files under {@code root} in the top-level directories whose names {@code dir} accepts, or -1 if
     * they changed while counted.
     */
    private static long countLogFiles(Path root, Predicate<String> dir) {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .filter(p -> dir.test(root.relativize(p).getName(0).toString()))
                    .count();
        } catch (IOException | UncheckedIOException e) {
            // a file vanished during the walk (an upload renaming its temporary files): not a stable count
            return -1;
        }
    }
}
