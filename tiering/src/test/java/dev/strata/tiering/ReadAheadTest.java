package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.junit.jupiter.api.Test;

/** The read-ahead window's decisions, read by read: no loads, no clock. */
class ReadAheadTest {

    private static final int CHUNK = 1000;
    private static final long MEMORY = 1_000_000;

    private final ReadAhead readAhead = new ReadAhead();

    @Test
    void replayFromTheFirstChunkReadsOneChunkAhead() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 10 * CHUNK);

        assertThat(indexes(read(segment, 0, 0, true, List.of()))).containsExactly(1);
        assertThat(readAhead.windowBytes(segment.topicIdPartition())).isEqualTo(CHUNK);
    }

    @Test
    void aReaderThatFindsItsChunksInMemoryKeepsItsWindow() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 10 * CHUNK);
        read(segment, 0, 0, true, List.of());

        assertThat(indexes(read(segment, 1, 1, false, List.of()))).containsExactly(2);
        assertThat(indexes(read(segment, 1, 1, false, List.of())))
                .as("reading on in the same chunk")
                .containsExactly(2);
        assertThat(indexes(read(segment, 2, 2, false, List.of()))).containsExactly(3);
        assertThat(readAhead.windowBytes(segment.topicIdPartition())).isEqualTo(CHUNK);
    }

    @Test
    void aReaderThatOutrunsTheReadAheadDoublesItsWindowEachTime() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 100 * CHUNK);
        read(segment, 0, 0, true, List.of());

        assertThat(indexes(read(segment, 1, 1, true, List.of()))).containsExactly(2, 3);
        assertThat(indexes(read(segment, 2, 2, true, List.of()))).containsExactly(3, 4, 5, 6);
        assertThat(indexes(read(segment, 3, 3, false, List.of())))
                .as("caught up: the window stays")
                .containsExactly(4, 5, 6, 7);
        assertThat(readAhead.windowBytes(segment.topicIdPartition())).isEqualTo(4 * CHUNK);
    }

    @Test
    void theWindowGoesOnIntoTheFollowingSegments() {
        TopicIdPartition partition = new TopicIdPartition(Uuid.randomUuid(), 0, "replay");
        // segments of 400 bytes, smaller than a chunk: each is one short chunk
        List<RemoteLogSegmentMetadata> segments = segments(partition, 10, 400);
        RemoteLogSegmentMetadata first = segments.get(0);

        List<ReadAhead.Chunk> plan = read(first, 0, 0, true, segments);

        assertThat(plan)
                .as("one chunk's worth of bytes: the next three segments (1200 bytes)")
                .containsExactly(
                        new ReadAhead.Chunk(segments.get(1), 0),
                        new ReadAhead.Chunk(segments.get(2), 0),
                        new ReadAhead.Chunk(segments.get(3), 0));
        assertThat(read(segments.get(1), 0, 0, false, segments))
                .as("the next segment's first chunk continues the stream")
                .containsExactly(
                        new ReadAhead.Chunk(segments.get(2), 0),
                        new ReadAhead.Chunk(segments.get(3), 0),
                        new ReadAhead.Chunk(segments.get(4), 0));
    }

    @Test
    void theWindowStopsAtThePartitionsLastRemoteSegment() {
        TopicIdPartition partition = new TopicIdPartition(Uuid.randomUuid(), 0, "replay");
        // three chunks each, the last one byte long
        List<RemoteLogSegmentMetadata> segments = segments(partition, 3, 2 * CHUNK + 1);
        read(segments.get(0), 0, 0, true, segments);
        read(segments.get(0), 1, 1, true, segments);
        read(segments.get(0), 2, 2, true, segments);

        List<ReadAhead.Chunk> plan = read(segments.get(1), 0, 0, true, segments);

        assertThat(readAhead.windowBytes(partition)).isEqualTo(8 * CHUNK);
        assertThat(plan)
                .as("the rest of this segment and all of the last, nothing after it")
                .containsExactly(
                        new ReadAhead.Chunk(segments.get(1), 1),
                        new ReadAhead.Chunk(segments.get(1), 2),
                        new ReadAhead.Chunk(segments.get(2), 0),
                        new ReadAhead.Chunk(segments.get(2), 1),
                        new ReadAhead.Chunk(segments.get(2), 2));
    }

    @Test
    void aRandomReadDoesNotReadAheadUntilTheNextShowsADirection() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 100 * CHUNK);

        assertThat(read(segment, 50, 50, true, List.of())).isEmpty();
        assertThat(read(segment, 20, 20, true, List.of())).as("a jump back").isEmpty();
        assertThat(indexes(read(segment, 21, 21, true, List.of())))
                .as("sequential from there, the window restarts at one chunk and grows")
                .containsExactly(22, 23);
    }

    @Test
    void aFirstReadInTheMiddleOfASegmentDoesNotReadAhead() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 100 * CHUNK);

        assertThat(readAhead.onRead(segment, 17, 0, true, CHUNK, MEMORY, ReadAhead.NextSegment.NONE))
                .as("a consumer's cold first fetch: one ranged read, nothing more")
                .isEmpty();
        assertThat(indexes(read(segment, 0, 0, false, List.of())))
                .as("its next read goes on from there")
                .containsExactly(1);
    }

    @Test
    void aJumpStartsANewStreamWithAOneChunkWindow() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 100 * CHUNK);
        read(segment, 0, 0, true, List.of());
        read(segment, 1, 1, true, List.of());
        read(segment, 2, 2, true, List.of());
        assertThat(readAhead.windowBytes(segment.topicIdPartition())).isEqualTo(4 * CHUNK);

        RemoteLogSegmentMetadata other = TestSegments.metadata(5_000, 100 * CHUNK);
        assertThat(indexes(read(other, 0, 0, true, List.of())))
                .as("the first chunk of a segment that does not follow: a new replay")
                .containsExactly(1);
        assertThat(readAhead.windowBytes(segment.topicIdPartition())).isEqualTo(CHUNK);
    }

    @Test
    void theWindowIsBoundedByHalfTheMemoryBudgetSharedAmongActiveStreams() {
        RemoteLogSegmentMetadata a =
                TestSegments.metadata(new TopicIdPartition(Uuid.randomUuid(), 0, "a"), 0, 10_000 * CHUNK);
        RemoteLogSegmentMetadata b =
                TestSegments.metadata(new TopicIdPartition(Uuid.randomUuid(), 0, "b"), 0, 10_000 * CHUNK);
        long memory = 16 * CHUNK;
        for (int i = 0; i < 10; i++) {
            readAhead.onRead(a, (long) i * CHUNK, i, true, CHUNK, memory, ReadAhead.NextSegment.NONE);
        }
        assertThat(readAhead.windowBytes(a.topicIdPartition()))
                .as("alone: half the budget")
                .isEqualTo(8 * CHUNK);

        readAhead.onRead(b, 0, 0, true, CHUNK, memory, ReadAhead.NextSegment.NONE);
        List<ReadAhead.Chunk> plan =
                readAhead.onRead(a, 10L * CHUNK, 10, true, CHUNK, memory, ReadAhead.NextSegment.NONE);
        assertThat(plan).as("two readers: a quarter each").hasSize(4);
        assertThat(readAhead.windowBytes(a.topicIdPartition())).isEqualTo(4 * CHUNK);

        for (int i = 0; i < ReadAhead.ACTIVE_READS; i++) {
            readAhead.onRead(a, 11L * CHUNK, 11, false, CHUNK, memory, ReadAhead.NextSegment.NONE);
        }
        readAhead.onRead(a, 12L * CHUNK, 12, true, CHUNK, memory, ReadAhead.NextSegment.NONE);
        assertThat(readAhead.windowBytes(a.topicIdPartition()))
                .as("b stopped reading long ago: a has half the budget again")
                .isEqualTo(8 * CHUNK);
    }

    @Test
    void theWindowNeverShrinksBelowOneChunk() {
        RemoteLogSegmentMetadata segment = TestSegments.metadata(0, 100 * CHUNK);
        List<ReadAhead.Chunk> plan = readAhead.onRead(segment, 0, 0, true, CHUNK, CHUNK, ReadAhead.NextSegment.NONE);
        assertThat(indexes(plan))
                .as("a budget of one chunk still reads one ahead")
                .containsExactly(1);
    }

    private List<ReadAhead.Chunk> read(
            RemoteLogSegmentMetadata segment, int first, int last, boolean missed, List<RemoteLogSegmentMetadata> all) {
        return readAhead.onRead(segment, (long) first * CHUNK, last, missed, CHUNK, MEMORY, next(all));
    }

    private static ReadAhead.NextSegment next(List<RemoteLogSegmentMetadata> segments) {
        return segment -> {
            int i = segments.indexOf(segment);
            return i >= 0 && i + 1 < segments.size() ? Optional.of(segments.get(i + 1)) : Optional.empty();
        };
    }

    /** {@code count} consecutive segments of {@code size} bytes, 100 offsets each. */
    private static List<RemoteLogSegmentMetadata> segments(TopicIdPartition partition, int count, int size) {
        List<RemoteLogSegmentMetadata> segments = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            segments.add(TestSegments.metadata(partition, i * 100L, size));
        }
        return segments;
    }

    private static List<Integer> indexes(List<ReadAhead.Chunk> chunks) {
        return chunks.stream().map(ReadAhead.Chunk::index).toList();
    }
}
