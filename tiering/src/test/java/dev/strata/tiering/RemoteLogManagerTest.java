package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.strata.index.RemoteAbortedTxn;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.testing.Await;
import dev.strata.testing.ManualTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentState;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteLogManagerTest {

    private static final long START_MS = 1_700_000_000_000L;
    private static final int BATCHES = 2;
    private static final long OFFSETS_PER_SEGMENT = BATCHES * FakeTieredPartition.RECORDS_PER_BATCH;

    @TempDir
    Path tmp;

    private final TopicIdPartition tip = new TopicIdPartition(Uuid.randomUuid(), 0, "orders");
    private final ManualTime time = new ManualTime(START_MS);
    private FileSystemRemoteStorageManager fileSystem;
    private FailingStorageManager storage;
    private RemoteIndexStore store;
    private FakeTieredPartition partition;
    private RemoteLogManager manager;

    @BeforeEach
    void setUp() throws IOException {
        fileSystem = new FileSystemRemoteStorageManager();
        fileSystem.configure(
                Map.of(FileSystemRemoteStorageManager.DIR_CONFIG, remoteRoot().toString()));
        storage = new FailingStorageManager(fileSystem);
        store = RemoteIndexStore.open(tmp.resolve("index"));
        partition = new FakeTieredPartition(tip, tmp.resolve("log"));
        manager = newManager(time, OptionalLong.empty());
    }

    @AfterEach
    void tearDown() throws IOException {
        manager.close();
        store.close();
        storage.close();
    }

    @Test
    void copiesOnlySealedSegmentsBelowTheHighWatermarkInOrder() {
        appendSegments(4);
        partition.highWatermark(3 * OFFSETS_PER_SEGMENT); // the fourth segment is not below it
        manager.register(partition);

        manager.runCopyOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset, RemoteSegment::state)
                .containsExactly(
                        tuple(0L, RemoteSegmentState.COPY_FINISHED),
                        tuple(10L, RemoteSegmentState.COPY_FINISHED),
                        tuple(20L, RemoteSegmentState.COPY_FINISHED));
        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L, 29L);
        assertThat(manager.highestRemoteOffset(tip)).hasValue(29L);
        assertThat(manager.remoteLogStartOffset(tip)).isZero();
        assertThat(remoteLogFiles()).hasSize(3);
        RemoteLogManagerStats stats = manager.stats();
        assertThat(stats.copiedSegments()).isEqualTo(3);
        assertThat(stats.copiedBytes()).isEqualTo(sizeOf(0, 3));
        assertThat(stats.copyLag().get(tip)).isEqualTo(RemoteLogManagerStats.CopyLag.NONE);
        assertThat(stats.remoteLogSize().get(tip)).isEqualTo(new RemoteLogManagerStats.RemoteLogSize(3, sizeOf(0, 3)));

        partition.highWatermark(4 * OFFSETS_PER_SEGMENT);
        manager.runCopyOnce(tip);

        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L, 29L, 39L);
        assertThat(remoteLogFiles()).hasSize(4);
    }

    @Test
    void writesTheSegmentsIndexEntriesSoAReadStartsAtTheRightBatch() throws IOException {
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);

        RemoteSegment second = manager.segmentFor(tip, 17).orElseThrow();
        // batches of 5 records: offset 17 is in the second batch, which starts where the first one ends
        int firstBatchSize = (int) (partition.segment(1).sizeInBytes() / BATCHES);
        assertThat(store.positionFor(second.id(), 17).orElseThrow().position()).isEqualTo(firstBatchSize);
        assertThat(store.offsetForTimestamp(second.id(), START_MS + 1)).hasValue(19L);
    }

    @Test
    void aFailedCopyCountsNothingCleansUpAndIsRetriedAfterBackoff() {
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.failCopies(true);

        manager.runCopyOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(manager.highestRemoteOffset(tip)).isEmpty();
        assertThat(partition.highestRemoteOffsets()).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        RemoteLogManagerStats stats = manager.stats();
        assertThat(stats.copyErrors()).isEqualTo(1);
        assertThat(stats.copiedSegments()).isZero();
        assertThat(stats.copyLag().get(tip)).isEqualTo(new RemoteLogManagerStats.CopyLag(2, sizeOf(0, 2)));

        storage.failCopies(false);
        manager.runCopyOnce(tip);
        assertThat(storage.copyAttempts()).as("no attempt while backing off").isEqualTo(1);

        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);

        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L);
        assertThat(remoteLogFiles()).hasSize(2);
        assertThat(manager.stats().copyLag().get(tip)).isEqualTo(RemoteLogManagerStats.CopyLag.NONE);
    }

    @Test
    void theTierStatusShowsTheRemoteTierTheCopyLagAndTheLastFailureUntilACopySucceeds() {
        appendSegments(3);
        partition.highWatermark(3 * OFFSETS_PER_SEGMENT);
        assertThat(manager.tierStatus(tip))
                .as("a partition this broker does not tier")
                .isEqualTo(new PartitionTierStatus(
                        0, 0, -1, -1, -1, false, RemoteLogManagerStats.CopyLag.NONE, 0, null, -1));

        manager.register(partition);
        storage.failCopies(true);
        manager.runCopyOnce(tip);
        PartitionTierStatus failing = manager.tierStatus(tip);
        assertThat(failing.copying()).isTrue();
        assertThat(failing.remoteSegments()).isZero();
        assertThat(failing.copyLag()).isEqualTo(new RemoteLogManagerStats.CopyLag(3, sizeOf(0, 3)));
        assertThat(failing.failedCopies()).isEqualTo(1);
        assertThat(failing.lastCopyError()).isNotBlank();
        assertThat(failing.lastCopyErrorMs()).isEqualTo(START_MS);

        storage.failCopies(false);
        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);
        PartitionTierStatus copied = manager.tierStatus(tip);
        assertThat(copied.remoteSegments()).isEqualTo(3);
        assertThat(copied.remoteBytes()).isEqualTo(sizeOf(0, 3));
        assertThat(copied.remoteLogStartOffset()).isZero();
        assertThat(copied.highestRemoteOffset()).isEqualTo(29L);
        assertThat(copied.lastCopyMs()).isEqualTo(START_MS + RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        assertThat(copied.copyLag()).isEqualTo(RemoteLogManagerStats.CopyLag.NONE);
        assertThat(copied.failedCopies()).isZero();
        assertThat(copied.lastCopyError())
                .as("the last error stays for the operator")
                .isNotNull();
    }

    @Test
    void aCopyDuringWhichTheLeaderEpochMovesIsRolledBack() {
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.duringCopy(() -> partition.leaderEpoch(1));

        manager.runCopyOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(partition.highestRemoteOffsets()).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(manager.stats().copyErrors()).isEqualTo(1);
    }

    @Test
    void reRegisteringAPartitionKeepsItsRemoteData() {
        copySegments(2);
        FakeTieredPartition again = new FakeTieredPartition(tip, tmp.resolve("log2"));

        manager.register(again);
        manager.runCopyOnce(tip);

        assertThat(manager.highestRemoteOffset(tip)).hasValue(19L);
        assertThat(again.highestRemoteOffsets()).isEmpty();
    }

    @Test
    void backoffDoublesWithEachFailure() {
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.failCopies(true);
        manager.runCopyOnce(tip);
        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);
        assertThat(storage.copyAttempts()).isEqualTo(2);

        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);
        assertThat(storage.copyAttempts())
                .as("second backoff is twice the first")
                .isEqualTo(2);

        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);
        assertThat(storage.copyAttempts()).isEqualTo(3);
    }

    @Test
    void aCopyLeftStartedByACrashIsRolledBackBeforeTheNextCopy() throws Exception {
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.failCopies(true);
        manager.runCopyOnce(tip);
        // simulate a crash mid-upload: a COPY_STARTED record and its files, without the rollback
        RemoteSegment orphan = new RemoteSegment(
                RemoteSegmentId.random(RemoteLogManager.key(tip)),
                0,
                9,
                START_MS,
                partition.segment(0).sizeInBytes(),
                partition.segment(0).segmentLeaderEpochs(),
                1,
                RemoteSegmentState.COPY_STARTED,
                START_MS,
                null);
        store.putSegment(orphan);
        storage.failCopies(false);
        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);

        manager.runCopyOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip))).singleElement().satisfies(segment -> {
            assertThat(segment.id()).isNotEqualTo(orphan.id());
            assertThat(segment.state()).isEqualTo(RemoteSegmentState.COPY_FINISHED);
        });
    }

    @Test
    void theUploadRateLimitIsPaidInBytes() {
        manager.close();
        long rate = 1_000;
        manager = newManager(time, OptionalLong.of(rate));
        appendSegments(3);
        partition.highWatermark(3 * OFFSETS_PER_SEGMENT);
        manager.register(partition);

        manager.runCopyOnce(tip);

        UploadRateLimiter limiter = manager.rateLimiter();
        long bytes = sizeOf(0, 3);
        assertThat(limiter.acquiredBytes()).isEqualTo(bytes);
        // one second of burst, the rest at 1000 bytes/s; each wait is rounded up to a whole millisecond
        long owedMs = (bytes - rate) * 1000 / rate;
        assertThat(limiter.throttledMs()).isBetween(owedMs, owedMs + 3);
        assertThat(manager.stats().throttledMs()).isEqualTo(limiter.throttledMs());
        assertThat(time.milliseconds() - START_MS).isEqualTo(limiter.throttledMs());
    }

    @Test
    void expiresRemoteSegmentsWhollyBelowTheLogStartOffset() {
        copySegments(3);
        partition.logStartOffset(15);

        manager.runExpiryOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset)
                .containsExactly(10L, 20L);
        assertThat(partition.remoteLogStartOffsets()).containsExactly(10L);
        assertThat(manager.remoteLogStartOffset(tip)).isEqualTo(10L);
        assertThat(remoteLogFiles()).hasSize(2);
        assertThat(manager.stats().deletedSegments()).isEqualTo(1);
        assertThat(manager.stats().remoteLogSize().get(tip))
                .as("read back from the index by the expiry run")
                .isEqualTo(new RemoteLogManagerStats.RemoteLogSize(2, sizeOf(1, 3)));
    }

    @Test
    void expiresRemoteSegmentsPastRetentionMs() {
        partition.appendSegment(BATCHES, START_MS - 3_000);
        partition.appendSegment(BATCHES, START_MS - 2_000);
        partition.appendSegment(BATCHES, START_MS);
        partition.highWatermark(3 * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);
        partition.config(new TieringConfig(true, 2_500, -1, -2, -2, false, false));

        manager.runExpiryOnce(tip);
        assertThat(manager.remoteLogStartOffset(tip))
                .as("only the first segment is older than 2.5 s")
                .isEqualTo(10L);

        time.advance(1_000);
        manager.runExpiryOnce(tip);
        assertThat(manager.remoteLogStartOffset(tip)).isEqualTo(20L);
        assertThat(partition.remoteLogStartOffsets()).containsExactly(10L, 20L);
    }

    @Test
    void expiresTheOldestRemoteSegmentsBeyondRetentionBytesCountingLocalData() {
        appendSegments(4);
        partition.highWatermark(3 * OFFSETS_PER_SEGMENT); // the fourth stays local only
        manager.register(partition);
        manager.runCopyOnce(tip);
        long segmentSize = partition.segment(0).sizeInBytes();
        // four segments in all; 2.5 segments of retention leave room to delete exactly one
        partition.config(new TieringConfig(true, -1, segmentSize * 5 / 2, -2, -2, false, false));

        manager.runExpiryOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset)
                .containsExactly(10L, 20L);
        assertThat(partition.remoteLogStartOffsets()).containsExactly(10L);
    }

    @Test
    void deletingAPartitionRemovesAllRemoteDataInTheBackground() throws Exception {
        copySegments(3);

        manager.deletePartition(tip);
        assertThat(manager.pendingDeletions()).containsExactly(tip);
        manager.runDeletionsOnce();

        assertThat(manager.pendingDeletions()).isEmpty();

        assertThat(remoteLogFiles()).isEmpty();
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(manager.highestRemoteOffset(tip)).isEmpty();
        assertThat(manager.stats().copyLag()).doesNotContainKey(tip);
    }

    @Test
    void aTopicDeletionThatFailsIsRetriedAfterABackoffAndResumedAfterARestart() throws Exception {
        manager.close();
        manager = managerWithPendingDeletionsIn(tmp);
        copySegments(2);
        storage.failDeletes(true);

        manager.deletePartition(tip);
        manager.runDeletionsOnce();
        int attempts = storage.deleteAttempts();
        assertThat(attempts).isPositive();
        manager.runDeletionsOnce();
        assertThat(storage.deleteAttempts()).as("attempts during the backoff").isEqualTo(attempts);
        time.sleep(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runDeletionsOnce();
        assertThat(storage.deleteAttempts()).as("attempts after the backoff").isGreaterThan(attempts);
        assertThat(manager.stats().pendingDeletions()).isOne();

        // a restart: the new manager finds the deletion in the file and finishes it once the store is back
        manager.close();
        manager = managerWithPendingDeletionsIn(tmp);
        assertThat(manager.pendingDeletions()).containsExactly(tip);
        storage.failDeletes(false);
        manager.runDeletionsOnce();

        assertThat(remoteLogFiles()).isEmpty();
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(manager.pendingDeletions()).isEmpty();
        assertThat(PendingDeletions.load(tmp).partitions()).isEmpty();
    }

    @Test
    void deletingAPartitionDoesNotWaitForACopyInProgress() throws Exception {
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        BlockedCopies blocked = blockCopies();
        CountDownLatch copying = blocked.copying();
        CountDownLatch release = blocked.release();
        Thread copy = new Thread(() -> manager.runCopyOnce(tip));
        copy.start();
        assertThat(copying.await(10, TimeUnit.SECONDS)).isTrue();

        manager.deletePartition(tip);

        assertThat(manager.pendingDeletions()).containsExactly(tip);
        release.countDown();
        copy.join();
        storage.duringCopy(() -> {});
        manager.runDeletionsOnce();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
    }

    @Test
    void copiesThatMakeNoProgressForFiveMinutesAreStalledUntilACopyFinishes() {
        appendSegments(3);
        partition.highWatermark(3 * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.failCopies(true);

        manager.runCopyOnce(tip);
        assertThat(manager.stats().copyLag().get(tip).segments()).isEqualTo(3);
        time.sleep(RemoteLogManager.COPY_STALL_MS - 1);
        manager.runCopyOnce(tip);
        assertThat(manager.stats().stalledPartitions()).isZero();
        // a segment rolled while the copies back off counts in the lag at once
        appendSegments(1);
        partition.highWatermark(4 * OFFSETS_PER_SEGMENT);
        time.sleep(1);
        manager.runCopyOnce(tip);
        assertThat(manager.stats().stalledPartitions()).isOne();
        assertThat(manager.stats().copyLag().get(tip).segments()).isEqualTo(4);

        storage.failCopies(false);
        time.sleep(RemoteLogManager.COPY_RETRY_BACKOFF_MAX_MS);
        manager.runCopyOnce(tip);
        assertThat(manager.stats().stalledPartitions()).isZero();
        assertThat(manager.stats().copyLag().get(tip)).isEqualTo(RemoteLogManagerStats.CopyLag.NONE);
    }

    @Test
    void unregisterWithoutDeleteKeepsRemoteData() throws Exception {
        copySegments(2);

        manager.unregister(tip);
        manager.runCopyOnce(tip);

        assertThat(remoteLogFiles()).hasSize(2);
        assertThat(manager.highestRemoteOffset(tip)).hasValue(19L);
    }

    @Test
    void disablingTieringWithDeleteOnDisableDeletesRemoteData() {
        copySegments(2);
        partition.config(new TieringConfig(false, -1, -1, -2, -2, false, true));

        manager.runExpiryOnce(tip);

        assertThat(remoteLogFiles()).isEmpty();
        assertThat(manager.highestRemoteOffset(tip)).isEmpty();
    }

    @Test
    void copyDisabledStopsCopyingButKeepsRemoteData() {
        copySegments(1);
        partition.appendSegment(BATCHES, START_MS);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        partition.config(new TieringConfig(true, -1, -1, -2, -2, true, false));

        manager.runCopyOnce(tip);

        assertThat(manager.highestRemoteOffset(tip)).hasValue(9L);
        assertThat(remoteLogFiles()).hasSize(1);
    }

    @Test
    void segmentForAndMetadataForFindTheRemoteCopy() throws Exception {
        copySegments(3);

        RemoteSegment segment = manager.segmentFor(tip, 15).orElseThrow();
        RemoteLogSegmentMetadata metadata = manager.metadataFor(segment);

        assertThat(segment.startOffset()).isEqualTo(10L);
        assertThat(metadata.topicIdPartition()).isEqualTo(tip);
        assertThat(metadata.remoteLogSegmentId().id().toString())
                .isEqualTo(new Uuid(
                                segment.id().segmentId().getMostSignificantBits(),
                                segment.id().segmentId().getLeastSignificantBits())
                        .toString());
        assertThat(metadata.startOffset()).isEqualTo(10L);
        assertThat(metadata.endOffset()).isEqualTo(19L);
        assertThat(metadata.segmentSizeInBytes()).isEqualTo(partition.segment(1).sizeInBytes());
        assertThat(metadata.maxTimestampMs()).isEqualTo(partition.segment(1).maxTimestampMs());
        assertThat(metadata.segmentLeaderEpochs()).isEqualTo(Map.of(0, 10L));
        assertThat(metadata.state()).isEqualTo(RemoteLogSegmentState.COPY_SEGMENT_FINISHED);
        assertThat(TestSegments.readAll(storage.fetchLogSegment(metadata, 0)))
                .isEqualTo(Files.readAllBytes(partition.segment(1).log()));
        assertThat(manager.segmentFor(tip, 30)).isEmpty();
    }

    @Test
    void theManifestIsWrittenAfterTheDataAndBeforeTheIndexSaysCopyFinished() throws Exception {
        RecordingManifestStorage manifests = useManifests();

        copySegments(2);

        assertThat(manifests.events())
                .containsExactly(
                        "put COPY_FINISHED (index COPY_STARTED, data present)",
                        "put COPY_FINISHED (index COPY_STARTED, data present)");
        assertThat(listedManifests())
                .as("each manifest says what the index says, entries included")
                .containsExactlyInAnyOrderElementsOf(storedManifests());
    }

    @Test
    void aBackendThatBundlesManifestsGetsEachWithItsDataAndNoPutOfItsOwn() throws Exception {
        BundlingManifestStorage bundling = useBundlingManifests();

        copySegments(2);

        assertThat(bundling.copies())
                .containsExactly("copy with COPY_FINISHED manifest", "copy with COPY_FINISHED manifest");
        assertThat(storage.copyAttempts()).isEqualTo(2);
        assertThat(listedManifests())
                .as("each manifest says what the index says, entries included")
                .containsExactlyInAnyOrderElementsOf(storedManifests());
    }

    @Test
    void aFailedBundledCopyIsRolledBackLikeAnyOther() throws Exception {
        useBundlingManifests();
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.failCopies(true);

        manager.runCopyOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(listedManifests()).isEmpty();
    }

    @Test
    void aBundledCopyDuringWhichTheLeaderEpochMovesNeverStoresItsManifest() throws Exception {
        BundlingManifestStorage bundling = useBundlingManifests();
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        // the log is up when the epoch moves: the manifest is asked for after it, and refused
        storage.duringCopy(() -> partition.leaderEpoch(1));

        manager.runCopyOnce(tip);

        assertThat(bundling.copies()).as("no manifest was handed over").isEmpty();
        assertThat(listedManifests()).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
    }

    @Test
    void aFailedCopyLeavesNoManifest() throws Exception {
        RecordingManifestStorage manifests = useManifests();
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.failCopies(true);

        manager.runCopyOnce(tip);

        assertThat(manifests.events())
                .as("the rollback deletes like any deletion")
                .containsExactly(
                        "put DELETE_STARTED (index DELETE_STARTED, data present)",
                        "delete (index DELETE_FINISHED, data gone)");
        assertThat(listedManifests()).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
    }

    @Test
    void aFailedManifestWriteFailsTheCopyWhichIsRolledBackAndRetried() throws Exception {
        RecordingManifestStorage manifests = useManifests();
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manifests.failWritesOf(RemoteSegmentState.COPY_FINISHED);

        manager.runCopyOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(partition.highestRemoteOffsets()).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(listedManifests()).isEmpty();
        assertThat(manager.stats().copyErrors()).isEqualTo(1);

        manifests.failWritesOf(null);
        time.advance(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);

        assertThat(partition.highestRemoteOffsets()).containsExactly(9L);
        assertThat(listedManifests()).containsExactlyElementsOf(storedManifests());
    }

    @Test
    void aCopyDuringWhichTheLeaderEpochMovesNeverPublishesACopyFinishedManifest() throws Exception {
        RecordingManifestStorage manifests = useManifests();
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        storage.duringCopy(() -> partition.leaderEpoch(1));

        manager.runCopyOnce(tip);

        assertThat(manifests.events())
                .as("the fenced copy is rolled back like a failed one, without a readable manifest first")
                .containsExactly(
                        "put DELETE_STARTED (index DELETE_STARTED, data present)",
                        "delete (index DELETE_FINISHED, data gone)");
        assertThat(listedManifests()).isEmpty();
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
    }

    @Test
    void aDeletionMarksTheManifestDeleteStartedBeforeTheDataGoesAndDeletesItLast() throws Exception {
        RecordingManifestStorage manifests = useManifests();
        copySegments(3);
        partition.logStartOffset(15);

        manager.runExpiryOnce(tip);

        assertThat(manifests.events())
                .hasSize(3 + 2)
                .endsWith(
                        "put DELETE_STARTED (index DELETE_STARTED, data present)",
                        "delete (index DELETE_FINISHED, data gone)");
        assertThat(listedManifests())
                .extracting(manifest -> manifest.segment().startOffset())
                .containsExactlyInAnyOrder(10L, 20L);
    }

    @Test
    void aDeletionWhoseManifestCannotBeMarkedDeletesNoDataAndIsResumed() throws Exception {
        RecordingManifestStorage manifests = useManifests();
        copySegments(2);
        partition.logStartOffset(15);
        manifests.failWritesOf(RemoteSegmentState.DELETE_STARTED);

        manager.runExpiryOnce(tip);

        assertThat(remoteLogFiles()).hasSize(2);
        assertThat(listedManifests())
                .extracting(manifest -> manifest.segment().state())
                .containsOnly(RemoteSegmentState.COPY_FINISHED);

        manifests.failWritesOf(null);
        manager.runExpiryOnce(tip);

        assertThat(remoteLogFiles()).hasSize(1);
        assertThat(listedManifests())
                .extracting(manifest -> manifest.segment().startOffset())
                .containsExactly(10L);
        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset)
                .containsExactly(10L);
    }

    @Test
    void deletingATopicDeletesEveryManifest() throws Exception {
        useManifests();
        copySegments(3);

        manager.deletePartition(tip);
        manager.runDeletionsOnce();

        assertThat(listedManifests()).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
    }

    @Test
    void startupRunsTheTasksOfEveryRegisteredPartition() throws Exception {
        manager.close();
        manager = newManager(Time.SYSTEM, OptionalLong.empty());
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);

        manager.startup(10);

        // the partition hears of the copy just after the index records it: wait for the callback itself
        Await.until(
                Duration.ofSeconds(10),
                "the partition to hear of both copies",
                () -> partition.highestRemoteOffsets().size() >= 2);
        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L);
    }

    @Test
    void uploadsRunAtTheirNiceValueAndTheTasksAtTheBrokersOwn() throws Exception {
        Assumptions.assumeTrue(ThreadNiceness.current().isPresent(), "Linux's /proc/thread-self/stat");
        OptionalInt broker = ThreadNiceness.current();
        List<OptionalInt> uploads = new CopyOnWriteArrayList<>();
        List<OptionalInt> publications = new CopyOnWriteArrayList<>();
        manager.close();
        // the task thread publishes a finished copy: in a cluster, a write to the metadata quorum
        manager = newManager(new RemoteSegmentPublisher() {
            @Override
            public void copyFinished(TopicIdPartition tip, int leaderEpoch, SegmentManifest manifest) {
                publications.add(ThreadNiceness.current());
            }

            @Override
            public void deleteStarted(TopicIdPartition tip, int leaderEpoch, RemoteSegment segment) {}

            @Override
            public void deleteFinished(TopicIdPartition tip, RemoteSegment segment) {}
        });
        manager.setUploadThreadNiceness(7);
        storage.duringCopy(() -> uploads.add(ThreadNiceness.current()));
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);

        manager.startup(10);

        Await.until(Duration.ofSeconds(10), "both copies published", () -> publications.size() >= 2);
        assertThat(uploads).hasSize(2).allSatisfy(nice -> assertThat(nice).hasValue(7));
        assertThat(publications).hasSize(2).allSatisfy(nice -> assertThat(nice).isEqualTo(broker));
    }

    @Test
    void aScheduledExpiryLeavesItsWorkToTheRunningCopyInsteadOfHoldingAPoolThread() throws Exception {
        manager.close();
        manager = newManager(Time.SYSTEM, OptionalLong.empty()); // two pool threads
        appendSegments(2);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);
        BlockedCopies blocked = blockCopies();
        CountDownLatch copying = blocked.copying();
        CountDownLatch release = blocked.release();
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.startup(10);
        awaitQuietly(copying);
        partition.logStartOffset(OFFSETS_PER_SEGMENT);
        storage.duringCopy(() -> {});

        TopicIdPartition otherTip = new TopicIdPartition(Uuid.randomUuid(), 0, "payments");
        FakeTieredPartition other = new FakeTieredPartition(otherTip, tmp.resolve("other-log"));
        other.appendSegment(BATCHES, START_MS);
        other.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(other);
        try {
            // with the first partition's expiry waiting for its lock, both pool threads would be taken
            Await.until(
                    Duration.ofSeconds(10),
                    "the other partition's copy while the first one's runs",
                    () -> !other.highestRemoteOffsets().isEmpty());
            assertThat(store.segments(RemoteLogManager.key(tip)))
                    .as("the expiry waits for the copy")
                    .extracting(RemoteSegment::startOffset)
                    .contains(0L);
        } finally {
            release.countDown();
        }

        Await.until(
                Duration.ofSeconds(10),
                "the copy to end and run the expiry it was left",
                () -> store.segments(RemoteLogManager.key(tip)).stream()
                        .map(RemoteSegment::startOffset)
                        .toList()
                        .equals(List.of(10L)));
        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L);
    }

    @Test
    void aSegmentsAbortedTransactionsGoToTheRemoteTierTheIndexAndTheManifestAndSurviveARebuild() throws Exception {
        useManifests();
        List<RemoteAbortedTxn> aborted =
                List.of(new RemoteAbortedTxn(7, 2, 5, 6), new RemoteAbortedTxn(8, 0, OFFSETS_PER_SEGMENT - 1, 1));
        ByteBuffer txnIndex = ByteBuffer.allocate(aborted.size() * 34);
        for (RemoteAbortedTxn txn : aborted) {
            txnIndex.putShort((short) 0)
                    .putLong(txn.producerId())
                    .putLong(txn.firstOffset())
                    .putLong(txn.lastOffset())
                    .putLong(txn.lastStableOffset());
        }
        LocalSegment local = partition.appendSegment(BATCHES, START_MS, txnIndex.array());
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);

        manager.runCopyOnce(tip);

        RemoteSegment copied = store.segments(RemoteLogManager.key(tip)).get(0);
        assertThat(TestSegments.readAll(
                        storage.fetchIndex(manager.metadataFor(copied), RemoteStorageManager.IndexType.TRANSACTION)))
                .isEqualTo(Files.readAllBytes(local.txnIndex().orElseThrow()));
        assertThat(store.abortedTxns(RemoteLogManager.key(tip), 0, OFFSETS_PER_SEGMENT)
                        .aborted())
                .isEqualTo(aborted);
        assertThat(listedManifests())
                .singleElement()
                .extracting(SegmentManifest::abortedTxns)
                .isEqualTo(aborted);

        try (RemoteIndexStore rebuilt = RemoteIndexStore.open(tmp.resolve("rebuilt-index"))) {
            assertThat(RemoteIndexRebuild.rebuildIfLost(rebuilt, fileSystem)).isPresent();
            assertThat(rebuilt.abortedTxns(RemoteLogManager.key(tip), 3, OFFSETS_PER_SEGMENT)
                            .aborted())
                    .isEqualTo(aborted);
        }
    }

    /** Replaces the manager with one that keeps manifests in the filesystem backend. */
    private RecordingManifestStorage useManifests() {
        manager.close();
        RecordingManifestStorage manifests = new RecordingManifestStorage(fileSystem, store);
        manager = new RemoteLogManager(
                1, storage, manifests, store, RemoteLogManager.newTaskPool(2), time, OptionalLong.empty());
        return manifests;
    }

    /** Replaces the manager with one whose backend takes each segment's manifest with its data. */
    private BundlingManifestStorage useBundlingManifests() {
        manager.close();
        BundlingManifestStorage bundling =
                new BundlingManifestStorage(storage, fileSystem, new RecordingManifestStorage(fileSystem, store));
        manager = new RemoteLogManager(
                1, storage, bundling, store, RemoteLogManager.newTaskPool(2), time, OptionalLong.empty());
        return bundling;
    }

    private List<SegmentManifest> listedManifests() throws RemoteStorageException {
        try (Stream<byte[]> manifests = fileSystem.listManifests()) {
            return manifests.map(SegmentManifest::fromBytes).toList();
        }
    }

    private List<SegmentManifest> storedManifests() {
        return store.segments(RemoteLogManager.key(tip)).stream()
                .map(segment -> store.manifest(segment.id()).orElseThrow())
                .toList();
    }

    @Test
    void aCopyThePublisherRefusesIsCleanedUpAndItsIdAbandonedBeforeItsDataGoes() {
        RecordingPublisher publisher = copyOneSegmentPublishingTo(true, false);

        assertThat(publisher.calls).containsExactly("copyFinished", "deleteStarted", "deleteFinished");
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(partition.highestRemoteOffsets()).isEmpty();
    }

    @Test
    void aCopyWhoseCleanupThePublisherRefusesKeepsItsDataForTheRecordMayHoldIt() {
        RecordingPublisher publisher = copyOneSegmentPublishingTo(true, true);

        assertThat(publisher.calls).containsExactly("copyFinished", "deleteStarted");
        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::state)
                .containsExactly(RemoteSegmentState.COPY_STARTED);
        assertThat(remoteLogFiles()).hasSize(1);
    }

    @Test
    void retentionPublishesTheDeletionBeforeTheDataGoes() {
        RecordingPublisher publisher = publishThroughANewPublisher();
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);
        partition.logStartOffset(OFFSETS_PER_SEGMENT);

        manager.runExpiryOnce(tip);

        assertThat(publisher.calls).containsExactly("copyFinished", "copyFinished", "deleteStarted", "deleteFinished");
        assertThat(remoteLogFiles()).hasSize(1);
    }

    @Test
    void aSegmentIsUploadedWhileTheOneBeforeItIsPublished() {
        RecordingPublisher publisher = publishThroughANewPublisher();
        CountDownLatch secondUploading = new CountDownLatch(2);
        storage.duringCopy(secondUploading::countDown);
        publisher.copyCheck = manifest -> {
            if (manifest.segment().startOffset() == 0) {
                awaitQuietly(secondUploading);
                if (secondUploading.getCount() > 0) {
                    throw new RemoteStorageException("the second segment was not uploaded during this publication");
                }
            }
        };

        copySegments(3);

        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L, 29L);
        assertThat(publisher.calls).containsExactly("copyFinished", "copyFinished", "copyFinished");
        assertThat(manager.stats().copiedSegments()).isEqualTo(3);
        assertThat(remoteLogFiles()).hasSize(3);
    }

    @Test
    void aSegmentsLogGoesUpWhileTheBundleOfTheOneBeforeItIsWritten() throws Exception {
        BundlingManifestStorage bundling = useBundlingManifests();
        CountDownLatch logsUp = new CountDownLatch(2);
        storage.duringCopy(logsUp::countDown);
        AtomicBoolean first = new AtomicBoolean(true);
        bundling.beforeBundle(() -> {
            if (first.getAndSet(false)) {
                awaitQuietly(logsUp);
                if (logsUp.getCount() > 0) {
                    throw new IllegalStateException("the second segment's log did not go up during the first's bundle");
                }
            }
        });

        copySegments(2);

        assertThat(bundling.copies())
                .containsExactly("copy with COPY_FINISHED manifest", "copy with COPY_FINISHED manifest");
    }

    @Test
    void theNextUploadOfAPublicationThatFailsIsRolledBackAndBothAreCopiedOnTheNextRun() {
        RecordingPublisher publisher = publishThroughANewPublisher();
        AtomicBoolean refused = new AtomicBoolean();
        publisher.copyCheck = manifest -> {
            if (!refused.getAndSet(true)) {
                throw new RemoteStorageException("fenced");
            }
        };
        appendSegments(2);
        partition.highWatermark(2 * OFFSETS_PER_SEGMENT);
        manager.register(partition);

        manager.runCopyOnce(tip);

        assertThat(publisher.calls)
                .as("the first copy's rollback, then the second's, uploaded meanwhile")
                .containsExactly("copyFinished", "deleteStarted", "deleteFinished", "deleteStarted", "deleteFinished");
        assertThat(store.segments(RemoteLogManager.key(tip))).isEmpty();
        assertThat(remoteLogFiles()).isEmpty();
        assertThat(partition.highestRemoteOffsets()).isEmpty();
        assertThat(manager.stats().copyErrors()).isEqualTo(1);

        time.sleep(RemoteLogManager.COPY_RETRY_BACKOFF_MS);
        manager.runCopyOnce(tip);

        assertThat(partition.highestRemoteOffsets()).containsExactly(9L, 19L);
        assertThat(remoteLogFiles()).hasSize(2);
    }

    /** Replaces the manager with one publishing to a new publisher. */
    private RecordingPublisher publishThroughANewPublisher() {
        RecordingPublisher publisher = new RecordingPublisher();
        manager.close();
        manager = newManager(publisher);
        return publisher;
    }

    /** Replaces the manager with one publishing to a new publisher, and runs a copy of one segment. */
    private RecordingPublisher copyOneSegmentPublishingTo(boolean refuseCopies, boolean refuseDeletes) {
        RecordingPublisher publisher = publishThroughANewPublisher();
        publisher.refuseCopies = refuseCopies;
        publisher.refuseDeletes = refuseDeletes;
        appendSegments(1);
        partition.highWatermark(OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);
        return publisher;
    }

    /** Records what the manager publishes, and refuses what it is told to. */
    private static final class RecordingPublisher implements RemoteSegmentPublisher {
        private final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean refuseCopies;
        private volatile boolean refuseDeletes;
        /** Runs before each COPY_FINISHED is accepted; it may refuse it. */
        private volatile CopyCheck copyCheck = manifest -> {};

        interface CopyCheck {
            void check(SegmentManifest manifest) throws RemoteStorageException;
        }

        @Override
        public void copyFinished(TopicIdPartition tip, int leaderEpoch, SegmentManifest manifest)
                throws RemoteStorageException {
            calls.add("copyFinished");
            copyCheck.check(manifest);
            if (refuseCopies) {
                throw new RemoteStorageException("fenced");
            }
        }

        @Override
        public void deleteStarted(TopicIdPartition tip, int leaderEpoch, RemoteSegment segment)
                throws RemoteStorageException {
            calls.add("deleteStarted");
            if (refuseDeletes) {
                throw new RemoteStorageException("fenced");
            }
        }

        @Override
        public void deleteFinished(TopicIdPartition tip, RemoteSegment segment) {
            calls.add("deleteFinished");
        }
    }

    private RemoteLogManager newManager(RemoteSegmentPublisher publisher) {
        return new RemoteLogManager(
                1,
                storage,
                null,
                store,
                publisher,
                PendingDeletions.inMemory(),
                RemoteLogManager.newTaskPool(2),
                time,
                OptionalLong.empty());
    }

    private RemoteLogManager managerWithPendingDeletionsIn(Path dir) throws IOException {
        return new RemoteLogManager(
                1,
                storage,
                null,
                store,
                PendingDeletions.load(dir),
                RemoteLogManager.newTaskPool(2),
                time,
                OptionalLong.empty());
    }

    /** Copies from now on block, once their files are written, until {@code release}; {@code copying} says one does. */
    private record BlockedCopies(CountDownLatch copying, CountDownLatch release) {}

    private BlockedCopies blockCopies() {
        BlockedCopies blocked = new BlockedCopies(new CountDownLatch(1), new CountDownLatch(1));
        storage.duringCopy(() -> {
            blocked.copying().countDown();
            awaitQuietly(blocked.release());
        });
        return blocked;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private RemoteLogManager newManager(Time clock, OptionalLong bytesPerSecond) {
        return new RemoteLogManager(1, storage, store, RemoteLogManager.newTaskPool(2), clock, bytesPerSecond);
    }

    private void appendSegments(int count) {
        for (int i = 0; i < count; i++) {
            partition.appendSegment(BATCHES, START_MS);
        }
    }

    private void copySegments(int count) {
        appendSegments(count);
        partition.highWatermark(count * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);
        assertThat(manager.highestRemoteOffset(tip)).hasValue(count * OFFSETS_PER_SEGMENT - 1);
    }

    private long sizeOf(int from, int to) {
        long size = 0;
        for (int i = from; i < to; i++) {
            size += partition.segment(i).sizeInBytes();
        }
        return size;
    }

    private Path remoteRoot() {
        return tmp.resolve("remote");
    }

    private List<Path> remoteLogFiles() {
        if (!Files.exists(remoteRoot())) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(remoteRoot())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
