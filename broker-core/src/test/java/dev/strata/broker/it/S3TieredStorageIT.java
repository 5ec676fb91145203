package dev.strata.broker.it;

import static dev.strata.broker.it.Tiering.offset;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.it.TieredBucket.SegmentObjects;
import dev.strata.testing.Await;
import dev.strata.testing.CountingBlobStore;
import dev.strata.testing.S3ProxyEndpoint;
import dev.strata.testing.S3Store;
import dev.strata.tiering.RemoteLogReader;
import dev.strata.tiering.ThreadNiceness;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end scenario against S3Proxy in this JVM, plus what only a store the test controls can show, each on a
 * topic of its own on the shared broker: remote retention deleting objects, the store going down and coming back,
 * and log objects corrupted, truncated or replaced without their digest in the bucket, which must stop a consumer with
 * an error (and a warning in the broker's log), never deliver wrong records.
 */
class S3TieredStorageIT extends S3TieredStorageContract {

    private static final int SEGMENT_BYTES = 256 * 1024;
    private static final int VALUE_BYTES = 1024;
    /** About four segments. */
    private static final int BATCH_OF_RECORDS = 1024;

    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;
    /** A consumer that does not check CRCs itself: only the broker stands between it and corrupt data. */
    private static final Map<String, Object> TRUSTING = Map.of(ConsumerConfig.CHECK_CRCS_CONFIG, false);

    /** S3Proxy keeps the blobs on disk here: tens of megabytes stay out of the heap. */
    @TempDir
    static Path blobDir;

    private S3ProxyEndpoint proxy;
    /** Every request the broker makes, for the scenarios that count them. */
    private CountingBlobStore requests;

    @Override
    S3Store startStore() throws Exception {
        requests = CountingBlobStore.onDisk(blobDir);
        proxy = S3ProxyEndpoint.over(requests);
        return proxy;
    }

    @Test
    void aColdFetchInTheMiddleOfARemoteSegmentIsOneRangedGetOfItsLog() throws Exception {
        String topic = "cold-fetch";
        TopicPartition tp = createFilledAndTiered(topic);
        try (Admin admin = broker.admin()) {
            String prefix = TieredBucket.partitionPrefix(KEY_PREFIX, topic, Tiering.topicId(admin, topic), 0);
            List<SegmentObjects> segments = bucket.segments(prefix);
            assertThat(segments).as("remote segments").hasSizeGreaterThanOrEqualTo(3);
            SegmentObjects segment = segments.get(1);
            long offset = (segment.startOffset() + segments.get(2).startOffset()) / 2;
            int before = requests.requests().size();

            // 16 KiB a fetch: the consumer's next fetch, sent before it hands over the records, stays in this chunk
            try (KafkaConsumer<String, String> consumer =
                    broker.consumer(Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024))) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, offset);
                List<ConsumerRecord<String, String>> read = Await.records(consumer, 1, TIMEOUT);
                assertThat(read.get(0).offset()).isEqualTo(offset);
            }

            List<CountingBlobStore.Request> gets =
                    requests.requests().subList(before, requests.requests().size()).stream()
                            .filter(r -> r.kind() == CountingBlobStore.Kind.GET
                                    && r.key().startsWith(prefix))
                            .toList();
            assertThat(gets)
                    .as("the partition's GETs, read-ahead of later segments aside")
                    .isNotEmpty();
            assertThat(gets.get(0))
                    .as("the first GET is a ranged GET of the segment's log, never of its indexes")
                    .satisfies(get -> {
                        assertThat(get.key()).isEqualTo(segment.logKey());
                        assertThat(get.range()).startsWith("bytes=");
                    });
            assertThat(gets)
                    .as("one GET of the segment's objects in all")
                    .filteredOn(get -> segment.keys().containsValue(get.key()))
                    .hasSize(1);
        }
    }

    @Test
    void theUploadThreadsRunAtNiceTenAndNoOtherThreadOfTheBrokerDoes() throws Exception {
        Assumptions.assumeTrue(ThreadNiceness.current().isPresent(), "Linux's /proc/thread-self/stat");
        createFilledAndTiered("niced-uploads");
        // an idle upload thread lives a minute: the copies just made are still there
        Map<String, List<Integer>> lowered = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    OptionalInt nice = ThreadNiceness.of(task.resolve("stat"));
                    if (nice.isPresent() && nice.getAsInt() != 0) {
                        String name = Files.readString(task.resolve("comm")).strip();
                        lowered.computeIfAbsent(name, n -> new ArrayList<>()).add(nice.getAsInt());
                    }
                } catch (IOException e) {
                    // the thread ended while listed (no such file, or no such process)
                }
            }
        }
        // the kernel shortens a thread's name to 15 characters; the S3 client's timer may be started by an upload
        assertThat(lowered).containsKey("remote-log-uplo");
        assertThat(lowered.keySet()).allMatch(name -> name.equals("remote-log-uplo") || name.startsWith("sdk-"));
        assertThat(lowered.values()).allSatisfy(values -> assertThat(values).containsOnly(10));
    }

    /**
     * Creates a tiered topic of one partition, produces {@link #BATCH_OF_RECORDS} records to it and waits until its
     * sealed segments are remote only.
     */
    private TopicPartition createFilledAndTiered(String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, BATCH_OF_RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
        }
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
        }
        return tp;
    }

    @Test
    void remoteRetentionDeletesTheObjectsOfTheOldestSegments() throws Exception {
        String topic = "remote-retention";
        TopicPartition tp = new TopicPartition(topic, 0);
        long retentionBytes = 3L * SEGMENT_BYTES;
        Map<String, String> config = new HashMap<>(Tiering.tieredTopic(SEGMENT_BYTES));
        config.put(TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(retentionBytes));
        broker.createTopic(topic, 1, config);
        int records = 2 * BATCH_OF_RECORDS;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, records, VALUE_BYTES, BASE_TIMESTAMP);
        }

        try (Admin admin = broker.admin()) {
            String prefix = TieredBucket.partitionPrefix(KEY_PREFIX, topic, Tiering.topicId(admin, topic), 0);
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            // Kafka's rule: the oldest segment goes while the log without it still holds retention.bytes
            Await.until(TIMEOUT, "remote retention to leave " + retentionBytes + " bytes", () -> {
                List<SegmentObjects> segments = bucket.segments(prefix);
                // a segment without all its objects is being deleted (its manifest goes last)
                if (segments.isEmpty()
                        || segments.stream().anyMatch(s -> !s.keys().keySet().equals(TieredBucket.SEGMENT_SUFFIXES))) {
                    return false;
                }
                long remote;
                long oldest;
                try {
                    remote = logBytes(segments);
                    oldest = bucket.size(segments.get(0).logKey());
                } catch (IllegalStateException e) {
                    // an object deleted between the listing and its size: a deletion is under way
                    return false;
                }
                // the log start offset rises once the expiry run has deleted every segment it expires
                return remote >= retentionBytes
                        && remote - oldest < retentionBytes
                        && offset(admin, tp, OffsetSpec.earliest())
                                == segments.get(0).startOffset();
            });
            long logStart = offset(admin, tp, OffsetSpec.earliest());
            assertThat(logStart).as("the log start offset").isPositive();
            List<SegmentObjects> left = bucket.segments(prefix);
            assertThat(left.get(0).startOffset())
                    .as("the first segment left starts the log")
                    .isEqualTo(logStart);
            for (SegmentObjects segment : left) {
                // nothing left of the deleted segments, not even an index or a snapshot
                assertThat(segment.keys().keySet()).isEqualTo(TieredBucket.SEGMENT_SUFFIXES);
            }

            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                int expected = (int) (records - logStart);
                List<ConsumerRecord<String, String>> read = Await.records(consumer, expected, TIMEOUT);
                assertThat(read).hasSize(expected);
                Tiering.assertRecords(read, logStart, VALUE_BYTES, BASE_TIMESTAMP);
            }
        }
    }

    @Test
    void uploadsWaitForAStoreThatIsDownAndNothingIsLost() throws Exception {
        String topic = "store-down";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        try (Admin admin = broker.admin();
                KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, BATCH_OF_RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            long tieredBefore = offset(admin, tp, OffsetSpec.latestTiered());
            long localStartBefore = offset(admin, tp, OffsetSpec.earliestLocal());

            proxy.stop();
            try (DeadEndpoint down = DeadEndpoint.bind(proxy.port())) {
                Tiering.produce(producer, topic, BATCH_OF_RECORDS, BATCH_OF_RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
                // copies fail and back off, retention checks run every 200 ms: give them time to do wrong
                Await.until(
                        TIMEOUT,
                        "the broker to keep trying the store for 2 s",
                        () -> down.triedFor().compareTo(Duration.ofSeconds(2)) >= 0);
                assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(tieredBefore);
                assertThat(offset(admin, tp, OffsetSpec.earliestLocal()))
                        .as("no local segment deleted without its remote copy")
                        .isEqualTo(localStartBefore);
                assertThat(Tiering.localLogFiles(broker.logDir(), tp))
                        .as("the segments written while the store is down stay local")
                        .isGreaterThan(2);
            } finally {
                proxy.start();
            }

            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isGreaterThan(tieredBefore);
            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                List<ConsumerRecord<String, String>> read = Await.records(consumer, 2 * BATCH_OF_RECORDS, TIMEOUT);
                assertThat(read).hasSize(2 * BATCH_OF_RECORDS);
                Tiering.assertRecords(read, 0, VALUE_BYTES, BASE_TIMESTAMP);
            }
        }
    }

    @Test
    void aCorruptedObjectFailsTheConsumerInsteadOfDeliveringBadRecords() throws Exception {
        String topic = "corrupted";
        TopicPartition tp = new TopicPartition(topic, 0);
        // segments of four chunks: remote reads are ranged, and only the batch CRCs can tell a byte changed
        int records = writeTopicOfFourChunkSegments(topic);
        long corruptFirst;
        long corruptLast;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            String prefix = TieredBucket.partitionPrefix(KEY_PREFIX, topic, Tiering.topicId(admin, topic), 0);
            List<SegmentObjects> segments = bucket.segments(prefix);
            assertThat(segments).hasSizeGreaterThanOrEqualTo(2);
            // nothing has read this topic: the broker's chunk cache holds none of it
            String key = segments.get(1).logKey();
            byte[] log = bucket.read(key);
            MutableRecordBatch victim = null;
            int end = 0;
            List<MutableRecordBatch> batches = new ArrayList<>();
            MemoryRecords.readableRecords(ByteBuffer.wrap(log)).batches().forEach(batches::add);
            for (MutableRecordBatch batch : batches.subList(0, batches.size() / 2 + 1)) {
                victim = batch;
                end += batch.sizeInBytes();
            }
            corruptFirst = victim.baseOffset();
            corruptLast = victim.lastOffset();
            // the batch ends with its last record's value and an empty header count: change a value byte
            log[end - 2] ^= 0x01;
            bucket.overwriteKeepingMetadata(key, log);
        }

        // the consumer does not check CRCs itself: only the broker stands between it and the changed byte
        List<ConsumerRecord<String, String>> delivered = consumeUntilCorrupt(tp);
        assertThat(delivered.size()).as("records delivered").isLessThanOrEqualTo((int) corruptFirst);
        Tiering.assertRecords(delivered, 0, VALUE_BYTES, BASE_TIMESTAMP);

        try (KafkaConsumer<String, String> consumer = broker.consumer(TRUSTING)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, corruptLast + 1);
            int expected = (int) (records - corruptLast - 1);
            List<ConsumerRecord<String, String>> read = Await.records(consumer, expected, TIMEOUT);
            assertThat(read).as("the records after the corrupted batch").hasSize(expected);
            Tiering.assertRecords(read, corruptLast + 1, VALUE_BYTES, BASE_TIMESTAMP);
        }
    }

    @Test
    void aTruncatedObjectFailsTheConsumerAsCorruptWhereItsBytesAreMissing() throws Exception {
        String topic = "truncated";
        TopicPartition tp = new TopicPartition(topic, 0);
        // segments of four chunks, cut inside the second: whole chunks before the cut, a short one, none after it
        int records = writeTopicOfFourChunkSegments(topic);
        SegmentObjects victim;
        long intactEnd;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            victim = tieredSegments(admin, topic).get(1);
            byte[] log = bucket.read(victim.logKey());
            int cut = SEGMENT_BYTES + SEGMENT_BYTES / 2;
            intactEnd = victim.startOffset();
            int end = 0;
            for (MutableRecordBatch batch :
                    MemoryRecords.readableRecords(ByteBuffer.wrap(log)).batches()) {
                end += batch.sizeInBytes();
                if (end > cut) {
                    break;
                }
                intactEnd = batch.lastOffset() + 1;
            }
            bucket.overwriteKeepingMetadata(victim.logKey(), Arrays.copyOf(log, cut));
        }

        try (CapturedWarnings warnings = CapturedWarnings.of(RemoteLogReader.class)) {
            List<ConsumerRecord<String, String>> delivered = consumeUntilCorrupt(tp);
            assertThat(delivered.size()).as("records delivered").isLessThanOrEqualTo((int) intactEnd);
            Tiering.assertRecords(delivered, 0, VALUE_BYTES, BASE_TIMESTAMP);
            assertThat(warnings.messages()).as("what the operator sees").anySatisfy(warning -> assertThat(warning)
                    .contains("Corrupt remote data", topic + "-0", victim.segmentId()));
        }
    }

    @Test
    void anObjectReplacedWithoutItsDigestFailsTheConsumerAsCorrupt() throws Exception {
        String topic = "no-digest";
        TopicPartition tp = new TopicPartition(topic, 0);
        int records = writeTopicOfFourChunkSegments(topic);
        SegmentObjects victim;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            victim = tieredSegments(admin, topic).get(1);
            // the same bytes, put back by a tool that does not know about the digest
            bucket.overwriteWithoutMetadata(victim.logKey(), bucket.read(victim.logKey()));
        }

        try (CapturedWarnings warnings = CapturedWarnings.of(RemoteLogReader.class)) {
            List<ConsumerRecord<String, String>> delivered = consumeUntilCorrupt(tp);
            assertThat(delivered.size()).as("records delivered").isLessThanOrEqualTo((int) victim.startOffset());
            Tiering.assertRecords(delivered, 0, VALUE_BYTES, BASE_TIMESTAMP);
            assertThat(warnings.messages()).anySatisfy(warning -> assertThat(warning)
                    .contains("Corrupt remote data", topic + "-0", victim.segmentId())
                    .contains("has no sha256 metadata"));
        }
    }

    @Test
    void aChangeNoBatchCrcCoversIsCaughtByTheDigestOfASegmentReadAsOneChunk() throws Exception {
        String topic = "one-chunk";
        TopicPartition tp = new TopicPartition(topic, 0);
        // segments no larger than a chunk: the chunk cache reads each as a whole object, checked against its SHA-256
        broker.createTopic(topic, 1, Tiering.tieredTopic(SEGMENT_BYTES));
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, BATCH_OF_RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
        }
        SegmentObjects victim;
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), tp, TIMEOUT);
            victim = tieredSegments(admin, topic).get(1);
            byte[] log = bucket.read(victim.logKey());
            // the first batch's partition leader epoch: a header field that its CRC does not cover
            log[Records.LOG_OVERHEAD] ^= 0x01;
            bucket.overwriteKeepingMetadata(victim.logKey(), log);
        }

        try (CapturedWarnings warnings = CapturedWarnings.of(RemoteLogReader.class)) {
            List<ConsumerRecord<String, String>> delivered = consumeUntilCorrupt(tp);
            assertThat(delivered.size()).as("records delivered").isLessThanOrEqualTo((int) victim.startOffset());
            Tiering.assertRecords(delivered, 0, VALUE_BYTES, BASE_TIMESTAMP);
            assertThat(warnings.messages()).anySatisfy(warning -> assertThat(warning)
                    .contains("Corrupt remote data", topic + "-0", victim.segmentId())
                    .contains("SHA-256"));
        }
    }

    /** The segments of partition 0 of {@code topic} in the bucket, in offset order; at least two. */
    private List<SegmentObjects> tieredSegments(Admin admin, String topic) {
        String prefix = TieredBucket.partitionPrefix(KEY_PREFIX, topic, Tiering.topicId(admin, topic), 0);
        List<SegmentObjects> segments = bucket.segments(prefix);
        assertThat(segments).hasSizeGreaterThanOrEqualTo(2);
        return segments;
    }

    /**
     * Reads {@code tp} from offset 0 with a consumer that does not check CRCs itself, until it fails; asserts that it
     * failed on corrupt data (the consumer's error for {@code CORRUPT_MESSAGE}) and returns what it delivered before.
     */
    private List<ConsumerRecord<String, String>> consumeUntilCorrupt(TopicPartition tp) {
        List<ConsumerRecord<String, String>> delivered = new ArrayList<>();
        AtomicReference<KafkaException> failure = new AtomicReference<>();
        try (KafkaConsumer<String, String> consumer = broker.consumer(TRUSTING)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            Await.until(TIMEOUT, "the consumer of " + tp + " to fail on corrupt data", () -> {
                try {
                    consumer.poll(Duration.ofMillis(200)).forEach(delivered::add);
                    return false;
                } catch (KafkaException e) {
                    failure.set(e);
                    return true;
                }
            });
        }
        assertThat(failure.get()).hasMessageContaining("corrupt message");
        return delivered;
    }

    /** Creates a one-partition tiered topic whose segments are four chunks long and writes it; returns its records. */
    private int writeTopicOfFourChunkSegments(String topic) {
        broker.createTopic(topic, 1, Tiering.tieredTopic(4 * SEGMENT_BYTES));
        int records = 4 * BATCH_OF_RECORDS;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, topic, 0, records, VALUE_BYTES, BASE_TIMESTAMP);
        }
        return records;
    }

    private long logBytes(List<SegmentObjects> segments) {
        long bytes = 0;
        for (SegmentObjects segment : segments) {
            bytes += bucket.size(segment.logKey());
        }
        return bytes;
    }
}
