package dev.strata.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on a free loopback port in front of an object store (S3Proxy), which makes the store look as far away as
 * a cloud store: each response's first byte leaves the proxy no earlier than {@link #latencyMs()} after the last byte
 * of the request before it reached the proxy (time to first byte), and each connection moves at most
 * {@link #streamMegabytesPerSecond()} in each direction (a per-stream bandwidth cap: S3 serves one connection at some
 * tens to a hundred MB/s, and a client goes faster only with parallel requests). Both can change while it runs; 0
 * turns either off, and with both off it only forwards and counts.
 *
 * <p>What the client sends is also parsed as HTTP/1.1 requests and counted by kind ({@link S3RequestCounter}): the
 * requests a store would bill, whoever the client is.
 *
 * <p>"A response" is what the store sends after the client has sent something: the proxy notes when it last read
 * from the client, and the store's next bytes wait until that instant plus the latency. So a request whose body waits
 * for {@code 100 Continue} pays the latency twice, as it would over a network. Two threads per connection copy bytes,
 * one per direction; a benchmark's broker keeps a few dozen connections to its store.
 */
final class LatencyProxy implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final S3RequestCounter requests = new S3RequestCounter();
    private final AtomicLong bytesToStore = new AtomicLong();
    private final AtomicLong bytesFromStore = new AtomicLong();
    private volatile long latencyNanos;
    private volatile long nanosPerByte10; // the cap as tenths of a nanosecond per byte, 0 for none
    private volatile boolean closed;

    private LatencyProxy(InetSocketAddress target, ServerSocket server) {
        this.target = target;
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "latency-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
    }

    /** Starts a proxy on a free port of 127.0.0.1 forwarding to {@code host:port}, without latency or cap. */
    static LatencyProxy start(String host, int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        LatencyProxy proxy = new LatencyProxy(new InetSocketAddress(host, port), server);
        proxy.acceptor.start();
        return proxy;
    }

    /** Starts a proxy in front of an {@code http://host:port} endpoint. */
    static LatencyProxy inFrontOf(String endpoint) throws IOException {
        java.net.URI uri = java.net.URI.create(endpoint);
        return start(uri.getHost(), uri.getPort());
    }

    /** Sets the time to first byte of each response (0: none) and the cap of each stream in MB/s (0: none). */
    LatencyProxy shape(double latencyMs, double streamMegabytesPerSecond) {
        if (latencyMs < 0 || streamMegabytesPerSecond < 0) {
            throw new IllegalArgumentException("latency and bandwidth must not be negative");
        }
        latencyNanos = Math.round(latencyMs * 1_000_000);
        nanosPerByte10 = streamMegabytesPerSecond == 0 ? 0 : Math.round(10_000 / streamMegabytesPerSecond);
        return this;
    }

    double latencyMs() {
        return latencyNanos / 1e6;
    }

    double streamMegabytesPerSecond() {
        long n = nanosPerByte10;
        return n == 0 ? 0 : 10_000.0 / n;
    }

    int port() {
        return server.getLocalPort();
    }

    /** The endpoint of the proxy, to give clients in place of the store's. */
    String endpoint() {
        return "http://" + ChildProcess.HOST + ":" + port();
    }

    S3RequestCounter requests() {
        return requests;
    }

    long bytesToStore() {
        return bytesToStore.get();
    }

    long bytesFromStore() {
        return bytesFromStore.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Socket store = new Socket();
            try {
                store.connect(target, 5_000);
                client.setTcpNoDelay(true);
                store.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(store);
                continue;
            }
            sockets.add(client);
            sockets.add(store);
            Connection c = new Connection(client, store, requests.newConnection());
            start(c::up, "up");
            start(c::down, "down");
        }
    }

    private void start(Runnable pump, String direction) {
        Thread t = new Thread(pump, "latency-proxy-" + port() + "-" + direction);
        t.setDaemon(true);
        t.start();
    }

    /** One client connection and its connection to the store. */
    private final class Connection {
        private final Socket client;
        private final Socket store;
        private final S3RequestCounter.Parser parser;
        /** When the proxy last read bytes from the client: a response's first byte waits until then + latency. */
        private final AtomicLong lastRequestByteNanos = new AtomicLong(Long.MIN_VALUE);

        Connection(Socket client, Socket store, S3RequestCounter.Parser parser) {
            this.client = client;
            this.store = store;
            this.parser = parser;
        }

        void up() {
            copy(client, store, true);
        }

        void down() {
            copy(store, client, false);
        }

        private void copy(Socket from, Socket to, boolean up) {
            byte[] buffer = new byte[BUFFER];
            long answered = Long.MIN_VALUE; // the request instant the last response bytes waited for
            long paced = System.nanoTime(); // when the bytes written so far may have left at the cap
            try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (up) {
                        lastRequestByteNanos.set(System.nanoTime());
                        parser.accept(buffer, 0, n);
                        bytesToStore.addAndGet(n);
                    } else {
                        long request = lastRequestByteNanos.get();
                        if (request != answered) {
                            answered = request;
                            waitUntil(request + latencyNanos);
                        }
                        bytesFromStore.addAndGet(n);
                    }
                    long perByte10 = nanosPerByte10;
                    if (perByte10 > 0) {
                        paced = Math.max(paced, System.nanoTime()) + n * perByte10 / 10;
                        waitUntil(paced);
                    }
                    out.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // closed by the other side or by close()
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }
    }

    private static void waitUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
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
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // nothing to do
        }
        sockets.forEach(this::closeQuietly);
    }
}
