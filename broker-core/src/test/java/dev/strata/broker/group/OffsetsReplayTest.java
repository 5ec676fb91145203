package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reading {@code __consumer_offsets} back: transactional offset commits are pending until their marker, a COMMIT
 * applies them unless a later commit came first, an ABORT drops them, and those still open at the end stay pending.
 */
class OffsetsReplayTest {
    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final long PID = 5L;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final GroupCoordinator coordinator =
            new GroupCoordinator(GroupCoordinator.Settings.defaults(), GroupStore.NONE, timer);
    private final ConsumerGroupCoordinator consumerGroups =
            new ConsumerGroupCoordinator(ConsumerGroupCoordinator.Settings.defaults(), null, timer, null);
    private final OffsetsReplay replay = new OffsetsReplay();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** The offset-commit record of group "g" for {@link #TP} at log offset {@code logOffset}; null: a tombstone. */
    private static Record commit(long logOffset, Long offset) {
        byte[] value =
                offset == null ? null : OffsetsTopicRecords.offsetValue(new CommittedOffset(offset, 0, "", 1_000L));
        SimpleRecord r = new SimpleRecord(1_000L, OffsetsTopicRecords.offsetKey("g", TP), value);
        return MemoryRecords.withRecords(logOffset, Compression.NONE, r)
                .records()
                .iterator()
                .next();
    }

    private Map<TopicPartition, CommittedOffset> restored() {
        replay.restoreInto(coordinator, consumerGroups);
        return coordinator.offsets().committed("g", List.of(TP));
    }

    @Test
    void aCommittedTransactionsOffsetsCountFromItsMarker() {
        replay.record(commit(0, 10L), -1);
        replay.record(commit(1, 20L), PID);
        replay.marker(PID, true);

        assertThat(restored().get(TP).offset()).isEqualTo(20L);
        assertThat(coordinator.offsets().isPending("g", TP)).isFalse();
    }

    @Test
    void anAbortedTransactionsOffsetsAreDropped() {
        replay.record(commit(0, 10L), -1);
        replay.record(commit(1, 20L), PID);
        replay.marker(PID, false);

        assertThat(restored().get(TP).offset()).isEqualTo(10L);
        assertThat(coordinator.offsets().isPending("g", TP)).isFalse();
    }

    @Test
    void anOpenTransactionsOffsetsStayPendingAndCountWhenItsMarkerComes() {
        replay.record(commit(0, 10L), -1);
        replay.record(commit(1, 20L), PID);

        assertThat(restored().get(TP).offset()).isEqualTo(10L);
        assertThat(coordinator.offsets().isPending("g", TP)).isTrue();

        coordinator.offsets().completeTransaction(PID, true, 2L, g -> true);
        assertThat(coordinator.offsets().committed("g", List.of(TP)).get(TP).offset())
                .isEqualTo(20L);
        assertThat(coordinator.offsets().isPending("g", TP)).isFalse();
    }

    @Test
    void aCommitWrittenAfterTheTransactionsOffsetWins() {
        replay.record(commit(1, 20L), PID);
        replay.record(commit(2, 30L), -1);
        replay.marker(PID, true);

        assertThat(restored().get(TP).offset()).isEqualTo(30L);
    }

    @Test
    void aTombstoneDropsPendingOffsets() {
        replay.record(commit(1, 20L), PID);
        replay.record(commit(2, null), -1);
        replay.marker(PID, true);

        assertThat(restored()).isEmpty();
        assertThat(coordinator.offsets().isPending("g", TP)).isFalse();
    }

    @Test
    void aMarkerOfAProducerWithoutOffsetsChangesNothing() {
        replay.record(commit(0, 10L), -1);
        replay.marker(PID, true);

        assertThat(restored().get(TP).offset()).isEqualTo(10L);
    }
}
