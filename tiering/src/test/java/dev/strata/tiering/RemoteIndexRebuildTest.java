package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteIndexStore.RebuildResult;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.storage.api.SegmentManifestStorage;
import dev.strata.testing.ManualTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteIndexRebuildTest {

    private static final long START_MS = 1_700_000_000_000L;
    private static final int BATCHES = 2;
    private static final long OFFSETS_PER_SEGMENT = BATCHES * FakeTieredPartition.RECORDS_PER_BATCH;

    @TempDir
    Path tmp;

    private final TopicIdPartition tip = new TopicIdPartition(Uuid.randomUuid(), 0, "orders");
    private final ManualTime time = new ManualTime(START_MS);
    private final ExecutorService fetchPool = Executors.newFixedThreadPool(2);
    private FileSystemRemoteStorageManager backend;
    private RemoteIndexStore store;
    private RemoteLogManager manager;
    private FakeTieredPartition partition;

    @BeforeEach
    void setUp() throws IOException {
        backend = new FileSystemRemoteStorageManager();
        backend.configure(
                Map.of(FileSystemRemoteStorageManager.DIR_CONFIG, remoteRoot().toString()));
        store = RemoteIndexStore.open(indexDir());
        manager = newManager();
        partition = new FakeTieredPartition(tip, tmp.resolve("log"));
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
        store.close();
        backend.close();
        fetchPool.shutdownNow();
        assertThat(fetchPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aLostIndexIsRebuiltFromTheManifestsAndServesReadsAgain() throws Exception {
        copySegments(3);
        List<RemoteSegment> before = store.segments(RemoteLogManager.key(tip));

        loseIndex();
        Optional<RebuildResult> result = RemoteIndexRebuild.rebuildIfLost(store, backend);

        assertThat(result).contains(new RebuildResult(3, 0, 0));
        assertThat(store.segments(RemoteLogManager.key(tip))).isEqualTo(before);
        assertThat(Files.exists(indexDir().resolve(RemoteIndexRebuild.IN_PROGRESS_MARKER)))
                .isFalse();
        FakeTieredPartition again = new FakeTieredPartition(tip, tmp.resolve("log"));
        manager.register(again);
        assertThat(manager.highestRemoteOffset(tip)).hasValue(29L);
        assertThat(manager.remoteLogStartOffset(tip)).isZero();
        try (ChunkCache cache = newCache()) {
            ByteBuffer read = new RemoteLogReader(manager, store, cache)
                    .readRecords(tip, 17, 1 << 20)
                    .get(10, TimeUnit.SECONDS);
            List<Record> records = new ArrayList<>();
            MemoryRecords.readableRecords(read).records().forEach(records::add);
            assertThat(records).extracting(Record::offset).containsExactly(15L, 16L, 17L, 18L, 19L);
            for (Record record : records) {
                assertThat(Utils.toArray(record.value())).isEqualTo(FakeTieredPartition.value(record.offset()));
            }
        }
    }

    @Test
    void tieringContinuesAfterARebuildWithoutCopyingAnyOffsetTwice() throws Exception {
        copySegments(3);
        loseIndex();
        RemoteIndexRebuild.rebuildIfLost(store, backend);
        manager.register(partition);
        partition.appendSegment(BATCHES, START_MS);
        partition.highWatermark(4 * OFFSETS_PER_SEGMENT);

        manager.runCopyOnce(tip);

        assertThat(partition.highestRemoteOffsets())
                .as("before the loss, then only the new segment")
                .containsExactly(9L, 19L, 29L, 39L);
        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset, RemoteSegment::endOffset)
                .containsExactly(tuple(0L, 9L), tuple(10L, 19L), tuple(20L, 29L), tuple(30L, 39L));
        assertThat(listedManifests()).hasSize(4);
    }

    @Test
    void segmentsRestoredAsDeleteStartedAreDeletedByTheExpiryTask() throws Exception {
        copySegments(3);
        // a deletion interrupted after it marked the manifest, as the index is lost
        RemoteSegment oldest = store.segments(RemoteLogManager.key(tip)).get(0);
        SegmentManifest finished = store.manifest(oldest.id()).orElseThrow();
        RemoteSegment deleting = oldest.withState(RemoteSegmentState.DELETE_STARTED, START_MS + 1);
        RemoteLogSegmentMetadata metadata = manager.metadataFor(oldest);
        backend.putManifest(
                metadata, new SegmentManifest(deleting, finished.offsetEntries(), finished.timeEntries()).toBytes());
        loseIndex();

        assertThat(RemoteIndexRebuild.rebuildIfLost(store, backend)).contains(new RebuildResult(3, 0, 0));
        assertThat(store.segment(oldest.id())).contains(deleting);
        manager.register(partition);
        assertThat(manager.remoteLogStartOffset(tip))
                .as("a segment being deleted is not offered to readers")
                .isEqualTo(10L);

        manager.runExpiryOnce(tip);

        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset)
                .containsExactly(10L, 20L);
        assertThat(listedManifests())
                .extracting(manifest -> manifest.segment().startOffset())
                .containsExactlyInAnyOrder(10L, 20L);
        assertThat(remoteLogFiles()).hasSize(2).noneMatch(name -> name.startsWith(String.format("%020d", 0)));
    }

    @Test
    void anIndexThatHoldsSegmentsIsLeftAloneAndTheBackendIsNotListed() throws Exception {
        copySegments(1);

        assertThat(RemoteIndexRebuild.rebuildIfLost(store, new UnlistableManifests()))
                .isEmpty();
    }

    @Test
    void anEmptyBackendRestoresNothingAndLeavesNoMarker() throws Exception {
        assertThat(RemoteIndexRebuild.rebuildIfLost(store, backend)).isEmpty();

        assertThat(store.isEmpty()).isTrue();
        assertThat(Files.exists(indexDir().resolve(RemoteIndexRebuild.IN_PROGRESS_MARKER)))
                .isFalse();
    }

    @Test
    void aCorruptManifestIsRejectedAndTheOthersAreRestored() throws Exception {
        copySegments(3);
        // the manifest is in the segment's bundle file (layout 2): damage a byte of its section
        Path bundle = bundleFile(10);
        byte[] bytes = Files.readAllBytes(bundle);
        SegmentIndexBundle.Range range = SegmentIndexBundle.parse(ByteBuffer.wrap(bytes), bytes.length)
                .range(SegmentIndexBundle.Section.MANIFEST)
                .orElseThrow();
        bytes[range.offset() + range.length() / 2] ^= 0x20;
        Files.write(bundle, bytes);
        loseIndex();

        assertThat(RemoteIndexRebuild.rebuildIfLost(store, backend)).contains(new RebuildResult(2, 0, 1));
        assertThat(store.segments(RemoteLogManager.key(tip)))
                .extracting(RemoteSegment::startOffset)
                .containsExactly(0L, 20L);
    }

    @Test
    void aFailedListingIsThrownAndTheNextStartResumesTheRebuild() throws Exception {
        copySegments(3);
        loseIndex();

        assertThatThrownBy(() -> RemoteIndexRebuild.rebuildIfLost(store, new UnlistableManifests()))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("the next start resumes it");
        assertThat(Files.exists(indexDir().resolve(RemoteIndexRebuild.IN_PROGRESS_MARKER)))
                .isTrue();
        // as if part of the manifests had been restored before the failure
        byte[] bundle = Files.readAllBytes(bundleFile(0));
        store.rebuild(List.of(SegmentIndexBundle.parse(ByteBuffer.wrap(bundle), bundle.length)
                .section(bundle, SegmentIndexBundle.Section.MANIFEST)
                .map(manifest -> {
                    byte[] copy = new byte[manifest.remaining()];
                    manifest.get(copy);
                    return copy;
                })
                .orElseThrow()));

        assertThat(RemoteIndexRebuild.rebuildIfLost(store, backend)).contains(new RebuildResult(2, 1, 0));
        assertThat(Files.exists(indexDir().resolve(RemoteIndexRebuild.IN_PROGRESS_MARKER)))
                .isFalse();
        assertThat(RemoteIndexRebuild.rebuildIfLost(store, new UnlistableManifests()))
                .as("a finished rebuild is not repeated")
                .isEmpty();
    }

    /** Manifests whose listing fails once it has started, as a bucket that goes away would. */
    private static final class UnlistableManifests implements SegmentManifestStorage {
        @Override
        public void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void deleteManifest(RemoteLogSegmentMetadata segment) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Stream<byte[]> listManifests() {
            return Stream.generate(() -> {
                throw new UncheckedIOException(new IOException("injected: the backend is unreachable"));
            });
        }
    }

    private void copySegments(int count) {
        for (int i = 0; i < count; i++) {
            partition.appendSegment(BATCHES, START_MS);
        }
        partition.highWatermark(count * OFFSETS_PER_SEGMENT);
        manager.register(partition);
        manager.runCopyOnce(tip);
        assertThat(manager.highestRemoteOffset(tip)).hasValue(count * OFFSETS_PER_SEGMENT - 1);
    }

    /** Closes the manager and the index, deletes the index directory and opens a new, empty one. */
    private void loseIndex() throws IOException {
        manager.close();
        store.close();
        try (Stream<Path> files = Files.walk(indexDir())) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
        store = RemoteIndexStore.open(indexDir());
        manager = newManager();
    }

    private RemoteLogManager newManager() {
        return new RemoteLogManager(
                1, backend, backend, store, RemoteLogManager.newTaskPool(1), time, OptionalLong.empty());
    }

    private ChunkCache newCache() {
        return new ChunkCache(
                new ChunkCacheConfig(1024, 64 * 1024, Optional.empty(), 0, Duration.ofSeconds(10), 0),
                backend,
                fetchPool,
                fetchPool);
    }

    private List<SegmentManifest> listedManifests() throws RemoteStorageException {
        try (Stream<byte[]> manifests = backend.listManifests()) {
            return manifests.map(SegmentManifest::fromBytes).toList();
        }
    }

    private Path bundleFile(long startOffset) throws IOException {
        return remoteFiles().stream()
                .filter(p -> p.getFileName().toString().startsWith(String.format("%020d", startOffset))
                        && p.getFileName().toString().endsWith(".indexes"))
                .findFirst()
                .orElseThrow();
    }

    private List<String> remoteLogFiles() throws IOException {
        return remoteFiles().stream()
                .map(p -> p.getFileName().toString())
                .filter(name -> name.endsWith(".log"))
                .toList();
    }

    private List<Path> remoteFiles() throws IOException {
        try (Stream<Path> files = Files.walk(remoteRoot())) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private Path indexDir() {
        return tmp.resolve("index");
    }

    private Path remoteRoot() {
        return tmp.resolve("remote");
    }
}
