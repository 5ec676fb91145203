package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import javax.security.sasl.SaslClient;
import org.apache.kafka.common.errors.BrokerNotAvailableException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;

/**
 * A blocking connection from this broker to another broker's Kafka listener, as Kafka's {@code NetworkClientUtils}
 * send-and-receive: one socket, one request in flight, used by one thread at a time (a replica fetcher, a transaction
 * marker sender). It connects on the first request, not when it is created, and looks the broker's address up in the
 * cluster at that moment, so a broker that restarted (or moved) is found again. On any failure it drops the socket:
 * the caller backs off and the next request reconnects. On a TLS inter-broker listener the connection is a TLS one;
 * on a SASL listener it logs in (SaslHandshake v1, then SaslAuthenticate v2 until the mechanism completes) before its
 * first request, and when the other broker gives the session a lifetime (KIP-368) it connects and logs in again
 * before 85% of it has passed, rather than re-authenticating on the connection.
 */
final class BrokerChannel implements AutoCloseable {

    private static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

    private final int brokerId;
    private final String clientId;
    private final IntFunction<Optional<ClusterBroker>> brokers;
    private final BrokerConnector connector;
    private Socket socket;
    private int correlationId;
    /** Whether the SASL session of {@link #socket} ends, and when it must be renewed (System.nanoTime). */
    private boolean sessionEnds;

    private long renewAtNanos;

    /** @param brokers the registered brokers by node id ({@code ClusterImage::broker}) */
    BrokerChannel(
            int brokerId, String clientId, IntFunction<Optional<ClusterBroker>> brokers, BrokerConnector connector) {
        this.brokerId = brokerId;
        this.clientId = clientId;
        this.brokers = brokers;
        this.connector = connector;
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
            if (socket != null && sessionEnds && System.nanoTime() - renewAtNanos > 0) {
                close();
            }
            return exchange(connected(timeoutMs), request, timeoutMs);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private AbstractResponse exchange(Socket s, AbstractRequest request, int timeoutMs) throws IOException {
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
    }

    private Socket connected(int timeoutMs) throws IOException {
        if (socket != null) {
            return socket;
        }
        ClusterBroker broker = brokers.apply(brokerId)
                .orElseThrow(() -> new BrokerNotAvailableException("Broker " + brokerId + " is not registered"));
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(broker.host(), broker.port()), connector.connectTimeoutMs());
            s.setSoTimeout(timeoutMs);
            s = connector.security().secure(s, broker.host(), broker.port());
            if (connector.security().mechanism().isPresent()) {
                logIn(s, timeoutMs);
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        socket = s;
        return s;
    }

    /** SASL: the handshake names the mechanism, then tokens go back and forth until the mechanism completes. */
    private void logIn(Socket s, int timeoutMs) throws IOException {
        String mechanism = connector.security().mechanism().orElseThrow();
        if (mechanism.isEmpty()) {
            throw new IOException("This broker cannot log in to broker " + brokerId + ": its inter-broker listener is"
                    + " a SASL listener and sasl.mechanism.inter.broker.protocol names no mechanism it can use");
        }
        SaslHandshakeResponse handshake = (SaslHandshakeResponse) exchange(
                s,
                new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism(mechanism))
                        .build((short) 1),
                timeoutMs);
        if (handshake.data().errorCode() != Errors.NONE.code()) {
            throw new IOException("Broker " + brokerId + " does not take SASL/" + mechanism + ": "
                    + Errors.forCode(handshake.data().errorCode()) + ", it enables "
                    + handshake.data().mechanisms());
        }
        SaslClient client = connector.security().newSaslClient();
        try {
            byte[] token = client.hasInitialResponse() ? client.evaluateChallenge(new byte[0]) : new byte[0];
            while (true) {
                SaslAuthenticateResponse answer = (SaslAuthenticateResponse) exchange(
                        s,
                        new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(token))
                                .build((short) 2),
                        timeoutMs);
                if (answer.data().errorCode() != Errors.NONE.code()) {
                    throw new IOException("Broker " + brokerId + " refused this broker's SASL/" + mechanism + " login: "
                            + answer.data().errorMessage());
                }
                if (client.isComplete() && answer.data().authBytes().length == 0) {
                    renewAt(answer.data().sessionLifetimeMs());
                    return;
                }
                token = client.evaluateChallenge(answer.data().authBytes());
                if (client.isComplete() && token == null) {
                    renewAt(answer.data().sessionLifetimeMs());
                    return;
                }
            }
        } finally {
            client.dispose();
        }
    }

    private void renewAt(long sessionLifetimeMs) {
        sessionEnds = sessionLifetimeMs > 0;
        renewAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sessionLifetimeMs * 85 / 100);
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
