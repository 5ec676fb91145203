package dev.strata.broker.network;

import dev.strata.broker.config.BrokerConfig.ClientListener;
import dev.strata.broker.config.NetworkLimits;
import dev.strata.broker.security.ListenerSecurity;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The broker's Kafka listeners, bound on one pair of event-loop groups: every listener's connections share the
 * connection limits and the request budget, and differ only in what comes before the frame decoder (a TLS handler on
 * {@code SSL} and {@code SASL_SSL} listeners, whose engine comes from key stores loaded at startup) and in the
 * {@link ListenerSecurity} their connection handler authenticates with.
 */
public final class KafkaListeners implements AutoCloseable {

    /** One listener, how it is secured, and the channel it is bound to once {@link #bind} ran. */
    public record Bound(ClientListener listener, ListenerSecurity security, Channel channel) {
        public int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }
    }

    private final List<Bound> bound = new ArrayList<>();

    private KafkaListeners() {}

    /**
     * Binds each listener; if one cannot bind, those already bound are closed before the failure is thrown.
     *
     * @param listeners each listener with its security, in the order of {@code listeners}
     */
    public static KafkaListeners bind(
            Map<ClientListener, ListenerSecurity> listeners,
            EventLoopGroup bossGroup,
            EventLoopGroup workerGroup,
            NetworkLimits limits,
            RequestDispatcher dispatcher,
            RequestObserver observer)
            throws InterruptedException {
        RequestBudget budget = new RequestBudget(limits.queuedMaxRequests(), limits.queuedMaxRequestBytes());
        ConnectionLimiter connectionLimiter =
                new ConnectionLimiter(limits.maxConnections(), limits.maxConnectionsPerIp());
        KafkaListeners result = new KafkaListeners();
        try {
            for (Map.Entry<ClientListener, ListenerSecurity> e : listeners.entrySet()) {
                ListenerSecurity security = e.getValue();
                ServerBootstrap bootstrap = new ServerBootstrap()
                        .group(bossGroup, workerGroup)
                        .channel(NioServerSocketChannel.class)
                        .option(ChannelOption.SO_BACKLOG, 512)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast("limits", connectionLimiter);
                                if (security.usesTls()) {
                                    InetSocketAddress peer = ch.remoteAddress();
                                    ch.pipeline()
                                            .addLast(
                                                    "tls",
                                                    new SslHandler(security.newServerEngine(
                                                            peer.getHostString(), peer.getPort())));
                                }
                                ch.pipeline()
                                        .addLast(
                                                "idle",
                                                new IdleStateHandler(
                                                        limits.partialRequestTimeoutMs(),
                                                        0,
                                                        limits.connectionsMaxIdleMs(),
                                                        TimeUnit.MILLISECONDS))
                                        .addLast(
                                                "frames",
                                                new KafkaFrameDecoder(
                                                        limits.maxRequestBytes(),
                                                        security.maxUnauthenticatedFrameBytes(),
                                                        budget))
                                        .addLast(
                                                "requests",
                                                new KafkaConnectionHandler(dispatcher, observer, budget, security));
                            }
                        });
                ClientListener l = e.getKey();
                Channel channel = bootstrap
                        .bind(new InetSocketAddress(l.bind().host(), l.bind().port()))
                        .sync()
                        .channel();
                connectionLimiter.listener(channel);
                result.bound.add(new Bound(l, security, channel));
            }
            return result;
        } catch (InterruptedException | RuntimeException e) {
            result.close();
            throw e;
        }
    }

    public List<Bound> bound() {
        return List.copyOf(bound);
    }

    /** The port each listener is bound to, by listener name. */
    public Map<String, Integer> ports() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        bound.forEach(b -> ports.put(b.listener().name(), b.port()));
        return ports;
    }

    /** Stops accepting on every listener. */
    @Override
    public void close() {
        for (Bound b : bound) {
            b.channel().close().syncUninterruptibly();
        }
    }
}
