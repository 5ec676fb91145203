package dev.strata.broker.network;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.security.ListenerSecurity;
import dev.strata.testing.Await;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.junit.jupiter.api.Test;

/** The connection handler on an embedded channel: decoding, response order, KIP-511 and closing on bad input. */
class KafkaConnectionHandlerTest {

    /** Answers every request with a future the test completes; ApiVersions up to v3, Metadata up to v12 only. */
    private static final class ScriptedDispatcher implements RequestDispatcher {
        final List<CompletableFuture<ApiMessage>> futures = new ArrayList<>();

        @Override
        public boolean supports(ApiKeys apiKey, short version) {
            return apiKey == ApiKeys.API_VERSIONS && version <= 3
                    || apiKey == ApiKeys.METADATA && version <= 12
                    || apiKey == ApiKeys.PRODUCE && version == 9
                    || apiKey == ApiKeys.SASL_HANDSHAKE
                    || apiKey == ApiKeys.SASL_AUTHENTICATE;
        }

        @Override
        public CompletableFuture<ApiMessage> dispatch(RequestContext context, AbstractRequest request) {
            CompletableFuture<ApiMessage> f = new CompletableFuture<>();
            futures.add(f);
            return f;
        }

        @Override
        public ApiMessage unsupportedApiVersionsResponse() {
            return new ApiVersionsResponseData().setErrorCode(Errors.UNSUPPORTED_VERSION.code());
        }
    }

    /** Writes down what it hears, as {@code "received Metadata 42"} and {@code "sent Metadata 17"}. */
    private static final class RecordingObserver implements RequestObserver {
        final List<String> events = new ArrayList<>();

        @Override
        public void requestReceived(ApiKeys apiKey, int sizeInBytes) {
            events.add("received " + apiKey.name + " " + sizeInBytes);
        }

        @Override
        public void responseSent(ApiKeys apiKey, long sizeInBytes, long latencyNanos) {
            assertThat(latencyNanos).isNotNegative();
            events.add("sent " + apiKey.name + " " + sizeInBytes);
        }

        @Override
        public void trailingBytesIgnored(ApiKeys apiKey, int bytes) {
            events.add("trailing " + apiKey.name + " " + bytes);
        }
    }

    private final ScriptedDispatcher dispatcher = new ScriptedDispatcher();
    private final RecordingObserver observer = new RecordingObserver();
    private final RequestBudget budget = new RequestBudget(500, 1 << 20);
    private final EmbeddedChannel channel = new EmbeddedChannel(
            new KafkaFrameDecoder(1 << 20, budget), new KafkaConnectionHandler(dispatcher, observer, budget));

