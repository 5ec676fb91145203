package dev.strata.broker.it;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * One raw TCP connection speaking the Kafka protocol, for tests that need bytes a well-behaved client never sends, or
 * an API that kafka-clients' Admin no longer exposes. Well-formed requests are built with kafka-clients' request
 * classes; anything else is written by hand with {@link #writeRaw} and {@link #writeFrame}.
 */
final class KafkaWire implements AutoCloseable {

    static final String CLIENT_ID = "strata-it-wire";

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextCorrelationId = 1;
    private ApiVersionsResponseData apiVersions;

    private KafkaWire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static KafkaWire connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setTcpNoDelay(true);
        return new KafkaWire(socket);
    }

    int nextCorrelationId() {
        return nextCorrelationId++;
    }

    void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Writes {@code payload} (header and body) behind its 4-byte size. */
    void writeFrame(ByteBuffer payload) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(4 + payload.remaining());
        frame.putInt(payload.remaining()).put(payload.duplicate()).flip();
        writeRaw(toArray(frame));
    }

    /** Reads one response frame (without its size prefix). */
    ByteBuffer readFrame(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        int size = in.readInt();
        byte[] payload = new byte[size];
        in.readFully(payload);
        return ByteBuffer.wrap(payload);
    }

    /** Sends a well-formed request at {@code version} and returns the parsed response. */
    AbstractResponse send(AbstractRequest.Builder<?> builder, short version) throws IOException {
        AbstractRequest request = builder.build(version);
        RequestHeader header = new RequestHeader(builder.apiKey(), version, CLIENT_ID, nextCorrelationId());
        writeFrame(request.serializeWithHeader(header));
        ByteBuffer response = readFrame(Duration.ofSeconds(30));
        return AbstractResponse.parseResponse(response, header);
    }

    /** The broker's ApiVersions answer to this client's newest ApiVersions request it supports. */
    ApiVersionsResponseData apiVersions() throws IOException {
        if (apiVersions == null) {
            short version = ApiKeys.API_VERSIONS.latestVersion();
            ApiVersionsResponse response = (ApiVersionsResponse) send(new ApiVersionsRequest.Builder(), version);
            if (response.data().errorCode() == Errors.UNSUPPORTED_VERSION.code()) {
                ApiVersion range = response.data().apiKeys().find(ApiKeys.API_VERSIONS.id);
                response = (ApiVersionsResponse) send(new ApiVersionsRequest.Builder(), range.maxVersion());
            }
            if (response.data().errorCode() != Errors.NONE.code()) {
                throw new AssertionError(
                        "ApiVersions failed: " + Errors.forCode(response.data().errorCode()));
            }
            apiVersions = response.data();
        }
        return apiVersions;
    }

    /** The highest version of {@code key} both this client and the broker support; fails if the broker lacks it. */
    short negotiatedVersion(ApiKeys key) throws IOException {
        ApiVersion range = apiVersions().apiKeys().find(key.id);
        if (range == null) {
            throw new AssertionError("the broker does not advertise " + key + " in ApiVersions");
        }
        return (short) Math.min(range.maxVersion(), key.latestVersion());
    }

    /**
     * Waits for the broker to close this connection, discarding anything it sends meanwhile.
     *
     * @return true if the connection was closed (end of stream or reset) before {@code timeout}
     */
    boolean awaitClosed(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] sink = new byte[8192];
        while (true) {
            long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
            if (remainingMs <= 0) {
                return false;
            }
            socket.setSoTimeout((int) remainingMs);
            try {
                if (in.read(sink) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (EOFException | SocketException e) {
                return true;
            }
        }
    }

    /** A whole request frame (size, header with correlation id 1, body), for clients that write raw bytes. */
    static byte[] frame(AbstractRequest request, int version, String clientId) {
        RequestHeader header = new RequestHeader(request.apiKey(), (short) version, clientId, 1);
        ByteBuffer payload = request.serializeWithHeader(header);
        ByteBuffer frame = ByteBuffer.allocate(4 + payload.remaining());
        frame.putInt(payload.remaining()).put(payload).flip();
        return toArray(frame);
    }

    /** Half-closes: tells the broker this client sends nothing more. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
