package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.Test;

/**
 * Every read of {@link RemoteLogReaderTest} again, from the filesystem backend's log files ({@link LogFileReads}) instead
 * of the chunk cache: the same batches, checks and errors. The reads scan the logs {@value #WINDOW} bytes at a time, less
 * than a batch, so that every batch is read whole on its own; {@link RemoteLogFileReadWideWindowTest} runs them again with
 * the broker's window, which holds whole segments.
 */
class RemoteLogFileReadTest extends RemoteLogReaderTest {
    static final int WINDOW = 64;

    @Override
    RemoteReadFixture fixture(Path dir) throws IOException {
        return new RemoteReadFixture(dir, WINDOW);
    }

    @Override
    @Test
    void returnsWholeBatchesFromTheBatchHoldingTheOffset() throws Exception {
        ByteBuffer bytes = reader.readRecords(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS);

        assertThat(offsetsOf(bytes)).startsWith(15L, 16L, 17L, 18L, 19L, 20L).endsWith(29L);
        assertThat(bytes.isDirect())
                .as("read back from the files, for a caller that wants one buffer")
                .isFalse();
    }

    @Override
    @Test
    void aReadGoesOnIntoTheNextSegmentWhenItsFirstChunkIsInMemory() throws Exception {
        int fetches = remote.storage().fetches().size();

        RemoteRecords records = reader.readRecordParts(tip, 17, 1 << 20).get(10, TimeUnit.SECONDS);

        try (records) {
            assertThat(offsetsOf(records.toBuffer()))
                    .as("from the files, the read goes on into every segment after its own")
                    .containsExactly(15L, 16L, 17L, 18L, 19L, 20L, 21L, 22L, 23L, 24L, 25L, 26L, 27L, 28L, 29L);
            assertThat(records.parts()).hasSize(2).allMatch(p -> p instanceof RemoteRecords.FileSlice);
            assertThat(records.upperBound()).isEqualTo(30);
        }
        assertThat(remote.storage().fetches())
                .as("nothing fetched through the backend's streams")
                .hasSize(fetches);
    }

    @Test
    void aReadHoldsItsFilesOpenUntilItsRecordsAreClosed() throws Exception {
        RemoteRecords records = reader.readRecordParts(tip, 0, 1 << 20).get(10, TimeUnit.SECONDS);
        List<RemoteRecords.FileSlice> slices = records.parts().stream()
                .map(RemoteRecords.FileSlice.class::cast)
                .toList();
        assertThat(slices).hasSize(3).allMatch(s -> s.channel().isOpen());

        records.close();

        assertThat(slices).noneMatch(s -> s.channel().isOpen());
    }

    @Test
    void countsTheFileReadsTheBytesTheyReadAndTheirFailures() throws Exception {
        assertThat(reader.fileReadStats()).isEqualTo(new RemoteLogReader.FileReadStats(0, 0, 0));
        ByteBuffer bytes = reader.readRecords(tip, 0, 1 << 20).get(10, TimeUnit.SECONDS);

        RemoteLogReader.FileReadStats read = reader.fileReadStats();
        assertThat(read.reads()).as("one per segment").isEqualTo(3);
        assertThat(read.bytes()).as("every batch read at least once").isGreaterThanOrEqualTo(bytes.remaining());
        assertThat(read.errors()).isZero();

        Files.delete(remoteLogOf(10));
        assertThatThrownBy(() -> reader.readRecords(tip, 12, 1 << 20).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RemoteStorageException.class);
        assertThat(reader.fileReadStats().errors()).isEqualTo(1);
    }
}
