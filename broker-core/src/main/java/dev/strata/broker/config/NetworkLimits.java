package dev.strata.broker.config;

/**
 * What one listener lets clients make the broker hold: the largest request frame ({@code socket.request.max.bytes}),
 * connections in all and per client address ({@code max.connections}, {@code max.connections.per.ip}), how long an
 * idle connection ({@code connections.max.idle.ms}) or one holding part of a frame
 * ({@code socket.partial.request.timeout.ms}) stays open, and the requests read and not yet answered across all
 * connections ({@code queued.max.requests}, {@code queued.max.request.bytes}).
 */
public record NetworkLimits(
        int maxRequestBytes,
        int maxConnections,
        int maxConnectionsPerIp,
        long connectionsMaxIdleMs,
        long partialRequestTimeoutMs,
        int queuedMaxRequests,
        long queuedMaxRequestBytes) {}
