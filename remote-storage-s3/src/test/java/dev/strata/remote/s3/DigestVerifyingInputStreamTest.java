package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A whole-segment read fails when the bytes do not match the stored SHA-256, however it is read. */
class DigestVerifyingInputStreamTest {

    private final byte[] bytes = new byte[100_000];

    @BeforeEach
    void fillWithPseudoRandomBytes() {
        new Random(7).nextBytes(bytes);
    }

    @Test
    void intactObjectReadsThrough() throws IOException {
        try (InputStream in = stream(bytes, bytes.length, Sha256.of(bytes))) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        try (InputStream in = stream(bytes, -1, Sha256.of(bytes))) {
            assertThat(in.readAllBytes()).as("of unknown length").isEqualTo(bytes);
        }
    }

    @Test
    void flippedBitFailsTheReadThatReachesTheEnd() {
        String digest = Sha256.of(bytes);
        bytes[77_777] ^= 1;

        InputStream in = stream(bytes, -1, digest);

        assertThatThrownBy(in::readAllBytes)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Corrupted object seg.log")
                .hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void aReaderThatStopsAtTheLastByteGetsTheVerdict() throws IOException {
        String digest = Sha256.of(bytes);
        bytes[77_777] ^= 1;

        InputStream in = stream(bytes, bytes.length, digest);

        assertThat(in.readNBytes(bytes.length - 1)).hasSize(bytes.length - 1);
        assertThatThrownBy(() -> in.readNBytes(1))
                .isInstanceOf(IOException.class)
                .hasCauseInstanceOf(CorruptRecordException.class);
        assertThatThrownBy(in::read).as("and every read after it").hasCauseInstanceOf(CorruptRecordException.class);
    }

    @Test
    void skippingCannotBypassTheCheck() throws IOException {
        String digest = Sha256.of(bytes);
        bytes[10] ^= 1;

        InputStream in = stream(bytes, -1, digest);

        assertThat(in.skip(bytes.length - 1)).isEqualTo(bytes.length - 1);
        assertThat(in.read()).isGreaterThanOrEqualTo(0);
        assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }

    @Test
    void truncatedObjectFails() {
        String digest = Sha256.of(bytes);

        assertThatThrownBy(() -> stream(Arrays.copyOf(bytes, 1000), -1, digest).readAllBytes())
                .hasCauseInstanceOf(CorruptRecordException.class);
        assertThatThrownBy(() ->
                        stream(Arrays.copyOf(bytes, 1000), bytes.length, digest).readAllBytes())
                .hasCauseInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("ends after 1000 of its 100000 bytes");
    }

    @Test
    void objectLongerThanItsLengthFails() {
        assertThatThrownBy(
                        () -> stream(bytes, bytes.length - 1, Sha256.of(bytes)).readAllBytes())
                .hasCauseInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("has more than its 99999 bytes");
    }

    private static InputStream stream(byte[] object, long length, String digest) {
        return new DigestVerifyingInputStream(new ByteArrayInputStream(object), length, digest, "seg.log");
    }
}
