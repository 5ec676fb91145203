package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Min/median/max over rounds, and the ratio per order, of {@code bench compare}; made-up results, no broker. */
class CompareSummaryTest {

    private static CompareSummary.Measured produce(
            String broker, String order, int round, CompareDriver driver, int partitions, double mbPerSecond) {
        WorkloadSpec spec = WorkloadSpec.defaults(Workload.PRODUCE).withPartitions(partitions);
        long bytes = Math.round(mbPerSecond * 1e6);
        WorkloadResult r =
                new WorkloadResult(spec, "t", bytes / 1024, bytes, 1.0, 0, new Percentiles(1, 1, 2, 3, 4, 1));
        return new CompareSummary.Measured(broker, order, round, new ComparePhase.Sample(driver, r));
    }

    @Test
    void statsAreMinMedianAndMax() {
        CompareSummary.Stats odd = CompareSummary.Stats.of(List.of(3.0, 1.0, 2.0));
        CompareSummary.Stats even = CompareSummary.Stats.of(List.of(4.0, 1.0, 2.0, 3.0));

        assertThat(odd.min()).isEqualTo(1.0);
        assertThat(odd.median()).isEqualTo(2.0);
        assertThat(odd.max()).isEqualTo(3.0);
        assertThat(even.median()).isEqualTo(2.5);
        assertThat(CompareSummary.Stats.of(List.of()).median()).isNull();
    }

    @Test
    void eachDriverAndPartitionCountHasItsRowsWithTheRatioOverAllRoundsAndPerOrder() {
        List<CompareSummary.Measured> m = new ArrayList<>();
        // Kafka first: Kafka 100, Strata 150; Strata first: Kafka 120, Strata 120; two rounds of each order
        for (int round = 1; round <= 2; round++) {
            m.add(produce("kafka", "kafka-first", round, CompareDriver.KAFKA_PERF, 8, 100));
            m.add(produce("strata", "kafka-first", round, CompareDriver.KAFKA_PERF, 8, 150));
            m.add(produce("strata", "strata-first", round, CompareDriver.KAFKA_PERF, 8, 120));
            m.add(produce("kafka", "strata-first", round, CompareDriver.KAFKA_PERF, 8, 120));
        }
        m.add(produce("kafka", "kafka-first", 1, CompareDriver.LOADDRIVER, 1, 50));

        List<CompareSummary.Row> rows = CompareSummary.rows(
                m,
                List.of(CompareDriver.LOADDRIVER, CompareDriver.KAFKA_PERF),
                List.of(1, 8),
                List.of(Workload.PRODUCE, Workload.E2E));

        assertThat(rows)
                .as("produce MB/s, records/s, p50, p99, p99.9 per driver and count; e2e only for the LoadDriver")
                .hasSize(2 * 2 * 5 + 2 * 3);
        CompareSummary.Row perf8 = rows.stream()
                .filter(r -> r.driver() == CompareDriver.KAFKA_PERF
                        && r.partitions() == 8
                        && r.metric().label().equals("produce MB/s"))
                .findFirst()
                .orElseThrow();
        assertThat(perf8.kafka().values()).hasSize(4);
        assertThat(perf8.kafka().min()).isCloseTo(100, within(0.01));
        assertThat(perf8.kafka().max()).isCloseTo(120, within(0.01));
        assertThat(perf8.ratio()).isCloseTo(135.0 / 110.0, within(0.001));
        assertThat(perf8.kafkaFirst()).isCloseTo(1.5, within(0.001));
        assertThat(perf8.strataFirst()).isCloseTo(1.0, within(0.001));

        String table = CompareSummary.table(rows, 2, List.of("kafka-first", "strata-first"));
        assertThat(table)
                .contains("kafka-perf")
                .contains("100.00 / 110.00 / 120.00")
                .contains("120.00 / 135.00 / 150.00")
                .contains("1.23")
                .contains("1.50")
                .contains("2 rounds of each order (kafka-first, strata-first)");
        assertThat(perf8.toJson())
                .containsEntry("driver", "kafka-perf")
                .containsEntry("partitions", 8)
                .containsKey("strata_over_kafka_strata_first");
        assertThat(perf8.medians().metric().label()).isEqualTo("kafka-perf P8 produce MB/s");
    }

    @Test
    void theLoadAverageAndFailuresFollowTheTable() {
        List<Compare.BrokerRun> phases = List.of(
                new Compare.BrokerRun(
                        "kafka", "kafka-first", 1, "x", null, List.of(), null, "2.50, 1, 1", "3.50, 1, 1"),
                new Compare.BrokerRun("strata", "kafka-first", 1, null, null, List.of(), "boom", "4.00, 1, 1", null));

        String text = Compare.loadAndErrors(phases);

        assertThat(text)
                .contains("min 2.50, median 3.50, max 4.00")
                .contains("strata failed in round 1 (kafka-first): boom");
    }
}
