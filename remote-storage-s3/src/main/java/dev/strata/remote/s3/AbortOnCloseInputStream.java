package dev.strata.remote.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The body of a GET that drops the HTTP connection when it is closed before its end, instead of letting the HTTP
 * client read the rest to reuse the connection: Kafka opens a segment from a position to its end and reads only what
 * one fetch needs, and draining the remainder of a 1 GiB segment would cost far more than a new connection.
 */
final class AbortOnCloseInputStream extends FilterInputStream {

    private final ResponseInputStream<GetObjectResponse> response;
    /** The body's length from Content-Length, or -1 when the response has none. */
    private final long contentLength;

    private long consumed;
    private boolean endReached;

    AbortOnCloseInputStream(ResponseInputStream<GetObjectResponse> response) {
        super(response);
        this.response = response;
        Long length = response.response().contentLength();
        this.contentLength = length == null ? -1 : length;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            endReached = true;
        } else {
            consumed(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n < 0) {
            endReached = true;
        } else {
            consumed(n);
        }
        return n;
    }

    /**
     * Whole bodies read to their Content-Length count as read to the end: a reader that asks for exactly the bytes of
     * a ranged GET never sees the end of the stream, and aborting then would drop a connection the pool could reuse.
     */
    private void consumed(long n) {
        consumed += n;
        endReached |= contentLength >= 0 && consumed >= contentLength;
    }

    @Override
    public void close() throws IOException {
        if (!endReached) {
            response.abort();
        }
        super.close();
    }
}
