package dev.strata.broker.partition;

/**
 * How a follower's fetcher reaches one leader broker (Kafka's {@code LeaderEndPoint}): over the leader's Kafka listener
 * in a server, in-process in tests. One fetcher thread uses one endpoint, so an implementation need not be thread safe;
 * {@link #fetch} blocks that thread until the leader answers.
 */
public interface LeaderEndpoint extends AutoCloseable {

    /**
     * Sends the fetch and waits for the answer, at most the fetch's {@code maxWaitMs} plus the request timeout.
     *
     * @return one result per partition of the fetch; a partition missing from it is retried
     * @throws Exception when the leader cannot be reached or its answer cannot be read; the fetcher backs off and
     *     tries again, reconnecting
     */
    java.util.Map<org.apache.kafka.common.TopicPartition, ReplicaFetchResult> fetch(ReplicaFetch request)
            throws Exception;

    /** Drops the connection; a later {@link #fetch} may reconnect. */
    @Override
    void close();

    /** Opens the endpoint of a leader broker, by its node id. */
    @FunctionalInterface
    interface Factory {
        LeaderEndpoint connect(int leaderId);
    }
}
