package dev.strata.broker.network;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's connection quotas: {@code max.connections.per.ip} closes a client's connection beyond its address's quota
 * at once, and {@code max.connections} makes the listener stop accepting while the broker has that many connections
 * (new ones wait in the listen backlog, as with Kafka's acceptor), accepting again when one closes. Shared by every
 * connection of every listener; the counts are thread-safe.
 */
@ChannelHandler.Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);

    private final int maxConnections;
    private final int maxConnectionsPerIp;
    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();

    public ConnectionLimiter(int maxConnections, int maxConnectionsPerIp) {
        this.maxConnections = maxConnections;
        this.maxConnectionsPerIp = maxConnectionsPerIp;
    }

    /** A listening channel whose accepting this limiter pauses; added once it is bound. */
    public void listener(Channel channel) {
        listeners.add(channel);
        updateAccepting();
    }

    public int connections() {
        return connections.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = address(ctx.channel().remoteAddress());
        int fromAddress = address == null
                ? 0
                : perIp.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet();
        int total = connections.incrementAndGet();
        updateAccepting();
        if (address != null && fromAddress > maxConnectionsPerIp) {
            log.info(
                    "Closing connection from {}: {} connections from that address exceed max.connections.per.ip {}",
                    ctx.channel().remoteAddress(),
                    fromAddress,
                    maxConnectionsPerIp);
            ctx.close();
            return;
        }
        if (total > maxConnections) {
            // accepted in the same batch as the one that reached the limit
            log.info(
                    "Closing connection from {}: the broker has max.connections {} already",
                    ctx.channel().remoteAddress(),
                    maxConnections);
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = address(ctx.channel().remoteAddress());
        if (address != null) {
            perIp.computeIfPresent(address, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
        }
        connections.decrementAndGet();
        updateAccepting();
        super.channelInactive(ctx);
    }

    private synchronized void updateAccepting() {
        boolean accept = connections.get() < maxConnections;
        for (Channel server : listeners) {
            if (server.config().isAutoRead() != accept) {
                server.config().setAutoRead(accept);
            }
        }
    }

    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
