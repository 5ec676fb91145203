package dev.strata.tiering;

import static dev.strata.tiering.TestSegments.metadata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the log files of recently read segments save (the bundle is read once) and when they are looked up again. */
class RecentLogFilesTest {

    @TempDir
    Path temp;

    private final List<RemoteLogSegmentMetadata> lookups = new ArrayList<>();

    @Test
    void aSegmentReadAgainIsNotLookedUpAgainUntilItIsForgottenOrCrowdedOut() throws Exception {
        RemoteLogSegmentMetadata first = metadata(0, 100);
        RemoteLogSegmentMetadata second = metadata(100, 100);
        RecentLogFiles files = new RecentLogFiles(1, this::lookUp);

        files.open(first).channel().close();
        files.open(first).channel().close();
        assertThat(lookups).containsExactly(first);

        files.forget(first.remoteLogSegmentId());
        files.open(first).channel().close();
        files.open(second).channel().close();
        files.open(first).channel().close();
        assertThat(lookups).as("one segment is remembered").containsExactly(first, first, second, first);
        assertThat(files.size()).isEqualTo(1);
    }

    @Test
    void aFileThatNoLongerMatchesIsLookedUpAgainAndOnlyAMatchIsRemembered() throws Exception {
        RemoteLogSegmentMetadata segment = metadata(0, 100);
        RecentLogFiles files = new RecentLogFiles(8, this::lookUp);
        files.open(segment).channel().close();

        Files.write(file(segment), new byte[50]);
        try (var opened = files.open(segment).channel()) {
            assertThat(opened.size())
                    .as("the lookup's answer, not the remembered one")
                    .isEqualTo(50);
        }
        assertThat(lookups).hasSize(2);

        Files.delete(file(segment));
        assertThatThrownBy(() -> files.open(segment))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("is missing");
        assertThat(files.size()).isZero();
        assertThat(lookups).hasSize(3);
    }

    @Test
    void aLogOfAnotherSizeThanItsBundleSaysIsCorrupt() throws Exception {
        RemoteLogSegmentMetadata segment = metadata(0, 100);
        Files.write(file(segment), new byte[100]);
        RecentLogFiles files =
                new RecentLogFiles(8, s -> new RecentLogFiles.LogFile(file(s), new SegmentChecksums.Entry(99, 0)));

        assertThatThrownBy(() -> files.open(segment))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("has 100 bytes, its bundle or checksum sidecar says 99")
                .hasCauseInstanceOf(CorruptRecordException.class);
        assertThat(files.size()).isZero();
    }

    /**
     * What a bundle would say of the segment's log: the file's size while it is there (its first look creates it, with
     * the segment's size), else the segment's size.
     */
    private RecentLogFiles.LogFile lookUp(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        boolean first = !lookups.contains(segment);
        lookups.add(segment);
        Path path = file(segment);
        try {
            if (first) {
                Files.write(path, new byte[segment.segmentSizeInBytes()]);
            }
            long size = Files.exists(path) ? Files.size(path) : segment.segmentSizeInBytes();
            return new RecentLogFiles.LogFile(path, new SegmentChecksums.Entry(size, 0));
        } catch (IOException e) {
            throw new RemoteStorageException(e.getMessage(), e);
        }
    }

    private Path file(RemoteLogSegmentMetadata segment) {
        return temp.resolve(segment.remoteLogSegmentId().id() + ".log");
    }
}
