package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A whole-segment read fails at its end when the bytes do not match the stored SHA-256, however it is read. */
class DigestVerifyingInputStreamTest {

    private final byte[] bytes = new byte[100_000];

    @BeforeEach
    void fillWithPseudoRandomBytes() {
        new Random(7).nextBytes(bytes);
    }

    @Test
    void intactObjectReadsThrough() throws IOException {
        try (InputStream in = new DigestVerifyingInputStream(new ByteArrayInputStream(bytes), Sha256.of(bytes), "k")) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
    }

    @Test
    void flippedBitFailsTheReadThatReachesTheEnd() {
        String digest = Sha256.of(bytes);
        bytes[77_777] ^= 1;

        InputStream in = new DigestVerifyingInputStream(new ByteArrayInputStream(bytes), digest, "seg.log");

        assertThatThrownBy(in::readAllBytes)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Corrupted object seg.log");
    }

    @Test
    void skippingCannotBypassTheCheck() throws IOException {
        String digest = Sha256.of(bytes);
        bytes[10] ^= 1;

        InputStream in = new DigestVerifyingInputStream(new ByteArrayInputStream(bytes), digest, "seg.log");

        assertThat(in.skip(bytes.length - 1)).isEqualTo(bytes.length - 1);
        assertThat(in.read()).isGreaterThanOrEqualTo(0);
        assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }

    @Test
    void truncatedObjectFails() {
        String digest = Sha256.of(bytes);
        InputStream in = new DigestVerifyingInputStream(new ByteArrayInputStream(bytes, 0, 1000), digest, "seg.log");

        assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class);
    }
}
