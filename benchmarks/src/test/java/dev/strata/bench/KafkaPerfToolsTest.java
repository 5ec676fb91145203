package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Reading the summaries of Apache Kafka's perf tools (kafka-tools 4.3.1) back into results; no tool is run. */
class KafkaPerfToolsTest {
    private static final WorkloadSpec SPEC =
            WorkloadSpec.defaults(Workload.PRODUCE).withPartitions(8).withRecords(20_000);

    @Test
    void theProducerToolsLastLineIsTheTotalWithItsPercentiles() {
        String output =
                """
                6001 records sent, 1200.2 records/sec (1.17 MB/sec), 1598.7 ms avg latency, 2593.0 ms max latency.
                20000 records sent, 2960.331557 records/sec (2.89 MB/sec), 2686.26 ms avg latency, 3340.00 ms max \
                latency, 3188 ms 50th, 3299 ms 95th, 3307 ms 99th, 3338 ms 99.9th.
                """;

        WorkloadResult r = KafkaPerfTools.producerResult(SPEC, "t", output);

        assertThat(r.spec().workload()).isEqualTo(Workload.PRODUCE);
        assertThat(r.spec().partitions()).isEqualTo(8);
        assertThat(r.records()).isEqualTo(20_000);
        assertThat(r.bytes()).isEqualTo(20_000L * 1024);
        assertThat(r.recordsPerSecond()).isCloseTo(2960.33, within(0.01));
        assertThat(r.megabytesPerSecond())
                .as("10^6 bytes, where the tool prints MiB")
                .isCloseTo(2960.331557 * 1024 / 1e6, within(0.001));
        assertThat(r.latency().p50Ms()).isEqualTo(3188);
        assertThat(r.latency().p99Ms()).isEqualTo(3307);
        assertThat(r.latency().p999Ms()).isEqualTo(3338);
        assertThat(r.latency().maxMs()).isEqualTo(3340);
    }

    @Test
    void theConsumerToolsFigureIsItsFetchTimeWithoutTheGroupJoin() {
        String output = "2026-12-06 17:37:07:305, 2026-12-06 17:37:13:489, 19.5313, 3.1584, 20000, 3234.1527, 4421,"
                + " 1763, 11.0784, 11344.2995\n";

        WorkloadResult r = KafkaPerfTools.consumerResult(SPEC.withWorkload(Workload.CONSUME), "t", output);

        assertThat(r.spec().workload()).isEqualTo(Workload.CONSUME);
        assertThat(r.records()).isEqualTo(20_000);
        assertThat(r.seconds()).isEqualTo(1.763);
        assertThat(r.megabytesPerSecond()).isCloseTo(20_000 * 1024 / 1.763 / 1e6, within(0.001));
    }

    @Test
    void outputWithoutASummaryIsAFailureThatQuotesIt() {
        assertThatThrownBy(() -> KafkaPerfTools.producerResult(SPEC, "t", "Exception in thread main: boom"))
                .hasMessageContaining("boom");
        assertThatThrownBy(() -> KafkaPerfTools.consumerResult(SPEC, "t", "WARN nothing consumed"))
                .hasMessageContaining("nothing consumed");
    }
}
