package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

class AbortOnCloseInputStreamTest {

    private final AtomicBoolean aborted = new AtomicBoolean();

    @Test
    void aBodyReadToItsContentLengthKeepsTheConnection() throws Exception {
        // the chunk cache reads exactly the bytes it asked for and never sees the end of the stream: aborting then
        // dropped the pooled connection, and every ranged GET of a replay opened a new one
        try (AbortOnCloseInputStream body = body(10, 10L)) {
            byte[] read = new byte[10];
            assertThat(body.readNBytes(read, 0, 10)).isEqualTo(10);
        }
        assertThat(aborted).isFalse();
    }

    @Test
    void aBodyClosedBeforeItsEndDropsTheConnection() throws Exception {
        try (AbortOnCloseInputStream body = body(10, 10L)) {
            assertThat(body.readNBytes(4)).hasSize(4);
        }
        assertThat(aborted).isTrue();
    }

    @Test
    void aBodyOfUnknownLengthIsKeptOnlyOnceItsEndWasRead() throws Exception {
        try (AbortOnCloseInputStream body = body(6, null)) {
            assertThat(body.readNBytes(3)).hasSize(3);
        }
        assertThat(aborted).isTrue();
        aborted.set(false);
        try (AbortOnCloseInputStream body = body(6, null)) {
            assertThat(body.readAllBytes()).hasSize(6);
        }
        assertThat(aborted).isFalse();
    }

    private AbortOnCloseInputStream body(int bytes, Long contentLength) {
        GetObjectResponse response =
                GetObjectResponse.builder().contentLength(contentLength).build();
        return new AbortOnCloseInputStream(new ResponseInputStream<>(
                response,
                AbortableInputStream.create(new ByteArrayInputStream(new byte[bytes]), () -> aborted.set(true))));
    }
}
