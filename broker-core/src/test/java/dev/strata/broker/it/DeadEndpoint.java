package dev.strata.broker.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The port of an object store that is down: every connection is accepted and reset at once, so no request gets an
 * answer, and counted, so that a test can tell how long a broker has kept trying. A {@link #hanging} one instead holds
 * every connection open and never answers, so each request waits for the client's own timeout.
 */
final class DeadEndpoint implements AutoCloseable {

    private final ServerSocket socket;
    private final Thread acceptor;
    private final AtomicInteger connections = new AtomicInteger();
    /** The connections a hanging endpoint holds, or null when it resets them. */
    private final List<Socket> held;

    private volatile long firstConnectionNanos;
    private volatile long lastConnectionNanos;

    private DeadEndpoint(ServerSocket socket, boolean hang) {
        this.socket = socket;
        this.held = hang ? new CopyOnWriteArrayList<>() : null;
        this.acceptor = new Thread(this::acceptEveryConnection, "dead-endpoint-" + socket.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /** Takes over {@code port} on 127.0.0.1, which the store has just released. */
    static DeadEndpoint bind(int port) throws IOException {
        return bind(port, false);
    }

    /** Takes over {@code port} on 127.0.0.1 and answers nothing on any connection. */
    static DeadEndpoint hanging(int port) throws IOException {
        return bind(port, true);
    }

    private static DeadEndpoint bind(int port, boolean hang) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        DeadEndpoint endpoint = new DeadEndpoint(socket, hang);
        endpoint.acceptor.start();
        return endpoint;
    }

    int connections() {
        return connections.get();
    }

    /** The time from the first connection to the latest one; zero before the second. */
    Duration triedFor() {
        return connections.get() < 2 ? Duration.ZERO : Duration.ofNanos(lastConnectionNanos - firstConnectionNanos);
    }

    /** Releases the port. */
    @Override
    public void close() throws InterruptedException {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a listening socket does not fail in a way that matters here
        }
        acceptor.join(Duration.ofSeconds(10).toMillis());
        if (held != null) {
            for (Socket connection : held) {
                try {
                    connection.close();
                } catch (IOException e) {
                    // the peer may be gone already
                }
            }
        }
    }

    private void acceptEveryConnection() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                if (held != null) {
                    held.add(connection);
                } else {
                    // a reset, not an orderly close: the client sees the connection fail, as with a crashed server
                    connection.setSoLinger(true, 0);
                    connection.close();
                }
                long now = System.nanoTime();
                if (connections.get() == 0) {
                    firstConnectionNanos = now;
                }
                lastConnectionNanos = now;
                connections.incrementAndGet();
            } catch (IOException e) {
                // the listening socket was closed, or one connection failed: the loop condition decides
            }
        }
    }
}
