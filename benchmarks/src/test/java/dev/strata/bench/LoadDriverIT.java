package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Smoke test of the load driver against an in-process Strata broker: a few seconds of produce and consume through
 * the command line, then the JSON it wrote. It proves the driver works end to end, not how fast anything is.
 */
class LoadDriverIT {
    @TempDir
    Path tmp;

    private StrataServer broker;

    @BeforeEach
    void startBroker() throws Exception {
        broker = StrataServer.start(BrokerConfig.of(Map.of(
                "listeners",
                "PLAINTEXT://127.0.0.1:0",
                "log.dirs",
                tmp.resolve("data").toString())));
    }

    @AfterEach
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void producesAndConsumesAndWritesJson() throws Exception {
        Path json = tmp.resolve("results.json");
        int exit = new CommandLine(new LoadDriver())
                .execute(
                        "--bootstrap-server", "127.0.0.1:" + broker.port(),
                        "--workload", "produce,consume",
                        "--duration", "1",
                        "--record-size", "512",
                        "--partitions", "2",
                        "--label", "strata",
                        "--output", json.toString());

        assertThat(exit).isZero();
        String written = Files.readString(json);
        assertThat(written)
                .contains("\"broker\": \"strata\"", "\"workload\": \"produce\"", "\"workload\": \"consume\"");
        assertThat(recordsOf(written, "produce")).isPositive();
        assertThat(recordsOf(written, "consume")).isPositive();
    }

    @Test
    void runsEachWorkloadThroughTheRunner() {
        WorkloadRunner runner = new WorkloadRunner("127.0.0.1:" + broker.port());
        WorkloadSpec produce = WorkloadSpec.defaults(Workload.PRODUCE).withDuration(Duration.ofSeconds(1));

        WorkloadResult produced = runner.run(produce);
        WorkloadResult consumed = runner.run(produce.withWorkload(Workload.CONSUME));

        assertThat(produced.records()).isPositive();
        assertThat(produced.errors()).isZero();
        assertThat(produced.latency().count()).isEqualTo(produced.records());
        assertThat(consumed.records()).isPositive();
        assertThat(consumed.bytes()).isEqualTo(consumed.records() * produce.recordSize());
    }

    /** The {@code records} of the first result of {@code workload} in the driver's JSON. */
    private static long recordsOf(String json, String workload) {
        int at = json.indexOf("\"workload\": \"" + workload + "\"");
        int key = json.indexOf("\"records\": ", at) + "\"records\": ".length();
        int end = json.indexOf(',', key);
        return Long.parseLong(json.substring(key, end).trim());
    }
}
