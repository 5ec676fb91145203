package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Transactional offsets wait per producer for their marker, which ends only what was written before it. */
class PendingTxnOffsetsTest {
    private static final TopicPartition TP0 = new TopicPartition("orders", 0);
    private static final TopicPartition TP1 = new TopicPartition("orders", 1);
    private static final long PID = 7L;

    private final PendingTxnOffsets pending = new PendingTxnOffsets();

    private static Map<TopicPartition, CommittedOffset> at(TopicPartition tp, long offset) {
        return Map.of(tp, new CommittedOffset(offset, 0, "", 1_000L));
    }

    @Test
    void aWriteIsPendingFromItsAppendUntilItsMarker() {
        long logOffset = pending.write(PID, "g", at(TP0, 10), appended -> {
            appended.accept(42L);
            return 42L;
        });
        assertThat(logOffset).isEqualTo(42L);
        assertThat(pending.isPending("g", TP0)).isTrue();
        assertThat(pending.isPending("g", TP1)).isFalse();
        assertThat(pending.isPending("other", TP0)).isFalse();

        Map<String, Map<TopicPartition, WrittenOffset>> ended = pending.complete(PID, 43L, g -> true);

        assertThat(ended).containsOnlyKeys("g");
        assertThat(ended.get("g").get(TP0))
                .isEqualTo(new WrittenOffset(at(TP0, 10).get(TP0), 42L));
        assertThat(pending.isPending("g", TP0)).isFalse();
        assertThat(pending.hasPending("g")).isFalse();
    }

    @Test
    void aMarkerEndsOnlyWhatWasWrittenBeforeIt() {
        pending.add(PID, "g", at(TP0, 10), 5L);
        pending.add(PID, "g", at(TP1, 11), 20L);

        Map<String, Map<TopicPartition, WrittenOffset>> ended = pending.complete(PID, 12L, g -> true);

        assertThat(ended.get("g")).containsOnlyKeys(TP0);
        assertThat(pending.isPending("g", TP1)).isTrue();
    }

    @Test
    void aMarkerEndsOnlyTheGroupsOfItsPartition() {
        pending.add(PID, "here", at(TP0, 10), 5L);
        pending.add(PID, "elsewhere", at(TP0, 10), 5L);

        Map<String, Map<TopicPartition, WrittenOffset>> ended = pending.complete(PID, 9L, "here"::equals);

        assertThat(ended).containsOnlyKeys("here");
        assertThat(pending.isPending("elsewhere", TP0)).isTrue();
    }

    @Test
    void aMarkerOfAnotherProducerEndsNothing() {
        pending.add(PID, "g", at(TP0, 10), 5L);

        assertThat(pending.complete(PID + 1, 9L, g -> true)).isEmpty();
        assertThat(pending.isPending("g", TP0)).isTrue();
    }

    @Test
    void deletingAPartitionsOffsetsDropsItsPendingOnes() {
        pending.add(PID, "g", at(TP0, 10), 5L);
        pending.add(
                PID + 1, "g", Map.of(TP0, at(TP0, 11).get(TP0), TP1, at(TP1, 3).get(TP1)), 6L);

        pending.remove("g", List.of(TP0));

        assertThat(pending.isPending("g", TP0)).isFalse();
        assertThat(pending.partitions("g")).containsExactly(TP1);
        assertThat(pending.complete(PID, 9L, g -> true)).isEmpty();
    }

    @Test
    void unloadingForgetsTheSelectedGroups() {
        pending.add(PID, "a", at(TP0, 10), 5L);
        pending.add(PID, "b", at(TP0, 10), 5L);

        pending.unload("a"::equals);

        assertThat(pending.hasPending("a")).isFalse();
        assertThat(pending.hasPending("b")).isTrue();
    }
}
