package dev.strata.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

/**
 * The files of one sealed log segment, written to a temporary directory as a broker would hand them to
 * {@code copyLogSegmentData}, with the segment's metadata: pseudo-random bytes, the same for the same start offset and
 * size.
 */
public record SegmentFiles(RemoteLogSegmentMetadata metadata, LogSegmentData data) {

    public static final String TOPIC = "orders";

    /** Writes a segment with {@code logSize} pseudo-random log bytes; with or without a transaction index. */
    public static SegmentFiles write(
            Path dir, TopicIdPartition partition, long startOffset, int logSize, boolean withTransactionIndex)
            throws IOException {
        String base = String.format("%020d", startOffset);
        Random random = new Random(startOffset * 31 + logSize);
        Path log = Files.write(dir.resolve(base + ".log"), randomBytes(random, logSize));
        Path offsetIndex = Files.write(dir.resolve(base + ".index"), randomBytes(random, 8 * 1024));
        Path timeIndex = Files.write(dir.resolve(base + ".timeindex"), randomBytes(random, 12 * 1024));
        Optional<Path> txnIndex = withTransactionIndex
                ? Optional.of(Files.write(dir.resolve(base + ".txnindex"), randomBytes(random, 340)))
                : Optional.empty();
        Path snapshot = Files.write(dir.resolve(base + ".snapshot"), randomBytes(random, 1500));
        ByteBuffer leaderEpochs = ByteBuffer.wrap("0\n2\n0 0\n3 120\n".getBytes(StandardCharsets.US_ASCII));
        LogSegmentData data = new LogSegmentData(log, offsetIndex, timeIndex, txnIndex, snapshot, leaderEpochs);
        RemoteLogSegmentMetadata metadata = new RemoteLogSegmentMetadata(
                new RemoteLogSegmentId(partition, Uuid.randomUuid()),
                startOffset,
                startOffset + 999,
                1_700_000_000_000L,
                1,
                System.currentTimeMillis(),
                logSize,
                Map.of(0, startOffset, 3, startOffset + 120));
        return new SegmentFiles(metadata, data);
    }

    /** A partition of {@link #TOPIC} with a topic id of its own. */
    public static TopicIdPartition newPartition(int partition) {
        return new TopicIdPartition(Uuid.randomUuid(), partition, TOPIC);
    }

    private static byte[] randomBytes(Random random, int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }
}
