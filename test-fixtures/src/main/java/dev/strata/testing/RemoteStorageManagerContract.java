package dev.strata.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Strata relies on from every {@link RemoteStorageManager} backend, whatever stores the bytes: a copied segment
 * reads back whole, from a position and by inclusive range, with each of its indexes; a segment without a transaction
 * index has none; what was never copied, or was deleted, is {@link RemoteResourceNotFoundException}; copy and delete
 * may be repeated; and, for a backend that keeps segment manifests (Strata's {@code SegmentManifestStorage}), a manifest
 * is listed, replaced and deleted, and outlives its segment's data until it is deleted itself.
 *
 * <p>A backend's test extends this, supplies a backend on an empty namespace for each test ({@link #newBackend()}) and,
 * if the backend keeps manifests, its manifest calls ({@link #manifests}); the test adds what only that backend has
 * (its layout, how it detects corruption, its failure modes).
 *
 * @param <R> the backend under test
 */
public abstract class RemoteStorageManagerContract<R extends RemoteStorageManager> {

    @TempDir
    private Path localSegments;

    private R backend;
    private int segmentsWritten;

    /**
     * A configured backend on a namespace no other test uses (a fresh directory, a fresh key prefix), so that its
     * listing holds only what this test wrote. The contract closes it after each test.
     */
    protected abstract R newBackend() throws Exception;

    /**
     * The manifest calls of {@code backend}, if it keeps manifests; empty (the default) for a backend that does not,
     * which skips the manifest cases.
     */
    protected Optional<Manifests> manifests(R backend) {
        return Optional.empty();
    }

    /** The backend of the running test. */
    protected final R backend() {
        return backend;
    }

    @BeforeEach
    final void openBackend() throws Exception {
        backend = newBackend();
    }

    @AfterEach
    final void closeBackend() throws IOException {
        backend.close();
    }

    @Test
    void aCopiedSegmentReadsBackWholeFromAPositionByRangeAndPerIndex() throws Exception {
        SegmentFiles segment = segment(SegmentFiles.newPartition(0), 100, 300_000, true);

        assertThat(backend.copyLogSegmentData(segment.metadata(), segment.data()))
                .as("no custom metadata")
                .isEmpty();

        byte[] log = Files.readAllBytes(segment.data().logSegment());
        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), 0))).isEqualTo(log);
        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), 4096)))
                .isEqualTo(Arrays.copyOfRange(log, 4096, log.length));
        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), 100, 199)))
                .as("the end position is inclusive")
                .isEqualTo(Arrays.copyOfRange(log, 100, 200));
        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), 9999, 9999)))
                .isEqualTo(Arrays.copyOfRange(log, 9999, 10_000));
        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), 0, log.length - 1)))
                .isEqualTo(log);
        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), log.length - 1000, log.length + 5000)))
                .as("a range ending past the segment stops at its end")
                .isEqualTo(Arrays.copyOfRange(log, log.length - 1000, log.length));

        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.OFFSET)))
                .isEqualTo(Files.readAllBytes(segment.data().offsetIndex()));
        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.TIMESTAMP)))
                .isEqualTo(Files.readAllBytes(segment.data().timeIndex()));
        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.TRANSACTION)))
                .isEqualTo(Files.readAllBytes(segment.data().transactionIndex().orElseThrow()));
        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.PRODUCER_SNAPSHOT)))
                .isEqualTo(Files.readAllBytes(segment.data().producerSnapshotIndex()));
        ByteBuffer epochs = segment.data().leaderEpochIndex();
        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.LEADER_EPOCH)))
                .isEqualTo(bytes(epochs));
        assertThat(epochs.position())
                .as("the caller's leader-epoch buffer is not consumed")
                .isZero();
    }

    @Test
    void aSegmentWithoutATransactionIndexHasNone() throws Exception {
        SegmentFiles segment = segment(SegmentFiles.newPartition(0), 5000, 1000, false);
        backend.copyLogSegmentData(segment.metadata(), segment.data());

        assertThatThrownBy(() -> backend.fetchIndex(segment.metadata(), IndexType.TRANSACTION))
                .isInstanceOf(RemoteResourceNotFoundException.class)
                .hasMessageContaining("txnindex");
        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.OFFSET)))
                .isEqualTo(Files.readAllBytes(segment.data().offsetIndex()));
    }

    @Test
    void aSegmentNeverCopiedIsNotFound() throws Exception {
        RemoteLogSegmentMetadata segment =
                segment(SegmentFiles.newPartition(0), 0, 1000, true).metadata();

        assertThatThrownBy(() -> backend.fetchLogSegment(segment, 0))
                .isInstanceOf(RemoteResourceNotFoundException.class);
        assertThatThrownBy(() -> backend.fetchLogSegment(segment, 0, 10))
                .isInstanceOf(RemoteResourceNotFoundException.class);
        for (IndexType type : IndexType.values()) {
            assertThatThrownBy(() -> backend.fetchIndex(segment, type))
                    .as(type.name())
                    .isInstanceOf(RemoteResourceNotFoundException.class);
        }
    }

    @Test
    void copyMayBeRepeated() throws Exception {
        SegmentFiles segment = segment(SegmentFiles.newPartition(0), 0, 50_000, true);

        backend.copyLogSegmentData(segment.metadata(), segment.data());
        backend.copyLogSegmentData(segment.metadata(), segment.data());

        assertThat(readAll(backend.fetchLogSegment(segment.metadata(), 0)))
                .isEqualTo(Files.readAllBytes(segment.data().logSegment()));
        assertThat(readAll(backend.fetchIndex(segment.metadata(), IndexType.TRANSACTION)))
                .isEqualTo(Files.readAllBytes(segment.data().transactionIndex().orElseThrow()));
    }

    @Test
    void deleteRemovesOnlyItsSegmentAndMayBeRepeated() throws Exception {
        TopicIdPartition partition = SegmentFiles.newPartition(0);
        SegmentFiles deleted = segment(partition, 0, 1000, true);
        SegmentFiles kept = segment(partition, 1000, 1000, true);
        backend.copyLogSegmentData(deleted.metadata(), deleted.data());
        backend.copyLogSegmentData(kept.metadata(), kept.data());

        backend.deleteLogSegmentData(deleted.metadata());
        backend.deleteLogSegmentData(deleted.metadata());

        assertThatThrownBy(() -> backend.fetchLogSegment(deleted.metadata(), 0))
                .isInstanceOf(RemoteResourceNotFoundException.class);
        for (IndexType type : IndexType.values()) {
            assertThatThrownBy(() -> backend.fetchIndex(deleted.metadata(), type))
                    .as(type.name())
                    .isInstanceOf(RemoteResourceNotFoundException.class);
        }
        assertThat(readAll(backend.fetchLogSegment(kept.metadata(), 0)))
                .isEqualTo(Files.readAllBytes(kept.data().logSegment()));
    }

    @Test
    void deleteOfASegmentNeverCopiedSucceeds() throws Exception {
        backend.deleteLogSegmentData(
                segment(SegmentFiles.newPartition(0), 0, 1000, false).metadata());
    }

    @Test
    void manifestsAreListedReplacedAndDeleted() throws Exception {
        Manifests manifests = requireManifests();
        TopicIdPartition partition = SegmentFiles.newPartition(3);
        RemoteLogSegmentMetadata first = segment(partition, 0, 100, false).metadata();
        RemoteLogSegmentMetadata second = segment(partition, 100, 100, false).metadata();
        RemoteLogSegmentMetadata elsewhere =
                segment(SegmentFiles.newPartition(0), 0, 100, false).metadata();
        assertThat(listed(manifests)).as("an empty tier").isEmpty();

        manifests.put().putManifest(first, utf8("first"));
        manifests.put().putManifest(second, utf8("second"));
        manifests.put().putManifest(elsewhere, utf8("elsewhere"));
        assertThat(listed(manifests)).containsExactlyInAnyOrder("first", "second", "elsewhere");

        manifests.put().putManifest(first, utf8("first, now deleting"));
        assertThat(listed(manifests)).containsExactlyInAnyOrder("first, now deleting", "second", "elsewhere");

        manifests.delete().deleteManifest(first);
        manifests.delete().deleteManifest(first);
        manifests
                .delete()
                .deleteManifest(
                        segment(SegmentFiles.newPartition(9), 0, 10, false).metadata());
        assertThat(listed(manifests)).containsExactlyInAnyOrder("second", "elsewhere");
    }

    @Test
    void aManifestOutlivesItsSegmentsDataUntilItIsDeleted() throws Exception {
        Manifests manifests = requireManifests();
        TopicIdPartition partition = SegmentFiles.newPartition(0);
        SegmentFiles segment = segment(partition, 0, 1000, true);
        backend.copyLogSegmentData(segment.metadata(), segment.data());
        manifests.put().putManifest(segment.metadata(), utf8("deleting"));

        backend.deleteLogSegmentData(segment.metadata());
        SegmentFiles next = segment(partition, 1000, 1000, true);
        backend.copyLogSegmentData(next.metadata(), next.data());

        assertThat(listed(manifests))
                .as("neither the delete nor the next copy removes the manifest")
                .containsExactly("deleting");
        manifests.delete().deleteManifest(segment.metadata());
        assertThat(listed(manifests)).isEmpty();
    }

    @Test
    void aListingReturnsEveryManifestOfEveryPartitionOnce() throws Exception {
        Manifests manifests = requireManifests();
        List<String> written = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            TopicIdPartition partition = SegmentFiles.newPartition(p);
            for (int i = 0; i < 20; i++) {
                String manifest = "partition " + p + ", segment " + i;
                manifests
                        .put()
                        .putManifest(segment(partition, i * 100L, 10, false).metadata(), utf8(manifest));
                written.add(manifest);
            }
        }

        assertThat(listed(manifests)).containsExactlyInAnyOrderElementsOf(written);
    }

    /**
     * The manifest calls of a backend, which are those of Strata's {@code SegmentManifestStorage}: a backend's test
     * passes the backend's own methods, {@code new Manifests(rsm::putManifest, rsm::deleteManifest,
     * rsm::listManifests)}. The contract names them rather than that interface, which lives in a module that depends
     * on this one's users.
     */
    public record Manifests(Put put, Delete delete, Listing listing) {

        /** {@code SegmentManifestStorage.putManifest}. */
        @FunctionalInterface
        public interface Put {
            void putManifest(RemoteLogSegmentMetadata segment, byte[] manifest) throws RemoteStorageException;
        }

        /** {@code SegmentManifestStorage.deleteManifest}. */
        @FunctionalInterface
        public interface Delete {
            void deleteManifest(RemoteLogSegmentMetadata segment) throws RemoteStorageException;
        }

        /** {@code SegmentManifestStorage.listManifests}. */
        @FunctionalInterface
        public interface Listing {
            Stream<byte[]> listManifests() throws RemoteStorageException;
        }
    }

    /** A segment's files, each segment of a test in a directory of its own. */
    protected final SegmentFiles segment(TopicIdPartition partition, long startOffset, int logSize, boolean withTxn)
            throws IOException {
        Path dir = Files.createDirectories(localSegments.resolve("segment-" + segmentsWritten++));
        return SegmentFiles.write(dir, partition, startOffset, logSize, withTxn);
    }

    private Manifests requireManifests() {
        Optional<Manifests> manifests = manifests(backend);
        Assumptions.assumeTrue(manifests.isPresent(), "the backend keeps no manifests");
        return manifests.get();
    }

    private static List<String> listed(Manifests manifests) throws RemoteStorageException {
        try (Stream<byte[]> listed = manifests.listing().listManifests()) {
            return listed.map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .toList();
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
