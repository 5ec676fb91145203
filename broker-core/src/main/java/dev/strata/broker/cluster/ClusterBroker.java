package dev.strata.broker.cluster;

import java.util.Optional;

/**
 * A registered broker: its node id, where clients and followers reach it (its advertised Kafka listener), its rack,
 * and whether it is fenced (it stopped heartbeating, or has not caught up since it registered): a fenced broker leads
 * nothing and is in no ISR.
 */
public record ClusterBroker(int nodeId, String host, int port, Optional<String> rack, boolean fenced) {}
