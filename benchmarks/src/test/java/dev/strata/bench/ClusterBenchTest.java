package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The medians and the side-by-side table of {@code compare --cluster}. */
class ClusterBenchTest {

    @Test
    void theMedianOfAnOddCountIsTheMiddleValue() {
        assertThat(ClusterBench.medianMs(List.of(ms(900), ms(100), ms(500)))).isEqualTo(500.0);
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(ClusterBench.medianMs(List.of(ms(400), ms(100), ms(200), ms(900))))
                .isEqualTo(300.0);
    }

    @Test
    void noValuesHaveNoMedian() {
        assertThat(ClusterBench.medianMs(List.of())).isNull();
    }

    @Test
    void theTableShowsMediansEveryRunAndTheRatio() {
        ClusterBench.ClusterRun kafka = run("kafka", 20_000_000, List.of(10_000, 11_000, 9_000), List.of(3_000), null);
        ClusterBench.ClusterRun strata = run("strata", 10_000_000, List.of(8_000, 9_000, 7_000), List.of(2_000), null);

        String table = ClusterBench.table(3, kafka, strata);

        assertThat(table)
                .contains("3-node clusters, RF=3, acks=all, min.insync.replicas=2")
                .containsPattern("produce MB/s \\(\\+\\) +2\\.00 +1\\.00 +0\\.50")
                .containsPattern("produce p99 ms, 1000/s \\(-\\) +4\\.0 +3\\.0 +0\\.75")
                .containsPattern(
                        "failover: next ack ms \\(-\\) +10000 \\[10000 11000 9000\\] +8000 \\[8000 9000 7000\\]"
                                + " +0\\.80")
                .containsPattern("controlled shutdown ms \\(-\\) +3000 \\[3000\\] +2000 \\[2000\\] +0\\.67")
                .doesNotContain("failed:");
    }

    @Test
    void aFailedRunIsReportedAndItsMissingFiguresShowAsDashes() {
        ClusterBench.ClusterRun kafka = run("kafka", 20_000_000, List.of(10_000), List.of(3_000), null);
        ClusterBench.ClusterRun strata = new ClusterBench.ClusterRun(
                "strata", null, null, List.of(), List.of(), List.of(), 0, "java.io.IOException: no quorum");

        String table = ClusterBench.table(3, kafka, strata);

        assertThat(table)
                .containsPattern("produce MB/s \\(\\+\\) +2\\.00 +- +-")
                .contains("strata failed: java.io.IOException: no quorum");
    }

    private static ClusterBench.ClusterRun run(
            String system, long bytesIn10s, List<Integer> failoverMs, List<Integer> shutdownMs, String error) {
        WorkloadResult produce = new WorkloadResult(
                WorkloadSpec.defaults(Workload.PRODUCE),
                "t",
                bytesIn10s / 1024,
                bytesIn10s,
                10,
                0,
                new Percentiles(1, 1, 5, 9, 10, 2));
        List<FailoverProbe.Recovery> failovers = failoverMs.stream()
                .map(m -> new FailoverProbe.Recovery(ms(m), ms(m + 10)))
                .toList();
        List<Duration> shutdowns = shutdownMs.stream().map(ClusterBenchTest::ms).toList();
        WorkloadResult paced = new WorkloadResult(
                WorkloadSpec.defaults(Workload.PRODUCE).withRate(1000),
                "t",
                10_000,
                10_240_000,
                10,
                0,
                new Percentiles(1, 1, system.equals("kafka") ? 4 : 3, 9, 10, 2));
        return new ClusterBench.ClusterRun(system, produce, paced, failovers, shutdowns, failovers, 0, error);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
