package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * librdkafka's transactional producer commits and aborts against the broker: {@code librdkafka_transactions.py} (in
 * the test resources, on Debian's {@code python3-confluent-kafka}) runs a committed, an aborted and a committed
 * transaction over two partitions; a read_committed kafka-clients consumer then sees exactly the committed records in
 * order, a read_uncommitted one sees the aborted records too (so the abort really wrote them and the markers hide
 * them), and librdkafka's own read_committed consumer sees what kafka-clients sees.
 *
 * <p>Skipped where no {@code python3} can import {@code confluent_kafka}; {@code .ci/run} installs the package.
 * Against Strata or Apache Kafka as {@link TransactionalBroker} says.
 */
class LibrdkafkaTransactionsIT {

    private static final String SCRIPT = "librdkafka_transactions.py";
    /** Debian's interpreter first: the package installs for it, and a {@code python3} earlier on the PATH may not see it. */
    private static final List<String> PYTHONS = List.of("/usr/bin/python3", "python3");

    private static final int TIMEOUT_SECONDS = 60;

    private static String python;
    private static TransactionalBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        Optional<String> found = PYTHONS.stream()
                .filter(p -> run(List.of(p, "-c", "import confluent_kafka")).exitCode() == 0)
                .findFirst();
        Assumptions.assumeTrue(
                found.isPresent(), "no python3 with confluent_kafka (apt-get install python3-confluent-kafka)");
        python = found.get();
        broker = TransactionalBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void librdkafkaCommitsAndAbortsAndReadCommittedSeesOnlyTheCommittedRecords() throws Exception {
        String topic = "librdkafka-transactions";
        broker.createTopics(2, topic);

        Result produced = run(List.of(python, script(), "produce", broker.bootstrapServers(), topic, "librdkafka-txn"));
        assertThat(produced.exitCode())
                .as("librdkafka's transactional producer; output:\n%s%s", produced.output(), broker.logTail())
                .isZero();

        List<String> committed = expected(1, 3);
        assertThat(values(broker.readAll(topic, "read_committed")))
                .as("read_committed (kafka-clients)")
                .isEqualTo(committed);
        assertThat(values(broker.readAll(topic, "read_uncommitted")))
                .as("read_uncommitted (kafka-clients): the aborted round is in the log")
                .isEqualTo(expected(1, 2, 3));

        Result consumed = run(List.of(
                python, script(), "consume", broker.bootstrapServers(), topic, Integer.toString(committed.size())));
        assertThat(consumed.exitCode())
                .as("librdkafka's read_committed consumer; output:\n%s", consumed.output())
                .isZero();
        List<List<Object>> pairs = new ObjectMapper().readValue(lastLine(consumed.output()), List.class);
        List<String> librdkafka = new ArrayList<>();
        for (int partition = 0; partition < 2; partition++) {
            for (List<Object> pair : pairs) {
                if (((Number) pair.get(0)).intValue() == partition) {
                    librdkafka.add(partition + ":" + pair.get(1));
                }
            }
        }
        assertThat(librdkafka).as("read_committed (librdkafka)").isEqualTo(committed);
    }

    /**
     * What the script writes in {@code rounds}, as {@code partition:value} in partition and offset order: six records
     * a round, record {@code i} to partition {@code i % 2}; round 2 is the aborted one.
     */
    private static List<String> expected(int... rounds) {
        List<String> out = new ArrayList<>();
        for (int partition = 0; partition < 2; partition++) {
            for (int round : rounds) {
                String outcome = round == 2 ? "abort" : "commit";
                for (int i = partition; i < 6; i += 2) {
                    out.add(partition + ":round" + round + "-" + outcome + "-" + i);
                }
            }
        }
        return out;
    }

    private static List<String> values(List<ConsumerRecord<String, String>> records) {
        return records.stream().map(r -> r.partition() + ":" + r.value()).toList();
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String script() throws URISyntaxException {
        return Path.of(LibrdkafkaTransactionsIT.class.getResource(SCRIPT).toURI())
                .toString();
    }

    private record Result(int exitCode, String output) {}

    private static Result run(List<String> command) {
        try {
            Path output = Files.createTempFile("librdkafka-", ".out");
            try {
                Process p = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    return new Result(-1, "timed out after " + TIMEOUT_SECONDS + " s:\n" + Files.readString(output));
                }
                return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return new Result(-2, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-3, "interrupted");
        }
    }
}
