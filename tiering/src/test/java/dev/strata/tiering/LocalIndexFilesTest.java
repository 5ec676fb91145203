package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.index.OffsetPosition;
import dev.strata.index.RemoteAbortedTxn;
import dev.strata.index.TimestampOffset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalIndexFilesTest {

    @TempDir
    Path tmp;

    @Test
    void readsOffsetEntriesRelativeToTheBaseOffsetAndStopsAtPreallocatedZeros() throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(4 * 8);
        bytes.putInt(0).putInt(0).putInt(5).putInt(400); // two entries, then two zero entries of preallocation
        Path file = Files.write(tmp.resolve("0.index"), bytes.array());

        assertThat(LocalIndexFiles.offsetEntries(file, 100, 109, 800))
                .containsExactly(new OffsetPosition(100, 0), new OffsetPosition(105, 400));
    }

    @Test
    void readsTimeEntries() throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(3 * 12);
        bytes.putLong(1_000).putInt(4).putLong(2_000).putInt(9);
        Path file = Files.write(tmp.resolve("0.timeindex"), bytes.array());

        assertThat(LocalIndexFiles.timeEntries(file, 100, 109))
                .containsExactly(new TimestampOffset(1_000, 104), new TimestampOffset(2_000, 109));
    }

    @Test
    void readsTheAbortedTransactionsOfATxnIndexAndIgnoresATornLastEntry() throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(2 * 34 + 10);
        bytes.putShort((short) 0).putLong(7).putLong(90).putLong(102).putLong(103);
        bytes.putShort((short) 0).putLong(8).putLong(104).putLong(106).putLong(95);
        Path file = Files.write(tmp.resolve("0.txnindex"), bytes.array());

        assertThat(LocalIndexFiles.abortedTxns(Optional.of(file), 100, 109))
                .containsExactly(new RemoteAbortedTxn(7, 90, 102, 103), new RemoteAbortedTxn(8, 104, 106, 95));
        assertThat(LocalIndexFiles.abortedTxns(Optional.empty(), 100, 109)).isEmpty();
        assertThatThrownBy(() -> LocalIndexFiles.abortedTxns(Optional.of(file), 103, 109))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Corrupt transaction index");
    }

    @Test
    void rejectsAnEntryOutsideTheSegment() throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8);
        bytes.putInt(3).putInt(900);
        Path file = Files.write(tmp.resolve("0.index"), bytes.array());

        assertThatThrownBy(() -> LocalIndexFiles.offsetEntries(file, 100, 109, 800))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Corrupt offset index");
    }
}
