package dev.strata.broker.log;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.utils.Utils;

/**
 * Kafka's plain-text checkpoint format, used by {@code leader-epoch-checkpoint} and
 * {@code recovery-point-offset-checkpoint}:
 *
 * <pre>
 *   0            version
 *   2            number of entry lines
 *   0 0          one entry per line, fields separated by a single space
 *   3 1500
 * </pre>
 *
 * Text keeps the files readable by an operator and by Kafka's own tools. A write goes to {@code <name>.tmp}, is
 * fsynced, then renamed over the old file and the directory fsynced, so a crash leaves either the old or the new
 * checkpoint, never a mix.
 */
final class CheckpointFile {

    static final int VERSION = 0;

    private CheckpointFile() {}

    static void write(Path file, List<String> entries) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(
                            tmp,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING);
                    BufferedWriter writer = new BufferedWriter(
                            new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8))) {
                writer.write(VERSION + "\n" + entries.size() + "\n");
                for (String entry : entries) {
                    writer.write(entry);
                    writer.write('\n');
                }
                writer.flush();
                channel.force(true);
            }
            Utils.atomicMoveWithFallback(tmp, file);
        } catch (IOException e) {
            throw new KafkaStorageException("Error writing checkpoint file " + file, e);
        }
    }

    /** The entry lines, or an empty list if the file does not exist. */
    static List<String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new KafkaStorageException("Error reading checkpoint file " + file, e);
        }
        if (lines.size() < 2 || !lines.get(0).trim().equals(String.valueOf(VERSION))) {
            throw new KafkaStorageException("Checkpoint file " + file + " has an unknown version or is truncated");
        }
        int count;
        try {
            count = Integer.parseInt(lines.get(1).trim());
        } catch (NumberFormatException e) {
            throw new KafkaStorageException("Checkpoint file " + file + " has a malformed entry count", e);
        }
        List<String> entries = new ArrayList<>(count);
        for (int i = 2; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                entries.add(lines.get(i).trim());
            }
        }
        if (entries.size() != count) {
            throw new KafkaStorageException(
                    "Checkpoint file " + file + " declares " + count + " entries but has " + entries.size());
        }
        return entries;
    }
}
