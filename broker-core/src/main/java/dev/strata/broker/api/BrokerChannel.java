package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.IntFunction;
import org.apache.kafka.common.errors.BrokerNotAvailableException;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * A blocking connection from this broker to another broker's Kafka listener, as Kafka's {@code NetworkClientUtils}
 * send-and-receive: one socket, one request in flight, used by one thread at a time (a replica fetcher, a transaction
 * marker sender). It connects on the first request, not when it is created, and looks the broker's address up in the
 * cluster at that moment, so a broker that restarted (or moved) is found again. On any failure it drops the socket:
 * the caller backs off and the next request reconnects. PLAINTEXT only: the inter-broker listener of a cluster must be a PLAINTEXT one.
 */
final class BrokerChannel implements AutoCloseable {

    private static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

    private final int brokerId;
    private final String clientId;
    private final IntFunction<Optional<ClusterBroker>> brokers;
    private final int connectTimeoutMs;
    private Socket socket;
    private int correlationId;

    /** @param brokers the registered brokers by node id ({@code ClusterImage::broker}) */
    BrokerChannel(int brokerId, String clientId, IntFunction<Optional<ClusterBroker>> brokers, int connectTimeoutMs) {
        this.brokerId = brokerId;
        this.clientId = clientId;
        this.brokers = brokers;
        this.connectTimeoutMs = connectTimeoutMs;
    }

    /**
     * Sends {@code request} and waits for its answer.
     *
     * @param timeoutMs how long the answer may take once the request is written
     * @throws IOException when the broker cannot be reached or its answer cannot be read (the socket is dropped)
     * @throws BrokerNotAvailableException when the broker is not registered
     */
    AbstractResponse send(AbstractRequest request, int timeoutMs) throws IOException {
        try {
            Socket s = connected();
            s.setSoTimeout(timeoutMs);
            RequestHeader header = new RequestHeader(request.apiKey(), request.version(), clientId, ++correlationId);
            ByteBuffer bytes = request.serializeWithHeader(header);
            byte[] frame = new byte[4 + bytes.remaining()];
            ByteBuffer.wrap(frame).putInt(bytes.remaining()).put(bytes);
            OutputStream out = s.getOutputStream();
            out.write(frame);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            if (size < 0 || size > MAX_RESPONSE_BYTES) {
                throw new IOException("Response of " + size + " bytes from broker " + brokerId);
            }
            byte[] body = new byte[size];
            in.readFully(body);
            return AbstractResponse.parseResponse(ByteBuffer.wrap(body), header);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private Socket connected() throws IOException {
        if (socket != null) {
            return socket;
        }
        ClusterBroker broker = brokers.apply(brokerId)
                .orElseThrow(() -> new BrokerNotAvailableException("Broker " + brokerId + " is not registered"));
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(broker.host(), broker.port()), connectTimeoutMs);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        return s;
    }

    /** Drops the connection; the next {@link #send} reconnects. */
    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
        }
    }
}
