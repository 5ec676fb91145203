package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Where {@code compare} looks for a classpath file that no option names, and how its options make the rounds: which
 * broker goes first, the partition counts and the drivers. No broker is started.
 */
class CompareTest {

    private static Compare parse(String... args) {
        Compare compare = new Compare();
        new CommandLine(compare).parseArgs(args);
        return compare;
    }

    @Test
    void byDefaultEachRoundRunsKafkaFirstAndThenStrataFirst() {
        assertThat(parse().sequences()).containsExactly(List.of("kafka", "strata"), List.of("strata", "kafka"));
    }

    @Test
    void oneOrderRunsOneSequence() {
        assertThat(parse("--order", "strata-first").sequences()).containsExactly(List.of("strata", "kafka"));
        assertThat(parse("--order", "kafka-first").sequences()).containsExactly(List.of("kafka", "strata"));
    }

    @Test
    void oneBrokerHasOneOrder() {
        assertThat(parse("--brokers", "strata").sequences()).containsExactly(List.of("strata"));
    }

    @Test
    void anUnknownOrderOrBrokerIsRefusedByName() {
        assertThatThrownBy(() -> parse("--order", "alphabetical").sequences())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("alphabetical");
        assertThatThrownBy(() -> parse("--brokers", "redpanda").sequences())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("redpanda");
    }

    @Test
    void severalPartitionCountsRunsAndDriversAreOptions() {
        LoadDriver.SpecOptions spec = new LoadDriver.SpecOptions();
        new CommandLine(spec).parseArgs("--partitions", "1,3,8,3");

        assertThat(spec.partitionCounts()).containsExactly(1, 3, 8);
        assertThat(spec.toSpec(Workload.PRODUCE).partitions()).isEqualTo(1);
        assertThat(new CommandLine(new Compare())
                        .parseArgs("--driver", "kafka-perf,loaddriver", "--runs", "3")
                        .matchedOptionValue("--runs", 0))
                .isEqualTo(3);
        assertThat(CompareDriver.parse("kafka-perf")).isEqualTo(CompareDriver.KAFKA_PERF);
        assertThat(CompareDriver.KAFKA_PERF.runs(Workload.E2E)).isFalse();
        assertThatThrownBy(() -> CompareDriver.parse("rdkafka_performance"))
                .hasMessageContaining("loaddriver or kafka-perf");
    }

    @Test
    void refusedOptionsExitNonZeroWithoutStartingABroker() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Compare());
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("--driver", "nope", "--results-dir", System.getProperty("java.io.tmpdir")))
                .isNotZero();
        assertThat(err.toString()).contains("--driver");
        assertThat(cli.execute("--runs", "0", "--results-dir", System.getProperty("java.io.tmpdir")))
                .isNotZero();
    }

    @Test
    void theLoadDriverTakesOnePartitionCount() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new LoadDriver());
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("--partitions", "1,3")).isNotZero();
        assertThat(err.toString()).contains("one count");
    }

    @Test
    void aGivenClasspathFileIsTakenAsItIs() {
        Path given = Path.of("elsewhere", "classpath.txt");

        assertThat(Compare.classpathFile(given, KafkaBroker.S3_PLUGIN_CLASSPATH_FILE))
                .isEqualTo(given);
    }

    @Test
    void aDefaultUnderAnotherModuleIsFoundFromInsideTheBenchmarksModule() {
        // Maven runs the tests in benchmarks/, whose parent is the repository root
        Path fromRoot = Path.of("remote-storage-s3", "pom.xml");

        assertThat(Compare.classpathFile(null, fromRoot))
                .isEqualTo(Path.of("..", "remote-storage-s3", "pom.xml"))
                .isRegularFile();
    }
}
