package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kafka-clients transactional producer against Strata's transaction coordinator (transaction version 1): commit
 * and abort as a read_committed consumer sees them, a zombie fenced, a hanging transaction aborted by the coordinator
 * at its timeout, and a transaction left open by a {@code kill -9} of the broker never half-visible after the restart.
 * Every test but the crash shares one broker.
 */
class TransactionsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Map<String, String> SETTINGS = Map.of(
            "auto.create.topics.enable", "false",
            "group.initial.rebalance.delay.ms", "0",
            "offsets.topic.num.partitions", "1",
            "transaction.state.log.num.partitions", "1",
            "transaction.abort.timed.out.transaction.cleanup.interval.ms", "200");

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(SETTINGS);

    @TempDir
    Path dir;

    @Test
    void aReadCommittedConsumerSeesExactlyTheCommittedTransactionsInOrder() {
        String topic = "txn-commit-abort";
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> producer =
                transactional(broker.bootstrapServers(), "commit-abort", 60_000)) {
            producer.initTransactions();
            inTransaction(producer, topic, "a", true);
            inTransaction(producer, topic, "b", false);
            inTransaction(producer, topic, "c", true);
        }
        assertThat(values(readAll(broker.bootstrapServers(), topic, "read_committed", 10)))
                .containsExactlyElementsOf(expected("a", "c"));
        assertThat(values(readAll(broker.bootstrapServers(), topic, "read_uncommitted", 15)))
                .containsExactlyElementsOf(expected("a", "b", "c"));
    }

    @Test
    void aNewProducerWithTheSameTransactionalIdFencesTheOldOne() {
        String topic = "txn-zombie";
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> zombie = transactional(broker.bootstrapServers(), "zombie", 60_000);
                KafkaProducer<String, String> successor = transactional(broker.bootstrapServers(), "zombie", 60_000)) {
            zombie.initTransactions();
            inTransaction(zombie, topic, "a", true);
            successor.initTransactions();
            zombie.beginTransaction();
            zombie.send(new ProducerRecord<>(topic, 0, "k", "zombie"));
            assertThatThrownBy(zombie::commitTransaction)
                    .isInstanceOfAny(ProducerFencedException.class, InvalidProducerEpochException.class);
            inTransaction(successor, topic, "b", true);
        }
        assertThat(values(readAll(broker.bootstrapServers(), topic, "read_committed", 10)))
                .containsExactlyElementsOf(expected("a", "b"));
    }

    /**
     * Two-phase commit (KIP-939, InitProducerId v6) is not implemented: asked for, it is refused as a Kafka broker
     * without {@code transaction.two.phase.commit.enable} refuses it, instead of giving transactions that the
     * coordinator would time out. (kafka-clients 4.3.1 itself sends InitProducerId v5 without it.)
     */
    @Test
    void twoPhaseCommitIsRefusedNotIgnored() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            for (boolean enable2Pc : new boolean[] {true, false}) {
                var response = (InitProducerIdResponse) wire.send(
                        new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                                .setTransactionalId("two-phase")
                                .setTransactionTimeoutMs(60_000)
                                .setProducerId(-1)
                                .setProducerEpoch((short) -1)
                                .setEnable2Pc(enable2Pc)
                                .setKeepPreparedTxn(!enable2Pc)),
                        (short) 6);
                assertThat(Errors.forCode(response.data().errorCode()))
                        .isEqualTo(enable2Pc ? Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : Errors.INVALID_REQUEST);
            }
        }
    }

    @Test
    void theCoordinatorAbortsATransactionOpenLongerThanItsTimeout() throws Exception {
        String topic = "txn-timeout";
        String id = "hanging";
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> hanging = transactional(broker.bootstrapServers(), id, 1_000);
                Admin admin = broker.admin()) {
            hanging.initTransactions();
            hanging.beginTransaction();
            hanging.send(new ProducerRecord<>(topic, 0, "k", "hanging"));
            hanging.flush();
            Await.until(
                    TIMEOUT,
                    "the coordinator to abort " + id,
                    () -> state(admin, id) == TransactionState.COMPLETE_ABORT);
            assertThatThrownBy(hanging::commitTransaction).isInstanceOf(KafkaException.class);
        }
        try (KafkaProducer<String, String> plain = broker.producer()) {
            plain.send(new ProducerRecord<>(topic, 0, "k", "after")).get();
        }
        assertThat(values(readAll(broker.bootstrapServers(), topic, "read_committed", 1)))
                .containsExactly("after");
    }

    @Test
    void aTransactionOpenWhenTheBrokerIsKilledIsNeverHalfVisible() throws Exception {
        String topic = "txn-crash";
        String id = "crash";
        Path logDir = dir.resolve("data");
        Path output = dir.resolve("broker.out");
        int port = Ports.free();
        try (BrokerProcess first = startProcess(port, logDir, output)) {
            try (Admin admin = admin(port)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
                        .all()
                        .get();
            }
            KafkaProducer<String, String> producer = transactional("127.0.0.1:" + port, id, 60_000);
            producer.initTransactions();
            inTransaction(producer, topic, "a", true);
            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "open" + i));
            }
            producer.flush();
            first.kill();
            producer.close(Duration.ZERO);
        }
        int newPort = Ports.free();
        try (BrokerProcess restarted = startProcess(newPort, logDir, output)) {
            String bootstrap = "127.0.0.1:" + newPort;
            try (KafkaProducer<String, String> successor = transactional(bootstrap, id, 60_000)) {
                successor.initTransactions(); // aborts the transaction the crash left open
                inTransaction(successor, topic, "b", true);
            }
            assertThat(values(readAll(bootstrap, topic, "read_committed", 10)))
                    .containsExactlyElementsOf(expected("a", "b"));
        }
    }

    @Test
    void kafkaTransactionsShListsDescribesAndAbortsAHangingTransaction() throws Exception {
        String topic = "txn-tool";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, Map.of());
        try (KafkaProducer<String, String> hanging =
                transactional(broker.bootstrapServers(), "tool-hanging", 600_000)) {
            hanging.initTransactions();
            hanging.beginTransaction();
            hanging.send(new ProducerRecord<>(topic, 0, "k", "never committed"));
            hanging.flush();

            assertThat(transactionsTool("list"))
                    .as("kafka-transactions.sh list")
                    .containsPattern("tool-hanging\\s+1\\s+\\d+\\s+Ongoing");
            assertThat(transactionsTool("describe", "--transactional-id", "tool-hanging"))
                    .as("kafka-transactions.sh describe")
                    .contains("Ongoing", topic + "-0");
            assertThat(lastStableOffset(tp))
                    .as("the open transaction holds the LSO")
                    .isZero();

            // the operator's way out of a hanging transaction: an abort marker written through the partition leader
            transactionsTool("abort", "--topic", topic, "--partition", "0", "--start-offset", "0");
            Await.until(TIMEOUT, "the LSO past the abort marker", () -> lastStableOffset(tp) == 2);
            assertThat(readCommittedUpTo(tp, 2))
                    .as("records a read_committed consumer sees")
                    .isEmpty();
        }
    }

    /**
     * Runs Apache Kafka's kafka-transactions.sh command (its TransactionsCommand, through the package-private
     * {@code execute} its {@code main} calls, in this JVM to save a JVM start per call) against the broker; what it
     * prints. Its admin client is created as {@code main} creates it, from {@code --bootstrap-server}.
     */
    private static String transactionsTool(String... command) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--bootstrap-server", broker.bootstrapServers()));
        args.addAll(List.of(command));
        Class<?> tool = Class.forName("org.apache.kafka.tools.TransactionsCommand");
        java.lang.reflect.Method execute = tool.getDeclaredMethod(
                "execute",
                String[].class,
                java.util.function.Function.class,
                java.io.PrintStream.class,
                org.apache.kafka.common.utils.Time.class);
        execute.setAccessible(true);
        java.util.function.Function<Object, Admin> admins = namespace -> admin(broker.port());
        var out = new java.io.ByteArrayOutputStream();
        // the tool ends by exiting the JVM, with 0 or, on an error, another code: here that ends the call instead
        org.apache.kafka.common.utils.Exit.setExitProcedure((code, message) -> {
            throw new ToolExit(code, message);
        });
        try (var print = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8)) {
            execute.invoke(null, args.toArray(String[]::new), admins, print, org.apache.kafka.common.utils.Time.SYSTEM);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (!(e.getCause() instanceof ToolExit exit) || exit.code != 0) {
                throw new AssertionError("kafka-transactions.sh " + String.join(" ", command) + " failed:\n" + out, e);
            }
        } finally {
            org.apache.kafka.common.utils.Exit.resetExitProcedure();
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The tool's call to exit the JVM. */
    private static final class ToolExit extends RuntimeException {
        final int code;

        ToolExit(int code, String message) {
            super("exit " + code + ": " + message);
            this.code = code;
        }
    }

    /** Every record a read_committed consumer returns before its position reaches {@code end}. */
    private static List<ConsumerRecord<String, String>> readCommittedUpTo(TopicPartition tp, long end) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, String>> seen = new java.util.ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            Await.until(TIMEOUT, "the read_committed position at " + end, () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
                return consumer.position(tp) >= end;
            });
        }
        return seen;
    }

    private static long lastStableOffset(TopicPartition tp) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    private BrokerProcess startProcess(int port, Path logDir, Path output) throws Exception {
        Path config = BrokerProcess.writeConfig(dir.resolve("server-" + port + ".properties"), port, logDir, SETTINGS);
        BrokerProcess process = BrokerProcess.start(output, config.toString());
        process.awaitListening(port, Duration.ofSeconds(60));
        return process;
    }

    private static Admin admin(int port) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port));
    }

    private static TransactionState state(Admin admin, String id) {
        try {
            return admin.describeTransactions(List.of(id)).all().get().get(id).state();
        } catch (Exception e) {
            return null;
        }
    }

    private static KafkaProducer<String, String> transactional(String bootstrap, String id, int timeoutMs) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, timeoutMs);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** Five records {@code prefix0..prefix4} in one transaction, committed or aborted. */
    private static void inTransaction(
            KafkaProducer<String, String> producer, String topic, String prefix, boolean commit) {
        producer.beginTransaction();
        for (int i = 0; i < 5; i++) {
            producer.send(new ProducerRecord<>(topic, 0, "k", prefix + i));
        }
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.flush();
            producer.abortTransaction();
        }
    }

    private static List<String> expected(String... prefixes) {
        return java.util.Arrays.stream(prefixes)
                .flatMap(p -> IntStream.range(0, 5).mapToObj(i -> p + i))
                .toList();
    }

    private static List<ConsumerRecord<String, String>> readAll(
            String bootstrap, String topic, String isolation, int expected) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            return Await.records(consumer, expected, TIMEOUT);
        }
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(ConsumerRecord::value).toList();
    }
}
