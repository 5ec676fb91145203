package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffsetIndexTest {

    @TempDir
    Path dir;

    @Test
    void lookupFindsTheGreatestEntryAtOrBelowTheTarget() throws Exception {
        try (OffsetIndex index = new OffsetIndex(dir.resolve("100.index"), 100, 1024)) {
            index.append(105, 0);
            index.append(110, 400);
            index.append(120, 900);

            assertThat(index.lookup(99)).isEqualTo(new OffsetPosition(100, 0));
            assertThat(index.lookup(105)).isEqualTo(new OffsetPosition(105, 0));
            assertThat(index.lookup(115)).isEqualTo(new OffsetPosition(110, 400));
            assertThat(index.lookup(1_000)).isEqualTo(new OffsetPosition(120, 900));
        }
    }

    @Test
    void isPreallocatedAndTrimmedOnClose() throws Exception {
        Path file = dir.resolve("0.index");
        OffsetIndex index = new OffsetIndex(file, 0, 1000);
        assertThat(Files.size(file)).isEqualTo(1000);
        assertThat(index.maxEntries()).isEqualTo(125);
        index.append(3, 10);
        index.append(7, 20);
        index.close();

        assertThat(Files.size(file)).isEqualTo(16);
        try (OffsetIndex reopened = new OffsetIndex(file, 0, 1000)) {
            assertThat(reopened.entries()).isEqualTo(2);
            assertThat(reopened.lastEntry()).isEqualTo(new OffsetPosition(7, 20));
        }
    }

    @Test
    void preallocatedZeroTailLeftByACrashIsNotReadAsEntries() throws Exception {
        Path file = dir.resolve("0.index");
        OffsetIndex index = new OffsetIndex(file, 0, 800);
        index.append(0, 0);
        index.append(9, 500);
        index.flush();
        // no close: the file keeps its preallocated length, as after kill -9
        try (OffsetIndex reopened = new OffsetIndex(file, 0, 800)) {
            assertThat(reopened.entries()).isEqualTo(2);
            assertThat(reopened.lastOffset()).isEqualTo(9);
        }
        index.deleteIfExists();
    }

    @Test
    void truncateToRemovesEntriesAtAndAboveTheOffset() throws Exception {
        try (OffsetIndex index = new OffsetIndex(dir.resolve("0.index"), 0, 1024)) {
            for (int i = 1; i <= 10; i++) {
                index.append(i * 10L, i * 100);
            }
            index.truncateTo(50);
            assertThat(index.entries()).isEqualTo(4);
            assertThat(index.lastOffset()).isEqualTo(40);
            index.truncateTo(35);
            assertThat(index.lastOffset()).isEqualTo(30);
            index.append(31, 350);
            assertThat(index.lookup(33)).isEqualTo(new OffsetPosition(31, 350));
        }
    }

    @Test
    void rejectsOutOfOrderAppendsAndAppendsWhenFull() throws Exception {
        try (OffsetIndex index = new OffsetIndex(dir.resolve("0.index"), 0, 16)) {
            index.append(5, 0);
            assertThatThrownBy(() -> index.append(5, 10)).isInstanceOf(IllegalStateException.class);
            index.append(6, 10);
            assertThat(index.isFull()).isTrue();
            assertThatThrownBy(() -> index.append(7, 20)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void sanityCheckDetectsAPositionBeyondTheLog() throws Exception {
        try (OffsetIndex index = new OffsetIndex(dir.resolve("0.index"), 0, 1024)) {
            index.append(5, 4096);
            index.sanityCheck(8192);
            assertThatThrownBy(() -> index.sanityCheck(100)).isInstanceOf(CorruptIndexException.class);
        }
    }

    @Test
    void binarySearchAgreesWithALinearScan() throws Exception {
        try (OffsetIndex index = new OffsetIndex(dir.resolve("1000.index"), 1000, 8 * 500)) {
            for (int i = 0; i < 500; i++) {
                index.append(1000 + i * 3L, i * 50);
            }
            for (long target = 990; target < 2600; target++) {
                long expected = target < 1000 ? 1000 : 1000 + Math.min(499, (target - 1000) / 3) * 3;
                assertThat(index.lookup(target).offset())
                        .as("target %d", target)
                        .isEqualTo(expected);
            }
        }
    }
}
