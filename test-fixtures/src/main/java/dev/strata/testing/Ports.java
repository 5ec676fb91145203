package dev.strata.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for the servers tests and benchmarks start: tests talk to 127.0.0.1 only.
 *
 * <p>A free port is picked below the kernel's ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}), not
 * asked of the kernel: a port the kernel hands out is one it may hand out again, as the local port of any outgoing
 * connection, before the test's server binds it (a cluster test failed so: "Cannot listen for the metadata quorum on
 * 127.0.0.1:40295 ... the address is already in use", while the other voters were connecting to each other). Below the
 * ephemeral range only an explicit bind takes a port; this JVM never hands the same one out twice.
 */
public final class Ports {
    public static final String HOST = "127.0.0.1";

    /** The lowest port handed out. */
    static final int LOWEST = 10_000;

    private static final int BELOW_EPHEMERAL = firstEphemeralPort();
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Ports() {}

    /** A loopback port nothing listened on a moment ago, below the ephemeral range, not handed out before. */
    public static int free() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, BELOW_EPHEMERAL);
            if (HANDED_OUT.add(port) && bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException(
                "no free port on " + HOST + " between " + LOWEST + " and " + (BELOW_EPHEMERAL - 1));
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

    /** The first port of the kernel's ephemeral range; 32768 (Linux's default) where it cannot be read. */
    static int firstEphemeralPort() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim();
            int first = Integer.parseInt(range.split("\\s+")[0]);
            // a range that starts that low leaves no room below it: the default's start (ports may then be ephemeral)
            return first > LOWEST + 1_000 ? first : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(HOST, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
