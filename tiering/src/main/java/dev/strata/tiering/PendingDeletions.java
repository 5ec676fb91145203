package dev.strata.tiering;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;

/**
 * The partitions of deleted topics whose remote data is not deleted yet, kept in a small file so that a deletion
 * interrupted by a store outage or a restart is resumed until the data is gone.
 *
 * <p>The file, {@value #FILE_NAME}, is text in the shape of Kafka's checkpoint files: a version line ({@code 0}), a
 * count line, then one line per partition, {@code <topic id> <partition> <topic name>} (topic names never contain a
 * space). The name is kept because a backend finds a partition's objects by it. Every change rewrites the whole file:
 * written to a temporary file, forced to disk, renamed over the old one, and the directory forced, so a crash leaves
 * the old list or the new one, never a torn one. The list is short (partitions of topics being deleted), and changes
 * once per deleted partition and once per finished deletion.
 *
 * <p>Why a file in the log directory and not rows in the remote index: the index can be thrown away and rebuilt from
 * the bucket's manifests, which restores the segments of a topic deleted while the store was down; the record of the
 * deletion must outlive that, or those segments would stay in the bucket with no topic to own them.
 *
 * <p>Thread-safe.
 */
public final class PendingDeletions {
    public static final String FILE_NAME = "remote-log-deletions-pending";

    private static final int VERSION = 0;

    /** The file, or null when kept in memory only. */
    private final Path file;

    private final Set<TopicIdPartition> partitions = new LinkedHashSet<>();

    private PendingDeletions(Path file) {
        this.file = file;
    }

    /** Reads {@value #FILE_NAME} in {@code dir}, or starts an empty list there if there is none. */
    public static PendingDeletions load(Path dir) throws IOException {
        PendingDeletions pending = new PendingDeletions(dir.resolve(FILE_NAME));
        if (Files.exists(pending.file)) {
            pending.partitions.addAll(read(pending.file));
        }
        return pending;
    }

    /** A list that is lost with the process: for tests, and for managers whose broker keeps no log directory. */
    public static PendingDeletions inMemory() {
        return new PendingDeletions(null);
    }

    /** Records that the partition's remote data must be deleted; durable when this returns. */
    public synchronized void add(TopicIdPartition partition) {
        if (partitions.add(partition)) {
            write();
        }
    }

    /** Records that the partition's remote data is gone. */
    public synchronized void remove(TopicIdPartition partition) {
        if (partitions.remove(partition)) {
            write();
        }
    }

    public synchronized List<TopicIdPartition> partitions() {
        return List.copyOf(partitions);
    }

    public synchronized boolean contains(TopicIdPartition partition) {
        return partitions.contains(partition);
    }

    private void write() {
        if (file == null) {
            return;
        }
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(partitions.size()).append('\n');
        for (TopicIdPartition tip : partitions) {
            text.append(tip.topicId())
                    .append(' ')
                    .append(tip.partition())
                    .append(' ')
                    .append(tip.topic())
                    .append('\n');
        }
        Path temp = file.resolveSibling(FILE_NAME + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(
                    temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                channel.write(StandardCharsets.UTF_8.encode(text.toString()));
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }

    private static List<TopicIdPartition> read(Path file) throws IOException {
        List<TopicIdPartition> read = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String version = reader.readLine();
            if (version == null || Integer.parseInt(version.trim()) != VERSION) {
                throw new IOException("Unknown version " + version + " of " + file);
            }
            String countLine = reader.readLine();
            if (countLine == null) {
                throw new IOException("No count line in " + file);
            }
            int count = Integer.parseInt(countLine.trim());
            for (int i = 0; i < count; i++) {
                String line = reader.readLine();
                String[] fields = line == null ? new String[0] : line.split(" ");
                if (fields.length != 3) {
                    throw new IOException("Malformed line " + (i + 3) + " of " + file + ": " + line);
                }
                read.add(new TopicIdPartition(Uuid.fromString(fields[0]), Integer.parseInt(fields[1]), fields[2]));
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("Malformed " + file + ": " + e.getMessage(), e);
        }
        return read;
    }
}
