package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimeIndexTest {

    @TempDir
    Path dir;

    @Test
    void keepsOnlyIncreasingTimestampsAndLooksUpTheFloor() throws Exception {
        try (TimeIndex index = new TimeIndex(dir.resolve("0.timeindex"), 0, 1200)) {
            index.maybeAppend(1_000, 5);
            index.maybeAppend(900, 8); // older than the running maximum: not indexed
            index.maybeAppend(2_000, 10);
            index.maybeAppend(3_000, 20);

            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.lookup(500)).isEqualTo(new TimestampOffset(-1, 0));
            assertThat(index.lookup(1_000)).isEqualTo(new TimestampOffset(1_000, 5));
            assertThat(index.lookup(2_500)).isEqualTo(new TimestampOffset(2_000, 10));
            assertThat(index.lastEntry()).isEqualTo(new TimestampOffset(3_000, 20));
        }
    }

    @Test
    void keepsOneSlotForTheFinalEntryWrittenOnRoll() throws Exception {
        try (TimeIndex index = new TimeIndex(dir.resolve("0.timeindex"), 0, 36)) {
            index.maybeAppend(1, 1);
            index.maybeAppend(2, 2);
            assertThat(index.isFull()).isTrue();
            assertThatThrownBy(() -> index.maybeAppend(3, 3)).isInstanceOf(IllegalStateException.class);
            index.maybeAppend(3, 3, true);
            assertThat(index.lastEntry()).isEqualTo(new TimestampOffset(3, 3));
        }
    }

    @Test
    void truncatesByOffsetAndSurvivesReopen() throws Exception {
        Path file = dir.resolve("50.timeindex");
        TimeIndex index = new TimeIndex(file, 50, 1200);
        for (int i = 1; i <= 5; i++) {
            index.maybeAppend(i * 100L, 50 + i * 10L);
        }
        index.truncateTo(80);
        assertThat(index.lastEntry()).isEqualTo(new TimestampOffset(200, 70));
        index.close();
        assertThat(Files.size(file)).isEqualTo(24);
        try (TimeIndex reopened = new TimeIndex(file, 50, 1200)) {
            assertThat(reopened.entries()).isEqualTo(2);
            assertThat(reopened.lookup(150)).isEqualTo(new TimestampOffset(100, 60));
            reopened.sanityCheck();
        }
    }

    @Test
    void rejectsAnOffsetBelowTheLastEntry() throws Exception {
        try (TimeIndex index = new TimeIndex(dir.resolve("0.timeindex"), 0, 1200)) {
            index.maybeAppend(100, 10);
            assertThatThrownBy(() -> index.maybeAppend(200, 5)).isInstanceOf(IllegalStateException.class);
        }
    }
}
