package dev.strata.broker.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strata.testing.ApacheKafkaBroker;
import dev.strata.testing.ApacheKafkaJars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The one broker an exactly-once test class shares: Strata in the test JVM ({@link TestBroker}) by default, or Apache
 * Kafka 4.3.1 in a child JVM ({@link ApacheKafkaBroker}) when the system property {@value #TARGET_PROPERTY} is
 * {@code kafka}, to prove the test itself against the reference broker
 * ({@code mvn ... verify -Dit.test=StreamsExactlyOnceIT -Dstrata.it.target=kafka}). Against Strata it skips the test
 * class unless {@link TransactionsSupport#AVAILABLE}.
 *
 * <p>Both get the same settings: topics only when a test creates them, groups that form at once, and one partition for
 * the offsets and transaction state topics so the coordinators are ready quickly.
 */
final class TransactionalBroker implements AutoCloseable {

    static final String TARGET_PROPERTY = "strata.it.target";

    private static final Map<String, String> SETTINGS = Map.of(
            "auto.create.topics.enable", "false",
            "group.initial.rebalance.delay.ms", "0",
            "offsets.topic.num.partitions", "1",
            "transaction.state.log.num.partitions", "1");
    private static final List<String> KAFKA_JVM_OPTIONS = List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC");
    private static final int CLIENT_TIMEOUT_MS = 30_000;

    private final TestBroker strata;
    private final ApacheKafkaBroker kafka;

    private TransactionalBroker(TestBroker strata, ApacheKafkaBroker kafka) {
        this.strata = strata;
        this.kafka = kafka;
    }

    /** Starts the broker {@value #TARGET_PROPERTY} names; skips the calling test class where that cannot work yet. */
    static TransactionalBroker start() throws Exception {
        String target = System.getProperty(TARGET_PROPERTY, "strata");
        switch (target) {
            case "strata" -> {
                assumeTrue(
                        TransactionsSupport.AVAILABLE,
                        "Strata has no transaction coordinator yet (TransactionsSupport.AVAILABLE);" + " run with -D"
                                + TARGET_PROPERTY + "=kafka to check this test against Apache Kafka");
                TestBroker broker = TestBroker.withConfig(SETTINGS);
                broker.start();
                return new TransactionalBroker(broker, null);
            }
            case "kafka" -> {
                Path work = Path.of(System.getProperty("strata.it.work.dir", System.getProperty("java.io.tmpdir")));
                Files.createDirectories(work);
                return new TransactionalBroker(
                        null,
                        ApacheKafkaBroker.start(
                                ApacheKafkaJars.classpath(),
                                Files.createTempDirectory(work, "kafka-transactions-"),
                                KAFKA_JVM_OPTIONS,
                                SETTINGS));
            }
            default -> throw new IllegalArgumentException(TARGET_PROPERTY + " must be strata or kafka, not " + target);
        }
    }

    /** Which broker this is, for messages. */
    String name() {
        return strata != null ? "Strata" : "Apache Kafka 4.3.1";
    }

    String bootstrapServers() {
        return strata != null ? strata.bootstrapServers() : kafka.bootstrap();
    }

    /** A clean shutdown and a start on the same data and the same port, so running clients reconnect. */
    void restart() throws Exception {
        if (strata != null) {
            strata.restart();
        } else {
            kafka.restart();
        }
    }

    /** The end of Apache Kafka's log, for failure messages; empty for Strata, which logs into the test's output. */
    String logTail() {
        return kafka != null ? "\nApache Kafka's log:\n" + kafka.logTail() : "";
    }

    Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, CLIENT_TIMEOUT_MS);
        return Admin.create(props);
    }

    /** Creates each topic with {@code partitions} partitions and one replica. */
    void createTopics(int partitions, String... names) throws ExecutionException, InterruptedException {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(new NewTopic(name, partitions, (short) 1));
        }
        try (Admin admin = admin()) {
            admin.createTopics(topics).all().get();
        }
    }

    /** An acks=all String producer; a transactional one when {@code overrides} names a transactional id. */
    KafkaProducer<String, String> producer(Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, CLIENT_TIMEOUT_MS);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, CLIENT_TIMEOUT_MS);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, CLIENT_TIMEOUT_MS / 2);
        props.putAll(overrides);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** A String consumer reading with {@code isolation.level=read_committed} from the earliest offset, no auto commit. */
    KafkaConsumer<String, String> consumer(Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, CLIENT_TIMEOUT_MS);
        props.putAll(overrides);
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    /**
     * Every record of {@code topic} up to its end as {@code isolationLevel} sees it (for read_committed the last stable
     * offset, so nothing after an open transaction), partition by partition in offset order.
     */
    List<ConsumerRecord<String, String>> readAll(String topic, String isolationLevel) {
        try (KafkaConsumer<String, String> consumer =
                consumer(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .sorted(Comparator.comparingInt(TopicPartition::partition))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLIENT_TIMEOUT_MS);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("Read " + records.size() + " records of " + topic + " up to " + ends
                            + " within " + CLIENT_TIMEOUT_MS + " ms" + logTail());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            records.sort(Comparator.<ConsumerRecord<String, String>>comparingInt(ConsumerRecord::partition)
                    .thenComparingLong(ConsumerRecord::offset));
            return records;
        }
    }

    @Override
    public void close() {
        if (strata != null) {
            strata.close();
        } else {
            kafka.close();
        }
    }
}
