package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaderEpochCacheTest {

    @TempDir
    Path dir;

    @Test
    void persistsEntriesInKafkasCheckpointFormat() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.load(dir);
        cache.assign(0, 0);
        cache.assign(0, 5); // same epoch again: no change
        cache.assign(2, 10);
        cache.assign(3, 25);

        assertThat(Files.readString(dir.resolve("leader-epoch-checkpoint"))).isEqualTo("0\n3\n0 0\n2 10\n3 25\n");
        assertThat(LeaderEpochCache.load(dir).entries()).isEqualTo(cache.entries());
        assertThat(cache.latestEpoch()).isEqualTo(OptionalInt.of(3));
        assertThat(dir.resolve("leader-epoch-checkpoint.tmp")).doesNotExist();
    }

    @Test
    void endOffsetForAnswersOffsetForLeaderEpoch() {
        LeaderEpochCache cache = LeaderEpochCache.load(dir);
        cache.assign(1, 0);
        cache.assign(3, 10);
        cache.assign(5, 30);

        assertThat(cache.endOffsetFor(5, 42)).isEqualTo(new LeaderEpochCache.EpochEndOffset(5, 42));
        assertThat(cache.endOffsetFor(3, 42)).isEqualTo(new LeaderEpochCache.EpochEndOffset(3, 30));
        assertThat(cache.endOffsetFor(4, 42)).isEqualTo(new LeaderEpochCache.EpochEndOffset(3, 30));
        assertThat(cache.endOffsetFor(0, 42)).isEqualTo(new LeaderEpochCache.EpochEndOffset(0, 0));
        assertThat(cache.endOffsetFor(6, 42)).isEqualTo(new LeaderEpochCache.EpochEndOffset(-1, -1));
        assertThat(cache.endOffsetFor(-1, 42)).isEqualTo(new LeaderEpochCache.EpochEndOffset(-1, -1));
        assertThat(cache.epochForOffset(29)).isEqualTo(OptionalInt.of(3));
    }

    @Test
    void assignRemovesConflictingEntries() {
        LeaderEpochCache cache = LeaderEpochCache.load(dir);
        cache.assign(1, 0);
        cache.assign(2, 10);
        cache.assign(3, 20);
        cache.assign(4, 15);

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(2, 10), new EpochEntry(4, 15));
    }

    @Test
    void truncatesFromEndAndStart() {
        LeaderEpochCache cache = LeaderEpochCache.load(dir);
        cache.assign(1, 0);
        cache.assign(2, 10);
        cache.assign(3, 20);

        cache.truncateFromEnd(20);
        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(2, 10));
        cache.truncateFromStart(12);
        assertThat(cache.entries()).containsExactly(new EpochEntry(2, 12));
        assertThat(LeaderEpochCache.load(dir).entries()).containsExactly(new EpochEntry(2, 12));
    }

    @Test
    void rejectsACorruptCheckpoint() throws Exception {
        Files.writeString(dir.resolve("leader-epoch-checkpoint"), "0\n3\n0 0\n");
        assertThatThrownBy(() -> LeaderEpochCache.load(dir)).isInstanceOf(KafkaStorageException.class);
    }
}
