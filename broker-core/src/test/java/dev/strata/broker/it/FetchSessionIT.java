package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Await;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Incremental fetch sessions (KIP-227) against a real broker: an idle session's fetch answers no partitions, what that
 * saves on the wire with 1,000 partitions, and a real consumer that reads every record exactly once across the
 * eviction of its session and a broker restart. The cache has two slots, so a larger session evicts the consumer's.
 *
 * <p>The CPU figure it prints (FETCH-SESSION-MEASURE) is a measurement, not an assertion: CI times 20 idle fetches of
 * each kind, the README's figure comes from {@code -Dstrata.fetchsession.rounds=200}. The 1,000-partition topic is
 * deleted once measured, so the broker's restart and shutdown load and close only the consumer's 200 partitions.
 */
class FetchSessionIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** Idle fetches timed per kind (sessionless, incremental) for the printed CPU figure. */
    private static final int MEASURED_ROUNDS = Integer.getInteger("strata.fetchsession.rounds", 20);

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            BrokerConfig.MAX_INCREMENTAL_FETCH_SESSION_CACHE_SLOTS,
            "2",
            BrokerConfig.METRICS_PROMETHEUS_LISTENER,
            "127.0.0.1:0"));

    /** One fetch exchanged by hand, with its sizes on the wire (size prefix included). */
    private record Exchange(FetchResponseData response, int requestBytes, int responseBytes) {}

    private static Exchange fetch(KafkaWire wire, FetchRequestData data) throws Exception {
        short version = wire.negotiatedVersion(ApiKeys.FETCH);
        RequestHeader header = new RequestHeader(ApiKeys.FETCH, version, KafkaWire.CLIENT_ID, wire.nextCorrelationId());
        ByteBuffer request = new FetchRequest(data, version).serializeWithHeader(header);
        int requestBytes = 4 + request.remaining();
        wire.writeFrame(request);
        ByteBuffer frame = wire.readFrame(Duration.ofSeconds(30));
        int responseBytes = 4 + frame.remaining();
        FetchResponse response = (FetchResponse) AbstractResponse.parseResponse(frame, header);
        return new Exchange(response.data(), requestBytes, responseBytes);
    }

    /** A fetch at the end of every partition of {@code topicId}, answering at once. */
    private static FetchRequestData atEnd(int sessionId, int epoch, Uuid topicId, int partitions, long offset) {
        FetchTopic topic = new FetchTopic().setTopicId(topicId);
        for (int p = 0; p < partitions; p++) {
            topic.partitions()
                    .add(new FetchPartition()
                            .setPartition(p)
                            .setFetchOffset(offset)
                            .setPartitionMaxBytes(1 << 20));
        }
        return new FetchRequestData()
                .setReplicaId(-1)
                .setMaxWaitMs(0)
                .setMinBytes(0)
                .setMaxBytes(50 << 20)
                .setSessionId(sessionId)
                .setSessionEpoch(epoch)
                .setTopics(epoch > 0 ? List.of() : List.of(topic));
    }

    private static int partitionCount(FetchResponseData response) {
        return response.responses().stream()
                .mapToInt(t -> t.partitions().size())
                .sum();
    }

    private static Uuid topicId(String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            return admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get()
                    .get(topic)
                    .topicId();
        }
    }

    private static void produceOnePerPartition(String topic, int partitions) {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int p = 0; p < partitions; p++) {
                producer.send(new ProducerRecord<>(topic, p, "k", "v" + p));
            }
            producer.flush();
        }
    }

    @Test
    void anIdleSessionsSecondFetchAnswersNoPartitionsAndSavesBytesOnTheWire() throws Exception {
        int partitions = 1000;
        broker.createTopic("wide", partitions, Map.of());
        produceOnePerPartition("wide", partitions);
        Uuid id = topicId("wide");
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            Exchange sessionless = fetch(wire, atEnd(0, -1, id, partitions, 1));
            assertThat(sessionless.response().sessionId()).isZero();
            assertThat(partitionCount(sessionless.response())).isEqualTo(partitions);

            Exchange initial = fetch(wire, atEnd(0, 0, id, partitions, 1));
            int session = initial.response().sessionId();
            assertThat(session).isNotZero();
            assertThat(partitionCount(initial.response())).isEqualTo(partitions);

            Exchange idle = fetch(wire, atEnd(session, 1, id, partitions, 1));
            assertThat(idle.response().errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(idle.response().sessionId()).isEqualTo(session);
            assertThat(idle.response().responses()).as("nothing changed").isEmpty();

            int rounds = MEASURED_ROUNDS;
            long sessionlessCpu = cpuNanos(() -> {
                for (int i = 0; i < rounds; i++) {
                    fetch(wire, atEnd(0, -1, id, partitions, 1));
                }
            });
            long incrementalCpu = cpuNanos(() -> {
                for (int i = 0; i < rounds; i++) {
                    assertThat(fetch(wire, atEnd(session, 2 + i, id, partitions, 1))
                                    .response()
                                    .responses())
                            .isEmpty();
                }
            });
            System.out.printf(
                    "FETCH-SESSION-MEASURE partitions=%d sessionless request=%d B response=%d B;"
                            + " incremental idle request=%d B response=%d B;"
                            + " process CPU per idle fetch (broker and this client) sessionless=%d us incremental=%d us%n",
                    partitions,
                    sessionless.requestBytes(),
                    sessionless.responseBytes(),
                    idle.requestBytes(),
                    idle.responseBytes(),
                    sessionlessCpu / rounds / 1000,
                    incrementalCpu / rounds / 1000);
            assertThat(idle.responseBytes()).isLessThan(sessionless.responseBytes() / 100);
            assertThat(idle.requestBytes()).isLessThan(sessionless.requestBytes() / 100);

            // closes it, so the consumer test below finds both slots free
            assertThat(fetch(wire, atEnd(session, -1, id, 1, 1)).response().sessionId())
                    .isZero();
        }
        try (Admin admin = broker.admin()) {
            admin.deleteTopics(List.of("wide")).all().get();
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static long cpuNanos(Work work) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long before = os.getProcessCpuTime();
        work.run();
        return os.getProcessCpuTime() - before;
    }

    @Test
    void aConsumerReadsEveryRecordOnceAcrossASessionEvictionAndABrokerRestart() throws Exception {
        String topic = "many";
        int partitions = 200;
        broker.createTopic(topic, partitions, Map.of());
        Map<String, Integer> seen = new HashMap<>();
        List<TopicPartition> all = IntStream.range(0, partitions)
                .mapToObj(p -> new TopicPartition(topic, p))
                .toList();
        int sent = 0;
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(all);
            sent += produce(topic, partitions, sent, 400);
            pollUntil(consumer, seen, sent);

            // two larger sessions take both slots: the consumer's smaller session is evicted
            Uuid id = topicId(topic);
            try (KafkaWire a = KafkaWire.connect(broker.port());
                    KafkaWire b = KafkaWire.connect(broker.port())) {
                // one partition more than the topic has (answered UNKNOWN_TOPIC_OR_PARTITION), so they are larger
                assertThat(fetch(a, atEnd(0, 0, id, partitions + 1, 0))
                                .response()
                                .sessionId())
                        .isNotZero();
                assertThat(fetch(b, atEnd(0, 0, id, partitions + 1, 0))
                                .response()
                                .sessionId())
                        .isNotZero();
            }
            Await.until(
                    TIMEOUT,
                    "the consumer's session is evicted",
                    () -> metric("strata_fetch_session_evictions_total") >= 1.0,
                    () -> PrometheusScrape.samples(broker.metricsPort()).entrySet().stream()
                            .filter(e -> e.getKey().contains("fetch"))
                            .toList()
                            .toString());
            assertThat(metric("strata_fetch_sessions"))
                    .as("bounded by the slots")
                    .isEqualTo(2.0);
            sent += produce(topic, partitions, sent, 400);
            pollUntil(consumer, seen, sent);

            broker.restart();
            sent += produce(topic, partitions, sent, 400);
            pollUntil(consumer, seen, sent);
        }
        assertThat(seen).hasSize(sent);
        assertThat(seen.values()).allMatch(n -> n == 1, "every record exactly once");
    }

    private static double metric(String name) {
        return PrometheusScrape.samples(broker.metricsPort()).getOrDefault(name, -1.0);
    }

    private static int produce(String topic, int partitions, int from, int count) {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, "v" + i));
            }
            producer.flush();
        }
        return count;
    }

    private static void pollUntil(KafkaConsumer<String, String> consumer, Map<String, Integer> seen, int total) {
        List<String> duplicates = new ArrayList<>();
        Await.until(TIMEOUT, "the consumer reads " + total + " records", () -> {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                if (seen.merge(r.key(), 1, Integer::sum) > 1) {
                    duplicates.add(r.key());
                }
            }
            return seen.size() >= total;
        });
        assertThat(duplicates).as("records read twice").isEmpty();
    }
}
