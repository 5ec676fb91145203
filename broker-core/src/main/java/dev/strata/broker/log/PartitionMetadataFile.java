package dev.strata.broker.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.utils.Utils;

/**
 * The {@code partition.metadata} file that ties a partition directory to its topic's id, as Kafka writes it:
 *
 * <pre>
 *   version: 0
 *   topic_id: &lt;the topic id in Kafka's URL-safe base64 form&gt;
 * </pre>
 *
 * A directory left behind by a deleted topic that was recreated under the same name has another id, which is how
 * such a directory is told apart from the live partition's.
 */
final class PartitionMetadataFile {

    static final String FILE_NAME = "partition.metadata";

    private PartitionMetadataFile() {}

    static Optional<Uuid> read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith("topic_id:")) {
                    return Optional.of(
                            Uuid.fromString(line.substring("topic_id:".length()).trim()));
                }
            }
            throw new KafkaStorageException("No topic_id in " + file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            throw new KafkaStorageException("Error reading " + file, e);
        }
    }

    static void write(Path dir, Uuid topicId) {
        Path file = dir.resolve(FILE_NAME);
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try {
            Files.writeString(
                    tmp,
                    "version: 0\ntopic_id: " + topicId + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
            Utils.atomicMoveWithFallback(tmp, file);
        } catch (IOException e) {
            throw new KafkaStorageException("Error writing " + file, e);
        }
    }
}
