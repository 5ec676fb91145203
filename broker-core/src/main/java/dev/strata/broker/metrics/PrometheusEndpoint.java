package dev.strata.broker.metrics;

import dev.strata.broker.metrics.HttpListener.Answer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An {@link HttpListener} of its own for Prometheus: {@code GET /metrics} answers with the text a scrape supplier
 * renders ({@code text/plain; version=0.0.4}). It also answers {@code GET /api/v1/tiers} and
 * {@code /api/v1/tiers/<topic>} with the read-only JSON of {@link TierStatusReport} (404 for a topic this broker hosts
 * no partition of). A scrape or a tier report (which reads the remote index) runs on the listener's one thread, never
 * on the Kafka listener's event loops. Another path is answered 404, another method 405.
 */
public final class PrometheusEndpoint implements AutoCloseable {

    /** The path Prometheus scrapes. */
    public static final String PATH = "/metrics";

    /** The tier status, for every topic or, below it, one. */
    public static final String TIERS_PATH = "/api/v1/tiers";

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpListener listener;

    private PrometheusEndpoint(HttpListener listener) {
        this.listener = listener;
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
        return new PrometheusEndpoint(HttpListener.start(
                address,
                "strata-metrics",
                Map.of(
                        PATH,
                        path -> path.equals(PATH)
                                ? Answer.ok(CONTENT_TYPE, scrape.get())
                                : Answer.notFound("Not found; metrics are at " + PATH),
                        TIERS_PATH,
                        tiersRoute(tiers))));
    }

    /**
     * Answers {@value #TIERS_PATH} (every topic) and {@value #TIERS_PATH}{@code /<topic>} (one, 404 when {@code tiers}
     * knows none of it) with the JSON {@code tiers} renders.
     */
    public static HttpListener.Route tiersRoute(Function<String, Optional<String>> tiers) {
        return path -> {
            String topic = null;
            if (path.startsWith(TIERS_PATH + "/") && path.length() > TIERS_PATH.length() + 1) {
                topic = path.substring(TIERS_PATH.length() + 1);
            } else if (!path.equals(TIERS_PATH) && !path.equals(TIERS_PATH + "/")) {
                return Answer.notFound("Not found; tiers are at " + TIERS_PATH);
            }
            String asked = topic;
            return tiers.apply(topic)
                    .map(body -> Answer.ok(HttpListener.JSON, body))
                    .orElseGet(() -> Answer.notFound("This broker hosts no partition of topic " + asked));
        };
    }

    /** The bound address, with the port chosen when the requested one was 0. */
    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        listener.close();
    }
}
