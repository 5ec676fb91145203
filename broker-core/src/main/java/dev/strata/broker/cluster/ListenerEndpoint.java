package dev.strata.broker.cluster;

/**
 * Where clients reach a broker on one of its listeners: the listener's name (as in {@code listeners}) and the
 * advertised host and port. A broker registers one per client listener, as Kafka's broker registration lists its
 * endpoints, so that a client is told every broker's address on the listener it connected to.
 */
public record ListenerEndpoint(String listener, String host, int port) {}
