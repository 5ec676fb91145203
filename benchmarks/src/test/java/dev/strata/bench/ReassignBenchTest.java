package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of {@code bench reassign}. */
class ReassignBenchTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void theReportGivesTimeAndBytesMovedAsAShareOfTheHistory() {
        ReassignBench.Result strata = new ReassignBench.Result(
                "strata", 1024 * MIB, 12 * MIB, 1_040_000, 1_048_576, 3.46, 12 * MIB, 1_036_000, 193, null);

        String table = ReassignBench.table(1024 * MIB, 10 * MIB, 4 * MIB, List.of(strata));

        assertThat(table)
                .contains("1024 MiB of history, local.retention.bytes 10 MiB, segment.bytes 4 MiB")
                .containsPattern("history produced MiB +1024\\.0")
                .containsPattern("leader's local segments before, MiB +12\\.0")
                .containsPattern("request to done and in ISR, s +3\\.5")
                .containsPattern("new replica's local segments on completion, MiB +12\\.0")
                .containsPattern("share of the history +1\\.17%")
                .containsPattern("bootstrapped from the remote tier at offset +1036000")
                .containsPattern("remote bytes read for the bootstrap +193");
        assertThat(strata.toJson())
                .containsEntry("reassignment_seconds", 3.46)
                .containsEntry("remote_bytes_read", 193L);
    }

    @Test
    void aFailureIsReported() {
        ReassignBench.Result failed = new ReassignBench.Result(
                "strata", 64 * MIB, -1, -1, -1, Double.NaN, -1, -1, -1, "java.lang.IllegalStateException: boom");

        assertThat(ReassignBench.table(64 * MIB, 10 * MIB, 4 * MIB, List.of(failed)))
                .contains("failed: java.lang.IllegalStateException: boom")
                .doesNotContain("ISR")
                .doesNotContain("leader's local");
    }

    @Test
    void theBootstrapIsReadFromTheNewReplicasLog() {
        String log =
                "[2026-12-05 08:35:38,797] INFO Follower of cimSCGkGTBKv2-o6jGptrg:t-0 bootstrapped from the remote"
                        + " tier: its log restarts at 64549 (193 bytes of leader-epoch checkpoint and producer snapshot read"
                        + " from the remote tier) (dev.strata.broker.tiering.RemoteTierBootstrap)\n"
                        + "INFO Follower of x:other-0 bootstrapped from the remote tier: its log restarts at 7 (9 bytes\n";

        assertThat(ReassignBench.bootstrapFromLog(log, "t")).containsExactly(64549, 193);
        assertThat(ReassignBench.bootstrapFromLog("nothing", "t")).containsExactly(-1, -1);
    }

    @Test
    void segmentBytesCountsOnlyThePartitionsLogFiles(@TempDir Path dir) throws Exception {
        Path partition = Files.createDirectories(dir.resolve("t-0"));
        Files.write(partition.resolve("00000000000000000000.log"), new byte[100]);
        Files.write(partition.resolve("00000000000000000042.log"), new byte[50]);
        Files.write(partition.resolve("00000000000000000000.index"), new byte[4096]);

        assertThat(ReassignBench.segmentBytes(dir, "t")).isEqualTo(150);
        assertThat(ReassignBench.segmentBytes(dir, "absent")).isZero();
    }
}