    private static ByteBuf request(AbstractRequest request, int correlationId) {
        RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "test", correlationId);
        ByteBuffer body = request.serializeWithHeader(header);
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(body.remaining());
        frame.writeBytes(body);
        return frame;
    }

    private static ByteBuf rawRequest(short apiKey, short version, int correlationId, byte[] body) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(2 + 2 + 4 + 2 + body.length);
        frame.writeShort(apiKey);
        frame.writeShort(version);
        frame.writeInt(correlationId);
        frame.writeShort(-1); // null client id
        frame.writeBytes(body);
        return frame;
    }

    /** Reads one written response: its size prefix, header and body bytes. */
    private ByteBuffer nextResponse() throws IOException {
        return nextResponse(channel);
    }

    private static ByteBuffer nextResponse(EmbeddedChannel channel) throws IOException {
        Object out = channel.readOutbound();
        assertThat(out).isInstanceOf(SendRegion.class);
        SendRegion region = (SendRegion) out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        var target = Channels.newChannel(bytes);
        while (region.transferred() < region.count()) {
            region.transferTo(target, region.transferred());
        }
        region.release();
        ByteBuffer buf = ByteBuffer.wrap(bytes.toByteArray());
        assertThat(buf.getInt()).isEqualTo(buf.remaining());
        return buf;
    }

    @Test
    void handlesOneRequestAtATimeAndAnswersInOrder() throws IOException {
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData(), (short) 12);
        channel.writeInbound(request(metadata, 1));
        channel.writeInbound(request(metadata, 2));
        assertThat(dispatcher.futures).as("the second waits for the first").hasSize(1);

        dispatcher.futures.get(0).complete(new MetadataResponseData().setClusterId("first"));
        assertThat(dispatcher.futures).hasSize(2);
        dispatcher.futures.get(1).complete(new MetadataResponseData().setClusterId("second"));
        channel.runPendingTasks();
        for (int expected = 1; expected <= 2; expected++) {
            ByteBuffer r = nextResponse();
            short headerVersion = ApiKeys.METADATA.responseHeaderVersion((short) 12);
            assertThat(ResponseHeader.parse(r, headerVersion).correlationId()).isEqualTo(expected);
            MetadataResponseData body = (MetadataResponseData)
                    AbstractResponse.parseResponse(ApiKeys.METADATA, new ByteBufferAccessor(r), (short) 12)
                            .data();
            assertThat(body.clusterId()).isEqualTo(expected == 1 ? "first" : "second");
        }
    }

    @Test
    void aRequestWithoutResponseDoesNotHoldUpTheNext() throws IOException {
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData(), (short) 12);
        channel.writeInbound(request(metadata, 1));
        channel.writeInbound(request(metadata, 2));
        dispatcher.futures.get(0).complete(null);
        dispatcher.futures.get(1).complete(new MetadataResponseData());
        channel.runPendingTasks();
        ByteBuffer r = nextResponse();
        assertThat(ResponseHeader.parse(r, (short) 1).correlationId()).isEqualTo(2);
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void aThrottledResponseStopsReadingUntilItsThrottleTimeHasPassed() throws IOException {
        channel.writeInbound(request(new MetadataRequest(new MetadataRequestData(), (short) 12), 1));
        dispatcher.futures.get(0).complete(new MetadataResponseData().setThrottleTimeMs(300));
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound()).as("the throttled response").isNotNull();
        assertThat(channel.config().isAutoRead()).as("reading while throttled").isFalse();
        Await.until(Duration.ofSeconds(10), "reading again", () -> {
            channel.runScheduledPendingTasks();
            return channel.config().isAutoRead();
        });
    }

    @Test
    void aThrottledAcksZeroProduceIsNotAnsweredButStillHoldsTheConnection() throws IOException {
        ProduceRequest produce = ProduceRequest.builder(
                        new ProduceRequestData()
                                .setAcks((short) 0)
                                .setTimeoutMs(1000)
                                .setTopicData(new ProduceRequestData.TopicProduceDataCollection()),
                        true)
                .build((short) 9);
        channel.writeInbound(request(produce, 1));
        dispatcher.futures.get(0).complete(new ProduceResponseData().setThrottleTimeMs(60_000));
        channel.runPendingTasks();
        assertThat((Object) channel.readOutbound()).as("a response to acks=0").isNull();
        assertThat(channel.config().isAutoRead()).as("reading while throttled").isFalse();
    }

    @Test
    void tellsTheObserverOfEachRequestAndResponseWithTheirFrameSizes() throws IOException {
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData(), (short) 12);
        ByteBuf first = request(metadata, 1);
        int requestSize = first.readableBytes();
        channel.writeInbound(first);
        channel.writeInbound(request(metadata, 2));
        dispatcher.futures.get(0).complete(null);
        dispatcher.futures.get(1).complete(new MetadataResponseData().setClusterId("c"));
        channel.runPendingTasks();
        int responseSize = Integer.BYTES + nextResponse().remaining();

        assertThat(observer.events)
                .containsExactly(
                        "received Metadata " + requestSize,
                        "received Metadata " + requestSize,
                        "sent Metadata 0",
                        "sent Metadata " + responseSize);
    }

    @Test
    void aFailedHandlerAnswersWithTheRequestsErrorResponse() throws IOException {
        channel.writeInbound(request(new MetadataRequest(new MetadataRequestData(), (short) 12), 5));
        dispatcher.futures.get(0).completeExceptionally(new IllegalStateException("boom"));
        channel.runPendingTasks();
        ByteBuffer r = nextResponse();
        assertThat(ResponseHeader.parse(r, (short) 1).correlationId()).isEqualTo(5);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void answersAnUnknownApiVersionsVersionWithUnsupportedVersionInV0() throws IOException {
        // A client newer than the broker: ApiVersions v4 while the broker knows up to v3 (KIP-511).
        ApiVersionsRequest v4 = new ApiVersionsRequest(
                new ApiVersionsRequestData().setClientSoftwareName("x").setClientSoftwareVersion("1"), (short) 4);
        channel.writeInbound(request(v4, 9));
        channel.runPendingTasks();
        ByteBuffer r = nextResponse();
        assertThat(ResponseHeader.parse(r, (short) 0).correlationId()).isEqualTo(9);
        ApiVersionsResponseData body = (ApiVersionsResponseData)
                AbstractResponse.parseResponse(ApiKeys.API_VERSIONS, new ByteBufferAccessor(r), (short) 0)
                        .data();
        assertThat(body.errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void closesOnAnUnsupportedVersionOfAnotherApi() {
        channel.writeInbound(request(new MetadataRequest(new MetadataRequestData(), (short) 13), 1));
        assertThat(channel.isOpen()).isFalse();
        assertThat(dispatcher.futures).isEmpty();
    }

    @Test
    void closesOnAnUnknownApiKey() {
        channel.writeInbound(rawRequest((short) 999, (short) 0, 1, new byte[0]));
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void closesOnATruncatedBody() {
        // Metadata v1 with a topic array claiming 5 entries and nothing after it.
        channel.writeInbound(rawRequest((short) 3, (short) 1, 1, new byte[] {0, 0, 0, 5}));
        assertThat(channel.isOpen()).isFalse();
        assertThat(dispatcher.futures).isEmpty();
    }

    @Test
    void ignoresBytesAfterABodyThatDecodedInFullAndKeepsTheConnection() throws IOException {
        // Metadata v1 with an empty topic array followed by bytes that belong to nothing (librdkafka 2.x sends such
        // stray bytes after Metadata v13; Apache Kafka ignores them).
        channel.writeInbound(rawRequest((short) 3, (short) 1, 1, new byte[] {0, 0, 0, 0, 42, 42, 42}));
        assertThat(dispatcher.futures).hasSize(1);
        assertThat(observer.events).contains("trailing Metadata 3");
        dispatcher.futures.get(0).complete(new MetadataResponseData());
        channel.runPendingTasks();
        assertThat(ResponseHeader.parse(nextResponse(), (short) 0).correlationId())
                .isEqualTo(1);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void givesBackTheRequestBudgetOnceAResponseIsWrittenAndWhenTheConnectionCloses() throws IOException {
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData(), (short) 12);
        channel.writeInbound(request(metadata, 1));
        channel.writeInbound(request(metadata, 2));
        assertThat(budget.requests()).isEqualTo(2);
        dispatcher.futures.get(0).complete(new MetadataResponseData());
        channel.runPendingTasks();
        nextResponse();
        assertThat(budget.requests()).isEqualTo(1);
        channel.close();
        assertThat(budget.requests()).isZero();
        assertThat(budget.bytes()).isZero();
    }

    @Test
    void stopsReadingWhileTheClientDoesNotReadItsResponses() {
        channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1, 2));
        channel.writeOneOutbound(Unpooled.wrappedBuffer(new byte[16])); // queued, not flushed: unwritable
        channel.pipeline().fireChannelWritabilityChanged();
        assertThat(channel.isWritable()).isFalse();
        assertThat(channel.config().isAutoRead()).isFalse();
        channel.flushOutbound();
        channel.pipeline().fireChannelWritabilityChanged();
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void closesAnIdleConnectionWithNothingInFlight() {
        channel.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void keepsAnIdleConnectionWhileARequestIsInFlight() {
        channel.writeInbound(request(new MetadataRequest(new MetadataRequestData(), (short) 12), 1));
        channel.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void closesAfterEarlierResponsesWhenAHandlerAsksTo() throws IOException {
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData(), (short) 12);
        channel.writeInbound(request(metadata, 1));
        channel.writeInbound(request(metadata, 2));
        dispatcher.futures.get(0).complete(new MetadataResponseData());
        dispatcher.futures.get(1).completeExceptionally(new CloseConnectionException("acks=0 produce failed"));
        channel.runPendingTasks();
        assertThat(ResponseHeader.parse(nextResponse(), (short) 1).correlationId())
                .isEqualTo(1);
        ByteBuf empty = channel.readOutbound();
        assertThat(empty.readableBytes()).isZero();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aResponseThisVersionCannotCarryBecomesAnErrorResponseNotASilentStall() throws IOException {
        channel.writeInbound(request(new MetadataRequest(new MetadataRequestData(), (short) 1), 3));
        // topicAuthorizedOperations only exists from Metadata v8: this body cannot be written at v1
        MetadataResponseData unencodable = new MetadataResponseData();
        unencodable
                .topics()
                .add(new MetadataResponseData.MetadataResponseTopic()
                        .setName("t")
                        .setTopicAuthorizedOperations(5));
        dispatcher.futures.get(0).complete(unencodable);
        channel.runPendingTasks();
        ByteBuffer r = nextResponse();
        assertThat(ResponseHeader.parse(r, (short) 0).correlationId()).isEqualTo(3);
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void aFailedAuthenticationIsAnsweredAndClosedAfterItsDelayWithoutReadingMore() throws IOException {
        BrokerConfig config = BrokerConfig.of(Map.of(
                "listeners",
                "SASL_PLAINTEXT://127.0.0.1:0",
                "sasl.enabled.mechanisms",
                "PLAIN",
                "connection.failed.authentication.delay.ms",
                "250",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"secret\";"));
        ListenerSecurity sasl =
                ListenerSecurity.of(config, config.clientListeners().get(0), null);
        EmbeddedChannel sasled = new EmbeddedChannel(
                new KafkaFrameDecoder(1 << 20, budget), new KafkaConnectionHandler(dispatcher, observer, budget, sasl));
        sasled.freezeTime();
        sasled.writeInbound(request(
                new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN")).build((short) 1),
                1));
        byte[] wrong = "\u0000alice\u0000wrong".getBytes(StandardCharsets.UTF_8);
        sasled.writeInbound(request(
                new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(wrong))
                        .build((short) 2),
                2));
        sasled.runPendingTasks();
        assertThat((Object) sasled.readOutbound()).as("the handshake's answer").isNotNull();
        assertThat((Object) sasled.readOutbound())
                .as("the failure's answer, before the delay")
                .isNull();
        assertThat(sasled.config().isAutoRead()).as("reading after the failure").isFalse();
        assertThat(sasled.isOpen()).isTrue();

        sasled.advanceTimeBy(249, TimeUnit.MILLISECONDS);
        sasled.runScheduledPendingTasks();
        assertThat(sasled.isOpen()).as("open until the delay has passed").isTrue();
        sasled.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        sasled.runScheduledPendingTasks();
        ByteBuffer r = nextResponse(sasled);
        assertThat(ResponseHeader.parse(r, (short) 1).correlationId()).isEqualTo(2);
        SaslAuthenticateResponseData failed = (SaslAuthenticateResponseData)
                AbstractResponse.parseResponse(ApiKeys.SASL_AUTHENTICATE, new ByteBufferAccessor(r), (short) 2)
                        .data();
        assertThat(failed.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
        assertThat(sasled.isOpen()).isFalse();
        assertThat(budget.requests()).isZero();
    }
}
