package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that bad input on one connection costs only that connection: random bytes, a frame over
 * {@code socket.request.max.bytes} (or of negative size), an unknown API key, an unsupported Metadata version, an
 * undecodable body and a truncated request each close their connection (or, for ApiVersions at an unsupported version,
 * get the KIP-511 answer: UNSUPPORTED_VERSION with the broker's supported ranges), while a producer and a consumer
 * connected to the same broker before any of it keep working after each case.
 */
class MalformedInputIT {

    private static final int MAX_REQUEST_BYTES = 1024 * 1024;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);
    private static final short UNSUPPORTED_VERSION = Short.MAX_VALUE;
    private static final String CANARY_TOPIC = "canary";

    @RegisterExtension
    static final TestBroker broker =
            TestBroker.withConfig(Map.of("socket.request.max.bytes", Integer.toString(MAX_REQUEST_BYTES)));

    private static KafkaProducer<String, String> producer;
    private static KafkaConsumer<String, String> consumer;

    @BeforeAll
    static void connectWellBehavedClients() {
        broker.createTopic(CANARY_TOPIC, 1, Map.of());
        producer = broker.producer();
        consumer = broker.consumer();
        TopicPartition tp = new TopicPartition(CANARY_TOPIC, 0);
        consumer.assign(List.of(tp));
        consumer.seekToEnd(List.of(tp));
        consumer.position(tp);
    }

    @AfterAll
    static void closeWellBehavedClients() {
        if (producer != null) {
            producer.close();
        }
        if (consumer != null) {
            consumer.close();
        }
    }

    /** After every case: the clients connected before it still produce and consume. */
    @AfterEach
    void wellBehavedClientsCarryOn(TestInfo test) throws Exception {
        String value = "after " + test.getDisplayName();
        long offset = producer.send(new ProducerRecord<>(CANARY_TOPIC, 0, "k", value))
                .get()
                .offset();
        ConsumerRecord<String, String> received =
                Await.records(consumer, 1, Duration.ofSeconds(30)).get(0);
        assertThat(received.value()).isEqualTo(value);
        assertThat(received.offset()).isEqualTo(offset);
    }

    @Test
    void wellFormedApiVersionsOnARawSocketIsAnswered() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            ApiVersionsResponseData versions = wire.apiVersions();
            assertThat(versions.apiKeys().find(ApiKeys.PRODUCE.id)).isNotNull();
            assertThat(versions.apiKeys().find(ApiKeys.FETCH.id)).isNotNull();
        }
    }

    @Test
    void randomBytesCloseTheConnection() throws Exception {
        for (int seed = 0; seed < 20; seed++) {
            byte[] garbage = new byte[1024];
            new Random(seed).nextBytes(garbage);
            try (KafkaWire wire = KafkaWire.connect(broker.port())) {
                wire.writeRaw(garbage);
                wire.shutdownOutput();
                assertThat(wire.awaitClosed(CLOSE_TIMEOUT))
                        .as("connection closed after garbage (seed %d)", seed)
                        .isTrue();
            }
        }
    }

    @ParameterizedTest(name = "size {0}")
    @ValueSource(ints = {MAX_REQUEST_BYTES + 1, 64 * 1024 * 1024, Integer.MAX_VALUE, -1, Integer.MIN_VALUE})
    void frameSizeOverTheLimitOrNegativeClosesTheConnectionWithoutWaitingForTheBody(int size) throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            ByteBuffer header = ByteBuffer.allocate(4 + 16).putInt(size);
            wire.writeRaw(header.array());
            assertThat(wire.awaitClosed(CLOSE_TIMEOUT))
                    .as("connection closed after a frame of size %d", size)
                    .isTrue();
        }
    }

    @Test
    void unknownApiKeyClosesTheConnection() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            byte[] clientId = KafkaWire.CLIENT_ID.getBytes(StandardCharsets.UTF_8);
            // Request header v1: api key, api version, correlation id, client id; no body.
            ByteBuffer request = ByteBuffer.allocate(2 + 2 + 4 + 2 + clientId.length)
                    .putShort((short) 9999)
                    .putShort((short) 0)
                    .putInt(wire.nextCorrelationId())
                    .putShort((short) clientId.length)
                    .put(clientId)
                    .flip();
            wire.writeFrame(request);
            assertThat(wire.awaitClosed(CLOSE_TIMEOUT))
                    .as("connection closed after unknown API key 9999")
                    .isTrue();
        }
    }

    @Test
    void apiVersionsAtAnUnsupportedVersionIsAnsweredWithUnsupportedVersionAndTheSupportedRanges() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            int correlationId = wire.nextCorrelationId();
            RequestHeader header =
                    new RequestHeader(ApiKeys.API_VERSIONS, UNSUPPORTED_VERSION, KafkaWire.CLIENT_ID, correlationId);
            // A client newer than the broker: its header announces a version the broker does not know, with a body
            // the broker cannot be expected to parse (here a v3 body).
            ApiVersionsRequestData body = new ApiVersionsRequestData()
                    .setClientSoftwareName("future-client")
                    .setClientSoftwareVersion("99.0");
            wire.writeFrame(RequestUtils.serialize(header.data(), header.headerVersion(), body, (short) 3));

            // KIP-511: the answer is an ApiVersions v0 response (header v0) whatever version was asked for.
            ByteBuffer frame = wire.readFrame(Duration.ofSeconds(30));
            assertThat(ResponseHeader.parse(frame, (short) 0).correlationId()).isEqualTo(correlationId);
            ApiVersionsResponseData response = new ApiVersionsResponseData(new ByteBufferAccessor(frame), (short) 0);
            assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.UNSUPPORTED_VERSION);
            ApiVersion apiVersions = response.apiKeys().find(ApiKeys.API_VERSIONS.id);
            assertThat(apiVersions).as("the broker's ApiVersions range").isNotNull();
            assertThat(apiVersions.minVersion()).isEqualTo((short) 0);
            assertThat(apiVersions.maxVersion()).isGreaterThanOrEqualTo((short) 3);
            assertThat(response.apiKeys().find(ApiKeys.METADATA.id))
                    .as("the broker's Metadata range")
                    .isNotNull();
            assertThat(response.apiKeys().find(ApiKeys.PRODUCE.id))
                    .as("the broker's Produce range")
                    .isNotNull();

            // The client then retries on the same connection at the broker's highest version.
            ApiVersionsResponse retry =
                    (ApiVersionsResponse) wire.send(new ApiVersionsRequest.Builder(), apiVersions.maxVersion());
            assertThat(Errors.forCode(retry.data().errorCode())).isEqualTo(Errors.NONE);
        }
    }

    @Test
    void metadataAtAnUnsupportedVersionClosesTheConnection() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            RequestHeader header = new RequestHeader(
                    ApiKeys.METADATA, UNSUPPORTED_VERSION, KafkaWire.CLIENT_ID, wire.nextCorrelationId());
            MetadataRequestData body = new MetadataRequestData().setTopics(null);
            wire.writeFrame(RequestUtils.serialize(
                    header.data(), header.headerVersion(), body, ApiKeys.METADATA.latestVersion()));
            assertThat(wire.awaitClosed(CLOSE_TIMEOUT))
                    .as("connection closed after Metadata v%d", UNSUPPORTED_VERSION)
                    .isTrue();
        }
    }

    @Test
    void undecodableRequestBodyClosesTheConnection() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            short version = wire.negotiatedVersion(ApiKeys.METADATA);
            RequestHeader header =
                    new RequestHeader(ApiKeys.METADATA, version, KafkaWire.CLIENT_ID, wire.nextCorrelationId());
            MetadataRequest request = new MetadataRequest.Builder(List.of("a", "b"), false).build(version);
            byte[] whole = KafkaWire.toArray(request.serializeWithHeader(header));
            // Keep the header and the first body byte (the start of the topics array), drop the rest: the frame is
            // complete, its body is not.
            byte[] cut = Arrays.copyOf(whole, header.size() + 1);
            wire.writeFrame(ByteBuffer.wrap(cut));
            assertThat(wire.awaitClosed(CLOSE_TIMEOUT))
                    .as("connection closed after a cut Metadata body")
                    .isTrue();
        }
    }

    @Test
    void truncatedRequestFollowedByCloseLeavesTheBrokerServing() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            short version = ApiKeys.API_VERSIONS.latestVersion();
            RequestHeader header =
                    new RequestHeader(ApiKeys.API_VERSIONS, version, KafkaWire.CLIENT_ID, wire.nextCorrelationId());
            byte[] whole = KafkaWire.toArray(
                    new ApiVersionsRequest.Builder().build(version).serializeWithHeader(header));
            // Announce the whole request, send half of it, hang up.
            ByteBuffer partial = ByteBuffer.allocate(4 + whole.length / 2).putInt(whole.length);
            partial.put(whole, 0, whole.length / 2);
            wire.writeRaw(partial.array());
        }
        try (KafkaWire next = KafkaWire.connect(broker.port())) {
            assertThat(next.apiVersions().apiKeys())
                    .as("a new connection is served")
                    .isNotEmpty();
        }
    }
}
