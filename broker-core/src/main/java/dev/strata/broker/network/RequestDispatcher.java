package dev.strata.broker.network;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.AbstractRequest;

/**
 * Turns a decoded request into its response body. Implementations run slow work off the calling (event-loop) thread
 * and complete the future from wherever that work finishes.
 */
public interface RequestDispatcher {

    /** Whether this broker serves {@code apiKey} at {@code version}. */
    boolean supports(ApiKeys apiKey, short version);

    /**
     * @return the response body, or a future of {@code null} when the request gets no response (produce with acks=0)
     */
    CompletableFuture<ApiMessage> dispatch(RequestContext context, AbstractRequest request);

    /** The response to an ApiVersions request whose version this broker does not know (KIP-511). */
    ApiMessage unsupportedApiVersionsResponse();
}
