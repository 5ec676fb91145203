package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Kafka Streams application with {@code processing.guarantee=exactly_once_v2} ({@link StreamsEosApp}: a
 * repartition and a counting state store) keeps exactly-once output when its JVM is killed part way and when the
 * broker restarts part way.
 *
 * <p>"Exactly" means: read with {@code read_committed}, the output topic holds, for every key with N input records,
 * exactly the counts 1, 2, ..., N in that order and nothing else. That is what one clean run writes (each input record
 * yields one output record with its key's new count; the order of one key's records is kept through the repartition),
 * so a lost record shows as a missing count or a short final count, and a record processed twice as a repeated or
 * too high count.
 *
 * <p>The app runs in a child JVM on this test's classpath and pauses {@value #DELAY_MS} ms per record, so the kill
 * or the restart lands while it works; only half the input exists until then, so the test's check that some but not
 * all of the output was committed at that point holds however fast the app runs. One
 * broker serves the class ({@link TransactionalBroker}: Strata, or Apache Kafka with {@code -Dstrata.it.target=kafka}).
 * With {@code -Dstrata.it.streams.guarantee=at_least_once} the kill test fails (counts past N), which shows that it
 * can fail.
 */
class StreamsExactlyOnceIT {

    private static final int RECORDS = 2000;
    private static final int KEYS = 20;
    private static final long DELAY_MS = 4;
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
    private static final String GUARANTEE = System.getProperty("strata.it.streams.guarantee", "exactly_once_v2");

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
    void appKilledPartWayAndRestartedWritesExactlyWhatOneCleanRunWrites(@TempDir Path stateDir) throws Exception {
        Scenario scenario = Scenario.prepare("killed");
        try (CommittedOutput output = new CommittedOutput(scenario.output())) {
            StreamsApp app = StreamsApp.start(scenario, stateDir);
            output.awaitAtLeast(RECORDS / 4, app);
            app.kill();
            int atKill = output.readToEnd();
            assertThat(atKill)
                    .as("output committed when the app was killed (the kill must land part way)")
                    .isBetween(RECORDS / 4, RECORDS / 2);
            scenario.produceSecondHalf();

            try (StreamsApp restarted = StreamsApp.start(scenario, stateDir)) {
                output.awaitAtLeast(RECORDS, restarted);
                restarted.stop();
            }
        }
        assertExactlyOneCleanRun(scenario);
    }

    @Test
    void brokerRestartedPartWayLeavesExactlyWhatOneCleanRunWrites(@TempDir Path stateDir) throws Exception {
        Scenario scenario = Scenario.prepare("broker-restart");
        try (CommittedOutput output = new CommittedOutput(scenario.output());
                StreamsApp app = StreamsApp.start(scenario, stateDir)) {
            output.awaitAtLeast(RECORDS / 4, app);
            assertThat(output.readToEnd())
                    .as("output committed when the broker restart began (it must begin part way)")
                    .isBetween(RECORDS / 4, RECORDS / 2);
            broker.restart();
            scenario.produceSecondHalf();
            output.awaitAtLeast(RECORDS, app);
            app.stop();
        }
        assertExactlyOneCleanRun(scenario);
    }

    /** The output holds, per key with N input records, exactly the counts 1..N in order. */
    private static void assertExactlyOneCleanRun(Scenario scenario) {
        Map<String, List<String>> expected = new TreeMap<>();
        for (int i = 0; i < RECORDS; i++) {
            List<String> counts = expected.computeIfAbsent(keyOf(i), k -> new ArrayList<>());
            counts.add(Integer.toString(counts.size() + 1));
        }
        Map<String, List<String>> actual = new TreeMap<>();
        for (ConsumerRecord<String, String> r : broker.readAll(scenario.output(), "read_committed")) {
            actual.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
        }
        assertThat(actual)
                .as("counts per key in the output of %s on %s, read_committed", GUARANTEE, broker.name())
                .isEqualTo(expected);
    }

    /** The key the {@code i}-th input record is counted under (its value). */
    private static String keyOf(int i) {
        return "key-" + (i % KEYS);
    }

    /**
     * One test's application id and topics. The first half of the input is produced up front and the second only
     * after the kill or restart, so that lands part way however fast the app runs.
     */
    private record Scenario(String applicationId, String input, String output) {

        static Scenario prepare(String name) throws Exception {
            Scenario s = new Scenario("eos-" + name, "eos-" + name + "-input", "eos-" + name + "-output");
            broker.createTopics(2, s.input(), s.output());
            s.produce(0, RECORDS / 2);
            return s;
        }

        void produceSecondHalf() {
            produce(RECORDS / 2, RECORDS);
        }

        private void produce(int from, int to) {
            try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
                for (int i = from; i < to; i++) {
                    producer.send(new ProducerRecord<>(input, "in-" + i, keyOf(i)));
                }
                producer.flush();
            }
        }
    }

    /** The output topic as a read_committed reader sees it while the app runs: how many records are committed. */
    private static final class CommittedOutput implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer;
        private final List<TopicPartition> partitions;
        private int count;

        CommittedOutput(String topic) {
            consumer = broker.consumer(Map.of());
            partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /** Reads until at least {@code expected} records are committed; fails early if the app exits. */
        void awaitAtLeast(int expected, StreamsApp app) {
            long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
            while (count < expected) {
                if (!app.isAlive()) {
                    throw new AssertionError(
                            "the Streams app exited after " + count + " committed output records:\n" + app.logTail());
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("only " + count + " of " + expected + " output records committed within "
                            + RUN_TIMEOUT + "; app log:\n" + app.logTail() + broker.logTail());
                }
                count += consumer.poll(Duration.ofMillis(100)).count();
            }
            System.out.println(Instant.now() + " " + count + " output records committed");
        }

        /** Reads up to the last stable offset; returns how many records are committed. */
        int readToEnd() {
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                count += consumer.poll(Duration.ofMillis(100)).count();
            }
            return count;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** {@link StreamsEosApp} in a child JVM on this test's classpath, its output appended to a log file. */
    private static final class StreamsApp implements AutoCloseable {
        private final Process process;
        private final Path log;

        private StreamsApp(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        static StreamsApp start(Scenario scenario, Path stateDir) throws IOException {
            Path work = Path.of(System.getProperty("strata.it.work.dir", System.getProperty("java.io.tmpdir")));
            Files.createDirectories(work);
            Path log = work.resolve(scenario.applicationId() + ".log");
            List<String> command = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-XX:+UseSerialGC",
                    "-cp",
                    System.getProperty("java.class.path"),
                    StreamsEosApp.class.getName(),
                    broker.bootstrapServers(),
                    scenario.applicationId(),
                    scenario.input(),
                    scenario.output(),
                    GUARANTEE,
                    Long.toString(DELAY_MS),
                    stateDir.toString());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new StreamsApp(process, log);
        }

        boolean isAlive() {
            return process.isAlive();
        }

        /** {@code kill -9}: no shutdown hook, no commit, no producer close. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("app killed").isTrue();
        }

        /** SIGTERM: the app closes its Kafka Streams instance cleanly and exits. */
        void stop() throws InterruptedException {
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS))
                    .as("app stopped within 30 s; log:\n%s", logTail())
                    .isTrue();
        }

        String logTail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e + ")";
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                kill();
            }
        }
    }
}
