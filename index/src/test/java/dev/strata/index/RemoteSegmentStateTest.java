package dev.strata.index;

import static dev.strata.index.RemoteSegmentState.COPY_FINISHED;
import static dev.strata.index.RemoteSegmentState.COPY_STARTED;
import static dev.strata.index.RemoteSegmentState.DELETE_FINISHED;
import static dev.strata.index.RemoteSegmentState.DELETE_STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RemoteSegmentStateTest {

    private static final Set<List<RemoteSegmentState>> LEGAL = Set.of(
            Arrays.asList(null, COPY_STARTED),
            List.of(COPY_STARTED, COPY_STARTED),
            List.of(COPY_STARTED, COPY_FINISHED),
            List.of(COPY_STARTED, DELETE_STARTED),
            List.of(COPY_FINISHED, COPY_FINISHED),
            List.of(COPY_FINISHED, DELETE_STARTED),
            List.of(DELETE_STARTED, DELETE_STARTED),
            List.of(DELETE_STARTED, DELETE_FINISHED),
            List.of(DELETE_FINISHED, DELETE_FINISHED));

    @Test
    void exactlyTheKip405TransitionsAreLegal() {
        List<RemoteSegmentState> froms = new ArrayList<>(Arrays.asList(RemoteSegmentState.values()));
        froms.add(null);
        for (RemoteSegmentState from : froms) {
            for (RemoteSegmentState to : RemoteSegmentState.values()) {
                assertThat(RemoteSegmentState.isValidTransition(from, to))
                        .as("%s -> %s", from, to)
                        .isEqualTo(LEGAL.contains(Arrays.asList(from, to)));
            }
            assertThat(RemoteSegmentState.isValidTransition(from, null)).isFalse();
        }
    }

    @Test
    void onlyCopyFinishedIsReadable() {
        assertThat(Arrays.stream(RemoteSegmentState.values()).filter(RemoteSegmentState::isReadable))
                .containsExactly(COPY_FINISHED);
    }

    @Test
    void storedIdsAreStableAndRoundTrip() {
        assertThat(Arrays.stream(RemoteSegmentState.values()).map(RemoteSegmentState::id))
                .containsExactly((byte) 0, (byte) 1, (byte) 2, (byte) 3);
        for (RemoteSegmentState state : RemoteSegmentState.values()) {
            assertThat(RemoteSegmentState.forId(state.id())).isSameAs(state);
        }
        assertThatThrownBy(() -> RemoteSegmentState.forId((byte) 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RemoteSegmentState.forId((byte) -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
