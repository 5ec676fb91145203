package dev.strata.broker.network;

import java.net.SocketAddress;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * Who sent a request and how: what a handler may need beyond the request body.
 *
 * @param listenerName the listener the connection came in on
 * @param principal who the connection authenticated as ({@link KafkaPrincipal#ANONYMOUS} on a PLAINTEXT listener)
 */
public record RequestContext(
        RequestHeader header,
        SocketAddress clientAddress,
        String connectionId,
        String listenerName,
        KafkaPrincipal principal) {

    /** An anonymous request on the listener PLAINTEXT. */
    public RequestContext(RequestHeader header, SocketAddress clientAddress, String connectionId) {
        this(header, clientAddress, connectionId, "PLAINTEXT", KafkaPrincipal.ANONYMOUS);
    }

    public short apiVersion() {
        return header.apiVersion();
    }

    public String clientId() {
        return header.clientId();
    }
}
