package dev.strata.broker.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP listener of its own for Prometheus: {@code GET /metrics} answers with the text a scrape supplier renders
 * ({@code text/plain; version=0.0.4}). It also answers {@code GET /api/v1/tiers} and {@code /api/v1/tiers/<topic>}
 * with the read-only JSON of {@link TierStatusReport} (404 for a topic this broker hosts no partition of). It runs on
 * the JDK's HTTP server with one handler thread, so a scrape or a tier report (which reads the remote index) never
 * touches the Kafka listener's event loops. Another path is answered 404, another method 405.
 */
public final class PrometheusEndpoint implements AutoCloseable {

    /** The path Prometheus scrapes. */
    public static final String PATH = "/metrics";

    /** The tier status, for every topic or, below it, one. */
    public static final String TIERS_PATH = "/api/v1/tiers";

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String JSON = "application/json; charset=utf-8";

    private static final Logger log = LoggerFactory.getLogger(PrometheusEndpoint.class);

    private final HttpServer server;
    private final ExecutorService handlerThread;

    private PrometheusEndpoint(HttpServer server, ExecutorService handlerThread) {
        this.server = server;
        this.handlerThread = handlerThread;
    }

    /**
     * Binds {@code address}, resolving its host if need be, and starts serving.
     *
     * @param scrape renders the metrics; called on the endpoint's own thread, one scrape at a time
     * @throws IOException if the address cannot be resolved or bound
     */
    public static PrometheusEndpoint start(InetSocketAddress address, Supplier<String> scrape) throws IOException {
        return start(address, scrape, topic -> Optional.empty());
    }

    /**
     * As {@link #start(InetSocketAddress, Supplier)}, also serving {@value #TIERS_PATH}.
     *
     * @param tiers renders the tier status of every topic (argument null) or of one, empty for a topic it does not
     *     know; called on the endpoint's own thread
     */
    public static PrometheusEndpoint start(
            InetSocketAddress address, Supplier<String> scrape, Function<String, Optional<String>> tiers)
            throws IOException {
        InetSocketAddress resolved =
                address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (resolved.isUnresolved()) {
            throw new UnknownHostException("Cannot resolve " + address.getHostString());
        }
        HttpServer server = HttpServer.create(resolved, 0);
        ExecutorService handlerThread =
                Executors.newSingleThreadExecutor(new DefaultThreadFactory("strata-metrics", true));
        server.setExecutor(handlerThread);
        server.createContext(PATH, exchange -> handle(exchange, scrape));
        server.createContext(TIERS_PATH, exchange -> handleTiers(exchange, tiers));
        server.start();
        return new PrometheusEndpoint(server, handlerThread);
    }

    /** The bound address, with the port chosen when the requested one was 0. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        handlerThread.shutdownNow();
    }

    private static void handle(HttpExchange exchange, Supplier<String> scrape) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                respond(exchange, 404, "Not found; metrics are at " + PATH + "\n");
            } else if (!method.equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                respond(exchange, 405, method + " is not allowed; use GET\n");
            } else {
                String body;
                try {
                    body = scrape.get();
                } catch (RuntimeException e) {
                    log.warn("Cannot render the metrics", e);
                    respond(exchange, 500, "Cannot render the metrics: " + e + "\n");
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
                respond(exchange, 200, body);
            }
        }
    }

    private static void handleTiers(HttpExchange exchange, Function<String, Optional<String>> tiers)
            throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String topic = null;
            if (path.startsWith(TIERS_PATH + "/") && path.length() > TIERS_PATH.length() + 1) {
                topic = path.substring(TIERS_PATH.length() + 1);
            } else if (!path.equals(TIERS_PATH) && !path.equals(TIERS_PATH + "/")) {
                respond(exchange, 404, "Not found; tiers are at " + TIERS_PATH + "\n");
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                respond(exchange, 405, exchange.getRequestMethod() + " is not allowed; use GET\n");
                return;
            }
            Optional<String> body;
            try {
                body = tiers.apply(topic);
            } catch (RuntimeException e) {
                log.warn("Cannot render the tier status", e);
                respond(exchange, 500, "Cannot render the tier status: " + e + "\n");
                return;
            }
            if (body.isEmpty()) {
                respond(exchange, 404, "This broker hosts no partition of topic " + topic + "\n");
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", JSON);
            respond(exchange, 200, body.get());
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (status != 200) {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
