package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Throttling as S3 does it ({@code 503 SlowDown}), from a stub HTTP server on 127.0.0.1 that answers the first
 * requests with it: the manager retries with backoff and succeeds, or gives up after the configured attempts.
 */
class ThrottlingRetryTest {

    private static final byte[] OBJECT = "log segment bytes".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SLOW_DOWN = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                    + "<Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>")
            .getBytes(StandardCharsets.US_ASCII);

    private final AtomicInteger requests = new AtomicInteger();
    private final RemoteLogSegmentMetadata segment = new RemoteLogSegmentMetadata(
            new RemoteLogSegmentId(new TopicIdPartition(Uuid.randomUuid(), 0, "t"), Uuid.randomUuid()),
            0,
            10,
            0,
            1,
            0,
            100,
            Map.of(0, 0L));
    private volatile int throttledRequests;
    private HttpServer server;
    private S3RemoteStorageManager rsm;

    @BeforeEach
    void startStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
        rsm = new S3RemoteStorageManager();
        rsm.configure(Map.of(
                "s3.bucket.name", "b",
                "s3.endpoint.url", "http://127.0.0.1:" + server.getAddress().getPort(),
                "s3.path.style.access.enabled", "true",
                "aws.access.key.id", "id",
                "aws.secret.access.key", "secret",
                "s3.retry.max.attempts", "4",
                "s3.retry.backoff.base.ms", "5",
                "s3.retry.backoff.max.ms", "50"));
    }

    @AfterEach
    void stopStub() {
        rsm.close();
        server.stop(0);
    }

    @Test
    void throttledReadIsRetriedUntilItSucceeds() throws Exception {
        throttledRequests = 2;

        try (InputStream in = rsm.fetchLogSegment(segment, 0)) {
            assertThat(in.readAllBytes()).isEqualTo(OBJECT);
        }
        assertThat(requests).hasValue(3);
    }

    @Test
    void persistentThrottlingFailsAfterTheConfiguredAttempts() {
        throttledRequests = Integer.MAX_VALUE;

        assertThatThrownBy(() -> rsm.fetchLogSegment(segment, 0))
                .isInstanceOf(RemoteStorageException.class)
                .hasMessageContaining("reduce your request rate");
        assertThat(requests).hasValue(4);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            if ("HEAD".equals(exchange.getRequestMethod())) {
                // the bucket check configure starts in the background: not one of the reads counted here
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            if (requests.incrementAndGet() <= throttledRequests) {
                exchange.getResponseHeaders().add("Content-Type", "application/xml");
                exchange.sendResponseHeaders(503, SLOW_DOWN.length);
                exchange.getResponseBody().write(SLOW_DOWN);
                return;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/octet-stream");
            exchange.getResponseHeaders().add("x-amz-meta-sha256", Sha256.of(OBJECT));
            exchange.sendResponseHeaders(200, OBJECT.length);
            exchange.getResponseBody().write(OBJECT);
        }
    }
}
