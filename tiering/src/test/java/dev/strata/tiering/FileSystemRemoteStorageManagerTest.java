package dev.strata.tiering;

import static dev.strata.tiering.TestSegments.PARTITION;
import static dev.strata.tiering.TestSegments.localSegment;
import static dev.strata.tiering.TestSegments.metadata;
import static dev.strata.tiering.TestSegments.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.storage.api.SegmentIndexBundle;
import dev.strata.storage.api.SegmentIndexBundle.Section;
import dev.strata.testing.RemoteStorageManagerContract;
import dev.strata.tiering.TestSegments.LocalSegment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager.IndexType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filesystem backend: the behaviour every backend shares ({@link RemoteStorageManagerContract}), then its own file
 * layout, its CRC32C sidecar, its atomic writes and what a crashed copy leaves behind.
 */
class FileSystemRemoteStorageManagerTest extends RemoteStorageManagerContract<FileSystemRemoteStorageManager> {

    @TempDir
    Path temp;

    private Path remote;
    private FileSystemRemoteStorageManager rsm;

    @Override
    protected FileSystemRemoteStorageManager newBackend() {
        remote = temp.resolve("remote");
        rsm = new FileSystemRemoteStorageManager();
        rsm.configure(Map.of("dir", remote.toString()));
        return rsm;
    }

    @Override
    protected Optional<Manifests> manifests(FileSystemRemoteStorageManager backend) {
        return Optional.of(new Manifests(backend::putManifest, backend::deleteManifest, backend::listManifests));
    }

