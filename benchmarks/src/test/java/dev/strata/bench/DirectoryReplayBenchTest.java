package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The table of {@code bench dir-replay}: each round's figures per broker, and the ratios against issue #14's targets. */
class DirectoryReplayBenchTest {

    @Test
    void eachRoundComparesStrataRemoteWithItsLocalReplayAndWithKafkaRemote() {
        List<DirectoryReplayBench.Turn> turns = List.of(
                turn("kafka", 1, 100, 30),
                turn("strata", 1, 200, 180),
                turn("strata", 2, 200, 150),
                turn("kafka", 2, 100, 60));

        String table = DirectoryReplayBench.table(turns);

        assertThat(table).containsPattern("replay from the remote tier +1: 30\\.0  2: 60\\.0 +1: 180\\.0  2: 150\\.0");
        assertThat(table).containsPattern("round 1: Strata remote / local +0\\.90  \\(target >= 0\\.8: met\\)");
        assertThat(table).containsPattern("round 1: Strata remote / Kafka remote +6\\.00  \\(target >= 3\\.0: met\\)");
        assertThat(table).containsPattern("round 2: Strata remote / local +0\\.75  \\(target >= 0\\.8: not met\\)");
        assertThat(table)
                .containsPattern("round 2: Strata remote / Kafka remote +2\\.50  \\(target >= 3\\.0: not met\\)");
    }

    @Test
    void aFailedTurnShowsItsErrorAndNoRatio() {
        DirectoryReplayBench.Turn failed = new DirectoryReplayBench.Turn(
                "strata", 1, "1", "2", new DirectoryReplayBench.Figures(), "java.io.IOException: no broker");

        String table = DirectoryReplayBench.table(List.of(turn("kafka", 1, 100, 30), failed));

        assertThat(table).contains("round 1 strata: load average 1 at start, 2 at end; failed: java.io.IOException");
        assertThat(table).doesNotContain("Strata remote /");
    }

    private static DirectoryReplayBench.Turn turn(String broker, int round, double localMbps, double remoteMbps) {
        DirectoryReplayBench.Figures f = new DirectoryReplayBench.Figures();
        f.localReplay = result(localMbps);
        f.remoteReplay = result(remoteMbps);
        return new DirectoryReplayBench.Turn(broker, round, "0.5", "0.6", f, null);
    }

    /** A result of {@code mbps} MB/s: that many MB in one second. */
    private static WorkloadResult result(double mbps) {
        WorkloadSpec spec = new WorkloadSpec(
                Workload.REMOTE_REPLAY,
                1024,
                1,
                "all",
                "none",
                1,
                Duration.ofSeconds(1),
                0,
                0,
                16384,
                0,
                null,
                Map.of());
        return new WorkloadResult(spec, "t", 1, (long) (mbps * 1_000_000), 1.0, 0, null);
    }
}
