package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The options, the commit-latency percentiles and the report of {@code bench txn}; no broker is started. */
class TxnBenchTest {

    private static TxnBench parse(String... args) {
        TxnBench bench = new TxnBench();
        new CommandLine(bench).parseArgs(args);
        return bench;
    }

    /** Runs the command as the launcher does; only with options it refuses, so that it starts nothing. */
    private static int refused(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new TxnBench());
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void defaultsAreHundredRecordTransactionsOfOneKibibyteAgainstBothBrokers() {
        TxnBench bench = parse();

        assertThat(bench.recordsPerTxn).isEqualTo(100);
        assertThat(bench.brokers).containsExactly("kafka", "strata");
        assertThat(bench.remote).isFalse();
        WorkloadSpec spec = bench.produceSpec();
        assertThat(spec.recordSize()).isEqualTo(1024);
        assertThat(spec.partitions()).isEqualTo(3);
        assertThat(spec.acks()).isEqualTo("all");
        assertThat(spec.records())
                .as("no count limit: the duration bounds the run")
                .isZero();
        assertThat(spec.duration()).isEqualTo(Duration.ofSeconds(10));
        assertThat(bench.warmup()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void countsAndSizesAreOptions() {
        TxnBench bench = parse(
                "--records-per-txn",
                "10",
                "--transactions",
                "50",
                "--record-size",
                "512",
                "--partitions",
                "6",
                "--duration",
                "2.5",
                "--brokers",
                "kafka",
                "--remote");

        WorkloadSpec spec = bench.produceSpec();
        assertThat(spec.records()).as("transactions x records per transaction").isEqualTo(500);
        assertThat(spec.recordSize()).isEqualTo(512);
        assertThat(spec.partitions()).isEqualTo(6);
        assertThat(spec.duration()).isEqualTo(Duration.ofMillis(2500));
        assertThat(bench.brokers).containsExactly("kafka");
        assertThat(bench.remote).isTrue();
    }

    @Test
    void quickShortensThePhasesAndTheWarmUp() {
        TxnBench bench = parse("--quick", "--duration", "60");

        assertThat(bench.produceSpec().duration()).isEqualTo(Duration.ofSeconds(3));
        assertThat(bench.warmup()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void anUnknownBrokerIsAUsageError() {
        StringWriter err = new StringWriter();

        assertThat(refused(err, "--brokers", "kafka,zookeeper")).isEqualTo(2);
        assertThat(err.toString()).contains("--brokers takes kafka, strata or both");
    }

    @Test
    void emptyTransactionsAreAUsageError() {
        StringWriter err = new StringWriter();

        assertThat(refused(err, "--records-per-txn", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--records-per-txn");
    }

    @Test
    void commitPercentilesAreReadFromMicrosecondsAsMilliseconds() {
        Histogram micros = Percentiles.newHistogram();
        for (int ms = 1; ms <= 100; ms++) {
            micros.recordValue(ms * 1000L);
        }

        Percentiles p = Percentiles.of(micros);

        assertThat(p.count()).isEqualTo(100);
        assertThat(p.p50Ms()).isCloseTo(50, within(0.1));
        assertThat(p.p99Ms()).isCloseTo(99, within(0.1));
        assertThat(p.maxMs()).isCloseTo(100, within(0.1));
        assertThat(p.meanMs()).isCloseTo(50.5, within(0.1));
    }

    @Test
    void noCommitsAreZeroesNotAnError() {
        assertThat(Percentiles.of(Percentiles.newHistogram())).isEqualTo(new Percentiles(0, 0, 0, 0, 0, 0));
    }

    @Test
    void theReportPutsKafkaBesideAStrataThatHasNoTransactions() {
        WorkloadSpec spec = WorkloadSpec.defaults(Workload.PRODUCE);
        Map<TxnBench.Phase, WorkloadResult> kafka = new EnumMap<>(TxnBench.Phase.class);
        kafka.put(TxnBench.Phase.IDEMPOTENT_PRODUCE, new WorkloadResult(spec, "t1", 40_000, 40_960_000, 2, 0, null));
        kafka.put(
                TxnBench.Phase.TRANSACTIONAL_PRODUCE,
                new WorkloadResult(spec, "t2", 10_000, 10_240_000, 2, 0, new Percentiles(50, 8, 30, 30, 31, 9)));
        kafka.put(
                TxnBench.Phase.READ_COMMITTED_LOCAL, new WorkloadResult(spec, "t2", 10_000, 10_240_000, 0.5, 0, null));
        Map<TxnBench.Phase, WorkloadResult> strata = new EnumMap<>(TxnBench.Phase.class);
        strata.put(TxnBench.Phase.IDEMPOTENT_PRODUCE, new WorkloadResult(spec, "t3", 20_000, 20_480_000, 2, 0, null));
        Map<String, TxnBench.BrokerRun> runs = new LinkedHashMap<>();
        runs.put("kafka", new TxnBench.BrokerRun("127.0.0.1:1", null, "1.00, 2.00, 3.00", kafka, null));
        runs.put("strata", new TxnBench.BrokerRun("127.0.0.1:2", null, null, strata, "no coordinator"));

        List<ComparisonRow> rows = TxnBench.rows(TxnBench.figures(100, false), runs);
        String table = TxnBench.table(rows, runs);

        assertThat(table)
                .containsPattern("idempotent produce records/s \\(\\+\\) +20000 +10000 +0\\.50")
                .containsPattern("txn commits/s \\(\\+\\) +50\\.00 +- +-")
                .containsPattern("commit p50 ms \\(-\\) +8\\.00 +- +-")
                .containsPattern("commit p99 ms \\(-\\) +30\\.00 +- +-")
                .containsPattern("commit max ms \\(-\\) +31\\.00 +- +-")
                .containsPattern("read_committed local MB/s \\(\\+\\) +20\\.48 +- +-")
                .contains("kafka: load average 1.00, 2.00, 3.00 at its start")
                .contains("strata failed: no coordinator")
                .doesNotContain("remote");
    }

    @Test
    void theRemoteFiguresComeWithTheRemoteTier() {
        assertThat(TxnBench.figures(100, true))
                .extracting(f -> f.metric().label())
                .contains("time to offload s", "read_committed remote MB/s", "read_committed remote records/s");
    }
}
