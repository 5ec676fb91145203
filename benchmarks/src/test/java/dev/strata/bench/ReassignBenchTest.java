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
        ReassignBench.Result strata =
                new ReassignBench.Result("strata", 1024 * MIB, 12 * MIB, 1_040_000, 1_048_576, 3.46, 12 * MIB, null);

        String table = ReassignBench.table(1024 * MIB, 10 * MIB, 4 * MIB, List.of(strata));

        assertThat(table)
                .contains("1024 MiB of history, local.retention.bytes 10 MiB, segment.bytes 4 MiB")
                .containsPattern("history produced MiB +1024\\.0")
                .containsPattern("leader's local segments before, MiB +12\\.0")
                .containsPattern("request to done and in ISR, s +3\\.5")
                .containsPattern("new replica's local segments on completion, MiB +12\\.0")
                .containsPattern("share of the history +1\\.2%");
        assertThat(strata.toJson())
                .containsEntry("reassignment_seconds", 3.46)
                .containsEntry("remote_bytes_read", null);
    }

    @Test
    void aFailureIsReported() {
        ReassignBench.Result failed = new ReassignBench.Result(
                "strata", 64 * MIB, -1, -1, -1, Double.NaN, -1, "java.lang.IllegalStateException: boom");

        assertThat(ReassignBench.table(64 * MIB, 10 * MIB, 4 * MIB, List.of(failed)))
                .contains("failed: java.lang.IllegalStateException: boom")
                .doesNotContain("ISR")
                .doesNotContain("leader's local");
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
