package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ListenerEndpoint;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.Uuid;

/**
 * A broker as the quorum knows it: its node id, where brokers reach it (its inter-broker listener's advertised
 * address), its rack, the incarnation id it picked when it started (a restarted broker registers again with a new
 * incarnation, so the controller can tell a restart from a heartbeat of the old process), and its advertised address
 * on each of its client listeners. A registration written before brokers registered their listeners has none: its
 * one address then stands for every listener.
 */
public record BrokerRegistration(
        int nodeId,
        String host,
        int port,
        Optional<String> rack,
        Uuid incarnationId,
        List<ListenerEndpoint> endpoints) {

    public BrokerRegistration {
        endpoints = List.copyOf(endpoints);
    }

    /** A registration without listener endpoints (one address for every listener). */
    public BrokerRegistration(int nodeId, String host, int port, Optional<String> rack, Uuid incarnationId) {
        this(nodeId, host, port, rack, incarnationId, List.of());
    }
}