    @Test
    void filesFollowTheDocumentedLayout() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 42, true);
        RemoteLogSegmentMetadata segment = metadata(42, 1000);
        rsm.copyLogSegmentData(segment, local.data());

        Path dir = remote.resolve("orders-" + PARTITION.topicId()).resolve("3");
        String base = "00000000000000000042-" + segment.remoteLogSegmentId().id();
        assertThat(fileNames(dir)).containsExactlyInAnyOrder(base + ".log", base + ".indexes");
        assertThat(dir.resolve(base + ".log")).hasBinaryContent(local.log());
        byte[] file = Files.readAllBytes(dir.resolve(base + ".indexes"));
        long bundleSize = file.length - BundleFile.TRAILER_SIZE;
        SegmentIndexBundle bundle = SegmentIndexBundle.parse(ByteBuffer.wrap(file), bundleSize);
        assertThat(bundle.section(file, Section.OFFSET_INDEX)).contains(ByteBuffer.wrap(local.offsetIndex()));
        assertThat(bundle.section(file, Section.TIME_INDEX)).contains(ByteBuffer.wrap(local.timeIndex()));
        assertThat(bundle.section(file, Section.MANIFEST))
                .as("Kafka's copy has no manifest")
                .isEmpty();
        assertThat(readAll(rsm.fetchIndex(segment, IndexType.TRANSACTION))).isEqualTo(local.txnIndex());
        assertThat(readAll(rsm.fetchIndex(segment, IndexType.LEADER_EPOCH))).isEqualTo(local.epochs());
    }

    @Test
    void aBundledManifestIsListedUntilAManifestFileReplacesIt() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, false);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        RemoteLogSegmentMetadata other = metadata(100, 1000);
        rsm.copyLogSegmentData(segment, local.data(), () -> bytes("copied"));
        rsm.copyLogSegmentData(other, local.data(), () -> bytes("other"));
        assertThat(fileNames(partitionDir())).hasSize(4);
        assertThat(listedManifests()).containsExactly("copied", "other");

        rsm.putManifest(segment, bytes("delete started"));
        assertThat(listedManifests()).containsExactly("delete started", "other");
        rsm.deleteLogSegmentData(segment);
        assertThat(listedManifests()).containsExactly("delete started", "other");
        rsm.deleteManifest(segment);
        assertThat(listedManifests()).containsExactly("other");
    }

    @Test
    void layoutOneSegmentsStayReadableNextToLayoutTwoOnes() throws Exception {
        LocalSegment oldLocal = localSegment(temp.resolve("old"), 3000, 7, true);
        LocalSegment newLocal = localSegment(temp.resolve("new"), 2000, 8, false);
        RemoteLogSegmentMetadata old = metadata(0, 3000);
        RemoteLogSegmentMetadata current = metadata(100, 2000);
        LayoutOneWriter.write(remote, old, oldLocal.data());
        rsm.copyLogSegmentData(current, newLocal.data(), () -> bytes("new"));
        rsm.putManifest(old, bytes("old"));

        assertThat(fileNames(partitionDir())).hasSize(7 + 1 + 2);
        assertThat(readAll(rsm.fetchLogSegment(old, 0))).isEqualTo(oldLocal.log());
        assertThat(readAll(rsm.fetchLogSegment(old, 10, 19))).isEqualTo(Arrays.copyOfRange(oldLocal.log(), 10, 20));
        assertThat(readAll(rsm.fetchIndex(old, IndexType.OFFSET))).isEqualTo(oldLocal.offsetIndex());
        assertThat(readAll(rsm.fetchIndex(old, IndexType.TRANSACTION))).isEqualTo(oldLocal.txnIndex());
        assertThat(readAll(rsm.fetchLogSegment(current, 0))).isEqualTo(newLocal.log());
        assertThat(readAll(rsm.fetchIndex(current, IndexType.PRODUCER_SNAPSHOT)))
                .isEqualTo(newLocal.snapshot());
        assertThatThrownBy(() -> rsm.fetchIndex(current, IndexType.TRANSACTION))
                .isInstanceOf(RemoteResourceNotFoundException.class);
        assertThat(listedManifests()).containsExactly("old", "new");

        rsm.deleteLogSegmentData(old);
        assertThat(fileNames(partitionDir()))
                .containsExactlyInAnyOrder(
                        baseName(old) + ".manifest", baseName(current) + ".log", baseName(current) + ".indexes");
        rsm.deleteLogSegmentData(current);
        assertThat(fileNames(partitionDir())).containsExactly(baseName(old) + ".manifest");
    }

    @Test
    void rangedFetchReturnsInclusiveRanges() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 10_000, 0, false);
        RemoteLogSegmentMetadata segment = metadata(0, 10_000);
        rsm.copyLogSegmentData(segment, local.data());

        int[][] ranges = {{0, 0}, {0, 99}, {1, 4096}, {4096, 8191}, {5000, 9999}, {9999, 9999}};
        for (int[] range : ranges) {
            assertThat(readAll(rsm.fetchLogSegment(segment, range[0], range[1])))
                    .as("bytes %d..%d", range[0], range[1])
                    .isEqualTo(Arrays.copyOfRange(local.log(), range[0], range[1] + 1));
        }
        assertThat(readAll(rsm.fetchLogSegment(segment, 7000)))
                .isEqualTo(Arrays.copyOfRange(local.log(), 7000, 10_000));
        assertThat(readAll(rsm.fetchLogSegment(segment, 10_000))).isEmpty();
        assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 10, 9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> rsm.fetchLogSegment(segment, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rangedStreamSupportsSkipAndSingleByteReads() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, false);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        rsm.copyLogSegmentData(segment, local.data());

        try (InputStream in = rsm.fetchLogSegment(segment, 100, 199)) {
            assertThat(in.available()).isEqualTo(100);
            assertThat(in.read()).isEqualTo(local.log()[100] & 0xff);
            assertThat(in.skip(98)).isEqualTo(98);
            assertThat(in.read()).isEqualTo(local.log()[199] & 0xff);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void deleteRemovesEveryFileOfTheSegment() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, true);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        RemoteLogSegmentMetadata other = metadata(100, 1000);
        rsm.copyLogSegmentData(segment, local.data());
        rsm.copyLogSegmentData(other, local.data());

        rsm.deleteLogSegmentData(segment);

        assertThat(fileNames(partitionDir()))
                .hasSize(2)
                .allMatch(name -> name.contains(other.remoteLogSegmentId().id().toString()));
    }

    @Test
    void deleteOfAPartitionNeverWrittenSucceeds() throws Exception {
        rsm.deleteLogSegmentData(metadata(0, 1000));

        assertThat(Files.exists(partitionDir())).isFalse();
    }

    @Test
    void aRetriedCopyOverwritesTheFirstAttempt() throws Exception {
        RemoteLogSegmentMetadata segment = metadata(0, 2000);
        LocalSegment first = localSegment(temp.resolve("first"), 2000, 1, true);
        LocalSegment second = localSegment(temp.resolve("second"), 2000, 2, false);

        LayoutOneWriter.write(remote, segment, first.data());
        rsm.copyLogSegmentData(segment, first.data());
        assertThat(fileNames(partitionDir())).as("a layout-1 copy is replaced").hasSize(2);

        rsm.copyLogSegmentData(segment, second.data());
        assertThat(readAll(rsm.fetchLogSegment(segment, 0))).isEqualTo(second.log());
        assertThat(readAll(rsm.fetchIndex(segment, IndexType.OFFSET))).isEqualTo(second.offsetIndex());
        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.TRANSACTION))
                .as("the earlier attempt's transaction index is gone")
                .isInstanceOf(RemoteResourceNotFoundException.class);
        assertThat(fileNames(partitionDir())).hasSize(2);
    }

    @Test
    void aSegmentReadBeforeItsRetriedCopyIsReadAsTheRetry() throws Exception {
        RemoteLogSegmentMetadata segment = metadata(0, 2000);
        LocalSegment first = localSegment(temp.resolve("first"), 2000, 1, false);
        LocalSegment second = localSegment(temp.resolve("second"), 2000, 2, false);
        rsm.copyLogSegmentData(segment, first.data());
        assertThat(readAll(rsm.fetchLogSegment(segment, 0))).isEqualTo(first.log());

        rsm.copyLogSegmentData(segment, second.data());

        assertThat(readAll(rsm.fetchLogSegment(segment, 0)))
                .as("the whole read checks the second copy's CRC32C, not the first's")
                .isEqualTo(second.log());
    }

    @Test
    void whatAnotherBrokerSharingTheDirectoryDidIsWhatAReadSees() throws Exception {
        RemoteLogSegmentMetadata segment = metadata(0, 2000);
        LocalSegment small = localSegment(temp.resolve("small"), 1000, 1, false);
        LocalSegment large = localSegment(temp.resolve("large"), 2000, 2, false);
        FileSystemRemoteStorageManager other = new FileSystemRemoteStorageManager();
        other.configure(Map.of("dir", remote.toString()));
        rsm.copyLogSegmentData(segment, small.data());
        assertThat(readAll(rsm.fetchLogSegment(segment, 0))).isEqualTo(small.log());
        rsm.openLog(segment).close();

        other.copyLogSegmentData(segment, large.data());
        assertThat(readAll(rsm.fetchLogSegment(segment, 0))).isEqualTo(large.log());
        try (FileChannel channel = rsm.openLog(segment)) {
            assertThat(channel.size()).isEqualTo(large.log().length);
        }

        other.deleteLogSegmentData(segment);
        assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 0)).isInstanceOf(RemoteResourceNotFoundException.class);
        assertThatThrownBy(() -> rsm.openLog(segment)).isInstanceOf(RemoteResourceNotFoundException.class);
    }

    @Test
    void failedCopyLeavesNothingVisible() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 5000, 0, true);
        LogSegmentData broken = new LogSegmentData(
                local.data().logSegment(),
                local.data().offsetIndex(),
                local.data().timeIndex(),
                local.data().transactionIndex(),
                temp.resolve("local/missing.snapshot"),
                ByteBuffer.wrap(local.epochs()));
        RemoteLogSegmentMetadata segment = metadata(0, 5000);

        assertThatThrownBy(() -> rsm.copyLogSegmentData(segment, broken))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("missing.snapshot");

        assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 0)).isInstanceOf(RemoteResourceNotFoundException.class);
        assertThat(fileNames(partitionDir())).isEmpty();
    }

    @Test
    void debrisOfACrashedCopyIsInvisibleAndRemovedByTheNextCopy() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, false);
        RemoteLogSegmentMetadata crashed = metadata(0, 1000);
        // What a process killed mid-copy leaves: some files renamed into place, one still temporary, no sidecar.
        Path dir = Files.createDirectories(partitionDir());
        String base = "00000000000000000000-" + crashed.remoteLogSegmentId().id();
        Files.write(dir.resolve(base + ".log"), local.log());
        Files.write(dir.resolve(base + ".index.tmp"), local.offsetIndex());
        Files.writeString(dir.resolve("README.txt"), "not ours");

        assertThatThrownBy(() -> rsm.fetchLogSegment(crashed, 0)).isInstanceOf(RemoteResourceNotFoundException.class);
        assertThatThrownBy(() -> rsm.fetchIndex(crashed, IndexType.OFFSET))
                .isInstanceOf(RemoteResourceNotFoundException.class);

        RemoteLogSegmentMetadata next = metadata(100, 1000);
        rsm.copyLogSegmentData(next, local.data());

        assertThat(fileNames(dir))
                .contains("README.txt")
                .filteredOn(name -> name.startsWith(base))
                .isEmpty();
    }

    @Test
    void debrisIsAlsoRemovedByADelete() throws Exception {
        Path dir = Files.createDirectories(partitionDir());
        String base =
                "00000000000000000000-" + metadata(0, 10).remoteLogSegmentId().id();
        Files.write(dir.resolve(base + ".log.tmp"), new byte[10]);

        rsm.deleteLogSegmentData(metadata(200, 10));

        assertThat(fileNames(dir)).isEmpty();
    }

    @Test
    void manifestsAreWrittenNextToTheSegment() throws Exception {
        RemoteLogSegmentMetadata first = metadata(0, 1000);
        RemoteLogSegmentMetadata second = metadata(100, 1000);
        rsm.putManifest(first, bytes("first"));
        rsm.putManifest(second, bytes("second"));

        assertThat(remoteFile(first, "manifest")).hasBinaryContent(bytes("first"));
        rsm.deleteManifest(first);
        assertThat(fileNames(partitionDir())).containsExactly(baseName(second) + ".manifest");
    }

    @Test
    void listingFindsOnlyManifestsWhereSegmentsLive() throws Exception {
        assertThat(listedManifests()).as("an empty tier").isEmpty();
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        rsm.putManifest(segment, bytes("real"));
        Files.write(remoteFile(segment, "manifest.tmp"), bytes("interrupted write"));
        Files.write(partitionDir().resolve("notes.manifest"), bytes("not a segment"));
        Files.write(remote.resolve(baseName(segment) + ".manifest"), bytes("not in a partition directory"));
        Path deeper = Files.createDirectories(partitionDir().resolve("deeper"));
        Files.write(deeper.resolve(baseName(segment) + ".manifest"), bytes("too deep"));

        assertThat(listedManifests()).containsExactly("real");
    }

    @Test
    void deletingAManifestAlsoRemovesAnInterruptedWriteOfIt() throws Exception {
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        Files.createDirectories(partitionDir());
        Files.write(remoteFile(segment, "manifest.tmp"), bytes("interrupted write"));

        rsm.deleteManifest(segment);

        assertThat(fileNames(partitionDir())).isEmpty();
    }

    @Test
    void corruptIndexIsAnErrorNotData() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, true);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        rsm.copyLogSegmentData(segment, local.data());

        byte[] file = Files.readAllBytes(remoteFile(segment, "indexes"));
        SegmentIndexBundle bundle =
                SegmentIndexBundle.parse(ByteBuffer.wrap(file), file.length - BundleFile.TRAILER_SIZE);
        flipByte(
                remoteFile(segment, "indexes"),
                bundle.range(Section.OFFSET_INDEX).orElseThrow().offset() + 17);
        flipByte(
                remoteFile(segment, "indexes"),
                bundle.range(Section.TIME_INDEX).orElseThrow().offset() + 3);

        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.OFFSET))
                .isInstanceOf(RemoteStorageException.class)
                .isNotInstanceOf(RemoteResourceNotFoundException.class)
                .hasMessageContaining("corrupt")
                .hasCauseInstanceOf(CorruptRecordException.class);
        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.TIMESTAMP))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("corrupt")
                .hasCauseInstanceOf(CorruptRecordException.class);
        assertThat(readAll(rsm.fetchIndex(segment, IndexType.PRODUCER_SNAPSHOT)))
                .isEqualTo(local.snapshot());
    }

    @Test
    void corruptLogIsDetected() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, false);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        rsm.copyLogSegmentData(segment, local.data());

        flipByte(remoteFile(segment, "log"), 500);
        assertThatThrownBy(() -> readAll(rsm.fetchLogSegment(segment, 0)))
                .as("a whole-log read checks the CRC32C at the end of the stream")
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("corrupt")
                .hasRootCauseInstanceOf(CorruptRecordException.class);

        Files.write(remoteFile(segment, "log"), Arrays.copyOf(local.log(), 900));
        assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 0, 10))
                .as("a truncated log fails even a ranged read")
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("900 bytes")
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void corruptBundleTableIsAnError() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, false);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        rsm.copyLogSegmentData(segment, local.data());
        flipByte(remoteFile(segment, "indexes"), 7);

        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.OFFSET))
                .isInstanceOf(RemoteStorageException.class)
                .isNotInstanceOf(RemoteResourceNotFoundException.class)
                .hasMessageContaining("corrupt")
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void corruptLayoutOneIndexAndSidecarAreErrors() throws Exception {
        LocalSegment local = localSegment(temp.resolve("local"), 1000, 0, false);
        RemoteLogSegmentMetadata segment = metadata(0, 1000);
        LayoutOneWriter.write(remote, segment, local.data());
        flipByte(remoteFile(segment, "index"), 17);
        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.OFFSET))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("corrupt")
                .hasCauseInstanceOf(CorruptRecordException.class);

        Files.writeString(remoteFile(segment, "crc"), "garbage\n");

        assertThatThrownBy(() -> rsm.fetchIndex(segment, IndexType.OFFSET))
                .isInstanceOf(RemoteStorageException.class)
                .isNotInstanceOf(RemoteResourceNotFoundException.class)
                .hasMessageContaining("bad header")
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void missingDirectoryConfigIsAReadableConfigException() {
        FileSystemRemoteStorageManager unconfigured = new FileSystemRemoteStorageManager();

        assertThatThrownBy(() -> unconfigured.configure(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rsm.config.dir");
        assertThatThrownBy(() -> unconfigured.configure(Map.of("dir", "  ")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(unconfigured::root).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void directoryThatIsAFileIsAConfigException() throws Exception {
        Path file = Files.writeString(temp.resolve("a-file"), "x");

        assertThatThrownBy(() -> new FileSystemRemoteStorageManager().configure(Map.of("dir", file.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not a directory");
    }

    @Test
    void unstrippedKeyIsAcceptedAndDirectoryIsCreated() {
        Path dir = temp.resolve("a/b/c");
        FileSystemRemoteStorageManager other = new FileSystemRemoteStorageManager();

        other.configure(Map.of("rsm.config.dir", dir));

        assertThat(other.root()).isEqualTo(dir.toAbsolutePath());
        assertThat(dir).isDirectory();
    }

    private Path partitionDir() {
        return remote.resolve("orders-" + PARTITION.topicId()).resolve("3");
    }

    private Path remoteFile(RemoteLogSegmentMetadata segment, String suffix) {
        return partitionDir()
                .resolve(String.format(
                        "%020d-%s.%s",
                        segment.startOffset(), segment.remoteLogSegmentId().id(), suffix));
    }

    private List<String> listedManifests() throws RemoteStorageException {
        try (Stream<byte[]> manifests = rsm.listManifests()) {
            return manifests
                    .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .toList();
        }
    }

    private static String baseName(RemoteLogSegmentMetadata segment) {
        return String.format(
                "%020d-%s", segment.startOffset(), segment.remoteLogSegmentId().id());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void flipByte(Path file, int position) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[position] ^= 0x5a;
        Files.write(file, bytes);
    }

    private static List<String> fileNames(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).toList();
        }
    }
}
