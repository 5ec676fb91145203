package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The report of {@code bench restart}. */
class RestartBenchTest {

    @Test
    void theReportGivesTheMedianAndEveryStart() {
        List<RestartBench.Start> starts = List.of(
                new RestartBench.Start(2000, 3000),
                new RestartBench.Start(1000, 1500),
                new RestartBench.Start(4000, 6000));

        String table = RestartBench.table(10_000, 10, 212.4, starts, null);

        assertThat(table)
                .contains("with 10000 remote segments in its index (10 partitions")
                .containsPattern("time to build the state s +212")
                .containsPattern("process start to listening ms +2000 +\\(median of \\[2000 1000 4000\\]\\)")
                .containsPattern("process start to first remote fetch ms +3000 +\\(median of \\[3000 1500 6000\\]\\)");
    }

    @Test
    void aFailureIsReported() {
        assertThat(RestartBench.table(17, 10, 5, List.of(), "java.lang.IllegalStateException: boom"))
                .contains("failed: java.lang.IllegalStateException: boom")
                .doesNotContain("listening");
    }
}
