package dev.strata.tiering;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;

/**
 * Decides which chunks the {@link ChunkCache} loads ahead of a reader: the read-ahead window of each partition's
 * stream of reads, which follows the reader's rate and crosses segment boundaries. Pure bookkeeping: it loads nothing
 * and never looks at a clock, so that its decisions depend only on the reads it is told about.
 *
 * <p>A partition's reads form a stream while each starts in the chunk the previous one ended in or the next, or at
 * chunk 0 of the segment that follows the previous read's segment (its start offset is the previous segment's end
 * offset plus one). A stream's window starts at one chunk's worth of bytes. A read in the stream that found a chunk
 * it needed not yet in memory (the read-ahead was not far enough ahead: the reader is faster than one window's loads)
 * doubles the window; a read that found everything in memory keeps it. So a slow reader keeps a small window, a fast
 * one grows it until the loads stay ahead of it. Any other read starts a new stream; one from a segment's first byte
 * (a replay starting) reads ahead at once, one elsewhere (a random read, a consumer's first fetch in the middle of a
 * segment, which then costs exactly one ranged read) waits until the next read shows a direction.
 *
 * <p>The window is measured in bytes, so that segments smaller than a chunk (a whole segment is then one short chunk)
 * are read ahead several at a time. It is bounded by the chunk cache's memory budget shared among the streams that
 * read recently (within the last {@value #ACTIVE_READS} reads), half of it at most: chunks loaded ahead of their
 * reader must still be in memory when it gets there. How many of the window's loads run at once is the cache's
 * business (its read-ahead permits: parallel ranged reads from the backend).
 *
 * <p>Streams are remembered per partition, the {@value #MAX_STREAMS} most recently read; two readers of one partition
 * at different offsets break each other's stream (each read then starts a new one, with a one-chunk window). Thread
 * safe.
 */
final class ReadAhead {

    /** How many partitions' streams are remembered. */
    static final int MAX_STREAMS = 256;

    /** A stream that has not read within this many reads (of any partition) no longer shares the memory budget. */
    static final int ACTIVE_READS = 1024;

    /** The most segments one read's window walks through, so that tiny segments cannot make a read's plan long. */
    static final int MAX_SEGMENTS_AHEAD = 64;

    /** The segment after a given one of the same partition, if the remote tier holds one. */
    @FunctionalInterface
    interface NextSegment {
        NextSegment NONE = segment -> Optional.empty();

        Optional<RemoteLogSegmentMetadata> after(RemoteLogSegmentMetadata segment);
    }

    /** Chunk {@code index} of {@code segment}. */
    record Chunk(RemoteLogSegmentMetadata segment, int index) {}

    /** What a stream's last read was, and its window. */
    private record Stream(RemoteLogSegmentId segment, long endOffset, int lastChunk, long windowBytes, long seq) {}

    private final Map<TopicIdPartition, Stream> streams = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TopicIdPartition, Stream> eldest) {
            return size() > MAX_STREAMS;
        }
    };
    private long reads;

    /**
     * Records a read from byte {@code position} of {@code segment} to a byte in chunk {@code last} and returns the
     * chunks to load ahead of it, in the order the reader will need them (some may be in memory or loading already).
     *
     * @param missed whether a chunk the read needed was not in memory
     * @param chunkSize the cache's chunk size
     * @param memoryBytes the cache's memory budget
     * @param next finds the segment after a segment, for a window that reaches past {@code segment}'s end
     */
    List<Chunk> onRead(
            RemoteLogSegmentMetadata segment,
            long position,
            int last,
            boolean missed,
            int chunkSize,
            long memoryBytes,
            NextSegment next) {
        int first = (int) (position / chunkSize);
        long window;
        boolean readAhead;
        synchronized (this) {
            long seq = ++reads;
            TopicIdPartition partition = segment.topicIdPartition();
            Stream previous = streams.get(partition);
            boolean sequential = previous != null && follows(previous, segment, first);
            long cap = Math.max(chunkSize, memoryBytes / (2L * activeStreams(seq, partition)));
            if (sequential) {
                window = Math.min(cap, missed ? previous.windowBytes() * 2 : previous.windowBytes());
                readAhead = true;
            } else {
                window = Math.min(cap, chunkSize);
                readAhead = position == 0;
            }
            streams.put(
                    partition,
                    new Stream(segment.remoteLogSegmentId(), segment.endOffset(), last, Math.max(window, 1), seq));
        }
        return readAhead ? plan(segment, last + 1, window, chunkSize, next) : List.of();
    }

    /** The window of the partition's stream in bytes, 0 if it has none: for tests and metrics. */
    synchronized long windowBytes(TopicIdPartition partition) {
        Stream stream = streams.get(partition);
        return stream == null ? 0 : stream.windowBytes();
    }

    private static boolean follows(Stream previous, RemoteLogSegmentMetadata segment, int first) {
        if (previous.segment().equals(segment.remoteLogSegmentId())) {
            return first == previous.lastChunk() || first == previous.lastChunk() + 1;
        }
        return first == 0 && segment.startOffset() == previous.endOffset() + 1;
    }

    /** Streams that read recently, counting the reading partition's whatever it did before. */
    private long activeStreams(long seq, TopicIdPartition reading) {
        long active = 1;
        for (Map.Entry<TopicIdPartition, Stream> e : streams.entrySet()) {
            if (!e.getKey().equals(reading) && e.getValue().seq() > seq - ACTIVE_READS) {
                active++;
            }
        }
        return active;
    }

    /** The chunks from chunk {@code index} of {@code segment} on, crossing into later segments, up to {@code bytes}. */
    private static List<Chunk> plan(
            RemoteLogSegmentMetadata segment, int index, long bytes, int chunkSize, NextSegment next) {
        List<Chunk> chunks = new ArrayList<>();
        RemoteLogSegmentMetadata current = segment;
        int chunk = index;
        int segments = 0;
        long left = bytes;
        while (left > 0) {
            long start = (long) chunk * chunkSize;
            if (start >= current.segmentSizeInBytes()) {
                Optional<RemoteLogSegmentMetadata> following =
                        ++segments > MAX_SEGMENTS_AHEAD ? Optional.empty() : next.after(current);
                if (following.isEmpty()) {
                    break;
                }
                current = following.get();
                chunk = 0;
                continue;
            }
            chunks.add(new Chunk(current, chunk));
            left -= Math.min(chunkSize, current.segmentSizeInBytes() - start);
            chunk++;
        }
        return chunks;
    }
}
