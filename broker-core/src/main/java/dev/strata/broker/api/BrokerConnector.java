package dev.strata.broker.api;

import dev.strata.broker.security.InterBrokerSecurity;

/**
 * How a {@link BrokerChannel} reaches another broker: within how long a connection must be made, and how it is
 * secured (TLS, SASL login) on the inter-broker listener.
 */
public record BrokerConnector(int connectTimeoutMs, InterBrokerSecurity security) {

    /** Plain TCP with no login, for a PLAINTEXT inter-broker listener. */
    public static BrokerConnector plaintext(int connectTimeoutMs) {
        return new BrokerConnector(connectTimeoutMs, InterBrokerSecurity.plaintext());
    }
}
