package dev.strata.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against a real Strata broker in a JVM of its own (one for the class), tiering to a directory: each
 * test runs {@code strata ...} as a user would and checks what it prints and its exit code.
 */
class StrataCliIT {

    @TempDir
    static Path dir;

    private static StrataBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = StrataBroker.start(dir, Map.of());
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    private static Run strata(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        boolean talksKafka = !all.get(0).equals("tier") && !all.contains("--bootstrap-server");
        if (talksKafka) {
            all.addAll(List.of("--bootstrap-server", broker.bootstrap(), "--timeout-ms", "60000"));
        }
        int code = StrataCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private static Path lines(String name, List<String> lines) throws Exception {
        return Files.write(dir.resolve(name), lines);
    }

    @Test
    void topicsAreCreatedListedDescribedConfiguredAndDeleted() {
        assertThat(strata("topics", "create", "--topic", "life", "--partitions", "3", "--config", "retention.ms=60000")
                        .code())
                .isZero();
        Run again = strata("topics", "create", "--topic", "life");
        assertThat(again.code()).isEqualTo(StrataCli.FAILED);
        assertThat(again.err()).contains("strata: topic life exists already");
        assertThat(strata("topics", "create", "--topic", "life", "--if-not-exists")
                        .code())
                .isZero();

        assertThat(strata("topics", "list").lines()).contains("life");

        Run described = strata("topics", "describe", "--topic", "life");
        assertThat(described.code()).isZero();
        assertThat(described.lines().get(0)).contains("Topic: life", "Partitions: 3", "retention.ms=60000");
        assertThat(described.lines().get(1)).startsWith("PARTITION  LEADER  REPLICAS  ISR  LOG-START");
        assertThat(described.lines().get(2)).startsWith("0          1       1         1    0");

        assertThat(strata("topics", "alter-config", "--topic", "life", "--add-config", "retention.ms=120000")
                        .code())
                .isZero();
        assertThat(strata("topics", "describe", "--topic", "life").lines().get(0))
                .contains("retention.ms=120000");

        assertThat(strata("topics", "delete", "--topic", "life").code()).isZero();
        Run gone = strata("topics", "describe", "--topic", "life");
        assertThat(gone.code()).isEqualTo(StrataCli.FAILED);
        assertThat(gone.err()).isEqualTo("strata: topic life does not exist\n");
        assertThat(strata("topics", "delete", "--topic", "life", "--if-exists").code())
                .isZero();
    }

    @Test
    void producedLinesComeBackWithTheirKeysHeadersAndPartitions() throws Exception {
        strata("topics", "create", "--topic", "lines", "--partitions", "2");
        List<String> input =
                IntStream.range(0, 100).mapToObj(i -> "k" + i + "=v" + i).toList();
        Run produced = strata(
                "produce",
                "--topic",
                "lines",
                "--file",
                lines("lines.txt", input).toString(),
                "--key-separator",
                "=",
                "--header",
                "source=it",
                "--compression",
                "lz4");
        assertThat(produced.code()).as(produced.err()).isZero();
        assertThat(produced.err()).contains("Produced 100 of 100 records to lines.");

        Run consumed = strata("consume", "--topic", "lines", "--from-beginning", "--until-end", "--format", "json");
        assertThat(consumed.code()).as(consumed.err()).isZero();
        assertThat(consumed.lines()).hasSize(100);
        assertThat(consumed.err()).contains("Consumed 100 records.");
        assertThat(consumed.out()).contains("\"key\":\"k7\",\"value\":\"v7\",\"headers\":{\"source\":\"it\"}");

        Run keyValue = strata(
                "consume",
                "--topic",
                "lines",
                "--from-beginning",
                "--max-messages",
                "5",
                "--format",
                "key-value",
                "--key-separator",
                "->");
        assertThat(keyValue.lines()).hasSize(5).allMatch(l -> l.matches("k\\d+->v\\d+"));

        Run json = strata(
                "produce",
                "--topic",
                "lines",
                "--json",
                "--acks",
                "1",
                "--file",
                lines("json.txt", List.of("{\"key\":\"j\",\"value\":{\"n\":1},\"partition\":1}"))
                        .toString());
        assertThat(json.code()).as(json.err()).isZero();
        Run last = strata(
                "consume",
                "--topic",
                "lines",
                "--partition",
                "1",
                "--offset",
                "0",
                "--until-end",
                "--format",
                "key-value");
        assertThat(last.lines()).last().isEqualTo("j\t{\"n\":1}");
    }

    @Test
    void aConsumerStartsAtTheFirstRecordAtOrAfterATime() throws Exception {
        strata("topics", "create", "--topic", "times", "--partitions", "1");
        // an hour ago: recent enough that retention.ms (7 days) keeps them
        long base = System.currentTimeMillis() - 3_600_000L;
        List<String> input = IntStream.range(0, 20)
                .mapToObj(i -> "{\"value\":\"r" + i + "\",\"timestamp\":" + (base + i * 60_000L) + "}")
                .toList();
        assertThat(strata(
                                "produce",
                                "--topic",
                                "times",
                                "--json",
                                "--file",
                                lines("times.txt", input).toString())
                        .code())
                .isZero();
        // base + 12.5 minutes: the first record at or after it is r13
        String time =
                java.time.Instant.ofEpochMilli(base + 12 * 60_000L + 30_000L).toString();
        Run run = strata("consume", "--topic", "times", "--from-time", time, "--until-end");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.lines()).containsExactly("r13", "r14", "r15", "r16", "r17", "r18", "r19");
    }

