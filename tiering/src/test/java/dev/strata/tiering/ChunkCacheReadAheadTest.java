package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.junit.jupiter.api.Test;

/** The chunk cache's read-ahead across segment boundaries, with loads run exactly when the test says. */
class ChunkCacheReadAheadTest {

    private static final int CHUNK = 1000;
    private static final Executor DIRECT = Runnable::run;
    private static final TopicIdPartition PARTITION = new TopicIdPartition(Uuid.randomUuid(), 0, "replay");

    private final CountingStorageManager storage = new CountingStorageManager();
    private final QueueExecutor readAheadPool = new QueueExecutor();
    private final List<RemoteLogSegmentMetadata> segments = new ArrayList<>();
    private final List<byte[]> logs = new ArrayList<>();

    /** Ten segments of 400 bytes (smaller than a chunk), 100 offsets each. */
    ChunkCacheReadAheadTest() {
        for (int i = 0; i < 10; i++) {
            RemoteLogSegmentMetadata segment = TestSegments.metadata(PARTITION, i * 100L, 400);
            byte[] log = TestSegments.randomBytes(400, i);
            storage.add(segment, log);
            segments.add(segment);
            logs.add(log);
        }
    }

    @Test
    void aReplayLoadsTheNextSegmentsBeforeItGetsThere() throws Exception {
        ChunkCache cache = cache(4);

        assertThat(read(cache, 0)).isEqualTo(logs.get(0));
        assertThat(readAheadPool.pending())
                .as("the next three segments (one chunk's worth of bytes), each its own ranged read")
                .isEqualTo(3);
        readAheadPool.runAll();
        assertThat(storage.fetches()).isEqualTo(4);

        assertThat(read(cache, 1)).isEqualTo(logs.get(1));
        assertThat(read(cache, 2)).isEqualTo(logs.get(2));
        assertThat(cache.stats().hits()).as("both were in memory").isEqualTo(2);
        assertThat(cache.stats().misses()).isEqualTo(1);
        readAheadPool.runAll();
        assertThat(storage.fetches()).as("segments 4 and 5 read ahead too").isEqualTo(6);
    }

    @Test
    void aReaderThatCatchesUpWithTheReadAheadGetsADeeperWindow() throws Exception {
        ChunkCache cache = cache(16);

        read(cache, 0);
        assertThat(readAheadPool.pending()).isEqualTo(3);
        // the reader is at segment 1 before its read-ahead ran: it joins that load and the window doubles
        CompletableFuture<ByteBuffer> waiting = cache.read(segments.get(1), 0, 1000, this::next);
        assertThat(readAheadPool.pending())
                .as("segments 1-3 loading, 4-6 queued now too")
                .isEqualTo(6);
        readAheadPool.runAll();
        assertThat(bytes(waiting.join())).isEqualTo(logs.get(1));
        assertThat(storage.fetches()).as("no segment read twice").isEqualTo(7);
    }

    @Test
    void readAheadLoadsInFlightAreBoundedByThePermits() throws Exception {
        ChunkCache cache = cache(2);

        read(cache, 0);
        assertThat(readAheadPool.pending())
                .as("two of the three chunks of the window")
                .isEqualTo(2);
        readAheadPool.runAll();
        read(cache, 1);
        assertThat(readAheadPool.pending())
                .as("the permits are back, and segment 3 is asked again")
                .isEqualTo(2);
    }

    private ChunkCache cache(int readAheadMaxInFlight) {
        return new ChunkCache(
                new ChunkCacheConfig(
                        CHUNK, 100 * CHUNK, Optional.empty(), 0, Duration.ofSeconds(10), readAheadMaxInFlight),
                storage,
                DIRECT,
                readAheadPool);
    }

    private byte[] read(ChunkCache cache, int segment) {
        return bytes(cache.read(segments.get(segment), 0, 1000, this::next).join());
    }

    private Optional<RemoteLogSegmentMetadata> next(RemoteLogSegmentMetadata segment) {
        int i = segments.indexOf(segment);
        return i + 1 < segments.size() ? Optional.of(segments.get(i + 1)) : Optional.empty();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
