package dev.strata.index;

import static dev.strata.index.Segments.P0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class SegmentManifestTest {

    private static SegmentManifest manifest() {
        TreeMap<Integer, Long> epochs = new TreeMap<>();
        epochs.put(4, 1_000L);
        epochs.put(5, 1_150L);
        RemoteSegment segment = new RemoteSegment(
                RemoteSegmentId.random(P0),
                1_000,
                1_199,
                1_700_000_123_456L,
                20_000,
                epochs,
                3,
                RemoteSegmentState.COPY_FINISHED,
                1_700_000_200_000L,
                new byte[] {9, 8, 7});
        return new SegmentManifest(
                segment,
                List.of(
                        new OffsetPosition(1_000, 0),
                        new OffsetPosition(1_090, 9_000),
                        new OffsetPosition(1_199, 19_900)),
                List.of(new TimestampOffset(-1, 1_000), new TimestampOffset(1_700_000_100_000L, 1_100)));
    }

    @Test
    void roundTripsEveryField() {
        SegmentManifest manifest = manifest();
        SegmentManifest parsed = SegmentManifest.fromBytes(manifest.toBytes());
        assertThat(parsed).isEqualTo(manifest);
        assertThat(parsed.segment().customMetadata()).containsExactly(9, 8, 7);
        assertThat(parsed.segment().leaderEpochs()).containsEntry(5, 1_150L);
    }

    @Test
    void roundTripsWithoutEntries() {
        RemoteSegment segment = manifest().segment();
        SegmentManifest empty = new SegmentManifest(segment, List.of(), List.of());
        assertThat(SegmentManifest.fromBytes(empty.toBytes())).isEqualTo(empty);
    }

    @Test
    void aSegmentWithAbortedTransactionsIsWrittenAsVersionTwoAndRoundTrips() {
        SegmentManifest plain = manifest();
        List<RemoteAbortedTxn> aborted =
                List.of(new RemoteAbortedTxn(77, 900, 1_010, 1_011), new RemoteAbortedTxn(78, 1_100, 1_199, 1_050));
        SegmentManifest withAborted =
                new SegmentManifest(plain.segment(), plain.offsetEntries(), plain.timeEntries(), aborted);
        byte[] bytes = withAborted.toBytes();
        assertThat(bytes[4]).isEqualTo(SegmentManifest.VERSION_WITH_ABORTED_TXNS);
        assertThat(SegmentManifest.fromBytes(bytes)).isEqualTo(withAborted);
        // without aborted transactions a manifest stays version 1, which brokers before version 2 read
        assertThat(plain.toBytes()[4]).isEqualTo(SegmentManifest.VERSION);
    }

    @Test
    void abortedTransactionsMustEndInTheSegmentInMarkerOrder() {
        SegmentManifest plain = manifest();
        assertThatThrownBy(() -> new SegmentManifest(
                        plain.segment(), List.of(), List.of(), List.of(new RemoteAbortedTxn(1, 10, 1_200, 1_201))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentManifest(
                        plain.segment(),
                        List.of(),
                        List.of(),
                        List.of(new RemoteAbortedTxn(1, 10, 1_100, 1_101), new RemoteAbortedTxn(2, 10, 1_050, 1_051))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsAnyFlippedBit() {
        byte[] bytes = manifest().toBytes();
        for (int i = 0; i < bytes.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] corrupt = bytes.clone();
                corrupt[i] ^= (byte) (1 << bit);
                assertThatThrownBy(() -> SegmentManifest.fromBytes(corrupt))
                        .as("bit %d of byte %d", bit, i)
                        .isInstanceOf(CorruptManifestException.class);
            }
        }
    }

    @Test
    void rejectsTruncatedAndExtendedBytes() {
        byte[] bytes = manifest().toBytes();
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = Arrays.copyOf(bytes, length);
            assertThatThrownBy(() -> SegmentManifest.fromBytes(truncated))
                    .as("first %d bytes", length)
                    .isInstanceOf(CorruptManifestException.class);
        }
        assertThatThrownBy(() -> SegmentManifest.fromBytes(Arrays.copyOf(bytes, bytes.length + 1)))
                .isInstanceOf(CorruptManifestException.class);
    }

    @Test
    void rejectsOtherObjects() {
        assertThatThrownBy(() -> SegmentManifest.fromBytes("{\"not\": \"a manifest\"}".getBytes()))
                .isInstanceOf(CorruptManifestException.class)
                .hasMessageContaining("magic");
    }

    @Test
    void rejectsUnknownVersionEvenWithValidChecksum() {
        byte[] bytes = manifest().toBytes();
        bytes[4] = 3;
        assertThatThrownBy(() -> SegmentManifest.fromBytes(withValidCrc(bytes)))
                .isInstanceOf(CorruptManifestException.class)
                .hasMessageContaining("version 3");
    }

    @Test
    void rejectsHugeCountsBeforeAllocating() {
        SegmentManifest manifest = manifest();
        byte[] bytes = manifest.toBytes();
        int offsetCountAt = 4 + 1 + 4 + RemoteSegmentCodec.sizeOf(manifest.segment());
        ByteBuffer.wrap(bytes).putInt(offsetCountAt, Integer.MAX_VALUE);
        assertThatThrownBy(() -> SegmentManifest.fromBytes(withValidCrc(bytes)))
                .isInstanceOf(CorruptManifestException.class)
                .hasMessageContaining("Count " + Integer.MAX_VALUE);
    }

    @Test
    void rejectsEntriesOutsideTheSegment() {
        RemoteSegment segment = manifest().segment();
        assertThatThrownBy(() -> new SegmentManifest(segment, List.of(new OffsetPosition(999, 0)), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentManifest(segment, List.of(new OffsetPosition(1_200, 0)), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentManifest(segment, List.of(new OffsetPosition(1_100, 20_000)), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentManifest(segment, List.of(), List.of(new TimestampOffset(5, 1_200))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] withValidCrc(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        return bytes;
    }
}
