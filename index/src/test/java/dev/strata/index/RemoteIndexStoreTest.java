package dev.strata.index;

import static dev.strata.index.RemoteSegmentState.COPY_FINISHED;
import static dev.strata.index.RemoteSegmentState.COPY_STARTED;
import static dev.strata.index.RemoteSegmentState.DELETE_FINISHED;
import static dev.strata.index.RemoteSegmentState.DELETE_STARTED;
import static dev.strata.index.Segments.OTHER_TOPIC;
import static dev.strata.index.Segments.P0;
import static dev.strata.index.Segments.P1;
import static dev.strata.index.Segments.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteIndexStoreTest {

    @TempDir
    Path dir;

    private RemoteIndexStore store;

    @BeforeEach
    void open() throws IOException {
        store = RemoteIndexStore.open(dir.resolve("remote-index"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Stores a segment the way tiering does: COPY_STARTED, then COPY_FINISHED. */
    private RemoteSegment finished(PartitionKey partition, long start, long end) {
        RemoteSegment started = segment(partition, start, end, COPY_STARTED);
        store.putSegment(started);
        return store.updateState(started.id(), COPY_FINISHED, 100L);
    }

    private RemoteSegment started(PartitionKey partition, long start, long end) {
        RemoteSegment started = segment(partition, start, end, COPY_STARTED);
        store.putSegment(started);
        return started;
    }

    @Test
    void segmentMovesThroughItsLifecycle() {
        RemoteSegment started = started(P0, 0, 99);
        assertThat(store.segment(started.id())).contains(started);

        RemoteSegment finished = store.updateState(started.id(), COPY_FINISHED, 200L);
        assertThat(finished).isEqualTo(started.withState(COPY_FINISHED, 200L));
        assertThat(store.segment(started.id())).contains(finished);

        store.updateState(started.id(), DELETE_STARTED, 300L);
        RemoteSegment deleted = store.updateState(started.id(), DELETE_FINISHED, 400L);
        assertThat(store.segment(started.id())).contains(deleted);
        assertThat(deleted.eventTimestampMs()).isEqualTo(400L);
    }

    @Test
    void aManifestFinishesTheCopiersRecordOrStoresAnUnknownSegmentAndNeverUndoesALaterState() {
        RemoteSegment started = started(P0, 0, 99);
        RemoteSegment finished = started.withState(COPY_FINISHED, 200L);
        SegmentManifest manifest = new SegmentManifest(
                finished, List.of(new OffsetPosition(50, 10)), List.of(new TimestampOffset(1_000L, 60)));
        assertThat(store.applyManifest(manifest)).isTrue();
        assertThat(store.segment(started.id())).contains(finished);
        assertThat(store.positionFor(started.id(), 70)).contains(new OffsetPosition(50, 10));
        assertThat(store.applyManifest(manifest)).as("applied twice").isFalse();

        RemoteSegment unknown = segment(P1, 0, 49, COPY_FINISHED);
        assertThat(store.applyManifest(new SegmentManifest(unknown, List.of(), List.of())))
                .isTrue();
        assertThat(store.segmentFor(P1, 10)).contains(unknown);

        store.updateState(started.id(), DELETE_STARTED, 300L);
        assertThat(store.applyManifest(manifest)).as("a deletion is not undone").isFalse();
        assertThat(store.segment(started.id()).orElseThrow().state()).isEqualTo(DELETE_STARTED);
        assertThatThrownBy(() -> store.applyManifest(new SegmentManifest(started, List.of(), List.of())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void newSegmentMustStartAsCopyStarted() {
        RemoteSegment finished = segment(P0, 0, 99, COPY_FINISHED);
        assertThatThrownBy(() -> store.putSegment(finished))
                .isInstanceOfSatisfying(IllegalStateTransitionException.class, e -> {
                    assertThat(e.from()).isNull();
                    assertThat(e.to()).isEqualTo(COPY_FINISHED);
                    assertThat(e.segmentId()).isEqualTo(finished.id());
                });
        assertThat(store.segments(P0)).isEmpty();
    }

    @Test
    void illegalTransitionsAreRejectedAndLeaveTheStoredState() {
        RemoteSegment segment = finished(P0, 0, 99);
        assertThatThrownBy(() -> store.updateState(segment.id(), COPY_STARTED, 1L))
                .isInstanceOf(IllegalStateTransitionException.class);
        assertThatThrownBy(() -> store.updateState(segment.id(), DELETE_FINISHED, 1L))
                .isInstanceOf(IllegalStateTransitionException.class);
        assertThatThrownBy(() -> store.putSegment(segment.withState(COPY_STARTED, 1L)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(store.segment(segment.id()).orElseThrow().state()).isEqualTo(COPY_FINISHED);

        store.updateState(segment.id(), DELETE_STARTED, 2L);
        store.updateState(segment.id(), DELETE_FINISHED, 3L);
        for (RemoteSegmentState state : List.of(COPY_STARTED, COPY_FINISHED, DELETE_STARTED)) {
            assertThatThrownBy(() -> store.updateState(segment.id(), state, 4L))
                    .isInstanceOf(IllegalStateTransitionException.class);
        }
    }

    @Test
    void failedCopyCanBeDeletedWithoutFinishing() {
        RemoteSegment started = started(P0, 0, 99);
        store.updateState(started.id(), DELETE_STARTED, 1L);
        assertThat(store.updateState(started.id(), DELETE_FINISHED, 2L).state()).isEqualTo(DELETE_FINISHED);
    }

    @Test
    void rewritingTheSameStateIsIdempotentAndMayUpdateFields() {
        RemoteSegment finished = finished(P0, 0, 99);
        RemoteSegment withCustom = new RemoteSegment(
                finished.id(),
                0,
                99,
                finished.maxTimestampMs(),
                finished.sizeInBytes(),
                finished.leaderEpochs(),
                finished.brokerId(),
                COPY_FINISHED,
                500L,
                new byte[] {1, 2});
        store.putSegment(withCustom);
        assertThat(store.segment(finished.id())).contains(withCustom);
    }

    @Test
    void offsetsSizeAndTimestampsOfAStoredSegmentCannotChange() {
        RemoteSegment started = started(P0, 0, 99);
        assertThatThrownBy(() -> store.putSegment(segment(started.id(), 10, 99, COPY_FINISHED)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.putSegment(segment(started.id(), 0, 98, COPY_FINISHED)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.putSegment(Segments.withMaxTimestamp(started, 5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.segments(P0)).containsExactly(started);
    }

    @Test
    void writesToUnknownSegmentsFail() {
        RemoteSegmentId unknown = RemoteSegmentId.random(P0);
        assertThatThrownBy(() -> store.updateState(unknown, COPY_FINISHED, 1L))
                .isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> store.putIndexEntries(unknown, List.of(), List.of()))
                .isInstanceOf(NoSuchElementException.class);
        assertThat(store.segment(unknown)).isEmpty();
        assertThat(store.positionFor(unknown, 0)).isEmpty();
        assertThat(store.offsetForTimestamp(unknown, 0)).isEmpty();
        assertThat(store.manifest(unknown)).isEmpty();
        assertThat(store.removeSegment(unknown)).isFalse();
    }

    @Test
    void segmentIdOfAnotherPartitionIsRejected() {
        RemoteSegment segment = started(P0, 0, 99);
        RemoteSegmentId wrongPartition = new RemoteSegmentId(P1, segment.id().segmentId());
        assertThatThrownBy(() -> store.putSegment(segment(wrongPartition, 0, 99, COPY_STARTED)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void segmentForIsAFloorLookupThatHonoursGapsAndBoundaries() {
        RemoteSegment first = finished(P0, 0, 99);
        RemoteSegment second = finished(P0, 100, 199);
        RemoteSegment afterGap = finished(P0, 300, 399);
        finished(P1, 0, 10_000);
        finished(OTHER_TOPIC, 0, 10_000);

        assertThat(store.segmentFor(P0, 0)).contains(first);
        assertThat(store.segmentFor(P0, 99)).contains(first);
        assertThat(store.segmentFor(P0, 100)).contains(second);
        assertThat(store.segmentFor(P0, 199)).contains(second);
        assertThat(store.segmentFor(P0, 200)).isEmpty();
        assertThat(store.segmentFor(P0, 299)).isEmpty();
        assertThat(store.segmentFor(P0, 300)).contains(afterGap);
        assertThat(store.segmentFor(P0, 399)).contains(afterGap);
        assertThat(store.segmentFor(P0, 400)).isEmpty();
        assertThat(store.segmentFor(P0, Long.MAX_VALUE)).isEmpty();
        assertThat(store.segmentFor(P0, -1)).isEmpty();
        assertThat(store.segmentFor(new PartitionKey(P0.topicId(), 2), 50)).isEmpty();
    }

    @Test
    void segmentForBeyondFourByteOffsets() {
        long base = 5L << 32;
        RemoteSegment low = finished(P0, base - 1_000, base - 1);
        RemoteSegment high = finished(P0, base, base + 255);
        assertThat(store.segmentFor(P0, base - 1)).contains(low);
        assertThat(store.segmentFor(P0, base + 255)).contains(high);
        assertThat(store.segmentFor(P0, base + 256)).isEmpty();
    }

    @Test
    void segmentsThatAreNotCopyFinishedAreInvisibleToReaders() {
        RemoteSegment started = started(P0, 0, 99);
        assertThat(store.segmentFor(P0, 50)).isEmpty();
        assertThat(store.firstSegmentAtOrAfter(P0, 0)).isEmpty();
        assertThat(store.highestRemoteOffset(P0)).isEmpty();
        assertThat(store.remoteSizeBytes(P0)).isZero();
        assertThat(store.segments(P0)).containsExactly(started);

        store.updateState(started.id(), COPY_FINISHED, 1L);
        assertThat(store.segmentFor(P0, 50)).isPresent();
        store.updateState(started.id(), DELETE_STARTED, 2L);
        assertThat(store.segmentFor(P0, 50)).isEmpty();
        assertThat(store.highestRemoteOffset(P0)).isEmpty();
        assertThat(store.remoteSizeBytes(P0)).isZero();
    }

    @Test
    void retriedCopyAtTheSameStartOffsetIsFoundWhicheverIdSortsLast() {
        for (boolean failedSortsLast : List.of(true, false)) {
            PartitionKey partition = new PartitionKey(UUID.randomUUID(), 0);
            UUID low = new UUID(0, failedSortsLast ? 1 : 2);
            UUID high = new UUID(-1L, failedSortsLast ? -2L : -3L);
            RemoteSegment before = finished(partition, 0, 99);
            RemoteSegmentId failed = new RemoteSegmentId(partition, failedSortsLast ? high : low);
            RemoteSegmentId retried = new RemoteSegmentId(partition, failedSortsLast ? low : high);
            store.putSegment(segment(failed, 100, 199, COPY_STARTED));
            store.putSegment(segment(retried, 100, 199, COPY_STARTED));
            RemoteSegment finishedRetry = store.updateState(retried, COPY_FINISHED, 1L);

            assertThat(store.segmentFor(partition, 150)).contains(finishedRetry);
            assertThat(store.segmentFor(partition, 99)).contains(before);
            assertThat(store.highestRemoteOffset(partition)).hasValue(199);
            assertThat(store.segments(partition)).hasSize(3);
        }
    }

    @Test
    void firstSegmentAtOrAfterATimestamp() {
        RemoteSegment first = store.updateState(
                put(Segments.withMaxTimestamp(segment(P0, 0, 99, COPY_STARTED), 1_000)), COPY_FINISHED, 1L);
        RemoteSegment second = store.updateState(
                put(Segments.withMaxTimestamp(segment(P0, 100, 199, COPY_STARTED), 2_000)), COPY_FINISHED, 1L);
        put(Segments.withMaxTimestamp(segment(P0, 200, 299, COPY_STARTED), 9_000));
        RemoteSegment third = store.updateState(
                put(Segments.withMaxTimestamp(segment(P0, 300, 399, COPY_STARTED), 3_000)), COPY_FINISHED, 1L);

        assertThat(store.firstSegmentAtOrAfter(P0, -1)).contains(first);
        assertThat(store.firstSegmentAtOrAfter(P0, 1_000)).contains(first);
        assertThat(store.firstSegmentAtOrAfter(P0, 1_001)).contains(second);
        assertThat(store.firstSegmentAtOrAfter(P0, 2_001)).contains(third);
        assertThat(store.firstSegmentAtOrAfter(P0, 3_000)).contains(third);
        assertThat(store.firstSegmentAtOrAfter(P0, 3_001)).isEmpty();
        assertThat(store.firstSegmentAtOrAfter(P1, 0)).isEmpty();
    }

    private RemoteSegmentId put(RemoteSegment segment) {
        store.putSegment(segment);
        return segment.id();
    }

    @Test
    void highestRemoteOffsetAndSizeCountFinishedSegmentsOnly() {
        assertThat(store.highestRemoteOffset(P0)).isEmpty();
        assertThat(store.remoteSizeBytes(P0)).isZero();

        finished(P0, 0, 99);
        finished(P0, 100, 149);
        started(P0, 150, 199);
        finished(P1, 0, 999);

        assertThat(store.highestRemoteOffset(P0)).hasValue(149);
        assertThat(store.remoteSizeBytes(P0)).isEqualTo(100 * 100 + 50 * 100);
        assertThat(store.highestRemoteOffset(P1)).hasValue(999);
        assertThat(store.highestRemoteOffset(OTHER_TOPIC)).isEmpty();
    }

    @Test
    void segmentsListsEveryStateInOffsetOrder() {
        RemoteSegment c = started(P0, 1L << 33, (1L << 33) + 10);
        RemoteSegment a = finished(P0, 0, 255);
        RemoteSegment b = finished(P0, 256, 70_000);
        store.updateState(b.id(), DELETE_STARTED, 5L);
        finished(P1, 0, 10);

        assertThat(store.segments(P0)).extracting(RemoteSegment::id).containsExactly(a.id(), b.id(), c.id());
        assertThat(store.segments(P0).get(1).state()).isEqualTo(DELETE_STARTED);
    }

    @Test
    void positionForIsTheFloorOffsetIndexEntry() {
        RemoteSegment segment = started(P0, 100, 199);
        store.putIndexEntries(
                segment.id(),
                List.of(new OffsetPosition(150, 4_096), new OffsetPosition(100, 0), new OffsetPosition(180, 8_192)),
                List.of());
        store.updateState(segment.id(), COPY_FINISHED, 1L);

        assertThat(store.positionFor(segment.id(), 100)).contains(new OffsetPosition(100, 0));
        assertThat(store.positionFor(segment.id(), 149)).contains(new OffsetPosition(100, 0));
        assertThat(store.positionFor(segment.id(), 150)).contains(new OffsetPosition(150, 4_096));
        assertThat(store.positionFor(segment.id(), 179)).contains(new OffsetPosition(150, 4_096));
        assertThat(store.positionFor(segment.id(), 199)).contains(new OffsetPosition(180, 8_192));
        assertThatThrownBy(() -> store.positionFor(segment.id(), 200)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.positionFor(segment.id(), 99)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void positionForWithoutEntriesStartsAtTheSegmentStart() {
        RemoteSegment earlier = started(P0, 0, 99);
        store.putIndexEntries(earlier.id(), List.of(new OffsetPosition(99, 9_000)), List.of());
        RemoteSegment segment = started(P0, 100, 199);
        RemoteSegment later = started(P0, 200, 299);
        store.putIndexEntries(later.id(), List.of(new OffsetPosition(250, 5_000)), List.of());

        assertThat(store.positionFor(segment.id(), 150)).contains(new OffsetPosition(100, 0));
        assertThat(store.positionFor(later.id(), 249)).contains(new OffsetPosition(200, 0));
    }

    @Test
    void offsetForTimestampIsTheFloorTimeIndexEntry() {
        RemoteSegment segment = started(P0, 100, 199);
        store.putIndexEntries(
                segment.id(),
                List.of(),
                List.of(
                        new TimestampOffset(1_000, 100),
                        new TimestampOffset(2_000, 150),
                        new TimestampOffset(3_000, 180)));
        RemoteSegment other = started(P0, 200, 299);
        store.putIndexEntries(other.id(), List.of(), List.of(new TimestampOffset(-5, 210)));

        assertThat(store.offsetForTimestamp(segment.id(), 500)).hasValue(100);
        assertThat(store.offsetForTimestamp(segment.id(), 1_000)).hasValue(100);
        assertThat(store.offsetForTimestamp(segment.id(), 2_500)).hasValue(150);
        assertThat(store.offsetForTimestamp(segment.id(), Long.MAX_VALUE)).hasValue(180);
        assertThat(store.offsetForTimestamp(other.id(), -6)).hasValue(200);
        assertThat(store.offsetForTimestamp(other.id(), -5)).hasValue(210);
    }

    @Test
    void putIndexEntriesReplacesEarlierEntriesAndChecksThem() {
        RemoteSegment segment = started(P0, 0, 99);
        store.putIndexEntries(
                segment.id(), List.of(new OffsetPosition(50, 5_000)), List.of(new TimestampOffset(7, 50)));
        store.putIndexEntries(
                segment.id(), List.of(new OffsetPosition(20, 2_000)), List.of(new TimestampOffset(3, 20)));

        assertThat(store.positionFor(segment.id(), 60)).contains(new OffsetPosition(20, 2_000));
        assertThat(store.offsetForTimestamp(segment.id(), 100)).hasValue(20);

        assertThatThrownBy(() -> store.putIndexEntries(segment.id(), List.of(new OffsetPosition(100, 0)), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(
                        () -> store.putIndexEntries(segment.id(), List.of(new OffsetPosition(10, 10_000)), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.manifest(segment.id()).orElseThrow().offsetEntries())
                .containsExactly(new OffsetPosition(20, 2_000));

        store.updateState(segment.id(), DELETE_STARTED, 1L);
        assertThatThrownBy(() -> store.putIndexEntries(segment.id(), List.of(), List.of()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everythingSurvivesCloseAndReopen() throws IOException {
        RemoteSegment segment = started(P0, 0, 99);
        store.putIndexEntries(
                segment.id(), List.of(new OffsetPosition(50, 5_000)), List.of(new TimestampOffset(1_000, 50)));
        RemoteSegment finished = store.updateState(segment.id(), COPY_FINISHED, 1L);
        RemoteSegment pending = started(P0, 100, 199);

        store.close();
        store = RemoteIndexStore.open(dir.resolve("remote-index"));

        assertThat(store.segmentFor(P0, 60)).contains(finished);
        assertThat(store.segments(P0)).containsExactly(finished, pending);
        assertThat(store.positionFor(segment.id(), 60)).contains(new OffsetPosition(50, 5_000));
        assertThat(store.offsetForTimestamp(segment.id(), 1_500)).hasValue(50);
        assertThat(store.highestRemoteOffset(P0)).hasValue(99);
    }

    @Test
    void deletePartitionRemovesOnlyThatPartition() {
        RemoteSegment gone = started(P0, 0, 99);
        store.putIndexEntries(gone.id(), List.of(new OffsetPosition(50, 5_000)), List.of(new TimestampOffset(1, 50)));
        store.updateState(gone.id(), COPY_FINISHED, 1L);
        started(P0, 100, 199);
        RemoteSegment kept = started(P1, 0, 99);
        store.putIndexEntries(kept.id(), List.of(new OffsetPosition(50, 5_000)), List.of(new TimestampOffset(1, 50)));

        assertThat(store.deletePartition(P0)).isEqualTo(2);

        assertThat(store.segments(P0)).isEmpty();
        assertThat(store.segmentFor(P0, 50)).isEmpty();
        assertThat(store.segment(gone.id())).isEmpty();
        assertThat(store.positionFor(gone.id(), 50)).isEmpty();
        assertThat(store.segments(P1)).containsExactly(kept);
        assertThat(store.positionFor(kept.id(), 60)).contains(new OffsetPosition(50, 5_000));
        assertThat(store.offsetForTimestamp(kept.id(), 1)).hasValue(50);
        assertThat(store.deletePartition(P0)).isZero();

        // a segment id may come back after its partition is deleted (the same segment restored)
        store.putSegment(segment(gone.id(), 0, 99, COPY_STARTED));
        assertThat(store.manifest(gone.id()).orElseThrow().offsetEntries()).isEmpty();
    }

    @Test
    void removeSegmentOnlyAfterDeleteFinished() {
        RemoteSegment segment = finished(P0, 0, 99);
        store.putIndexEntries(segment.id(), List.of(new OffsetPosition(10, 1_000)), List.of());
        assertThatThrownBy(() -> store.removeSegment(segment.id())).isInstanceOf(IllegalStateException.class);
        store.updateState(segment.id(), DELETE_STARTED, 1L);
        assertThatThrownBy(() -> store.removeSegment(segment.id())).isInstanceOf(IllegalStateException.class);
        store.updateState(segment.id(), DELETE_FINISHED, 2L);

        assertThat(store.removeSegment(segment.id())).isTrue();
        assertThat(store.segments(P0)).isEmpty();
        assertThat(store.segment(segment.id())).isEmpty();
        assertThat(store.removeSegment(segment.id())).isFalse();
    }

    @Test
    void manifestOfAStoredSegmentRoundTrips() {
        RemoteSegment segment = started(P0, 1_000, 1_999);
        List<OffsetPosition> offsets = List.of(new OffsetPosition(1_000, 0), new OffsetPosition(1_500, 50_000));
        List<TimestampOffset> times = List.of(new TimestampOffset(10, 1_000), new TimestampOffset(20, 1_500));
        store.putIndexEntries(segment.id(), offsets, times);
        RemoteSegment finished = store.updateState(segment.id(), COPY_FINISHED, 1L);

        SegmentManifest manifest = store.manifest(segment.id()).orElseThrow();
        assertThat(manifest).isEqualTo(new SegmentManifest(finished, offsets, times));
        assertThat(SegmentManifest.fromBytes(manifest.toBytes())).isEqualTo(manifest);
    }

    @Test
    void rebuildFromManifestsAfterTheDirectoryIsLost() throws IOException {
        List<byte[]> bucket = new ArrayList<>();
        List<RemoteSegment> finished = new ArrayList<>();
        for (PartitionKey partition : List.of(P0, P1, OTHER_TOPIC)) {
            for (long start = 0; start < 1_000; start += 100) {
                RemoteSegment segment = started(partition, start, start + 99);
                store.putIndexEntries(
                        segment.id(),
                        List.of(new OffsetPosition(start, 0), new OffsetPosition(start + 50, 5_000)),
                        List.of(new TimestampOffset(start * 10, start + 50)));
                finished.add(store.updateState(segment.id(), COPY_FINISHED, 1L));
                bucket.add(store.manifest(segment.id()).orElseThrow().toBytes());
            }
        }
        RemoteSegment debris = started(P0, 1_000, 1_099);
        bucket.add(store.manifest(debris.id()).orElseThrow().toBytes());
        RemoteSegment expired = finished.get(0);
        store.updateState(expired.id(), DELETE_STARTED, 2L);
        store.updateState(expired.id(), DELETE_FINISHED, 3L);
        bucket.set(0, store.manifest(expired.id()).orElseThrow().toBytes());
        byte[] corrupt = bucket.get(1).clone();
        corrupt[corrupt.length / 2] ^= 1;
        bucket.add(corrupt);
        bucket.add(bucket.get(2));

        List<RemoteSegment> before = store.segments(P0);
        store.close();
        deleteRecursively(dir.resolve("remote-index"));
        store = RemoteIndexStore.open(dir.resolve("remote-index"));
        assertThat(store.segments(P0)).isEmpty();

        RemoteIndexStore.RebuildResult result = store.rebuild(bucket);

        assertThat(result).isEqualTo(new RemoteIndexStore.RebuildResult(30, 2, 1));
        // everything but the expired segment is back as it was; the corrupt copy did not hide the intact one
        assertThat(store.segments(P0))
                .containsExactlyElementsOf(before.stream()
                        .filter(s -> !s.id().equals(expired.id()))
                        .toList());
        for (RemoteSegment segment : finished.subList(1, finished.size())) {
            long middle = segment.startOffset() + 60;
            assertThat(store.segmentFor(segment.partition(), middle)).contains(segment);
            assertThat(store.positionFor(segment.id(), middle))
                    .contains(new OffsetPosition(segment.startOffset() + 50, 5_000));
            assertThat(store.offsetForTimestamp(segment.id(), segment.startOffset() * 10))
                    .hasValue(segment.startOffset() + 50);
        }
        assertThat(store.segment(debris.id())).contains(debris);
        assertThat(store.highestRemoteOffset(P1)).hasValue(999);
        assertThat(store.remoteSizeBytes(OTHER_TOPIC)).isEqualTo(10 * 100 * 100);

        store.close();
        store = RemoteIndexStore.open(dir.resolve("remote-index"));
        assertThat(store.segmentFor(OTHER_TOPIC, 555)).isPresent();
    }

    @Test
    void isEmptyUntilASegmentIsStoredAndAgainOnceTheLastIsRemoved() {
        assertThat(store.isEmpty()).isTrue();
        RemoteSegment segment = started(OTHER_TOPIC, 0, 99);
        assertThat(store.isEmpty()).isFalse();
        store.updateState(segment.id(), DELETE_STARTED, 1L);
        assertThat(store.isEmpty())
                .as("a segment being deleted is still stored")
                .isFalse();
        store.updateState(segment.id(), DELETE_FINISHED, 2L);
        store.removeSegment(segment.id());

        assertThat(store.isEmpty()).isTrue();
    }

    @Test
    void rebuildKeepsWhatTheStoreAlreadyKnows() {
        RemoteSegment segment = finished(P0, 0, 99);
        byte[] finishedManifest = store.manifest(segment.id()).orElseThrow().toBytes();
        RemoteSegment deleting = store.updateState(segment.id(), DELETE_STARTED, 2L);

        assertThat(store.rebuild(List.of(finishedManifest))).isEqualTo(new RemoteIndexStore.RebuildResult(0, 1, 0));
        assertThat(store.segment(segment.id())).contains(deleting);
    }

    @Test
    void rebuildRestoresSegmentsInBatchesBeyondOneWrite() {
        List<byte[]> bucket = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            RemoteSegment segment = segment(P0, i * 10L, i * 10L + 9, COPY_FINISHED);
            bucket.add(
                    new SegmentManifest(segment, List.of(new OffsetPosition(i * 10L + 5, 500)), List.of()).toBytes());
        }
        assertThat(store.rebuild(bucket).restoredSegments()).isEqualTo(600);
        assertThat(store.segments(P0)).hasSize(600);
        assertThat(store.highestRemoteOffset(P0)).hasValue(5_999);
        RemoteSegment last = store.segmentFor(P0, 5_997).orElseThrow();
        assertThat(store.positionFor(last.id(), 5_997)).contains(new OffsetPosition(5_995, 500));
    }

    @Test
    void rebuildWritesABatchOnceItHoldsEnoughBytesSoAFailureLaterKeepsIt() {
        List<byte[]> bucket = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RemoteSegment segment = segment(P0, i * 10L, i * 10L + 9, COPY_FINISHED);
            bucket.add(
                    new SegmentManifest(segment, List.of(new OffsetPosition(i * 10L + 5, 500)), List.of()).toBytes());
        }
        Iterable<byte[]> failsAfterThree = () -> Stream.concat(bucket.stream(), Stream.<byte[]>generate(() -> {
                    throw new UncheckedIOException(new IOException("injected: the listing broke off"));
                }))
                .iterator();

        assertThatThrownBy(() -> store.rebuild(failsAfterThree, 1)).hasMessageContaining("injected");

        assertThat(store.segments(P0))
                .as("each segment was a full batch, written before the listing failed")
                .hasSize(3);
        assertThat(store.rebuild(bucket)).isEqualTo(new RemoteIndexStore.RebuildResult(0, 3, 0));
    }

    @Test
    void closedStoreRefusesCalls() {
        store.close();
        store.close();
        assertThatThrownBy(() -> store.segmentFor(P0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> store.putSegment(segment(P0, 0, 9, COPY_STARTED)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void secondOpenOfTheSameDirectoryFails() {
        assertThatThrownBy(() -> RemoteIndexStore.open(dir.resolve("remote-index")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("remote-index");
    }

    @Test
    void concurrentCopiesOfManyPartitions() throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int p = 0; p < 4; p++) {
            PartitionKey partition = new PartitionKey(P0.topicId(), 10 + p);
            threads.add(new Thread(() -> {
                try {
                    for (long start = 0; start < 2_000; start += 100) {
                        finished(partition, start, start + 99);
                        assertThat(store.highestRemoteOffset(partition)).hasValue(start + 99);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        for (int p = 0; p < 4; p++) {
            assertThat(store.segments(new PartitionKey(P0.topicId(), 10 + p))).hasSize(20);
        }
    }

    /** The remote index's aborted transactions: what a {@code read_committed} fetch of the remote tier is told. */
    @Nested
    class AbortedTransactions {

        /** A finished copy of {@code [start, end]} with these aborted transactions, as the copier records it. */
        private SegmentManifest copied(PartitionKey partition, long start, long end, RemoteAbortedTxn... aborted) {
            SegmentManifest manifest = new SegmentManifest(
                    segment(partition, start, end, COPY_FINISHED), List.of(), List.of(), List.of(aborted));
            store.applyManifest(manifest);
            return manifest;
        }

        /** An aborted transaction whose marker is the last thing written: the LSO then moves past it. */
        private static RemoteAbortedTxn aborted(long producerId, long first, long marker) {
            return new RemoteAbortedTxn(producerId, first, marker, marker + 1);
        }

        @Test
        void findsTheTransactionsThatOverlapTheRangeAcrossSegments() {
            // producer 1 aborts within the first segment; producer 2 starts in it and aborts in the second
            RemoteAbortedTxn first = aborted(1, 10, 20);
            RemoteAbortedTxn spanning = new RemoteAbortedTxn(2, 90, 120, 121);
            RemoteAbortedTxn later = aborted(3, 150, 160);
            copied(P0, 0, 99, first);
            copied(P0, 100, 199, spanning, later);

            assertThat(store.abortedTxns(P0, 0, 50).aborted()).containsExactly(first);
            // a fetch at 21 no longer needs producer 1, but needs producer 2 whose marker is in the next segment
            assertThat(store.abortedTxns(P0, 21, 99).aborted()).containsExactly(spanning);
            assertThat(store.abortedTxns(P0, 100, 200).aborted()).containsExactly(spanning, later);
            assertThat(store.abortedTxns(P0, 161, 200).aborted()).isEmpty();
        }

        @Test
        void stopsAtTheFirstEntryWhoseLastStableOffsetReachesTheUpperBound() {
            copied(P0, 0, 99, aborted(1, 10, 20), aborted(2, 30, 40));

            AbortedTxnSearch search = store.abortedTxns(P0, 0, 15);
            assertThat(search.aborted()).containsExactly(aborted(1, 10, 20));
            assertThat(search.complete()).isTrue();
        }

        @Test
        void anIncompleteSearchSaysHowFarTheRemoteTierWasSearched() {
            copied(P0, 0, 99, new RemoteAbortedTxn(1, 10, 20, 15));
            AbortedTxnSearch search = store.abortedTxns(P0, 0, 99);
            assertThat(search.complete()).isFalse();
            assertThat(search.searchedUpTo()).isEqualTo(99);
            assertThat(store.abortedTxns(P1, 0, 99)).isEqualTo(new AbortedTxnSearch(List.of(), false, -1));
        }

        @Test
        void aSegmentsEntriesGoWithItAndLeaveOtherSegmentsAndPartitions() {
            SegmentManifest old = copied(P0, 0, 99, aborted(1, 10, 20));
            copied(P0, 100, 199, aborted(2, 110, 120));
            copied(P1, 0, 99, aborted(3, 10, 20));

            RemoteSegmentId id = old.segment().id();
            store.updateState(id, DELETE_STARTED, 1L);
            store.updateState(id, DELETE_FINISHED, 2L);
            store.removeSegment(id);

            assertThat(store.abortedTxns(P0, 0, 200).aborted()).containsExactly(aborted(2, 110, 120));
            store.deletePartition(P0);
            assertThat(store.abortedTxns(P0, 0, 200).aborted()).isEmpty();
            assertThat(store.abortedTxns(P1, 0, 100).aborted()).containsExactly(aborted(3, 10, 20));
        }

        @Test
        void theManifestCarriesThemAndARebuildRestoresThem() throws IOException {
            SegmentManifest manifest = copied(P0, 0, 99, aborted(1, 10, 20), aborted(2, 5, 60));
            store.putIndexEntries(manifest.segment().id(), List.of(new OffsetPosition(50, 10)), List.of());
            SegmentManifest stored = store.manifest(manifest.segment().id()).orElseThrow();
            assertThat(stored.abortedTxns()).isEqualTo(manifest.abortedTxns());

            store.close();
            store = RemoteIndexStore.open(dir.resolve("rebuilt"));
            store.rebuild(List.of(stored.toBytes()));
            assertThat(store.abortedTxns(P0, 0, 100).aborted()).containsExactly(aborted(1, 10, 20), aborted(2, 5, 60));
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertThat(Files.exists(path)).isFalse();
    }
}
