package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves the produce and fetch paths with the real kafka-clients 4.x producer and consumer: records sent by the
 * idempotent producer with acks=all, with each compression codec, to 8 partitions come back exactly once, in order per
 * partition, at the offsets the producer was told, with keys and headers intact; acks=0 and acks=1 produce store
 * records too; and the consumer's positioning (seek to beginning, seek to end, offsets for a timestamp) and ListOffsets
 * (earliest, latest, max timestamp) land where Kafka puts them.
 */
class ProduceConsumeIT {

    private static final int PARTITIONS = 8;
    private static final int RECORDS_PER_PARTITION = 500;
    private static final Duration CONSUME_TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of("num.partitions", "3"));

    @ParameterizedTest(name = "compression.type={0}")
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void idempotentAcksAllRecordsComeBackExactlyOnceInOrderPerPartition(String codec) throws Exception {
        String topic = "codec-" + codec;
        broker.createTopic(topic, PARTITIONS, Map.of());

        Map<Integer, List<Future<RecordMetadata>>> acks = new HashMap<>();
        Map<Integer, List<String>> sent = new HashMap<>();
        try (KafkaProducer<String, String> producer = broker.producer(Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                codec,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.ACKS_CONFIG,
                "all"))) {
            for (int i = 0; i < RECORDS_PER_PARTITION; i++) {
                for (int p = 0; p < PARTITIONS; p++) {
                    String value = codec + "-p" + p + "-" + i + "-" + "payload".repeat(1 + i % 16);
                    List<Header> headers =
                            List.of(new RecordHeader("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
                    acks.computeIfAbsent(p, k -> new ArrayList<>())
                            .add(producer.send(new ProducerRecord<>(topic, p, "k" + i, value, headers)));
                    sent.computeIfAbsent(p, k -> new ArrayList<>()).add(value);
                }
            }
            producer.flush();
        }
        Map<Integer, List<Long>> ackedOffsets = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            for (Future<RecordMetadata> ack : acks.get(p)) {
                RecordMetadata metadata = ack.get();
                assertThat(metadata.partition()).isEqualTo(p);
                ackedOffsets.computeIfAbsent(p, k -> new ArrayList<>()).add(metadata.offset());
            }
        }

        List<TopicPartition> partitions = partitions(topic, PARTITIONS);
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, String>> records =
                    Await.records(consumer, PARTITIONS * RECORDS_PER_PARTITION, CONSUME_TIMEOUT);

            assertThat(records).hasSize(PARTITIONS * RECORDS_PER_PARTITION);
            Map<Integer, List<ConsumerRecord<String, String>>> byPartition =
                    records.stream().collect(Collectors.groupingBy(ConsumerRecord::partition));
            for (int p = 0; p < PARTITIONS; p++) {
                List<ConsumerRecord<String, String>> got = byPartition.get(p);
                assertThat(got).as("partition %d", p).isNotNull();
                assertThat(got)
                        .extracting(ConsumerRecord::offset)
                        .as("offsets of partition %d", p)
                        .containsExactlyElementsOf(range(0, RECORDS_PER_PARTITION));
                assertThat(got)
                        .extracting(ConsumerRecord::value)
                        .as("values of partition %d", p)
                        .containsExactlyElementsOf(sent.get(p));
                assertThat(got)
                        .extracting(ConsumerRecord::key)
                        .as("keys of partition %d", p)
                        .containsExactlyElementsOf(IntStream.range(0, RECORDS_PER_PARTITION)
                                .mapToObj(i -> "k" + i)
                                .toList());
                ConsumerRecord<String, String> last = got.get(got.size() - 1);
                assertThat(new String(last.headers().lastHeader("seq").value(), StandardCharsets.UTF_8))
                        .isEqualTo(Integer.toString(RECORDS_PER_PARTITION - 1));
            }
            assertThat(consumer.endOffsets(partitions))
                    .allSatisfy((tp, end) ->
                            assertThat(end).as("end offset of %s", tp).isEqualTo(RECORDS_PER_PARTITION));
            assertThat(consumer.poll(Duration.ofMillis(500)))
                    .as("records after the end")
                    .isEmpty();
        }
        for (int p = 0; p < PARTITIONS; p++) {
            assertThat(ackedOffsets.get(p))
                    .as("offsets acknowledged to the producer in partition %d", p)
                    .containsExactlyElementsOf(range(0, RECORDS_PER_PARTITION));
        }
    }

    @Test
    void seekToBeginningAndSeekToEndMoveThePositionToTheLogBounds() throws Exception {
        String topic = "seek";
        broker.createTopic(topic, 2, Map.of());
        produce(topic, 2, 50, Map.of());
        List<TopicPartition> partitions = partitions(topic, 2);

        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(partitions);
            assertThat(consumer.beginningOffsets(partitions))
                    .containsOnly(Map.entry(partitions.get(0), 0L), Map.entry(partitions.get(1), 0L));
            assertThat(consumer.endOffsets(partitions))
                    .containsOnly(Map.entry(partitions.get(0), 50L), Map.entry(partitions.get(1), 50L));

            consumer.seekToEnd(partitions);
            for (TopicPartition tp : partitions) {
                assertThat(consumer.position(tp))
                        .as("position after seekToEnd of %s", tp)
                        .isEqualTo(50L);
            }
            assertThat(consumer.poll(Duration.ofMillis(300)))
                    .as("records after seekToEnd")
                    .isEmpty();

            consumer.seekToBeginning(partitions);
            for (TopicPartition tp : partitions) {
                assertThat(consumer.position(tp))
                        .as("position after seekToBeginning of %s", tp)
                        .isEqualTo(0L);
            }
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 100, CONSUME_TIMEOUT);
            assertThat(records).hasSize(100);
            assertThat(records.stream()
                            .filter(r -> r.partition() == 0)
                            .map(ConsumerRecord::offset)
                            .toList())
                    .containsExactlyElementsOf(range(0, 50));
        }
    }

    @Test
    void offsetsForTimesFindsTheFirstRecordAtOrAfterTheTimestamp() throws Exception {
        String topic = "times";
        broker.createTopic(topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        long base = System.currentTimeMillis() - Duration.ofMinutes(30).toMillis();
        // Timestamps rise by one second per record, except record 5, which carries the largest timestamp.
        long[] timestamps = new long[10];
        for (int i = 0; i < timestamps.length; i++) {
            timestamps[i] = base + i * 1000L;
        }
        timestamps[5] = base + 60_000L;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < timestamps.length; i++) {
                producer.send(new ProducerRecord<>(topic, 0, timestamps[i], "k" + i, "v" + i));
                producer.flush(); // one batch per record, so the time index sees each timestamp
            }
        }

        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            OffsetAndTimestamp between =
                    consumer.offsetsForTimes(Map.of(tp, base + 2500L)).get(tp);
            assertThat(between.offset()).isEqualTo(3L);
            assertThat(between.timestamp()).isEqualTo(base + 3000L);
            OffsetAndTimestamp exact =
                    consumer.offsetsForTimes(Map.of(tp, base + 2000L)).get(tp);
            assertThat(exact.offset()).isEqualTo(2L);
            assertThat(exact.timestamp()).isEqualTo(base + 2000L);
            OffsetAndTimestamp before =
                    consumer.offsetsForTimes(Map.of(tp, base - 1L)).get(tp);
            assertThat(before.offset()).isEqualTo(0L);
            assertThat(before.timestamp()).isEqualTo(base);
            Map<TopicPartition, OffsetAndTimestamp> after = consumer.offsetsForTimes(Map.of(tp, base + 120_000L));
            assertThat(after.get(tp)).as("no record at or after the timestamp").isNull();

            consumer.seek(tp, between.offset());
            ConsumerRecord<String, String> first =
                    Await.records(consumer, 1, CONSUME_TIMEOUT).get(0);
            assertThat(first.offset()).isEqualTo(3L);
            assertThat(first.timestamp()).isEqualTo(base + 3000L);
            assertThat(first.value()).isEqualTo("v3");
        }

        try (Admin admin = broker.admin()) {
            ListOffsetsResultInfo earliest = admin.listOffsets(Map.of(tp, OffsetSpec.earliest()))
                    .partitionResult(tp)
                    .get();
            ListOffsetsResultInfo latest = admin.listOffsets(Map.of(tp, OffsetSpec.latest()))
                    .partitionResult(tp)
                    .get();
            ListOffsetsResultInfo max = admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp()))
                    .partitionResult(tp)
                    .get();
            assertThat(earliest.offset()).isEqualTo(0L);
            assertThat(latest.offset()).isEqualTo(10L);
            assertThat(max.offset())
                    .as("offset of the record with the largest timestamp")
                    .isEqualTo(5L);
            assertThat(max.timestamp()).isEqualTo(base + 60_000L);
        }
    }

    @Test
    void acksZeroProduceIsStoredAlthoughTheBrokerSendsNoResponse() throws Exception {
        String topic = "acks-zero";
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(
                Map.of(ProducerConfig.ACKS_CONFIG, "0", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "zero-" + i)));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) {
                assertThat(ack.get().hasOffset()).as("acks=0 reports no offset").isFalse();
            }
        }
        assertConsumesInOrder(new TopicPartition(topic, 0), "zero-", 200);
    }

    @Test
    void acksOneProduceIsAcknowledgedWithItsOffsets() throws Exception {
        String topic = "acks-one";
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> producer = broker.producer(
                Map.of(ProducerConfig.ACKS_CONFIG, "1", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "one-" + i)));
            }
            producer.flush();
            for (int i = 0; i < acks.size(); i++) {
                assertThat(acks.get(i).get().offset()).isEqualTo(i);
            }
        }
        assertConsumesInOrder(new TopicPartition(topic, 0), "one-", 200);
    }

    @Test
    void produceToAnUnknownTopicAutoCreatesItWithNumPartitions() throws Exception {
        String topic = "auto-created";
        try (KafkaProducer<String, String> producer = broker.producer()) {
            RecordMetadata metadata =
                    producer.send(new ProducerRecord<>(topic, "k", "v")).get();
            assertThat(metadata.offset()).isEqualTo(0L);
            assertThat(producer.partitionsFor(topic))
                    .as("partitions of the auto-created topic")
                    .hasSize(3);
        }
    }

    private void produce(String topic, int partitions, int perPartition, Map<String, Object> overrides)
            throws Exception {
        try (KafkaProducer<String, String> producer = broker.producer(overrides)) {
            for (int i = 0; i < perPartition; i++) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(new ProducerRecord<>(topic, p, "k" + i, "v" + p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    private void assertConsumesInOrder(TopicPartition tp, String prefix, int count) {
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, count, CONSUME_TIMEOUT);
            assertThat(records)
                    .extracting(ConsumerRecord::value)
                    .containsExactlyElementsOf(
                            IntStream.range(0, count).mapToObj(i -> prefix + i).toList());
            assertThat(records).extracting(ConsumerRecord::offset).containsExactlyElementsOf(range(0, count));
        }
    }

    static List<TopicPartition> partitions(String topic, int count) {
        return IntStream.range(0, count)
                .mapToObj(p -> new TopicPartition(topic, p))
                .toList();
    }

    static List<Long> range(long from, long to) {
        return java.util.stream.LongStream.range(from, to).boxed().toList();
    }
}
