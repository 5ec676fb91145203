package dev.strata.tiering;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;

/** Builds real segment metadata and segment files for tests. */
final class TestSegments {

    static final TopicIdPartition PARTITION = new TopicIdPartition(Uuid.randomUuid(), 3, "orders");

    private TestSegments() {}

    static RemoteLogSegmentMetadata metadata(long startOffset, int sizeInBytes) {
        return metadata(PARTITION, startOffset, sizeInBytes);
    }

    static RemoteLogSegmentMetadata metadata(TopicIdPartition partition, long startOffset, int sizeInBytes) {
        RemoteLogSegmentId id = RemoteLogSegmentId.generateNew(partition);
        return new RemoteLogSegmentMetadata(
                id,
                startOffset,
                startOffset + 99,
                1_700_000_000_000L,
                0,
                1_700_000_000_000L,
                sizeInBytes,
                Map.of(0, 0L));
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** The files of one local segment, written to {@code dir}, with their expected contents. */
    record LocalSegment(
            byte[] log,
            byte[] offsetIndex,
            byte[] timeIndex,
            byte[] txnIndex,
            byte[] snapshot,
            byte[] epochs,
            LogSegmentData data) {}

    static LocalSegment localSegment(Path dir, int logSize, long seed, boolean withTxnIndex) {
        try {
            Files.createDirectories(dir);
            byte[] log = randomBytes(logSize, seed);
            byte[] offsetIndex = randomBytes(800, seed + 1);
            byte[] timeIndex = randomBytes(1200, seed + 2);
            byte[] txnIndex = withTxnIndex ? randomBytes(340, seed + 3) : null;
            byte[] snapshot = randomBytes(57, seed + 4);
            byte[] epochs = "0\n1\n0 0\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String base = String.format("%020d", seed);
            Path logPath = Files.write(dir.resolve(base + ".log"), log);
            Path indexPath = Files.write(dir.resolve(base + ".index"), offsetIndex);
            Path timePath = Files.write(dir.resolve(base + ".timeindex"), timeIndex);
            Optional<Path> txnPath = withTxnIndex
                    ? Optional.of(Files.write(dir.resolve(base + ".txnindex"), txnIndex))
                    : Optional.empty();
            Path snapshotPath = Files.write(dir.resolve(base + ".snapshot"), snapshot);
            LogSegmentData data =
                    new LogSegmentData(logPath, indexPath, timePath, txnPath, snapshotPath, ByteBuffer.wrap(epochs));
            return new LocalSegment(log, offsetIndex, timeIndex, txnIndex, snapshot, epochs, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] readAll(InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
