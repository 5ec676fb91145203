package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves crash safety: with the broker in its own JVM under heavy idempotent acks=all producing, {@code kill -9}
 * loses no acknowledged record and duplicates none. After a restart on the same log directory every acknowledged
 * record is at the partition and offset the producer was given, and no value (acknowledged or not) appears twice.
 */
class CrashIT {

    private static final String TOPIC = "crash";
    private static final int PARTITIONS = 4;
    private static final int ACKED_BEFORE_KILL = 20_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    /** One acknowledged record. */
    private record Ack(int partition, long offset, String value) {}

    @TempDir
    Path dir;

    private final List<BrokerProcess> brokers = new ArrayList<>();

    @AfterEach
    void stopBrokers() {
        for (BrokerProcess broker : brokers) {
            broker.close();
        }
    }

    @Test
    void killDashNineMidProduceLosesAndDuplicatesNoAcknowledgedRecord() throws Exception {
        Path logDir = dir.resolve("data");
        Path output = dir.resolve("broker.out");
        int port = Ports.free();
        BrokerProcess first = startBroker(port, logDir, output);
        // Small segments, so the kill is likely to land near a roll as well as in the middle of appends.
        try (Admin admin = admin(port)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1)
                            .configs(Map.of("segment.bytes", Integer.toString(512 * 1024)))))
                    .all()
                    .get();
        }

        Queue<Ack> acked = new ConcurrentLinkedQueue<>();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port,
                        ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.LINGER_MS_CONFIG, 2,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
                new StringSerializer(),
                new StringSerializer());
        Thread sender = new Thread(() -> produceUntilStopped(producer, stop, acked, failed), "crash-producer");
        sender.start();

        Await.until(
                TIMEOUT,
                ACKED_BEFORE_KILL + " acknowledged records (have " + acked.size() + ")",
                () -> acked.size() >= ACKED_BEFORE_KILL || !sender.isAlive());
        assertThat(sender.isAlive())
                .as("producer still sending when the broker is killed")
                .isTrue();
        first.kill();
        stop.set(true);
        producer.close(Duration.ZERO); // aborts what was not acknowledged; those records may or may not be stored
        sender.join(TIMEOUT.toMillis());
        assertThat(sender.isAlive()).as("producer thread stopped").isFalse();
        List<Ack> acknowledged = List.copyOf(acked);

        int newPort = Ports.free();
        startBroker(newPort, logDir, output);
        Map<String, ConsumerRecord<String, String>> stored = consumeAll(newPort);

        for (Ack ack : acknowledged) {
            ConsumerRecord<String, String> record = stored.get(ack.value());
            if (record == null) {
                fail("acknowledged record " + ack + " is missing after the crash (" + stored.size()
                        + " records stored, " + acknowledged.size() + " acknowledged)");
            }
            assertThat(record.partition()).as("partition of %s", ack.value()).isEqualTo(ack.partition());
            assertThat(record.offset()).as("offset of %s", ack.value()).isEqualTo(ack.offset());
        }
        assertThat(stored.size()).isGreaterThanOrEqualTo(acknowledged.size());
    }

    private BrokerProcess startBroker(int port, Path logDir, Path output) throws Exception {
        Path config = BrokerProcess.writeConfig(dir.resolve("server-" + port + ".properties"), port, logDir, Map.of());
        BrokerProcess broker = BrokerProcess.start(output, config.toString());
        brokers.add(broker);
        broker.awaitListening(port, Duration.ofSeconds(60));
        return broker;
    }

    private static void produceUntilStopped(
            KafkaProducer<String, String> producer, AtomicBoolean stop, Queue<Ack> acked, AtomicLong failed) {
        String padding = "p".repeat(100);
        try {
            for (long i = 0; !stop.get(); i++) {
                String value = "v-" + i + "-" + padding;
                producer.send(new ProducerRecord<>(TOPIC, (int) (i % PARTITIONS), null, value), (metadata, e) -> {
                    if (e == null) {
                        acked.add(new Ack(metadata.partition(), metadata.offset(), value));
                    } else {
                        failed.incrementAndGet();
                    }
                });
            }
        } catch (RuntimeException e) {
            // The producer was closed under us after the kill: the expected way out of the loop.
        }
    }

    /** Reads every partition from its start to its end offset; fails if any value appears twice. */
    private static Map<String, ConsumerRecord<String, String>> consumeAll(int port) {
        Map<String, ConsumerRecord<String, String>> byValue = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + port,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = ProduceConsumeIT.partitions(TOPIC, PARTITIONS);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Await.until(TIMEOUT, "reading every partition to its end offset " + end, () -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    ConsumerRecord<String, String> previous = byValue.put(record.value(), record);
                    if (previous != null) {
                        throw new AssertionError("value stored twice: at " + previous.partition() + "/"
                                + previous.offset() + " and " + record.partition() + "/" + record.offset());
                    }
                }
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
        }
        return byValue;
    }

    private static Admin admin(int port) {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + port,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                30_000));
    }
}
