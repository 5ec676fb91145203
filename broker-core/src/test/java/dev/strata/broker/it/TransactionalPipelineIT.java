package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Consume-transform-produce with the plain kafka-clients API, the loop Kafka Streams and most exactly-once pipelines
 * are built on: a read_committed consumer in a group reads the input, a transactional producer writes the transformed
 * records and the consumer's offsets ({@code sendOffsetsToTransaction}) in one transaction.
 *
 * <p>The script: round 1 handles input offsets 0-9 of both partitions and commits; round 2 handles 10-19 and aborts;
 * the pipeline "crashes" (its consumer closes without committing, its producer is left open as a zombie). A restarted
 * pipeline with the same group and transactional id resumes at offset 10 (the offsets of the aborted round were never
 * committed), fences the zombie, handles 10-29 and commits. The output, read_committed, is then exactly one
 * transformed record per input record, in input order; read_uncommitted shows the aborted round's records are in the
 * log all the same. Against Strata or Apache Kafka as {@link TransactionalBroker} says.
 */
class TransactionalPipelineIT {

    private static final String INPUT = "pipeline-input";
    private static final String OUTPUT = "pipeline-output";
    private static final String GROUP = "pipeline";
    private static final String TRANSACTIONAL_ID = "pipeline-txn";
    private static final int PER_PARTITION = 30;
    private static final List<TopicPartition> INPUT_PARTITIONS =
            List.of(new TopicPartition(INPUT, 0), new TopicPartition(INPUT, 1));
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(30);

    private static TransactionalBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = TransactionalBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void restartedPipelineResumesFromCommittedOffsetsAndOutputHoldsExactlyTheCommittedResults() throws Exception {
        broker.createTopics(2, INPUT, OUTPUT);
        try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
            for (int i = 0; i < PER_PARTITION; i++) {
                for (int partition = 0; partition < 2; partition++) {
                    producer.send(new ProducerRecord<>(INPUT, partition, "k" + i, "p" + partition + "-v" + i));
                }
            }
            producer.flush();
        }

        KafkaProducer<String, String> zombie = transactionalProducer();
        try (KafkaConsumer<String, String> consumer = groupConsumer()) {
            consumer.subscribe(List.of(INPUT));
            List<ConsumerRecord<String, String>> input = Await.records(consumer, 2 * PER_PARTITION, POLL_TIMEOUT);
            zombie.initTransactions();
            processInTransaction(zombie, consumer, input, 0, 10, true);
            processInTransaction(zombie, consumer, input, 10, 20, false);
        }

        try (KafkaConsumer<String, String> consumer = groupConsumer();
                KafkaProducer<String, String> producer = transactionalProducer()) {
            producer.initTransactions();
            zombie.beginTransaction();
            zombie.send(new ProducerRecord<>(OUTPUT, 0, "zombie", "zombie"));
            // Apache Kafka 4.3.1 with transaction version 2 rejects the zombie's produce with INVALID_PRODUCER_EPOCH;
            // with transaction version 1 (Strata) the coordinator fences its AddPartitionsToTxn with PRODUCER_FENCED
            assertThatThrownBy(zombie::commitTransaction)
                    .as("the old producer, after a new one initialized its transactional id")
                    .isInstanceOfAny(InvalidProducerEpochException.class, ProducerFencedException.class);

            consumer.subscribe(List.of(INPUT));
            List<ConsumerRecord<String, String>> rest = Await.records(consumer, 2 * (PER_PARTITION - 10), POLL_TIMEOUT);
            for (TopicPartition p : INPUT_PARTITIONS) {
                assertThat(rest.stream()
                                .filter(r -> r.partition() == p.partition())
                                .findFirst()
                                .orElseThrow()
                                .offset())
                        .as("where the restarted pipeline resumes on %s", p)
                        .isEqualTo(10);
            }
            processInTransaction(producer, consumer, rest, 10, PER_PARTITION, true);
        } finally {
            zombie.close(Duration.ZERO);
        }

        List<String> expected = new ArrayList<>();
        for (int partition = 0; partition < 2; partition++) {
            for (int i = 0; i < PER_PARTITION; i++) {
                expected.add(partition + ":" + transform("p" + partition + "-v" + i));
            }
        }
        assertThat(values(broker.readAll(OUTPUT, "read_committed")))
                .as("output, read_committed")
                .isEqualTo(expected);
        assertThat(broker.readAll(OUTPUT, "read_uncommitted"))
                .as("output, read_uncommitted: the aborted round (and the zombie's record) are in the log")
                .hasSizeGreaterThanOrEqualTo(2 * PER_PARTITION + 20);
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata()
                    .get();
            assertThat(committed)
                    .as("the group's committed offsets")
                    .containsEntry(INPUT_PARTITIONS.get(0), new OffsetAndMetadata(PER_PARTITION))
                    .containsEntry(INPUT_PARTITIONS.get(1), new OffsetAndMetadata(PER_PARTITION));
        }
    }

    /**
     * One transaction: the transformed records of input offsets {@code from} (inclusive) to {@code to} (exclusive) of
     * both partitions to the same partition of the output, and the consumer's offsets {@code to}; committed or aborted.
     */
    private static void processInTransaction(
            KafkaProducer<String, String> producer,
            KafkaConsumer<String, String> consumer,
            List<ConsumerRecord<String, String>> input,
            long from,
            long to,
            boolean commit) {
        producer.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> r : input) {
            if (r.offset() >= from && r.offset() < to) {
                producer.send(new ProducerRecord<>(OUTPUT, r.partition(), r.key(), transform(r.value())));
                offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(to));
            }
        }
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.flush(); // the aborted records reach the log before the abort marker
            producer.abortTransaction();
        }
    }

    private static String transform(String value) {
        return value.toUpperCase(Locale.ROOT);
    }

    private static KafkaProducer<String, String> transactionalProducer() {
        return broker.producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID));
    }

    private static KafkaConsumer<String, String> groupConsumer() {
        return broker.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, GROUP));
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(r -> r.partition() + ":" + r.value()).toList();
    }
}
