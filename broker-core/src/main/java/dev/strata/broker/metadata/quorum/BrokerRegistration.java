package dev.strata.broker.metadata.quorum;

import java.util.Optional;
import org.apache.kafka.common.Uuid;

/**
 * A broker as the quorum knows it: its node id, where clients reach it, its rack, and the incarnation id it picked when
 * it started (a restarted broker registers again with a new incarnation, so the controller can tell a restart from a
 * heartbeat of the old process).
 */
public record BrokerRegistration(int nodeId, String host, int port, Optional<String> rack, Uuid incarnationId) {}
