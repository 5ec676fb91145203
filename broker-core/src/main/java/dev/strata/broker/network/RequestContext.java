package dev.strata.broker.network;

import java.net.SocketAddress;
import org.apache.kafka.common.requests.RequestHeader;

/** Who sent a request and how: what a handler may need beyond the request body. */
public record RequestContext(RequestHeader header, SocketAddress clientAddress, String connectionId) {
    public short apiVersion() {
        return header.apiVersion();
    }

    public String clientId() {
        return header.clientId();
    }
}
