package dev.strata.tiering;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

/**
 * A {@link TieredPartition} over real Kafka-format segment files in a directory: each segment is written with
 * kafka-clients' {@link FileRecords}, one batch per index entry, and its {@code .index} and {@code .timeindex} are
 * written with Kafka's byte layout. It records the callbacks the manager makes.
 */
final class FakeTieredPartition implements TieredPartition {

    static final int RECORDS_PER_BATCH = 5;

    private final TopicIdPartition tip;
    private final Path dir;
    private final List<LocalSegment> segments = new CopyOnWriteArrayList<>();
    private final List<Long> highestRemoteOffsets = new CopyOnWriteArrayList<>();
    private final List<Long> remoteLogStartOffsets = new CopyOnWriteArrayList<>();
    private volatile long highWatermark;
    private volatile int leaderEpoch;
    private volatile long logStartOffset;
    private volatile TieringConfig config = TieringConfig.enabled();

    FakeTieredPartition(TopicIdPartition tip, Path dir) {
        this.tip = tip;
        this.dir = dir;
    }

    /**
     * Appends a sealed segment of {@code batches} batches of {@link #RECORDS_PER_BATCH} records each, starting at the
     * end of the previous segment; batch {@code i} has timestamp {@code firstTimestampMs + i}.
     */
    LocalSegment appendSegment(int batches, long firstTimestampMs) {
        return appendSegment(batches, firstTimestampMs, null);
    }

    /** {@link #appendSegment(int, long)} with a {@code .txnindex} file of these bytes, or none when null. */
    LocalSegment appendSegment(int batches, long firstTimestampMs, byte[] txnIndex) {
        long baseOffset =
                segments.isEmpty() ? 0 : segments.get(segments.size() - 1).endOffset() + 1;
        String name = String.format("%020d", baseOffset);
        try {
            Files.createDirectories(dir);
            File logFile = dir.resolve(name + ".log").toFile();
            ByteBuffer offsetIndex = ByteBuffer.allocate(batches * 8);
            ByteBuffer timeIndex = ByteBuffer.allocate(batches * 12);
            long offset = baseOffset;
            long maxTimestamp = -1;
            int size;
            try (FileRecords records = FileRecords.open(logFile)) {
                for (int i = 0; i < batches; i++) {
                    long timestamp = firstTimestampMs + i;
                    SimpleRecord[] batch = new SimpleRecord[RECORDS_PER_BATCH];
                    for (int r = 0; r < RECORDS_PER_BATCH; r++) {
                        batch[r] = new SimpleRecord(
                                timestamp, ("k" + (offset + r)).getBytes(StandardCharsets.UTF_8), value(offset + r));
                    }
                    offsetIndex.putInt((int) (offset - baseOffset)).putInt(records.sizeInBytes());
                    records.append(MemoryRecords.withRecords(offset, Compression.NONE, batch));
                    long lastOffset = offset + RECORDS_PER_BATCH - 1;
                    timeIndex.putLong(timestamp).putInt((int) (lastOffset - baseOffset));
                    maxTimestamp = Math.max(maxTimestamp, timestamp);
                    offset += RECORDS_PER_BATCH;
                }
                records.flush();
                size = records.sizeInBytes();
            }
            Path index = Files.write(dir.resolve(name + ".index"), offsetIndex.array());
            Path time = Files.write(dir.resolve(name + ".timeindex"), timeIndex.array());
            Path snapshot = Files.write(dir.resolve(name + ".snapshot"), new byte[] {0, 1, 2, 3});
            Optional<Path> txn = txnIndex == null
                    ? Optional.empty()
                    : Optional.of(Files.write(dir.resolve(name + ".txnindex"), txnIndex));
            TreeMap<Integer, Long> epochs = new TreeMap<>();
            epochs.put(0, baseOffset);
            LocalSegment segment = new LocalSegment(
                    baseOffset,
                    offset - 1,
                    maxTimestamp,
                    size,
                    logFile.toPath(),
                    index,
                    time,
                    txn,
                    snapshot,
                    ByteBuffer.wrap("0\n1\n0 0\n".getBytes(StandardCharsets.UTF_8)),
                    epochs);
            segments.add(segment);
            return segment;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] value(long offset) {
        return ("value-" + offset + "-".repeat(40)).getBytes(StandardCharsets.UTF_8);
    }

    void highWatermark(long offset) {
        highWatermark = offset;
    }

    void logStartOffset(long offset) {
        logStartOffset = offset;
    }

    void config(TieringConfig newConfig) {
        config = newConfig;
    }

    List<Long> highestRemoteOffsets() {
        return List.copyOf(highestRemoteOffsets);
    }

    List<Long> remoteLogStartOffsets() {
        return List.copyOf(remoteLogStartOffsets);
    }

    LocalSegment segment(int i) {
        return segments.get(i);
    }

    @Override
    public TopicIdPartition topicIdPartition() {
        return tip;
    }

    @Override
    public List<LocalSegment> sealedSegments() {
        return List.copyOf(segments);
    }

    @Override
    public long highWatermark() {
        return highWatermark;
    }

    @Override
    public int leaderEpoch() {
        return leaderEpoch;
    }

    void leaderEpoch(int epoch) {
        leaderEpoch = epoch;
    }

    @Override
    public TieringConfig config() {
        return config;
    }

    @Override
    public long logStartOffset() {
        return logStartOffset;
    }

    @Override
    public void onHighestRemoteOffset(long offset) {
        highestRemoteOffsets.add(offset);
    }

    @Override
    public void onRemoteLogStartOffset(long offset) {
        remoteLogStartOffsets.add(offset);
    }
}
