package dev.strata.broker.security;

import org.apache.kafka.common.errors.SaslAuthenticationException;

/**
 * The server side of one SASL authentication on one connection: the client's tokens in, the server's tokens out, until
 * {@link #complete}. Touched by the connection's event loop only; no I/O (credentials come from memory).
 */
public interface SaslExchange {

    /**
     * @return the server's next token (empty when it has nothing to say)
     * @throws SaslAuthenticationException with the message Kafka gives the client; the exchange is then over
     */
    byte[] evaluate(byte[] clientToken);

    /** Whether the client has authenticated. */
    boolean complete();

    /** The authenticated user name; only once {@link #complete}. */
    String user();
}
