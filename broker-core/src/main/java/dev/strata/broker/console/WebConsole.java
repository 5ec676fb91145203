package dev.strata.broker.console;

import dev.strata.broker.metrics.HttpListener;
import dev.strata.broker.metrics.HttpListener.Answer;
import dev.strata.broker.metrics.PrometheusEndpoint;
import dev.strata.broker.metrics.TierStatusReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The broker's read-only web console on an {@link HttpListener} of its own ({@code console.listener}): the pages
 * {@code /} (overview: the cluster's brokers, this broker's key figures and charts), {@code /topics} (each partition's
 * replicas and its two tiers side by side), {@code /uploads} (upload throughput and lag, last copies, copy errors) and
 * {@code /groups} (committed offsets and lag), and the JSON they are rendered from under {@value #API}: {@code cluster},
 * {@code topics}, {@code tiers[/<topic>]} (the same document as the metrics listener's), {@code groups} and
 * {@code history}. Every answer is rendered on the listener's one thread from the broker's memory (the tier figures
 * read the remote index, as the metrics endpoint does), never on a Kafka event loop. It also samples the
 * {@link MetricHistory} every {@value MetricHistory#INTERVAL_MS} ms on the server's scheduler.
 */
public final class WebConsole implements AutoCloseable {

    /** Where the JSON documents are. */
    public static final String API = "/api/v1/";

    private static final String API_INDEX = "{\"endpoints\":[\"/api/v1/cluster\",\"/api/v1/topics\","
            + "\"/api/v1/tiers\",\"/api/v1/tiers/<topic>\",\"/api/v1/groups\",\"/api/v1/history\"]}\n";

    private final HttpListener listener;
    private final ScheduledFuture<?> sampling;

    private WebConsole(HttpListener listener, ScheduledFuture<?> sampling) {
        this.listener = listener;
        this.sampling = sampling;
    }

    /**
     * Binds {@code address} and starts serving, and sampling on {@code scheduler}.
     *
     * @throws IOException if the address cannot be resolved or bound
     */
    public static WebConsole start(InetSocketAddress address, ConsoleState state, ScheduledExecutorService scheduler)
            throws IOException {
        HttpListener listener = HttpListener.start(
                address,
                "strata-console",
                Map.of(
                        "/",
                        path -> page(state, path),
                        API,
                        path -> json(state, path),
                        PrometheusEndpoint.TIERS_PATH,
                        PrometheusEndpoint.tiersRoute(
                                topic -> state.tiers(topic).map(TierStatusReport::json))));
        ScheduledFuture<?> sampling = scheduler.scheduleAtFixedRate(
                () -> state.history().sample(), 0, MetricHistory.INTERVAL_MS, TimeUnit.MILLISECONDS);
        return new WebConsole(listener, sampling);
    }

    static Answer page(ConsoleState state, String path) {
        int brokerId = state.overview().brokerId();
        return switch (path) {
            case "/" -> html(ConsolePages.overview(
                    state.overview(),
                    state.tiers(null).orElseThrow(),
                    state.history().samples()));
            case "/topics" -> html(ConsolePages.topics(
                    brokerId, state.topics(), state.tiers(null).orElseThrow()));
            case "/uploads" -> html(ConsolePages.uploads(
                    state.tiers(null).orElseThrow(), state.history().samples()));
            case "/groups" -> html(ConsolePages.groups(brokerId, state.groups()));
            default -> Answer.notFound("Not found; the console's pages are /, /topics, /uploads and /groups");
        };
    }

    static Answer json(ConsoleState state, String path) {
        return switch (path) {
            case API -> Answer.ok(HttpListener.JSON, API_INDEX);
            case API + "cluster" -> Answer.ok(HttpListener.JSON, ConsoleJson.cluster(state.overview()));
            case API + "topics" -> Answer.ok(HttpListener.JSON, ConsoleJson.topics(state.topics()));
            case API + "groups" -> Answer.ok(HttpListener.JSON, ConsoleJson.groups(state.groups()));
            case API + "history" -> Answer.ok(
                    HttpListener.JSON, ConsoleJson.history(state.history().samples()));
            default -> Answer.notFound("Not found; GET " + API + " lists the JSON endpoints");
        };
    }

    private static Answer html(String page) {
        return Answer.ok(HttpListener.HTML, page);
    }

    /** The bound address, with the port chosen when the requested one was 0. */
    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        sampling.cancel(false);
        listener.close();
    }
}
