package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.tiering.ChunkedCipher.FileType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.TreeSet;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.junit.jupiter.api.Test;

/** The chunked AES-GCM format: round trips, every range boundary, and every way to change the bytes is caught. */
class ChunkedCipherTest {

    private static final int CHUNK = 1024;
    private static final int TAG = ChunkedCipher.TAG_BYTES;
    private static final Uuid SEGMENT = Uuid.randomUuid();
    private static final SecretKey KEY = new SecretKeySpec(TestSegments.randomBytes(32, 1), "AES");
    private static final SegmentEnvelope ENVELOPE =
            new SegmentEnvelope(CHUNK, "k1", TestSegments.randomBytes(7, 2), new byte[60], null);

    private final ChunkedCipher cipher = new ChunkedCipher(KEY, ENVELOPE, SEGMENT);

    @Test
    void filesOfEverySizeRoundTrip() {
        for (int size : new int[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5}) {
            byte[] plain = TestSegments.randomBytes(size, size);
            byte[] sealed = cipher.encrypt(FileType.LOG, plain);

            assertThat(sealed).hasSize((int) ChunkedCipher.cipherSize(size, CHUNK));
            assertThat(ChunkedCipher.plainSize(sealed.length, CHUNK)).isEqualTo(size);
            assertThat(cipher.decrypt(FileType.LOG, sealed)).isEqualTo(plain);
        }
    }

    @Test
    void theCiphertextHoldsNoPlaintextAndDiffersPerFileType() {
        byte[] plain = "marker-marker-marker-marker".repeat(100).getBytes();
        byte[] log = cipher.encrypt(FileType.LOG, plain);
        byte[] index = cipher.encrypt(FileType.OFFSET_INDEX, plain);

        assertThat(new String(log, java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("marker");
        assertThat(Arrays.copyOf(log, 64)).isNotEqualTo(Arrays.copyOf(index, 64));
    }

    @Test
    void everyRangeAcrossChunkBoundariesDecryptsFromItsChunksAlone() throws IOException {
        int size = 3 * CHUNK + 7;
        byte[] plain = TestSegments.randomBytes(size, 9);
        byte[] sealed = cipher.encrypt(FileType.LOG, plain);
        TreeSet<Integer> points = new TreeSet<>();
        for (int chunk = 0; chunk <= 4; chunk++) {
            for (int delta = -1; delta <= 1; delta++) {
                int p = chunk * CHUNK + delta;
                if (p >= 0 && p <= size) {
                    points.add(p);
                }
            }
        }
        points.add(size - 1);
        points.add(size);
        for (int start : points) {
            for (int end : points) {
                if (end <= start) {
                    continue;
                }
                // only the chunks that hold the range, as a ranged read fetches them
                int from = (int) ChunkedCipher.chunkStart(start, CHUNK);
                int to = (int) Math.min(ChunkedCipher.chunkStart(end - 1, CHUNK) + CHUNK + TAG, sealed.length);
                InputStream ranged = new ByteArrayInputStream(Arrays.copyOfRange(sealed, from, to));
                try (InputStream in = cipher.decryptingStream(FileType.LOG, ranged, size, start, end)) {
                    assertThat(in.readAllBytes())
                            .as("[%d, %d)", start, end)
                            .isEqualTo(Arrays.copyOfRange(plain, start, end));
                }
            }
        }
    }

    @Test
    void aChangedByteFailsAuthentication() {
        byte[] sealed = cipher.encrypt(FileType.LOG, TestSegments.randomBytes(2 * CHUNK, 3));
        sealed[CHUNK + TAG + 5] ^= 1;

        assertThatThrownBy(() -> cipher.decrypt(FileType.LOG, sealed))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("Chunk 1")
                .hasMessageContaining(SEGMENT.toString());
    }

    @Test
    void swappedChunksFailAuthentication() {
        byte[] sealed = cipher.encrypt(FileType.LOG, TestSegments.randomBytes(3 * CHUNK, 4));
        int sealedChunk = CHUNK + TAG;
        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, 0, swapped, sealedChunk, sealedChunk);
        System.arraycopy(sealed, sealedChunk, swapped, 0, sealedChunk);

        assertThatThrownBy(() -> cipher.decrypt(FileType.LOG, swapped))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("Chunk 0");
    }

    @Test
    void chunksOfAnotherSegmentOrFileFailAuthentication() {
        byte[] plain = TestSegments.randomBytes(CHUNK, 5);
        byte[] sealed = cipher.encrypt(FileType.LOG, plain);
        ChunkedCipher otherSegment = new ChunkedCipher(KEY, ENVELOPE, Uuid.randomUuid());

        assertThatThrownBy(() -> otherSegment.decrypt(FileType.LOG, sealed)).isInstanceOf(CorruptRecordException.class);
        assertThatThrownBy(() -> cipher.decrypt(FileType.TIME_INDEX, sealed))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void aFileCutAtAChunkBoundaryFailsAuthentication() {
        byte[] sealed = cipher.encrypt(FileType.OFFSET_INDEX, TestSegments.randomBytes(2 * CHUNK, 6));
        byte[] cut = Arrays.copyOf(sealed, CHUNK + TAG);

        // the remaining chunk was not the last one
        assertThatThrownBy(() -> cipher.decrypt(FileType.OFFSET_INDEX, cut)).isInstanceOf(CorruptRecordException.class);
        byte[] emptied = new byte[0];
        assertThatThrownBy(() -> cipher.decrypt(FileType.OFFSET_INDEX, emptied))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void aRangeWhoseCiphertextEndsEarlyFails() {
        int size = 2 * CHUNK;
        byte[] sealed = cipher.encrypt(FileType.LOG, TestSegments.randomBytes(size, 7));
        InputStream shortRead = new ByteArrayInputStream(Arrays.copyOf(sealed, CHUNK + TAG + 10));

        assertThatThrownBy(() -> cipher.decryptingStream(FileType.LOG, shortRead, size, 0, size)
                        .readAllBytes())
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("ends inside chunk 1");
    }

    @Test
    void theWrongKeyFailsAuthentication() {
        byte[] sealed = cipher.encrypt(FileType.LOG, TestSegments.randomBytes(100, 8));
        ChunkedCipher wrongKey =
                new ChunkedCipher(new SecretKeySpec(TestSegments.randomBytes(32, 99), "AES"), ENVELOPE, SEGMENT);

        assertThatThrownBy(() -> wrongKey.decrypt(FileType.LOG, sealed)).isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void theEnvelopeRoundTripsWithTheBackendsMetadata() {
        SegmentEnvelope envelope = ENVELOPE.withBackendMetadata(new byte[] {9, 8, 7});

        assertThat(SegmentEnvelope.of(envelope.toBytes())).contains(envelope);
        assertThat(SegmentEnvelope.of(new byte[] {9, 8, 7})).isEmpty();
        assertThat(SegmentEnvelope.of(null)).isEmpty();
    }
}
