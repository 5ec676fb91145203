package dev.strata.broker.it;

import static dev.strata.broker.it.Tiering.offset;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.it.TieredBucket.SegmentObjects;
import dev.strata.testing.Await;
import dev.strata.testing.S3Store;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tiered storage to an S3 store end to end, through one broker tiering with {@code S3RemoteStorageManager}: tens of
 * MiB written with the real producer in 1 MiB segments leave the broker's disk for the bucket, the bucket (read with an
 * independent S3 client) holds every record byte for byte, and consumers, a consumer group and ListOffsets by
 * timestamp read them back through the remote tier; deleting the topic empties its part of the bucket.
 *
 * <p>Subclasses supply the store; the broker, started once per class, tiers with short task intervals and a small
 * chunk size, so that remote reads are ranged reads of the segment objects. Subclasses may add scenarios that share
 * it, each on a topic of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class S3TieredStorageContract {

    static final String BUCKET = "strata-tier";
    static final String KEY_PREFIX = "cluster-it/";
    static final Duration TIMEOUT = Duration.ofSeconds(120);
    static final int MIB = 1024 * 1024;

    private static final int SEGMENT_BYTES = MIB;
    private static final int VALUE_BYTES = 4096;
    /** 24 MiB of values. */
    private static final int RECORDS = 6 * 1024;

    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;

    TestBroker broker;
    TieredBucket bucket;

    /** The S3 store of this class's tests. */
    S3Store store;

    /** Starts the store; called once per class, and {@link S3Store#close() closed} after its tests. */
    abstract S3Store startStore() throws Exception;

    @BeforeAll
    void startStoreAndBroker() throws Exception {
        store = startStore();
        bucket = new TieredBucket(store.url(), store.accessKey(), store.secretKey(), BUCKET);
        bucket.create();
        // a store that is down fails a copy within a second, and the broker retries it after its own backoff
        Map<String, String> config = bucket.fastFailingBrokerSettings(KEY_PREFIX);
        config.put("remote.log.chunk.size", Integer.toString(256 * 1024));
        config.put("remote.log.chunk.cache.memory.bytes", Integer.toString(32 * MIB));
        broker = TestBroker.withConfig(config);
        broker.start();
    }

    @AfterAll
    void stopBrokerAndStore() throws Exception {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            if (store != null) {
                store.close();
            }
        }
    }

    @Test
    void tensOfMegabytesGoToTheBucketAndComeBackByteForByte() throws Exception {
        String topic = "e2e";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        try (KafkaProducer<String, String> producer =
                broker.producer(Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024))) {
            Tiering.produce(producer, topic, 0, RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
        }

        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            long localStart = offset(admin, tp, OffsetSpec.earliestLocal());
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isZero();
            assertThat(offset(admin, tp, OffsetSpec.latest())).isEqualTo(RECORDS);
            assertThat(Tiering.localLogFiles(broker.logDir(), tp))
                    .as("local segments left")
                    .isOne();

            String prefix = TieredBucket.partitionPrefix(KEY_PREFIX, topic, Tiering.topicId(admin, topic), 0);
            List<SegmentObjects> segments = bucket.segments(prefix);
            assertThat(segments).as("segments in the bucket").hasSizeGreaterThan(20);
            long next = 0;
            for (SegmentObjects segment : segments) {
                assertThat(segment.keys().keySet()).isEqualTo(TieredBucket.SEGMENT_SUFFIXES);
                assertThat(segment.startOffset())
                        .as("start of %s", segment.logKey())
                        .isEqualTo(next);
                byte[] log = bucket.read(segment.logKey());
                assertThat(TieredBucket.sha256(log))
                        .as("SHA-256 of %s", segment.logKey())
                        .isEqualTo(bucket.storedSha256(segment.logKey()));
                next = assertHoldsRecordsFrom(log, next);
            }
            assertThat(next).as("the bucket ends where the local log starts").isEqualTo(localStart);

            // by timestamp: into the remote tier (first record, segment starts, the middle, its last record), then
            // the local log, then past the end
            for (long target : List.of(
                    0L,
                    1L,
                    segments.get(1).startOffset(),
                    segments.get(segments.size() / 2).startOffset() + 7,
                    localStart - 1,
                    localStart,
                    RECORDS - 1L)) {
                assertThat(offset(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + target)))
                        .as("offset for the timestamp of %d", target)
                        .isEqualTo(target);
            }
            assertThat(offset(admin, tp, OffsetSpec.forTimestamp(BASE_TIMESTAMP + RECORDS)))
                    .isEqualTo(-1);

            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                List<ConsumerRecord<String, String>> records = Await.records(consumer, RECORDS, TIMEOUT);
                assertThat(records).hasSize(RECORDS);
                Tiering.assertRecords(records, 0, VALUE_BYTES, BASE_TIMESTAMP);
            }

            String group = "replay-from-the-beginning";
            try (KafkaConsumer<String, String> member =
                    broker.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
                member.subscribe(List.of(topic));
                List<ConsumerRecord<String, String>> records = Await.records(member, RECORDS, TIMEOUT);
                assertThat(records).hasSize(RECORDS);
                Tiering.assertRecords(records, 0, VALUE_BYTES, BASE_TIMESTAMP);
                member.commitSync();
            }
            assertThat(admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata()
                            .get()
                            .get(tp)
                            .offset())
                    .isEqualTo(RECORDS);

            admin.deleteTopics(List.of(topic)).all().get();
            Await.until(TIMEOUT, "the objects of the deleted topic to go", () -> bucket.keys(prefix)
                    .isEmpty());
        }
    }

    /**
     * Asserts that a segment's log object holds valid batches of the records from offset {@code first} on, byte for
     * byte, and returns the offset after its last.
     */
    private static long assertHoldsRecordsFrom(byte[] log, long first) {
        long next = first;
        for (MutableRecordBatch batch :
                MemoryRecords.readableRecords(ByteBuffer.wrap(log)).batches()) {
            batch.ensureValid();
            for (Record record : batch) {
                assertThat(record.offset()).isEqualTo(next);
                assertThat(record.timestamp()).isEqualTo(BASE_TIMESTAMP + next);
                assertThat(Utils.toArray(record.key()))
                        .isEqualTo(Tiering.key(next).getBytes(StandardCharsets.UTF_8));
                assertThat(Utils.toArray(record.value()))
                        .as("value at %d", next)
                        .isEqualTo(Tiering.value(next, VALUE_BYTES).getBytes(StandardCharsets.UTF_8));
                next++;
            }
        }
        return next;
    }
}
