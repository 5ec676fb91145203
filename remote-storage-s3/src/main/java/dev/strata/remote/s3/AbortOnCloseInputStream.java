package dev.strata.remote.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;

/**
 * The body of a GET that drops the HTTP connection when it is closed before its end, instead of letting the HTTP
 * client read the rest to reuse the connection: Kafka opens a segment from a position to its end and reads only what
 * one fetch needs, and draining the remainder of a 1 GiB segment would cost far more than a new connection.
 */
final class AbortOnCloseInputStream extends FilterInputStream {

    private final ResponseInputStream<?> response;
    private boolean endReached;

    AbortOnCloseInputStream(ResponseInputStream<?> response) {
        super(response);
        this.response = response;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        endReached |= b < 0;
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        endReached |= n < 0;
        return n;
    }

    @Override
    public void close() throws IOException {
        if (!endReached) {
            response.abort();
        }
        super.close();
    }
}