    @Test
    void aGroupsLagIsDescribedResetAndTheGroupDeleted() throws Exception {
        strata("topics", "create", "--topic", "lagging", "--partitions", "2");
        List<String> input = IntStream.range(0, 20).mapToObj(i -> "v" + i).toList();
        for (String partition : List.of("0", "1")) {
            Path file = lines("lag" + partition + ".txt", input);
            assertThat(strata("produce", "--topic", "lagging", "--partition", partition, "--file", file.toString())
                            .code())
                    .isZero();
        }
        Run consumed = strata("consume", "--topic", "lagging", "--group", "readers", "--from-beginning", "--until-end");
        assertThat(consumed.code()).as(consumed.err()).isZero();
        assertThat(consumed.lines()).hasSize(40);

        assertThat(strata("groups", "list").out()).contains("readers");
        Run described = strata("groups", "describe", "--group", "readers");
        assertThat(described.code()).isZero();
        assertThat(described.lines().get(0)).contains("Group: readers", "Members: 0");
        assertThat(described.lines()).last().asString().startsWith("TOTAL").endsWith("0");

        Run dryRun = strata("groups", "reset-offsets", "--group", "readers", "--topic", "lagging", "--to-earliest");
        assertThat(dryRun.out()).contains("dry run");
        assertThat(total(strata("groups", "describe", "--group", "readers"))).isZero();

        Run executed = strata(
                "groups", "reset-offsets", "--group", "readers", "--all-topics", "--to-offset", "5", "--execute");
        assertThat(executed.code()).as(executed.err()).isZero();
        // each partition of 20 records back to offset 5: 15 behind in each
        assertThat(total(strata("groups", "describe", "--group", "readers"))).isEqualTo(30);

        assertThat(strata("groups", "delete", "--group", "readers").code()).isZero();
        Run gone = strata("groups", "describe", "--group", "readers");
        assertThat(gone.code()).isEqualTo(StrataCli.FAILED);
        assertThat(gone.err()).contains("group readers does not exist");
    }

