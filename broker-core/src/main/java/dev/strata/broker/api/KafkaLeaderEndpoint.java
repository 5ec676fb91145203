package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.partition.LeaderEndpoint;
import dev.strata.broker.partition.ReplicaFetch;
import dev.strata.broker.partition.ReplicaFetchResult;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.BrokerNotAvailableException;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * A follower's connection to a leader broker's Kafka listener: a small blocking client (one socket, one request in
 * flight) used by one fetcher thread, as Kafka's {@code ReplicaFetcherBlockingSend} is. It connects on the first fetch
 * (not when it is created, so the fetcher manager never waits on the network), looks the leader's address up in the
 * cluster at that moment, and on any I/O error drops the socket: the fetcher backs off and the next fetch reconnects.
 * PLAINTEXT only, like the rest of Strata's listeners today.
 */
public final class KafkaLeaderEndpoint implements LeaderEndpoint {

    private static final String CLIENT_ID_PREFIX = "strata-replica-fetcher-";

    private final int leaderId;
    private final String clientId;
    private final IntFunction<Optional<ClusterBroker>> brokers;
    private final int connectTimeoutMs;
    private final int requestTimeoutMs;
    private Socket socket;
    private int correlationId;

    /**
     * @param brokers the registered brokers by node id ({@code ClusterImage::broker})
     * @param requestTimeoutMs how long a fetch may take beyond its {@code maxWaitMs}
     */
    public KafkaLeaderEndpoint(
            int localBrokerId,
            int leaderId,
            IntFunction<Optional<ClusterBroker>> brokers,
            int connectTimeoutMs,
            int requestTimeoutMs) {
        this.leaderId = leaderId;
        this.clientId = CLIENT_ID_PREFIX + localBrokerId;
        this.brokers = brokers;
        this.connectTimeoutMs = connectTimeoutMs;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /** A factory for the replica manager: every leader through {@code brokers}, with Kafka's 30 s request timeout. */
    public static LeaderEndpoint.Factory factory(int localBrokerId, IntFunction<Optional<ClusterBroker>> brokers) {
        return leaderId -> new KafkaLeaderEndpoint(localBrokerId, leaderId, brokers, 10_000, 30_000);
    }

    @Override
    public Map<TopicPartition, ReplicaFetchResult> fetch(ReplicaFetch fetch) throws IOException {
        FetchRequest request = ReplicaFetchMessages.toRequest(fetch);
        FetchResponse response = (FetchResponse) send(request.version(), request, fetch.maxWaitMs());
        FetchResponseData data = response.data();
        return ReplicaFetchMessages.fromResponse(fetch, data);
    }

    private AbstractResponse send(short version, FetchRequest request, int maxWaitMs) throws IOException {
        try {
            Socket s = connected();
            s.setSoTimeout(maxWaitMs + requestTimeoutMs);
            RequestHeader header = new RequestHeader(ApiKeys.FETCH, version, clientId, ++correlationId);
            ByteBuffer bytes = request.serializeWithHeader(header);
            OutputStream out = s.getOutputStream();
            byte[] frame = new byte[4 + bytes.remaining()];
            ByteBuffer.wrap(frame).putInt(bytes.remaining()).put(bytes);
            out.write(frame);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            if (size < 0 || size > 256 * 1024 * 1024) {
                throw new IOException("Response of " + size + " bytes from broker " + leaderId);
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
        ClusterBroker leader = brokers.apply(leaderId)
                .orElseThrow(() -> new BrokerNotAvailableException("Broker " + leaderId + " is not registered"));
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(leader.host(), leader.port()), connectTimeoutMs);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        return s;
    }

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
