package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.Await;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.tiering.EncryptedRemoteStorage;
import dev.strata.tiering.RemoteEncryptionConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-side encryption of the remote tier against S3Proxy, with the real producer and consumer, over one log
 * directory and one bucket that three brokers use in turn: the first tiers in the clear, the second encrypts under key
 * {@code k1}, the third has rotated to {@code k2} and still holds {@code k1}. Every record written once encryption was
 * on is absent from every object in the bucket, yet all of them, plaintext, {@code k1} and {@code k2} segments alike,
 * read back from offset 0 and from the middle of a segment through ranged reads. Last, a broker without {@code k1}
 * fails the fetches of its segments with an error naming the key and returns no record of them. In between, a broker
 * that lost its remote index rebuilds it from the bucket's manifests, sealed ones included, and reads everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EncryptedTierIT {

    private static final String BUCKET = "strata-encrypted";
    private static final String KEY_PREFIX = "enc/";
    private static final String TOPIC = "encrypted";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final int SEGMENT_BYTES = 128 * 1024;
    private static final int VALUE_BYTES = 1024;
    /** About two and a half segments per phase. */
    private static final int PER_PHASE = 300;

    private static final String PLAIN_MARKER = "PLAINTEXT-PHASE-RECORD";
    private static final String SECRET_MARKER = "ENCRYPTED-PHASE-RECORD";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    private S3ProxyEndpoint proxy;
    private TieredBucket bucket;
    private TestBroker broker;
    private Path logDir;
    private String prefix;

    @BeforeAll
    void tierInTheClearThenUnderK1ThenUnderK2() throws Exception {
        proxy = S3ProxyEndpoint.onDisk(dir.resolve("blobs"));
        bucket = new TieredBucket(proxy.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY, BUCKET);
        bucket.create();
        logDir = dir.resolve("data");
        Path k1 = keyFile("k1.properties", "k1");
        Path k1k2 = keyFile("k1k2.properties", "k1", "k2");

        broker = start(Map.of());
        broker.createTopic(TOPIC, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        produce(0, PLAIN_MARKER);
        awaitTiered();
        try (Admin admin = broker.admin()) {
            prefix = TieredBucket.partitionPrefix(KEY_PREFIX, TOPIC, Tiering.topicId(admin, TOPIC), 0);
        }

        restart(encryption("k1", k1));
        produce(PER_PHASE, SECRET_MARKER);
        awaitTiered();

        restart(encryption("k2", k1k2));
        produce(2 * PER_PHASE, SECRET_MARKER);
        awaitTiered();
    }

    @AfterAll
    void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    @Order(1)
    void noObjectHoldsARecordWrittenWhileEncryptionWasOn() {
        List<String> keys = bucket.keys(prefix);
        assertThat(keys).hasSizeGreaterThan(4);
        List<String> plain = new ArrayList<>();
        for (String key : keys) {
            String bytes = new String(bucket.read(key), StandardCharsets.ISO_8859_1);
            assertThat(bytes).as(key).doesNotContain(SECRET_MARKER);
            if (bytes.contains(PLAIN_MARKER)) {
                plain.add(key);
            }
        }
        // the scan finds plaintext where there is some: the segments tiered before encryption was turned on
        assertThat(plain).isNotEmpty().allMatch(key -> key.endsWith(".log"));
    }

    @Test
    @Order(2)
    void everyRecordReadsBackFromOffsetZeroThroughTheRemoteTier() throws Exception {
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(TP));
            consumer.seek(TP, 0);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 3 * PER_PHASE, TIMEOUT);
            assertThat(records).hasSize(3 * PER_PHASE);
            for (ConsumerRecord<String, String> record : records) {
                assertThat(record.value()).isEqualTo(value(record.offset()));
            }
        }
    }

    @Test
    @Order(3)
    void aReadFromTheMiddleOfAnEncryptedRemoteSegmentIsARangedRead() throws Exception {
        for (long from : new long[] {PER_PHASE + 157, 2 * PER_PHASE + 211}) {
            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(TP));
                consumer.seek(TP, from);
                List<ConsumerRecord<String, String>> records = Await.records(consumer, 20, TIMEOUT);
                assertThat(records.get(0).offset()).isEqualTo(from);
                records.forEach(r -> assertThat(r.value()).isEqualTo(value(r.offset())));
            }
        }
    }

    @Test
    @Order(4)
    void aLostRemoteIndexIsRebuiltFromTheSealedManifestsAndReadsBack() throws Exception {
        broker.close();
        Path index = logDir.resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME);
        assertThat(index).isDirectory();
        TestBroker.deleteRecursively(index);
        broker = start(encryption("k2", keyFile("k1k2.properties", "k1", "k2")));

        // only the rebuilt index knows the remote segments: without it the read would start at the local log
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(TP));
            consumer.seek(TP, 0);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 3 * PER_PHASE, TIMEOUT);
            assertThat(records.get(0).offset()).isZero();
            assertThat(records).extracting(ConsumerRecord::offset).doesNotHaveDuplicates();
            records.forEach(r -> assertThat(r.value()).isEqualTo(value(r.offset())));
        }
    }

    @Test
    @Order(5)
    void withoutK1TheFetchFailsNamingTheKeyAndReturnsNoRecordWhileOtherSegmentsStayReadable() throws Exception {
        restart(encryption("k2", keyFile("k2.properties", "k2")));
        // sealed and copied while the second broker ran: under k1
        long underK1 = PER_PHASE + 100;
        try (CapturedWarnings warnings = CapturedWarnings.of(EncryptedRemoteStorage.class);
                KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(TP));
            consumer.seek(TP, underK1);
            List<ConsumerRecord<String, String>> delivered = new ArrayList<>();
            Await.until(TIMEOUT, "a warning naming key k1", () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(delivered::add);
                return warnings.messages().stream().anyMatch(m -> m.contains("'k1'"));
            });
            consumer.poll(Duration.ofMillis(500)).forEach(delivered::add);
            assertThat(delivered).as("records served without their key").isEmpty();
            assertThat(consumer.position(TP)).isEqualTo(underK1);
        }
        for (long from : new long[] {5, 2 * PER_PHASE + 5}) {
            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(TP));
                consumer.seek(TP, from);
                List<ConsumerRecord<String, String>> records = Await.records(consumer, 10, TIMEOUT);
                records.forEach(r -> assertThat(r.value()).isEqualTo(value(r.offset())));
            }
        }
    }

    private TestBroker start(Map<String, String> encryption) throws Exception {
        Map<String, String> config = new HashMap<>(bucket.brokerSettings(KEY_PREFIX));
        config.put("log.dirs", logDir.toString());
        config.put("remote.log.manager.task.interval.ms", "200");
        config.put("log.retention.check.interval.ms", "200");
        // small cache chunks: remote reads are ranged reads of a few encrypted chunks
        config.put("remote.log.chunk.size", Integer.toString(16 * 1024));
        config.put(RemoteEncryptionConfig.CHUNK_SIZE_CONFIG, Integer.toString(4096));
        config.putAll(encryption);
        TestBroker started = TestBroker.withConfig(config);
        started.start();
        return started;
    }

    private void restart(Map<String, String> encryption) throws Exception {
        broker.close();
        broker = start(encryption);
    }

    private static Map<String, String> encryption(String activeKey, Path keyFile) {
        return Map.of(
                RemoteEncryptionConfig.ENABLE_CONFIG,
                "true",
                RemoteEncryptionConfig.ACTIVE_KEY_ID_CONFIG,
                activeKey,
                RemoteEncryptionConfig.KEY_FILE_CONFIG,
                keyFile.toString());
    }

    private static Path keyFile(String name, String... ids) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (String id : ids) {
            byte[] key = new byte[32];
            new Random(id.hashCode()).nextBytes(key);
            lines.append(id)
                    .append('=')
                    .append(Base64.getEncoder().encodeToString(key))
                    .append('\n');
        }
        return Files.writeString(dir.resolve(name), lines);
    }

    private void produce(long from, String marker) throws InterruptedException, ExecutionException {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            for (long offset = from; offset < from + PER_PHASE; offset++) {
                sends.add(producer.send(new ProducerRecord<>(TOPIC, 0, null, value(offset))));
            }
            producer.flush();
            for (int i = 0; i < sends.size(); i++) {
                assertThat(sends.get(i).get().offset()).isEqualTo(from + i);
            }
        }
    }

    private void awaitTiered() {
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, logDir, TP, TIMEOUT);
            assertThat(Tiering.offset(admin, TP, OffsetSpec.earliestLocal())).isPositive();
        }
    }

    /** The value at {@code offset}: its phase's marker, then incompressible filler. */
    private static String value(long offset) {
        String marker = offset < PER_PHASE ? PLAIN_MARKER : SECRET_MARKER;
        return marker + ":" + Tiering.value(offset, VALUE_BYTES);
    }
}
