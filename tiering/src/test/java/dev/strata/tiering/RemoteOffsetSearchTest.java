package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Searches by timestamp over three remote segments of two batches of five records each: offsets 0-9 at timestamps
 * T and T+1, 10-19 at T+10 and T+11, and 20-29 again at T+10 and T+11.
 */
class RemoteOffsetSearchTest {

    private static final long T = RemoteReadFixture.START_MS;

    @TempDir
    Path tmp;

    private final TopicIdPartition tip = new TopicIdPartition(Uuid.randomUuid(), 0, "events");
    private RemoteReadFixture remote;
    private RemoteOffsetSearch search;

    @BeforeEach
    void setUp() throws IOException {
        remote = new RemoteReadFixture(tmp);
        search = new RemoteOffsetSearch(remote.index(), remote.reader());
        FakeTieredPartition partition = new FakeTieredPartition(tip, tmp.resolve("log"));
        partition.appendSegment(2, T);
        partition.appendSegment(2, T + 10);
        partition.appendSegment(2, T + 10);
        remote.tier(partition, 30);
    }

    @AfterEach
    void tearDown() throws Exception {
        remote.close();
    }

    @Test
    void findsTheFirstRecordAtATimestampInTheBatchTheTimeIndexNames() throws Exception {
        assertThat(result(search.firstAtOrAfter(tip, T + 1, 0)))
                .hasValue(new RemoteOffsetSearch.Found(T + 1, 5, Optional.empty()));
    }

    @Test
    void findsTheFirstRecordAfterATimestampThatNoRecordHasInALaterSegment() throws Exception {
        assertThat(result(search.firstAtOrAfter(tip, T + 2, 0)))
                .hasValue(new RemoteOffsetSearch.Found(T + 10, 10, Optional.empty()));
    }

    @Test
    void skipsRecordsBelowTheLogStartOffset() throws Exception {
        assertThat(result(search.firstAtOrAfter(tip, T, 7)))
                .hasValue(new RemoteOffsetSearch.Found(T + 1, 7, Optional.empty()));
    }

    @Test
    void leavesATimestampPastEveryRemoteRecordToTheLocalLog() {
        assertThat(search.firstAtOrAfter(tip, T + 12, 0)).isEmpty();
    }

    @Test
    void findsTheFirstRecordWithTheLargestTimestampInTheEarliestSegmentThatHasIt() throws Exception {
        assertThat(result(search.maxTimestamp(tip, 0, T + 5)))
                .hasValue(new RemoteOffsetSearch.Found(T + 11, 15, Optional.empty()));
    }

    @Test
    void answersTheMaxTimestampOnATieWithTheLocalLogSinceTheRemoteRecordComesFirst() throws Exception {
        assertThat(result(search.maxTimestamp(tip, 0, T + 11)))
                .hasValue(new RemoteOffsetSearch.Found(T + 11, 15, Optional.empty()));
    }

    @Test
    void leavesTheMaxTimestampToTheLocalLogWhenALocalRecordIsLater() {
        assertThat(search.maxTimestamp(tip, 0, T + 12)).isEmpty();
    }

    @Test
    void ignoresSegmentsWhollyBelowTheLogStartOffsetForTheMaxTimestamp() throws Exception {
        assertThat(result(search.maxTimestamp(tip, 20, T + 5)))
                .hasValue(new RemoteOffsetSearch.Found(T + 11, 25, Optional.empty()));
    }

    @Test
    void leavesAPartitionWithNothingTieredToTheLocalLog() {
        TopicIdPartition other = new TopicIdPartition(Uuid.randomUuid(), 0, "other");

        assertThat(search.firstAtOrAfter(other, T, 0)).isEmpty();
        assertThat(search.maxTimestamp(other, 0, -1)).isEmpty();
    }

    private static Optional<RemoteOffsetSearch.Found> result(
            Optional<CompletableFuture<Optional<RemoteOffsetSearch.Found>>> search) throws Exception {
        assertThat(search).as("the remote tier answers").isPresent();
        return search.get().get(10, TimeUnit.SECONDS);
    }
}
