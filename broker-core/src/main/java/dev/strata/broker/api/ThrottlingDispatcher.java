package dev.strata.broker.api;

import dev.strata.broker.network.RequestContext;
import dev.strata.broker.network.RequestDispatcher;
import dev.strata.broker.quota.ClientQuotaManager;
import java.util.concurrent.CompletableFuture;
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
 * the producer's byte rate, a consumer's fetched bytes against its consumer byte rate, and a client over its quota
 * gets the time to throttle for in its response's {@code throttle_time_ms}. The network layer then reads no more from
 * that connection until the time has passed (KIP-219), so a client that ignores the field is held back too. A
 * throttled fetch is answered without records (and its bytes are not counted), so a consumer never gets more than
 * its quota. Followers' fetches are not subject to client quotas.
 */
public final class ThrottlingDispatcher implements RequestDispatcher {
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

    @Override
    public CompletableFuture<ApiMessage> dispatch(RequestContext ctx, AbstractRequest request) {
        CompletableFuture<ApiMessage> response = handlers.dispatch(ctx, request);
        if (request instanceof ProduceRequest produce) {
            return response.thenApply(r -> throttleProduce(ctx, produce, r));
        }
        if (request instanceof FetchRequest fetch && fetch.replicaId() < 0) {
            return response.thenApply(r -> throttleFetch(ctx, r));
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
        // acks=0 has no response to carry it: Kafka mutes such a producer's connection; Strata does not yet
        if (throttleMs > 0 && response instanceof ProduceResponseData data) {
            data.setThrottleTimeMs(Math.max(data.throttleTimeMs(), throttleMs));
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
