package dev.strata.index;

import static dev.strata.index.Segments.P0;
import static dev.strata.index.Segments.P1;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class IndexKeysTest {

    private static final UUID SEGMENT = UUID.randomUUID();

    @Test
    void segmentKeysSortByPartitionThenStartOffset() {
        long[] offsets = {0, 1, 255, 256, 65_535, 1L << 31, 1L << 40, Long.MAX_VALUE};
        for (int i = 1; i < offsets.length; i++) {
            assertThat(Arrays.compareUnsigned(
                            IndexKeys.segmentKey(P0, offsets[i - 1], SEGMENT),
                            IndexKeys.segmentKey(P0, offsets[i], SEGMENT)))
                    .as("%d before %d", offsets[i - 1], offsets[i])
                    .isNegative();
        }
        assertThat(Arrays.compareUnsigned(
                        IndexKeys.segmentKey(P0, Long.MAX_VALUE, SEGMENT), IndexKeys.segmentKey(P1, 0, SEGMENT)))
                .isNegative();
    }

    @Test
    void timeKeysSortLikeSignedTimestamps() {
        long[] timestamps = {Long.MIN_VALUE, -2, -1, 0, 1, 1_700_000_000_000L, Long.MAX_VALUE};
        for (int i = 1; i < timestamps.length; i++) {
            byte[] lower = IndexKeys.timeEntryKey(SEGMENT, timestamps[i - 1]);
            byte[] higher = IndexKeys.timeEntryKey(SEGMENT, timestamps[i]);
            assertThat(Arrays.compareUnsigned(lower, higher)).isNegative();
            assertThat(IndexKeys.timestampOfTimeKey(higher)).isEqualTo(timestamps[i]);
        }
    }

    @Test
    void prefixEndBoundsEveryKeyWithThePrefix() {
        byte[] prefix = IndexKeys.partitionPrefix(P0);
        byte[] end = IndexKeys.prefixEnd(prefix, IndexKeys.SEGMENT_KEY_SIZE - IndexKeys.PARTITION_PREFIX_SIZE);
        byte[] highest = IndexKeys.segmentKey(P0, Long.MAX_VALUE, new UUID(-1L, -1L));
        assertThat(Arrays.compareUnsigned(highest, end)).isNegative();
        assertThat(Arrays.compareUnsigned(end, IndexKeys.partitionPrefix(P1))).isNegative();
    }

    @Test
    void segmentKeyHoldsItsSegmentId() {
        byte[] key = IndexKeys.segmentKey(P1, 12_345, SEGMENT);
        assertThat(IndexKeys.segmentIdOfSegmentKey(key)).isEqualTo(SEGMENT);
        assertThat(IndexKeys.hasPrefix(key, IndexKeys.partitionPrefix(P1))).isTrue();
        assertThat(IndexKeys.hasPrefix(key, IndexKeys.partitionPrefix(P0))).isFalse();
    }
}
