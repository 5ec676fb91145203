package dev.strata.broker.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metrics.TierStatusReport;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebConsoleTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private WebConsole console;

    /** A cluster of one broker with no topics. */
    private static final ClusterImage CLUSTER = new ClusterImage() {
        @Override
        public Collection<ClusterBroker> brokers() {
            return List.of(new ClusterBroker(1, "127.0.0.1", 9092, Optional.empty(), false));
        }

        @Override
        public Optional<ClusterBroker> broker(int nodeId) {
            return brokers().stream().filter(b -> b.nodeId() == nodeId).findFirst();
        }

        @Override
        public Optional<PartitionState> partition(TopicPartition tp) {
            return Optional.empty();
        }

        @Override
        public Map<Integer, PartitionState> partitions(Uuid topicId) {
            return Map.of();
        }

        @Override
        public int controllerId() {
            return 1;
        }
    };

    @BeforeEach
    void start() throws Exception {
        MetricHistory history = new MetricHistory(
                10, () -> new MetricHistory.Sample(System.currentTimeMillis(), 0, 0, 0, 0, 0, 0, 0, 0, 0));
        ConsoleState state = new ConsoleState(
                1,
                () -> "cluster-a",
                CLUSTER,
                List::of,
                tp -> Optional.empty(),
                new TierStatusReport(1, List::of, Optional.empty()),
                null,
                history);
        console = WebConsole.start(new InetSocketAddress("127.0.0.1", 0), state, scheduler);
    }

    @AfterEach
    void stop() {
        console.close();
        scheduler.shutdownNow();
    }

    @Test
    void servesEveryPageAsHtml() throws Exception {
        for (String path : List.of("/", "/topics", "/uploads", "/groups")) {
            HttpResponse<String> page = get(path, "GET");
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.body()).as(path).startsWith("<!DOCTYPE html>").contains("</html>");
        }
        assertThat(get("/", "GET").body()).contains("alive, controller");
    }

    @Test
    void servesTheJsonDocumentsAndListsThem() throws Exception {
        assertThat(get("/api/v1/", "GET").body()).contains("/api/v1/cluster", "/api/v1/tiers", "/api/v1/history");
        assertThat(get("/api/v1/cluster", "GET").body()).contains("\"clusterId\":\"cluster-a\"");
        assertThat(get("/api/v1/topics", "GET").body()).isEqualTo("{\"topics\":[]}\n");
        assertThat(get("/api/v1/groups", "GET").body()).isEqualTo("{\"groups\":[]}\n");
        assertThat(get("/api/v1/tiers", "GET").body()).contains("\"remoteStorageSystemEnabled\":false");
        assertThat(get("/api/v1/history", "GET").body()).startsWith("{\"intervalMs\":5000,\"samples\":[");
    }

    @Test
    void unknownPathsAre404AndOtherMethods405() throws Exception {
        assertThat(get("/nope", "GET").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/nope", "GET").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/tiers/nope", "GET").statusCode()).isEqualTo(404);
        HttpResponse<String> post = get("/topics", "POST");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    private HttpResponse<String> get(String path, String method) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + console.address().getPort() + path);
        return http.send(
                HttpRequest.newBuilder(uri)
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
