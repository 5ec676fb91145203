package dev.strata.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A TCP proxy on a free loopback port in front of one target, for network-fault tests: {@link #cut()} drops every
 * connection through it and makes new ones hang (accepted, never forwarded, as packets to a partitioned host would),
 * {@link #restore()} forwards again. With the proxy's address advertised in place of the target's, a test can cut one
 * broker off from the others and from clients without touching the broker. {@link #cutWhere} cuts only the
 * connections whose first bytes match, a client that speaks first saying who it is (a Kafka request header names its
 * client), so a test can cut one broker's replication from another while clients still get through.
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
    /** The first bytes each client sent (its first read), for {@link #cutWhere}. */
    private final Map<Socket, byte[]> firstBytes = new ConcurrentHashMap<>();

    /** Connections held open unforwarded while cut, dropped at {@link #restore()} so their clients retry. */
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();

    private volatile Predicate<byte[]> cutWhere;
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

    /**
     * Drops the open connections whose client's first bytes match {@code firstBytes}; new connections whose first bytes
     * match are held open and never forwarded, until {@link #restore()} drops them. Other connections are forwarded as before.
     */
    public void cutWhere(Predicate<byte[]> firstBytes) {
        cutWhere = firstBytes;
        for (Map.Entry<Socket, byte[]> e : this.firstBytes.entrySet()) {
            if (firstBytes.test(e.getValue())) {
                closeQuietly(e.getKey()); // its pumps close the other side
            }
        }
    }

    /**
     * Forwards new connections again; the connections held unanswered while cut are dropped, so that their clients
     * notice and connect again rather than wait on them for ever.
     */
    public void restore() {
        cutWhere = null;
        cut.set(false);
        for (Socket socket : held) {
            held.remove(socket);
            closeQuietly(socket);
        }
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
                held.add(client); // a black hole: held open, never answered, dropped at restore() or close()
                continue;
            }
            if (cutWhere != null) {
                // whether to forward depends on what the client says first
                Thread t = new Thread(() -> connectAfterFirstBytes(client), "tcp-proxy-" + port() + "-first");
                t.setDaemon(true);
                t.start();
                continue;
            }
            try {
                pump(client, connect(client), "up", null);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void connectAfterFirstBytes(Socket client) {
        byte[] buffer = new byte[64 * 1024];
        try {
            int n = client.getInputStream().read(buffer);
            if (n < 0) {
                closeQuietly(client);
                return;
            }
            byte[] first = Arrays.copyOf(buffer, n);
            firstBytes.put(client, first);
            Predicate<byte[]> where = cutWhere;
            if (cut.get() || where != null && where.test(first)) {
                held.add(client); // a black hole, as in cut()
                return;
            }
            pump(client, connect(client), "up", first);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    /** Connects to the target and starts copying what it sends to {@code client}. */
    private Socket connect(Socket client) throws IOException {
        Socket upstream = new Socket();
        upstream.connect(target, 5_000);
        upstream.setTcpNoDelay(true);
        client.setTcpNoDelay(true);
        sockets.add(upstream);
        pump(upstream, client, "down", null);
        return upstream;
    }

    /**
     * Copies from {@code from} to {@code to} on a thread of its own, {@code alreadyRead} first; the first bytes read
     * from a client ({@code direction} "up") are kept for {@link #cutWhere}.
     */
    private void pump(Socket from, Socket to, String direction, byte[] alreadyRead) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[64 * 1024];
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        if (alreadyRead != null) {
                            forwardedBytes.addAndGet(alreadyRead.length);
                            out.write(alreadyRead);
                        }
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            if (cut.get()) {
                                break;
                            }
                            if (direction.equals("up")
                                    && firstBytes.putIfAbsent(from, Arrays.copyOf(buffer, n)) == null) {
                                Predicate<byte[]> where = cutWhere;
                                if (where != null && where.test(firstBytes.get(from))) {
                                    break;
                                }
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
        firstBytes.remove(socket);
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
