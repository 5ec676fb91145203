package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.partition.LeaderEndpoint;
import dev.strata.broker.partition.ReplicaFetch;
import dev.strata.broker.partition.ReplicaFetchResult;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;

/**
 * A follower's connection to a leader broker's Kafka listener over a {@link BrokerChannel}, used by one fetcher thread,
 * as Kafka's {@code ReplicaFetcherBlockingSend} is. It connects on the first fetch
 * (not when it is created, so the fetcher manager never waits on the network), looks the leader's address up in the
 * cluster at that moment, and on any I/O error drops the socket: the fetcher backs off and the next fetch reconnects.
 * Over TLS and SASL as the inter-broker listener asks ({@link BrokerConnector}).
 */
public final class KafkaLeaderEndpoint implements LeaderEndpoint {

    private static final String CLIENT_ID_PREFIX = "strata-replica-fetcher-";

    private final BrokerChannel channel;
    private final int requestTimeoutMs;

    /**
     * @param brokers the registered brokers by node id ({@code ClusterImage::broker})
     * @param requestTimeoutMs how long a fetch may take beyond its {@code maxWaitMs}
     */
    public KafkaLeaderEndpoint(
            int localBrokerId,
            int leaderId,
            IntFunction<Optional<ClusterBroker>> brokers,
            BrokerConnector connector,
            int requestTimeoutMs) {
        this.channel = new BrokerChannel(leaderId, CLIENT_ID_PREFIX + localBrokerId, brokers, connector);
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /**
     * A factory for the replica manager: every leader through {@code brokers}, connecting with {@code connector}, with
     * Kafka's 30 s request timeout.
     */
    public static LeaderEndpoint.Factory factory(
            int localBrokerId, IntFunction<Optional<ClusterBroker>> brokers, BrokerConnector connector) {
        return leaderId -> new KafkaLeaderEndpoint(localBrokerId, leaderId, brokers, connector, 30_000);
    }

    @Override
    public Map<TopicPartition, ReplicaFetchResult> fetch(ReplicaFetch fetch) throws IOException {
        FetchRequest request = ReplicaFetchMessages.toRequest(fetch);
        FetchResponse response = (FetchResponse) channel.send(request, fetch.maxWaitMs() + requestTimeoutMs);
        FetchResponseData data = response.data();
        return ReplicaFetchMessages.fromResponse(fetch, data);
    }

    @Override
    public void close() {
        channel.close();
    }
}
