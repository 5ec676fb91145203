package dev.strata.broker.metrics;

import dev.strata.broker.network.RequestObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Request metrics for every connection: {@code strata_requests_total} and {@code strata_request_latency_seconds} (from
 * a request's arrival to its response reaching the socket, time queued behind earlier requests of the connection
 * included) by API ({@code request="Produce"}, Kafka's API names), and the bytes of request and response frames. An
 * API's meters appear with its first request.
 *
 * <p>Called on the network event loops: recording is lock-free; only an API's first request registers its meters.
 */
public final class RequestMetrics implements RequestObserver {

    private final MeterRegistry registry;
    private final ConcurrentHashMap<ApiKeys, ApiMeters> apis = new ConcurrentHashMap<>();
    private final Counter received;
    private final Counter sent;

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.received = Counter.builder("strata.network.received")
                .baseUnit("bytes")
                .description("Bytes of request frames received from clients")
                .register(registry);
        this.sent = Counter.builder("strata.network.sent")
                .baseUnit("bytes")
                .description("Bytes of response frames written to clients")
                .register(registry);
    }

    @Override
    public void requestReceived(ApiKeys apiKey, int sizeInBytes) {
        received.increment(sizeInBytes);
        meters(apiKey).requests.increment();
    }

    @Override
    public void responseSent(ApiKeys apiKey, long sizeInBytes, long latencyNanos) {
        sent.increment(sizeInBytes);
        meters(apiKey).latency.record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    private ApiMeters meters(ApiKeys apiKey) {
        ApiMeters meters = apis.get(apiKey);
        return meters != null ? meters : apis.computeIfAbsent(apiKey, this::register);
    }

    @Override
    public void trailingBytesIgnored(ApiKeys apiKey, int bytes) {
        meters(apiKey).trailing.increment();
    }

    private ApiMeters register(ApiKeys apiKey) {
        Counter requests = Counter.builder("strata.requests")
                .tag("request", apiKey.name)
                .description("Requests received, by API")
                .register(registry);
        Timer latency = Timer.builder("strata.request.latency")
                .tag("request", apiKey.name)
                .description("Time from a request's arrival to its response reaching the socket, by API")
                .register(registry);
        Counter trailing = Counter.builder("strata.requests.trailing")
                .tag("request", apiKey.name)
                .description("Requests whose frame had bytes after the decoded body (ignored), by API")
                .register(registry);
        return new ApiMeters(requests, latency, trailing);
    }

    /** The meters of one API. */
    private record ApiMeters(Counter requests, Timer latency, Counter trailing) {}
}
