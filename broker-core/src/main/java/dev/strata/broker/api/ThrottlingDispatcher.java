package dev.strata.broker.api;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.network.RequestDispatcher;
import dev.strata.broker.network.ThrottleTimes;
import dev.strata.broker.quota.ClientQuotaManager;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.ProduceRequest;

/**
 * Client quotas on the way out of the handlers, as Kafka applies them: a produce request's record bytes count against
 * the producer's byte rate, a consumer's fetched bytes against its consumer byte rate, every request's time on the
 * I/O pool against the client's request percentage, and a client over a quota gets the time to throttle for in its
 * response's {@code throttle_time_ms}. The network layer then reads no more from
 * that connection until the time has passed (KIP-219), so a client that ignores the field is held back too. A
 * throttled fetch is answered without records (and its bytes are not counted), so a consumer never gets more than
 * its quota. Followers' fetches are not subject to client quotas.
 */
public final class ThrottlingDispatcher implements RequestDispatcher {
    /**
     * What Kafka does not count against request quotas: the connection's own APIs and other brokers' requests (a
     * follower's fetch is left out below).
     */
    private static final Set<ApiKeys> REQUEST_QUOTA_EXEMPT = EnumSet.of(
            ApiKeys.API_VERSIONS, ApiKeys.SASL_HANDSHAKE, ApiKeys.SASL_AUTHENTICATE, ApiKeys.WRITE_TXN_MARKERS);

    private final RequestDispatcher handlers;
    private final ClientQuotaManager quotas;
    private final LongSupplier clockMs;

    public ThrottlingDispatcher(RequestDispatcher handlers, ClientQuotaManager quotas, LongSupplier clockMs) {
        this.handlers = handlers;
        this.quotas = quotas;
        this.clockMs = clockMs;
    }

    @Override
    public boolean supports(ApiKeys apiKey, short version) {
        return handlers.supports(apiKey, version);
    }

    @Override
    public ApiMessage unsupportedApiVersionsResponse() {
        return handlers.unsupportedApiVersionsResponse();
    }

    /** The I/O pool for the handlers: it measures each request's time on it, for request quotas. */
    public static ExecutorService timedPool(ExecutorService ioPool) {
        return new RequestTimeExecutor(ioPool);
    }

    @Override
    public CompletableFuture<ApiMessage> dispatch(RequestContext ctx, AbstractRequest request) {
        RequestTimeExecutor.Timer timer = new RequestTimeExecutor.Timer();
        CompletableFuture<ApiMessage> response =
                RequestTimeExecutor.timing(timer, () -> handlers.dispatch(ctx, request));
        if (request instanceof ProduceRequest produce) {
            response = response.thenApply(r -> throttleProduce(ctx, produce, r));
        } else if (request instanceof FetchRequest fetch && fetch.replicaId() < 0) {
            response = response.thenApply(r -> throttleFetch(ctx, r));
        }
        if (REQUEST_QUOTA_EXEMPT.contains(request.apiKey())
                || request instanceof FetchRequest fetch && fetch.replicaId() >= 0) {
            return response;
        }
        return response.thenApply(r -> throttleRequestTime(ctx, request, timer, r));
    }

    /**
     * Time on the I/O pool in percent-seconds (Kafka's unit: a request quota is a percentage of one thread) counts
     * against the client's request quota; a client over it is throttled one window at most.
     */
    private ApiMessage throttleRequestTime(
            RequestContext ctx, AbstractRequest request, RequestTimeExecutor.Timer timer, ApiMessage response) {
        double percentSeconds = timer.nanos() * 100.0 / TimeUnit.SECONDS.toNanos(1);
        int throttleMs = quotas.recordAndThrottle(
                ClientQuotaManager.Type.REQUEST, ctx.principal(), ctx.clientId(), percentSeconds, clockMs.getAsLong());
        if (throttleMs > 0 && response == null && request instanceof ProduceRequest) {
            return new ProduceResponseData().setThrottleTimeMs(throttleMs); // acks=0: held, not answered
        }
        if (throttleMs > 0 && response != null) {
            ThrottleTimes.raise(response, throttleMs);
        }
        return response;
    }

    private ApiMessage throttleProduce(RequestContext ctx, ProduceRequest request, ApiMessage response) {
        long bytes = 0;
        for (ProduceRequestData.TopicProduceData topic : request.data().topicData()) {
            for (ProduceRequestData.PartitionProduceData partition : topic.partitionData()) {
                bytes += sizeOf(partition.records());
            }
        }
        int throttleMs = quotas.recordAndThrottle(
                ClientQuotaManager.Type.PRODUCE, ctx.principal(), ctx.clientId(), bytes, clockMs.getAsLong());
        if (throttleMs > 0 && response instanceof ProduceResponseData data) {
            data.setThrottleTimeMs(Math.max(data.throttleTimeMs(), throttleMs));
        } else if (throttleMs > 0 && response == null) {
            // acks=0: no response goes out, but the connection is held as long (Kafka mutes such a producer's)
            return new ProduceResponseData().setThrottleTimeMs(throttleMs);
        }
        return response;
    }

    private ApiMessage throttleFetch(RequestContext ctx, ApiMessage response) {
        if (!(response instanceof FetchResponseData data)) {
            return response;
        }
        long bytes = 0;
        for (FetchResponseData.FetchableTopicResponse topic : data.responses()) {
            for (FetchResponseData.PartitionData partition : topic.partitions()) {
                bytes += sizeOf(partition.records());
            }
        }
        long now = clockMs.getAsLong();
        int throttleMs =
                quotas.recordAndThrottle(ClientQuotaManager.Type.FETCH, ctx.principal(), ctx.clientId(), bytes, now);
        if (throttleMs <= 0) {
            return response;
        }
        quotas.unrecord(ClientQuotaManager.Type.FETCH, ctx.principal(), ctx.clientId(), bytes, now);
        return new FetchResponseData()
                .setThrottleTimeMs(Math.max(data.throttleTimeMs(), throttleMs))
                .setErrorCode(data.errorCode())
                .setSessionId(data.sessionId());
    }

    private static long sizeOf(BaseRecords records) {
        return records == null ? 0 : records.sizeInBytes();
    }
}
