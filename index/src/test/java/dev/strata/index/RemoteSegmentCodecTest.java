package dev.strata.index;

import static dev.strata.index.Segments.P1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RemoteSegmentCodecTest {

    @Test
    void roundTripsEveryState() {
        for (RemoteSegmentState state : RemoteSegmentState.values()) {
            RemoteSegment segment = Segments.segment(P1, 1L << 35, (1L << 35) + 999, state);
            byte[] bytes = RemoteSegmentCodec.encode(segment);
            assertThat(bytes).hasSize(RemoteSegmentCodec.sizeOf(segment));
            assertThat(RemoteSegmentCodec.decode(bytes)).isEqualTo(segment);
        }
    }

    @Test
    void rejectsUnknownVersionStateAndTrailingBytes() {
        byte[] bytes = RemoteSegmentCodec.encode(Segments.segment(P1, 0, 9, RemoteSegmentState.COPY_STARTED));

        byte[] badVersion = bytes.clone();
        badVersion[0] = 9;
        assertThatThrownBy(() -> RemoteSegmentCodec.decode(badVersion)).isInstanceOf(IllegalArgumentException.class);

        byte[] badState = bytes.clone();
        badState[1 + 16 + 4 + 16 + 8 * 4 + 4] = 17;
        assertThatThrownBy(() -> RemoteSegmentCodec.decode(badState)).isInstanceOf(IllegalArgumentException.class);

        assertThatThrownBy(() -> RemoteSegmentCodec.decode(Arrays.copyOf(bytes, bytes.length + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RemoteSegmentCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
