package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Apache Kafka ignores bytes after a request body that decoded in full, and some clients rely on it (librdkafka 2.x
 * sends three stray bytes after its Metadata v13 request). For every API and version range end the broker advertises,
 * a request with three bytes after its body is answered, and the connection stays usable.
 */
class TrailingBytesIT {

    private static final byte[] TRAILING = {0x01, 0x02, 0x03};

    @RegisterExtension
    static final TestBroker broker = TestBroker.create();

    @Test
    void everyAdvertisedApiIgnoresBytesAfterItsBodyAndKeepsTheConnection() throws IOException {
        List<String> answered = new ArrayList<>();
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            for (ApiVersion range : wire.apiVersions().apiKeys()) {
                ApiKeys key = ApiKeys.forId(range.apiKey());
                for (short version : new short[] {range.minVersion(), range.maxVersion()}) {
                    int correlationId = wire.nextCorrelationId();
                    wire.writeFrame(withTrailingBytes(key, version, correlationId));
                    ByteBuffer response = wire.readFrame(Duration.ofSeconds(30));
                    assertThat(ResponseHeader.parse(response, key.responseHeaderVersion(version))
                                    .correlationId())
                            .as("correlation id of the %s v%d response", key, version)
                            .isEqualTo(correlationId);
                    answered.add(key.name + " v" + version);
                }
            }
            // still usable after all of that
            ApiVersionsResponse again = (ApiVersionsResponse)
                    wire.send(new ApiVersionsRequest.Builder(), ApiKeys.API_VERSIONS.latestVersion());
            assertThat(again.data().errorCode()).isZero();
        }
        assertThat(answered).contains("Metadata v13", "Produce v13", "Fetch v18");
    }

    /** A request of {@code key} at {@code version} with its default field values, followed by three stray bytes. */
    private static ByteBuffer withTrailingBytes(ApiKeys key, short version, int correlationId) {
        ApiMessage body = ApiMessageType.fromApiKey(key.id).newRequest();
        if (body instanceof ProduceRequestData produce) {
            produce.setAcks((short) 1).setTimeoutMs(1_000); // acks=0 would get no response
        }
        if (body instanceof DescribeAclsRequestData describeAcls) {
            // the default filter is all UNKNOWN, which kafka-clients refuses to parse (and Kafka closes the connection)
            describeAcls
                    .setResourceTypeFilter(ResourceType.ANY.code())
                    .setPatternTypeFilter(PatternType.ANY.code())
                    .setOperation(AclOperation.ANY.code())
                    .setPermissionType(AclPermissionType.ANY.code());
        }
        RequestHeader header = new RequestHeader(key, version, KafkaWire.CLIENT_ID, correlationId);
        RequestHeaderData headerData = header.data();
        short headerVersion = header.headerVersion();
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = headerData.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(size + TRAILING.length);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        headerData.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        buffer.put(TRAILING).flip();
        return buffer;
    }
}
