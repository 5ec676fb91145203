package dev.strata.tiering;

import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Finds records by timestamp in the remote tier, for ListOffsets: the first record at or after a timestamp, and the
 * first record with the largest timestamp. The remote index names the segment (by its max timestamp) and where in it to
 * start (its time index entries); the segment's batches are then read from there through the {@link RemoteLogReader}
 * until a record qualifies. Remote segments precede the local ones, so an answer found here is the partition's answer;
 * when the remote tier holds none, the search says so and the local log answers.
 *
 * <p>Never blocks on remote I/O: the index lookups are RocksDB reads on the calling thread, and the returned futures
 * complete on the reader's threads.
 */
public final class RemoteOffsetSearch {
    /** Bytes read per step when a timestamp is searched in a remote segment. */
    static final int SCAN_BYTES = 1024 * 1024;

    private final RemoteIndexStore index;
    private final RemoteLogReader reader;

    /** A record found: its timestamp, its offset and the leader epoch of its batch, if the batch has one. */
    public record Found(long timestamp, long offset, Optional<Integer> leaderEpoch) {}

    public RemoteOffsetSearch(RemoteIndexStore index, RemoteLogReader reader) {
        this.index = index;
        this.reader = reader;
    }

    /**
     * The first record not below {@code logStartOffset} whose timestamp is at or after {@code timestampMs}, when the
     * remote tier holds a readable segment with such a record.
     *
     * @return empty when the local log answers; else the search, whose result is empty when the segment turns out to
     *     hold no such record, and which fails with the reader's error
     */
    public Optional<CompletableFuture<Optional<Found>>> firstAtOrAfter(
            TopicIdPartition tip, long timestampMs, long logStartOffset) {
        return search(
                tip, index.firstSegmentAtOrAfter(RemoteLogManager.key(tip), timestampMs), timestampMs, logStartOffset);
    }

    /**
     * The first record with the largest timestamp, when a readable remote segment not wholly below
     * {@code logStartOffset} has a max timestamp at least {@code localMaxTimestamp}, the largest timestamp of the local
     * segments (on a tie the earlier record, the remote one, wins, as in a local search).
     *
     * @return empty when the local log answers; else the search, as {@link #firstAtOrAfter}
     */
    public Optional<CompletableFuture<Optional<Found>>> maxTimestamp(
            TopicIdPartition tip, long logStartOffset, long localMaxTimestamp) {
        Optional<RemoteSegment> segment = segmentWithMaxTimestamp(RemoteLogManager.key(tip), logStartOffset)
                .filter(s -> s.maxTimestampMs() >= 0 && s.maxTimestampMs() >= localMaxTimestamp);
        if (segment.isEmpty()) {
            return Optional.empty();
        }
        // the first record of that segment with its max timestamp, which no record before it reaches
        return search(tip, segment, segment.get().maxTimestampMs(), logStartOffset);
    }

    private Optional<CompletableFuture<Optional<Found>>> search(
            TopicIdPartition tip, Optional<RemoteSegment> segment, long timestampMs, long logStartOffset) {
        if (segment.isEmpty() || segment.get().endOffset() < logStartOffset) {
            return Optional.empty();
        }
        long from = Math.max(
                logStartOffset,
                index.offsetForTimestamp(segment.get().id(), timestampMs).orElse(logStartOffset));
        return Optional.of(scan(tip, segment.get().endOffset(), timestampMs, from, logStartOffset));
    }

    /**
     * The earliest of the readable remote segments not wholly below the log start offset that have the largest max
     * timestamp.
     */
    private Optional<RemoteSegment> segmentWithMaxTimestamp(PartitionKey key, long logStartOffset) {
        RemoteSegment newest = null;
        for (RemoteSegment segment : index.segments(key)) {
            if (segment.state().isReadable()
                    && segment.endOffset() >= logStartOffset
                    && (newest == null || segment.maxTimestampMs() > newest.maxTimestampMs())) {
                newest = segment;
            }
        }
        return Optional.ofNullable(newest);
    }

    /**
     * Reads the remote segment from the batch holding {@code from} to its end until a record at or after
     * {@code timestampMs} turns up. {@code from} comes from the time index, which points into the batch that reached a
     * timestamp, so every record of that batch counts, as in Kafka's search; only records below {@code minOffset} (the
     * log start) do not.
     */
    private CompletableFuture<Optional<Found>> scan(
            TopicIdPartition tip, long segmentEnd, long timestampMs, long from, long minOffset) {
        if (from > segmentEnd) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return reader.readRecords(tip, from, SCAN_BYTES).thenCompose(bytes -> {
            long next = from;
            for (RecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
                if (batch.maxTimestamp() >= timestampMs && batch.lastOffset() >= minOffset) {
                    for (Record record : batch) {
                        if (record.offset() >= minOffset && record.timestamp() >= timestampMs) {
                            int epoch = batch.partitionLeaderEpoch();
                            return CompletableFuture.completedFuture(Optional.of(new Found(
                                    record.timestamp(),
                                    record.offset(),
                                    epoch >= 0 ? Optional.of(epoch) : Optional.empty())));
                        }
                    }
                }
                next = Math.max(next, batch.lastOffset() + 1);
            }
            if (next == from) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            return scan(tip, segmentEnd, timestampMs, next, minOffset);
        });
    }
}
