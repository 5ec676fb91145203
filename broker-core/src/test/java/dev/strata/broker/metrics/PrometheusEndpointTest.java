package dev.strata.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The metrics listener over real HTTP on a free port: what it answers to a scrape, to other paths and methods. */
class PrometheusEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicReference<String> metrics = new AtomicReference<>("up 1\n");
    private final AtomicReference<String> tierThread = new AtomicReference<>();
    private PrometheusEndpoint endpoint;

    @BeforeEach
    void start() throws IOException {
        endpoint = PrometheusEndpoint.start(
                new InetSocketAddress("127.0.0.1", 0),
                () -> {
                    String text = metrics.get();
                    if (text == null) {
                        throw new IllegalStateException("broken");
                    }
                    return text;
                },
                topic -> {
                    tierThread.set(Thread.currentThread().getName());
                    if (topic == null) {
                        return Optional.of("{\"topics\":[]}");
                    }
                    return topic.equals("demo") ? Optional.of("{\"topic\":\"demo\"}") : Optional.empty();
                });
    }

    @AfterEach
    void stop() {
        endpoint.close();
    }

    @Test
    void answersAScrapeWithThePrometheusTextFormat() throws Exception {
        HttpResponse<String> response = get("/metrics", "GET");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body()).isEqualTo("up 1\n");
    }

    @Test
    void answersOtherPathsWith404AndOtherMethodsWith405() throws Exception {
        assertThat(get("/", "GET").statusCode()).isEqualTo(404);
        assertThat(get("/metricsz", "GET").statusCode()).isEqualTo(404);
        HttpResponse<String> post = get("/metrics", "POST");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void aFailingScrapeIsA500AndTheNextScrapeWorks() throws Exception {
        metrics.set(null);
        HttpResponse<String> failed = get("/metrics", "GET");
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.body()).contains("broken");

        metrics.set("up 1\n");
        assertThat(get("/metrics", "GET").statusCode()).isEqualTo(200);
    }

    @Test
    void servesTheTierStatusAsJsonOnItsOwnThread() throws Exception {
        HttpResponse<String> all = get("/api/v1/tiers", "GET");
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(all.body()).isEqualTo("{\"topics\":[]}");
        assertThat(tierThread.get()).startsWith("strata-metrics");

        HttpResponse<String> one = get("/api/v1/tiers/demo", "GET");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.body()).isEqualTo("{\"topic\":\"demo\"}");
    }

    @Test
    void anUnknownTopicIs404AndOtherMethods405() throws Exception {
        HttpResponse<String> unknown = get("/api/v1/tiers/nope", "GET");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("nope");
        assertThat(get("/api/v1/tiersx", "GET").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/tiers", "DELETE").statusCode()).isEqualTo(405);
    }

    @Test
    void aPortInUseFailsToStart() {
        assertThatThrownBy(() -> PrometheusEndpoint.start(endpoint.address(), () -> ""))
                .isInstanceOf(BindException.class);
    }

    private HttpResponse<String> get(String path, String method) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + endpoint.address().getPort() + path);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
