package dev.strata.broker.network;

import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Hears about every request a connection decodes and every response it writes, for the broker's metrics. Called on
 * the connection's event loop: an implementation must return at once, without I/O or waiting for a lock held by slow
 * work.
 */
public interface RequestObserver {

    /** Observes nothing: for a broker without metrics. */
    RequestObserver NONE = new RequestObserver() {
        @Override
        public void requestReceived(ApiKeys apiKey, int sizeInBytes) {}

        @Override
        public void responseSent(ApiKeys apiKey, long sizeInBytes, long latencyNanos) {}
    };

    /**
     * A request's header was decoded.
     *
     * @param sizeInBytes the request's frame, its 4-byte size prefix included
     */
    void requestReceived(ApiKeys apiKey, int sizeInBytes);

    /**
     * A request's response was handed to the socket, or dropped because the request needs none (produce with acks=0)
     * or the connection has gone.
     *
     * @param sizeInBytes the response's frame, its 4-byte size prefix included; 0 when nothing was written
     * @param latencyNanos from the arrival of the request's frame to now
     */
    void responseSent(ApiKeys apiKey, long sizeInBytes, long latencyNanos);

    /**
     * A request's body decoded in full with bytes left over in its frame, which were ignored (as Apache Kafka does:
     * some clients, librdkafka 2.x among them, send a few stray bytes after some requests).
     *
     * @param bytes how many bytes followed the body
     */
    default void trailingBytesIgnored(ApiKeys apiKey, int bytes) {}
}
