package dev.strata.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a free loopback port in front of one target, for network-fault tests: {@link #cut()} drops every
 * connection through it and makes new ones hang (accepted, never forwarded, as packets to a partitioned host would),
 * {@link #restore()} forwards again. With the proxy's address advertised in place of the target's, a test can cut one
 * broker off from the others and from clients without touching the broker.
 *
 * <p>Two threads per connection copy bytes, one per direction; the proxy is meant for tests with a few dozen
 * connections, not for load.
 */
public final class TcpProxy implements AutoCloseable {

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean cut = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private final Thread acceptor;

    private TcpProxy(InetSocketAddress target, ServerSocket server) {
        this.target = target;
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
    }

    /** Starts a proxy on a free port of 127.0.0.1 forwarding to {@code 127.0.0.1:targetPort}. */
    public static TcpProxy start(int targetPort) throws IOException {
        return start(0, targetPort);
    }

    /** Starts a proxy on {@code 127.0.0.1:port} (0 for a free one) forwarding to {@code 127.0.0.1:targetPort}. */
    public static TcpProxy start(int port, int targetPort) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        TcpProxy proxy = new TcpProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), server);
        proxy.acceptor.start();
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Drops every open connection; new ones are accepted but nothing is forwarded until {@link #restore()}. */
    public void cut() {
        cut.set(true);
        closeAll();
    }

    /** Forwards new connections again (connections accepted while cut stay dead). */
    public void restore() {
        cut.set(false);
    }

    public boolean isCut() {
        return cut.get();
    }

    /** Bytes forwarded in both directions since the start. */
    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            sockets.add(client);
            if (cut.get()) {
                continue; // a black hole: held open, never answered, dropped at the next cut() or close()
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 5_000);
                upstream.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                sockets.add(upstream);
                pump(client, upstream, "up");
                pump(upstream, client, "down");
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[64 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            if (cut.get()) {
                                break;
                            }
                            // counted before it is written, so whoever reads it sees it counted
                            forwardedBytes.addAndGet(n);
                            out.write(buffer, 0, n);
                        }
                    } catch (SocketException e) {
                        // closed by cut(), close() or the other side
                    } catch (IOException e) {
                        // the same, seen on a stream
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "tcp-proxy-" + server.getLocalPort() + "-" + direction);
        t.setDaemon(true);
        t.start();
    }

    private void closeAll() {
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            server.close();
            closeAll();
        }
    }
}
