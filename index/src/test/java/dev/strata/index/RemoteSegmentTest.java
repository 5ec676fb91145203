package dev.strata.index;

import static dev.strata.index.Segments.P0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RemoteSegmentTest {

    private static RemoteSegment segment(long start, long end, long size, Map<Integer, Long> epochs, byte[] custom) {
        return new RemoteSegment(
                RemoteSegmentId.random(P0),
                start,
                end,
                0L,
                size,
                new TreeMap<>(epochs),
                1,
                RemoteSegmentState.COPY_STARTED,
                0L,
                custom);
    }

    @Test
    void rejectsImpossibleOffsetsSizesAndEpochs() {
        assertThatThrownBy(() -> segment(10, 9, 1, Map.of(0, 10L), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> segment(-1, 9, 1, Map.of(0, 0L), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> segment(0, 1L << 32, 1, Map.of(0, 0L), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> segment(0, 9, -1, Map.of(0, 0L), null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> segment(0, 9, 1, Map.of(), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oneOffsetSegmentContainsOnlyItsOffset() {
        RemoteSegment single = segment(5, 5, 1, Map.of(0, 5L), null);
        assertThat(single.contains(5)).isTrue();
        assertThat(single.contains(4)).isFalse();
        assertThat(single.contains(6)).isFalse();
    }

    @Test
    void leaderEpochsAreOrderedAndImmutable() {
        RemoteSegment segment = segment(0, 99, 1, Map.of(7, 50L, 2, 0L, 5, 20L), null);
        assertThat(segment.leaderEpochs().keySet()).containsExactly(2, 5, 7);
        assertThatThrownBy(() -> segment.leaderEpochs().put(9, 90L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void customMetadataIsCopiedAndComparedByContent() {
        byte[] custom = {1, 2, 3};
        RemoteSegment segment = segment(0, 9, 1, Map.of(0, 0L), custom);
        custom[0] = 9;
        assertThat(segment.customMetadata()).containsExactly(1, 2, 3);
        segment.customMetadata()[1] = 9;
        assertThat(segment.customMetadata()).containsExactly(1, 2, 3);

        RemoteSegment same = new RemoteSegment(
                segment.id(), 0, 9, 0L, 1, segment.leaderEpochs(), 1, segment.state(), 0L, new byte[] {1, 2, 3});
        assertThat(same).isEqualTo(segment).hasSameHashCodeAs(segment);
        assertThat(segment.toString()).contains("customMetadata=010203");
        assertThat(segment(0, 9, 1, Map.of(0, 0L), null).customMetadata()).isEmpty();
    }

    @Test
    void withStateChangesOnlyStateAndEventTime() {
        RemoteSegment started = segment(0, 9, 1, Map.of(0, 0L), new byte[] {4});
        RemoteSegment finished = started.withState(RemoteSegmentState.COPY_FINISHED, 99L);
        assertThat(finished.state()).isEqualTo(RemoteSegmentState.COPY_FINISHED);
        assertThat(finished.eventTimestampMs()).isEqualTo(99L);
        assertThat(finished.withState(started.state(), started.eventTimestampMs()))
                .isEqualTo(started);
    }
}