    @Test
    void tierStatusAndDescribeShowWhatTheRemoteTierHolds() throws Exception {
        Run created = strata(
                "topics",
                "create",
                "--topic",
                "tiered",
                "--partitions",
                "1",
                "--config",
                "remote.storage.enable=true",
                "--config",
                "segment.bytes=20000",
                "--config",
                "local.retention.bytes=1");
        assertThat(created.code()).as(created.err()).isZero();
        String payload = "x".repeat(200);
        List<String> input = IntStream.range(0, 1000).mapToObj(i -> i + payload).toList();
        Run produced = strata(
                "produce",
                "--topic",
                "tiered",
                "--file",
                lines("tiered.txt", input).toString());
        assertThat(produced.code()).as(produced.err()).isZero();

        Await.until(Duration.ofSeconds(120), "segments copied and local ones deleted", () -> {
            Run json = strata("tier", "status", "--topic", "tiered", "--json", "--http", broker.http());
            Map<String, Object> p = TierClient.partitions(castMap(Json.parse(json.out())), "tiered")
                    .get(0);
            return TierClient.number(p, "remoteSegments") >= 3 && TierClient.number(p, "localLogStartOffset") > 0;
        });

        Run status = strata("tier", "status", "--topic", "tiered", "--http", broker.http());
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.lines().get(0)).isEqualTo("Topic: tiered  (tiered)");
        assertThat(status.lines().get(2)).startsWith("0          leader");
        assertThat(status.out()).contains("Total tiered: 1 partitions").contains("Total broker 1:");

        Run described = strata("topics", "describe", "--topic", "tiered", "--http", broker.http());
        String row = described.lines().get(2);
        List<String> cells = List.of(row.trim().split("\\s{2,}"));
        assertThat(cells.get(4)).as(row).isEqualTo("0"); // log start
        assertThat(Long.parseLong(cells.get(5))).as(row).isPositive(); // local start
        assertThat(Long.parseLong(cells.get(6))).as(row).isGreaterThanOrEqualTo(Long.parseLong(cells.get(5)) - 1);
        assertThat(cells.get(7)).isEqualTo("1000");
        assertThat(cells.get(9)).as(row).isNotEqualTo("0 B").isNotEqualTo("-"); // remote bytes

        // a replay from the beginning reads the remote tier, and every record comes back in order
        Run replay = strata("consume", "--topic", "tiered", "--from-beginning", "--until-end");
        assertThat(replay.code()).as(replay.err()).isZero();
        assertThat(replay.lines()).hasSize(1000);
        assertThat(replay.lines().get(0)).isEqualTo("0" + payload);

        Run unknown = strata("tier", "status", "--topic", "nope", "--http", broker.http());
        assertThat(unknown.code()).isEqualTo(StrataCli.FAILED);
        assertThat(unknown.err()).contains("hosts no partition of it");
    }

    @Test
    void anUnreachableBrokerOrUnknownTopicFailsWithExitCodeOneAndAMessage() throws Exception {
        String nowhere = "127.0.0.1:" + Ports.free();
        long start = System.nanoTime();
        Run unreachable = strata("topics", "list", "--bootstrap-server", nowhere, "--timeout-ms", "2000");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(unreachable.code()).isEqualTo(StrataCli.FAILED);
        assertThat(unreachable.err()).contains("no answer from the broker at " + nowhere + " within 2000 ms");
        assertThat(tookMs).isLessThan(60_000);

        Run noHttp = strata("tier", "status", "--http", "http://" + nowhere, "--timeout-ms", "2000");
        assertThat(noHttp.code()).isEqualTo(StrataCli.FAILED);
        assertThat(noHttp.err()).contains("cannot reach the broker's HTTP listener");

        Run produce = strata(
                "produce",
                "--topic",
                "missing",
                "--file",
                lines("one.txt", List.of("x")).toString());
        assertThat(produce.code()).isEqualTo(StrataCli.FAILED);
        assertThat(produce.err()).contains("topic missing does not exist");
        Run consume = strata("consume", "--topic", "missing", "--from-beginning");
        assertThat(consume.code()).isEqualTo(StrataCli.FAILED);
        assertThat(consume.err()).isEqualTo("strata: topic missing does not exist\n");
    }

    private static long total(Run describe) {
        String last = describe.lines().get(describe.lines().size() - 1);
        return Long.parseLong(List.of(last.trim().split("\\s+")).stream()
                .filter(s -> s.matches("\\d+"))
                .collect(Collectors.toList())
                .get(0));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
