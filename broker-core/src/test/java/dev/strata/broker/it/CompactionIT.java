package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves log compaction end to end with the real kafka-clients producer and consumer: many updates to a few keys on a
 * topic with {@code cleanup.policy=compact} and small segments are compacted in the background, tombstones vanish after
 * {@code delete.retention.ms}, and a consumer reading from offset 0 then sees exactly the last value of every live key,
 * once, in offset order; a record without a key is refused with INVALID_RECORD, and in a batch with others only it is
 * reported as invalid (KIP-467).
 */
class CompactionIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int KEYS = 10;
    private static final int ROUNDS = 150;

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of("log.cleaner.backoff.ms", "50"));

    private static Map<String, String> compactedTopicConfigs() {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.SEGMENT_BYTES_CONFIG, "4096",
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.01",
                TopicConfig.DELETE_RETENTION_MS_CONFIG, "1000");
    }

    @Test
    void aConsumerFromOffsetZeroSeesTheLastValuePerKeyOnceInOffsetOrder() throws Exception {
        String topic = "compacted-updates";
        broker.createTopic(topic, 1, compactedTopicConfigs());
        Map<String, String> expected = new LinkedHashMap<>();
        int produced = 0;
        // batches well below segment.bytes
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 1024))) {
            for (int round = 0; round < ROUNDS; round++) {
                for (int k = 0; k < KEYS; k++) {
                    producer.send(new ProducerRecord<>(topic, "key-" + k, "key-" + k + "-round-" + round));
                    produced++;
                }
            }
            // two keys deleted, then one last update of the others
            producer.send(new ProducerRecord<>(topic, "key-8", null));
            producer.send(new ProducerRecord<>(topic, "key-9", null));
            for (int k = 0; k < KEYS - 2; k++) {
                producer.send(new ProducerRecord<>(topic, "key-" + k, "key-" + k + "-last"));
                expected.put("key-" + k, "key-" + k + "-last");
            }
            // distinct keys that push the updates above out of the active segment, which is never cleaned
            for (int i = 0; i < 150; i++) {
                String key = "filler-" + i;
                producer.send(new ProducerRecord<>(topic, key, key + "-" + "x".repeat(40)))
                        .get();
                expected.put(key, key + "-" + "x".repeat(40));
                produced++;
            }
        }
        assertThat(produced).isGreaterThan(expected.size() * 10);

        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            AtomicReference<List<ConsumerRecord<String, String>>> last = new AtomicReference<>();
            Await.until(TIMEOUT, "compaction and tombstone removal", () -> {
                last.set(readFromStart(consumer, tp));
                return asMap(last.get()).equals(expected) && last.get().size() == expected.size();
            });
            List<ConsumerRecord<String, String>> snapshot = last.get();
            assertThat(snapshot).extracting(ConsumerRecord::offset).isSorted().doesNotHaveDuplicates();
            assertThat(snapshot).extracting(ConsumerRecord::key).doesNotContain("key-8", "key-9");
            assertThat(asMap(snapshot)).containsExactlyEntriesOf(expected);
            assertThat(snapshot.get(snapshot.size() - 1).offset())
                    .as("offsets are kept, with gaps")
                    .isGreaterThan(expected.size() * 10L);
        }
    }

    @Test
    void aRecordWithoutAKeyIsRefusedWithInvalidRecord() {
        String topic = "compacted-keyless";
        broker.createTopic(topic, 1, compactedTopicConfigs());
        try (KafkaProducer<String, String> producer = broker.producer()) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, null, "no key"))
                            .get())
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(InvalidRecordException.class);
            producer.send(new ProducerRecord<>(topic, "key", "with a key"));
            producer.flush();
        }
    }

    @Test
    void aBatchWithSomeKeylessRecordsFailsExactlyThoseRecords() throws Exception {
        String topic = "compacted-some-keyless";
        broker.createTopic(topic, 1, compactedTopicConfigs());
        int records = 100;
        Map<Integer, Exception> failures = new ConcurrentHashMap<>();
        CountDownLatch completed = new CountDownLatch(records);
        // one batch: linger until flush()
        try (KafkaProducer<String, String> producer =
                broker.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 10_000))) {
            for (int i = 0; i < records; i++) {
                int index = i;
                String key = i % 10 == 3 ? null : "key-" + i;
                producer.send(new ProducerRecord<>(topic, 0, key, "value-" + i), (metadata, e) -> {
                    if (e != null) {
                        failures.put(index, e);
                    }
                    completed.countDown();
                });
            }
            producer.flush();
        }
        assertThat(completed.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("every callback ran")
                .isTrue();

        // KIP-467: the producer fails the keyless records with the broker's reason, the rest with a generic error
        Map<Integer, Exception> keyless = new TreeMap<>();
        failures.forEach((index, e) -> {
            if (e instanceof InvalidRecordException) {
                keyless.put(index, e);
            }
        });
        assertThat(keyless.keySet())
                .as("records failed as invalid")
                .containsExactly(3, 13, 23, 33, 43, 53, 63, 73, 83, 93);
        assertThat(keyless.values()).allSatisfy(e -> assertThat(e).hasMessageContaining("without key"));
        assertThat(failures).as("the whole batch is refused").hasSize(records);
        failures.keySet().removeAll(keyless.keySet());
        assertThat(failures.values()).as("the records with a key").allSatisfy(e -> assertThat(e)
                .isInstanceOf(KafkaException.class)
                .hasMessageContaining("part of a batch"));
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 0L);
        }
    }

    /** Reads the partition from offset 0 up to its current end offset. */
    private static List<ConsumerRecord<String, String>> readFromStart(
            KafkaConsumer<String, String> consumer, TopicPartition tp) {
        long end = consumer.endOffsets(List.of(tp)).get(tp);
        consumer.seek(tp, 0);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (consumer.position(tp) < end) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Could not read " + tp + " up to offset " + end);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    private static Map<String, String> asMap(List<ConsumerRecord<String, String>> records) {
        Map<String, String> map = new LinkedHashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            map.remove(record.key());
            if (record.value() != null) {
                map.put(record.key(), record.value());
            }
        }
        return map;
    }
}
