package dev.strata.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback ports for the servers tests and benchmarks start: tests talk to 127.0.0.1 only. */
public final class Ports {
    public static final String HOST = "127.0.0.1";

    private Ports() {}

    /** A loopback port nothing listened on a moment ago. */
    public static int free() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    /** Whether {@code port} accepts a connection now (waiting at most {@code timeoutMs} for it). */
    public static boolean listens(int port, int timeoutMs) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), timeoutMs);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
