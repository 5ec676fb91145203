package dev.strata.broker.api;

/** How clients reach this broker: what Metadata and DescribeCluster advertise. */
public record BrokerEndpoint(int nodeId, String host, int port, String clusterId) {}
