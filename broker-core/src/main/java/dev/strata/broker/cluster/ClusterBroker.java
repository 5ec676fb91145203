package dev.strata.broker.cluster;

import java.util.List;
import java.util.Optional;

/**
 * A registered broker: its node id, where followers reach it (its advertised inter-broker listener), its rack,
 * whether it is fenced (it stopped heartbeating, or has not caught up since it registered): a fenced broker leads
 * nothing and is in no ISR; and its advertised address on each client listener (none for a broker registered before
 * brokers registered their listeners: then its one address stands for every listener).
 */
public record ClusterBroker(
        int nodeId, String host, int port, Optional<String> rack, boolean fenced, List<ListenerEndpoint> endpoints) {

    public ClusterBroker {
        endpoints = List.copyOf(endpoints);
    }

    /** A broker with one address for every listener. */
    public ClusterBroker(int nodeId, String host, int port, Optional<String> rack, boolean fenced) {
        this(nodeId, host, port, rack, fenced, List.of());
    }

    /**
     * Where a client on {@code listener} reaches this broker: its endpoint of that name; empty when it registered
     * endpoints and none of that name (it has no such listener); its one address when it registered none.
     */
    public Optional<ListenerEndpoint> endpoint(String listener) {
        if (endpoints.isEmpty()) {
            return Optional.of(new ListenerEndpoint(listener, host, port));
        }
        return endpoints.stream().filter(e -> e.listener().equals(listener)).findFirst();
    }
}
