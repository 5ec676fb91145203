package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.strata.testing.Await;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A protocol fuzzer: requests of every API and version the broker advertises (default field values, and real
 * produce, fetch and metadata requests naming a topic that exists), mutated at the byte level (bit flips, interesting
 * integers, truncation, extension, slices cut or repeated), each followed on the same connection by an ApiVersions
 * request. Every fuzzed request must be answered or must close its connection: the ApiVersions answer must arrive, or
 * the connection must close, within the deadline (a request that may legitimately wait, such as a long-poll fetch,
 * gets its connection closed by the test instead). Nothing the broker logs at ERROR may come of it, and afterwards a
 * producer and a consumer still work.
 *
 * <p>{@code -Dstrata.fuzz.requests=N} (default 20,000 in CI) and {@code -Dstrata.fuzz.seed=S} (default fixed, so CI
 * is repeatable) set the run; a long run is {@code bin/strata bench fuzz} (10^6 requests, a random seed).
 */
class ProtocolFuzzIT {

    private static final int REQUESTS = Integer.getInteger("strata.fuzz.requests", 20_000);
    private static final long SEED = Long.getLong("strata.fuzz.seed", 20261204L);
    private static final Duration ANSWER_DEADLINE = Duration.ofSeconds(10);
    private static final String TOPIC = "fuzz";
    private static final int SENTINEL_CORRELATION_ID = Integer.MAX_VALUE;
    private static final int[] INTERESTING_INTS = {
        0,
        1,
        -1,
        2,
        127,
        128,
        255,
        256,
        32_767,
        32_768,
        65_535,
        65_536,
        Integer.MAX_VALUE,
        Integer.MIN_VALUE,
        1 << 30,
        -2
    };

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "group.initial.rebalance.delay.ms", "0", "socket.request.max.bytes", Integer.toString(4 * 1024 * 1024)));

    private static final ListAppender<ILoggingEvent> errors = new ListAppender<>();
    private static Logger brokerLogger;

    @BeforeAll
    static void createTopicAndCaptureErrors() throws Exception {
        broker.createTopic(TOPIC, 2, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % 2, "k" + i, "v" + i));
            }
            producer.flush();
        }
        brokerLogger = (Logger) LoggerFactory.getLogger("dev.strata");
        errors.start();
        brokerLogger.addAppender(errors);
    }

    @AfterAll
    static void stopCapturing() {
        brokerLogger.detachAppender(errors);
        errors.stop();
    }

    @Test
    void everyMutatedRequestIsAnsweredOrClosesItsConnectionAndTheBrokerKeepsServing() throws Exception {
        Random random = new Random(SEED);
        List<byte[]> seeds;
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            seeds = seeds(wire.apiVersions().apiKeys());
        }
        Map<String, Integer> outcomes = new TreeMap<>();
        KafkaWire wire = KafkaWire.connect(broker.port());
        try {
            for (int i = 0; i < REQUESTS; i++) {
                byte[] request = mutate(seeds.get(random.nextInt(seeds.size())), random);
                Outcome outcome = send(wire, request);
                outcomes.merge(outcome.name(), 1, Integer::sum);
                if (outcome == Outcome.HUNG) {
                    throw new AssertionError("No answer and no close within " + ANSWER_DEADLINE + " for request " + i
                            + " (seed " + SEED + "): " + HexFormat.of().formatHex(request));
                }
                if (outcome != Outcome.ANSWERED) {
                    wire.close();
                    wire = KafkaWire.connect(broker.port());
                }
            }
        } finally {
            wire.close();
        }
        System.out.printf("ProtocolFuzzIT: %d requests, seed %d, outcomes %s%n", REQUESTS, SEED, outcomes);

        List<String> logged;
        synchronized (errors.list) {
            logged = errors.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                    .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()
                            + (e.getThrowableProxy() == null
                                    ? ""
                                    : " (" + e.getThrowableProxy().getClassName() + ": "
                                            + e.getThrowableProxy().getMessage() + ")"))
                    .toList();
        }
        Map<String, Long> distinct =
                logged.stream().collect(Collectors.groupingBy(m -> m, TreeMap::new, Collectors.counting()));
        assertThat(distinct)
                .as("errors the broker logged while fuzzed (seed %d)", SEED)
                .isEmpty();
        assertTheBrokerStillServes();
    }

    private enum Outcome {
        ANSWERED,
        CLOSED,
        /** A request that may legitimately wait (a long-poll fetch, a join waiting for its group) was given up on. */
        PARKED,
        HUNG
    }

    /** Sends one fuzzed request and then an ApiVersions request, and waits for that answer or the close. */
    private static Outcome send(KafkaWire wire, byte[] request) throws IOException {
        try {
            wire.writeFrame(ByteBuffer.wrap(request));
            wire.writeFrame(sentinel());
        } catch (SocketException e) {
            return Outcome.CLOSED;
        }
        long deadline = System.nanoTime() + ANSWER_DEADLINE.toNanos();
        while (true) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                return mayWait(request) ? Outcome.PARKED : Outcome.HUNG;
            }
            try {
                ByteBuffer response = wire.readFrame(Duration.ofMillis(leftMs));
                if (response.remaining() >= 4 && response.getInt(0) == SENTINEL_CORRELATION_ID) {
                    return Outcome.ANSWERED;
                }
            } catch (SocketTimeoutException e) {
                return mayWait(request) ? Outcome.PARKED : Outcome.HUNG;
            } catch (EOFException | SocketException e) {
                return Outcome.CLOSED;
            }
        }
    }

    /** Whether the broker may hold this request for a long time by design (Fetch's max wait, JoinGroup, SyncGroup). */
    private static boolean mayWait(byte[] request) {
        if (request.length < 2) {
            return false;
        }
        short apiKey = ByteBuffer.wrap(request).getShort(0);
        return apiKey == ApiKeys.FETCH.id || apiKey == ApiKeys.JOIN_GROUP.id || apiKey == ApiKeys.SYNC_GROUP.id;
    }

    private static ByteBuffer sentinel() {
        return serialize(
                new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "fuzz-sentinel", SENTINEL_CORRELATION_ID),
                new ApiVersionsRequestData().setClientSoftwareName("fuzz").setClientSoftwareVersion("1"),
                (short) 3);
    }

    /** Each advertised API at every version with default values, and a few real requests naming the topic. */
    private static List<byte[]> seeds(Iterable<ApiVersion> ranges) {
        List<byte[]> seeds = new ArrayList<>();
        int correlationId = 1;
        for (ApiVersion range : ranges) {
            ApiKeys key = ApiKeys.forId(range.apiKey());
            for (short v = range.minVersion(); v <= range.maxVersion(); v++) {
                for (ApiMessage body : bodies(key)) {
                    try {
                        seeds.add(bytes(serialize(new RequestHeader(key, v, "fuzz", correlationId++), body, v)));
                    } catch (RuntimeException e) {
                        // a body this version cannot carry (a field added later): not a seed at this version
                    }
                }
            }
        }
        return seeds;
    }

    private static List<ApiMessage> bodies(ApiKeys key) {
        List<ApiMessage> bodies = new ArrayList<>();
        bodies.add(ApiMessageType.fromApiKey(key.id).newRequest());
        switch (key) {
            case PRODUCE -> {
                MemoryRecords records = MemoryRecords.withRecords(
                        org.apache.kafka.common.compress.Compression.NONE,
                        new SimpleRecord(System.currentTimeMillis(), "key".getBytes(), "value".getBytes()));
                ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(TOPIC);
                topic.partitionData()
                        .add(new ProduceRequestData.PartitionProduceData()
                                .setIndex(0)
                                .setRecords(records));
                ProduceRequestData produce =
                        new ProduceRequestData().setAcks((short) 1).setTimeoutMs(1_000);
                produce.topicData().add(topic);
                bodies.add(produce);
            }
            case FETCH -> {
                FetchRequestData fetch = new FetchRequestData()
                        .setMaxWaitMs(100)
                        .setMinBytes(1)
                        .setMaxBytes(1 << 20)
                        .setReplicaId(-1);
                fetch.topics()
                        .add(new FetchRequestData.FetchTopic()
                                .setTopic(TOPIC)
                                .setTopicId(Uuid.ZERO_UUID)
                                .setPartitions(List.of(new FetchRequestData.FetchPartition()
                                        .setPartition(1)
                                        .setFetchOffset(3)
                                        .setPartitionMaxBytes(1 << 16))));
                bodies.add(fetch);
            }
            case METADATA -> bodies.add(new MetadataRequestData()
                    .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC)))
                    .setAllowAutoTopicCreation(false));
            default -> {}
        }
        return bodies;
    }

    private static ByteBuffer serialize(RequestHeader header, ApiMessage body, short version) {
        RequestHeaderData headerData = header.data();
        short headerVersion = header.headerVersion();
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = headerData.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(size);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        headerData.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        return buffer.flip();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** One to four byte-level mutations; the API key and version are kept most of the time. */
    static byte[] mutate(byte[] seed, Random random) {
        byte[] out = seed.clone();
        int mutations = 1 + random.nextInt(4);
        int protectedPrefix = random.nextInt(10) < 8 ? Math.min(4, out.length) : 0;
        for (int m = 0; m < mutations; m++) {
            int span = out.length - protectedPrefix;
            int at = protectedPrefix + (span <= 0 ? 0 : random.nextInt(span));
            switch (random.nextInt(7)) {
                case 0 -> {
                    if (span > 0) {
                        out[at] ^= (byte) (1 << random.nextInt(8));
                    }
                }
                case 1 -> {
                    if (span > 0) {
                        out[at] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, 0x01}[random.nextInt(5)];
                    }
                }
                case 2 -> {
                    if (out.length - at >= 4 && span > 0) {
                        ByteBuffer.wrap(out).putInt(at, INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)]);
                    }
                }
                case 3 -> out = java.util.Arrays.copyOf(out, protectedPrefix + (span <= 0 ? 0 : random.nextInt(span)));
                case 4 -> {
                    byte[] longer = java.util.Arrays.copyOf(out, out.length + 1 + random.nextInt(16));
                    for (int i = out.length; i < longer.length; i++) {
                        longer[i] = (byte) random.nextInt(256);
                    }
                    out = longer;
                }
                case 5 -> {
                    if (span > 1) {
                        int len = 1 + random.nextInt(Math.min(16, out.length - at));
                        byte[] cut = new byte[out.length - len];
                        System.arraycopy(out, 0, cut, 0, at);
                        System.arraycopy(out, at + len, cut, at, out.length - at - len);
                        out = cut;
                    }
                }
                default -> {
                    if (span > 1) {
                        int len = 1 + random.nextInt(Math.min(16, out.length - at));
                        byte[] grown = new byte[out.length + len];
                        System.arraycopy(out, 0, grown, 0, at + len);
                        System.arraycopy(out, at, grown, at + len, out.length - at);
                        out = grown;
                    }
                }
            }
        }
        return out;
    }

    private static void assertTheBrokerStillServes() throws Exception {
        String value = "after-the-fuzz";
        try (KafkaProducer<String, String> producer = broker.producer()) {
            producer.send(new ProducerRecord<>(TOPIC, 0, "k", value)).get();
        }
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            long end = consumer.position(tp);
            consumer.seek(tp, end - 1);
            assertThat(Await.records(consumer, 1, Duration.ofSeconds(30)).get(0).value())
                    .isEqualTo(value);
        }
    }
}
