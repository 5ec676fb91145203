package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransactionIndexTest {

    @TempDir
    Path dir;

    @Test
    void writesKafkasThirtyFourByteEntries() throws Exception {
        Path file = dir.resolve("00000000000000000000.txnindex");
        try (TransactionIndex index = new TransactionIndex(file)) {
            index.append(new AbortedTxn(7L, 3L, 9L, 10L));
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
        assertThat(bytes.remaining()).isEqualTo(34);
        assertThat(bytes.getShort()).as("version").isZero();
        assertThat(bytes.getLong()).as("producer id").isEqualTo(7L);
        assertThat(bytes.getLong()).as("first offset").isEqualTo(3L);
        assertThat(bytes.getLong()).as("last offset").isEqualTo(9L);
        assertThat(bytes.getLong()).as("last stable offset").isEqualTo(10L);
    }

    @Test
    void noFileUntilTheFirstAbort() throws Exception {
        Path file = dir.resolve("00000000000000000000.txnindex");
        try (TransactionIndex index = new TransactionIndex(file)) {
            assertThat(index.collectAbortedTxns(0, 100).aborted()).isEmpty();
            assertThat(index.lastOffset()).isEqualTo(-1);
            index.truncateTo(0);
        }
        assertThat(file).doesNotExist();
    }

    @Test
    void collectsTheTransactionsOverlappingTheRangeAndStopsAtTheLastStableOffset() throws Exception {
        try (TransactionIndex index = new TransactionIndex(dir.resolve("x.txnindex"))) {
            index.append(new AbortedTxn(1L, 0L, 4L, 5L));
            index.append(new AbortedTxn(2L, 6L, 12L, 8L)); // producer 3's transaction opened at 8 was still open
            index.append(new AbortedTxn(3L, 8L, 20L, 21L));

            assertThat(index.collectAbortedTxns(5, 10))
                    .isEqualTo(new TransactionIndex.SearchResult(
                            List.of(new AbortedTxn(2L, 6L, 12L, 8L), new AbortedTxn(3L, 8L, 20L, 21L)), true));
            assertThat(index.collectAbortedTxns(0, 5))
                    .isEqualTo(new TransactionIndex.SearchResult(List.of(new AbortedTxn(1L, 0L, 4L, 5L)), true));
            assertThat(index.collectAbortedTxns(21, 30))
                    .as("nothing here, and a later segment may still hold one")
                    .isEqualTo(new TransactionIndex.SearchResult(List.of(), false));
        }
    }

    @Test
    void truncationRemovesTheTransactionsWhoseMarkerIsGone() throws Exception {
        try (TransactionIndex index = new TransactionIndex(dir.resolve("x.txnindex"))) {
            index.append(new AbortedTxn(1L, 0L, 4L, 5L));
            index.append(new AbortedTxn(2L, 6L, 12L, 13L));
            index.truncateTo(12);
            assertThat(index.entries()).containsExactly(new AbortedTxn(1L, 0L, 4L, 5L));
            assertThat(index.lastOffset()).isEqualTo(4L);
            index.append(new AbortedTxn(2L, 6L, 10L, 11L));
            assertThat(index.entries()).hasSize(2);
        }
    }

    @Test
    void refusesAnEntryThatDoesNotFollowTheLast() throws Exception {
        try (TransactionIndex index = new TransactionIndex(dir.resolve("x.txnindex"))) {
            index.append(new AbortedTxn(1L, 0L, 4L, 5L));
            assertThatThrownBy(() -> index.append(new AbortedTxn(2L, 1L, 4L, 5L)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void sanityCheckCutsOffATornLastEntry() throws Exception {
        Path file = dir.resolve("x.txnindex");
        try (TransactionIndex index = new TransactionIndex(file)) {
            index.append(new AbortedTxn(1L, 0L, 4L, 5L));
            index.append(new AbortedTxn(2L, 6L, 12L, 13L));
        }
        Files.write(file, new byte[] {0, 0, 1, 2, 3}, StandardOpenOption.APPEND); // a crash mid-entry
        try (TransactionIndex index = new TransactionIndex(file)) {
            index.sanityCheck();
            assertThat(index.entries()).hasSize(2);
            assertThat(index.lastOffset()).isEqualTo(12L);
        }
        assertThat(Files.size(file)).isEqualTo(68);
    }

    @Test
    void renamedIndexKeepsItsEntriesAndDeleteRemovesTheFile() throws Exception {
        Path file = dir.resolve("x.txnindex");
        Path renamed = dir.resolve("x.txnindex.deleted");
        try (TransactionIndex index = new TransactionIndex(file)) {
            index.append(new AbortedTxn(1L, 0L, 4L, 5L));
            index.renameTo(renamed);
            assertThat(file).doesNotExist();
            assertThat(index.entries()).hasSize(1);
            index.deleteIfExists();
            assertThat(renamed).doesNotExist();
        }
    }
}
