package dev.strata.broker.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small read-only HTTP listener of its own, on the JDK's HTTP server with one handler thread, so that what it renders
 * (a metrics scrape, a tier report that reads the remote index, a console page) never touches the Kafka listener's
 * event loops. Each route answers the paths under its prefix; a route that throws is answered 500 (and logged), a
 * method other than GET 405.
 */
public final class HttpListener implements AutoCloseable {

    /** JSON documents. */
    public static final String JSON = "application/json; charset=utf-8";

    /** HTML pages. */
    public static final String HTML = "text/html; charset=utf-8";

    static final String TEXT = "text/plain; charset=utf-8";

    private static final Logger log = LoggerFactory.getLogger(HttpListener.class);

    /** What a route answers. */
    public record Answer(int status, String contentType, String body) {
        public static Answer ok(String contentType, String body) {
            return new Answer(200, contentType, body);
        }

        public static Answer notFound(String why) {
            return new Answer(404, TEXT, why + "\n");
        }
    }

    /** Answers the GET of one path under the route's prefix; called on the listener's thread, one at a time. */
    @FunctionalInterface
    public interface Route {
        Answer answer(String path);
    }

    private final HttpServer server;
    private final ExecutorService handlerThread;

    private HttpListener(HttpServer server, ExecutorService handlerThread) {
        this.server = server;
        this.handlerThread = handlerThread;
    }

    /**
     * Binds {@code address}, resolving its host if need be, and starts serving.
     *
     * @param threadName the name of the handler thread
     * @param routes by path prefix (the longest matching prefix answers, as with the JDK server's contexts)
     * @throws IOException if the address cannot be resolved or bound
     */
    public static HttpListener start(InetSocketAddress address, String threadName, Map<String, Route> routes)
            throws IOException {
        InetSocketAddress resolved =
                address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        if (resolved.isUnresolved()) {
            throw new UnknownHostException("Cannot resolve " + address.getHostString());
        }
        HttpServer server = HttpServer.create(resolved, 0);
        ExecutorService handlerThread = Executors.newSingleThreadExecutor(new DefaultThreadFactory(threadName, true));
        server.setExecutor(handlerThread);
        routes.forEach((prefix, route) -> server.createContext(prefix, exchange -> handle(exchange, route)));
        server.start();
        return new HttpListener(server, handlerThread);
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

    private static void handle(HttpExchange exchange, Route route) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            Answer answer;
            if (!method.equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                answer = new Answer(405, TEXT, method + " is not allowed; use GET\n");
            } else {
                try {
                    answer = route.answer(path);
                } catch (RuntimeException e) {
                    log.warn("Cannot answer GET {}", path, e);
                    answer = new Answer(500, TEXT, "Cannot answer GET " + path + ": " + e + "\n");
                }
            }
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(answer.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
