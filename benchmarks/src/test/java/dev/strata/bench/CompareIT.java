package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.testing.ApacheKafkaJars;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of what {@code bench compare --driver loaddriver,kafka-perf --partitions 2 --runs 1} runs against a broker,
 * in tiny form against an in-process Strata broker: both drivers (Apache Kafka's perf tools in their child JVMs on
 * Kafka's own jars) produce 300 records into a fresh topic of two partitions and read them back, and the summary has a
 * row for each. It proves the wiring, not how fast anything is; {@link CompareSummaryTest} covers min/median/max over
 * several rounds and partition counts without starting anything.
 */
class CompareIT {
    private static final long RECORDS = 300;

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
    void bothDriversProduceAndReadBackEveryRecord() throws Exception {
        String bootstrap = "127.0.0.1:" + broker.port();
        KafkaPerfTools tools = new KafkaPerfTools(ApacheKafkaJars.classpath(), tmp.resolve("kafka-perf"));
        ComparePhase phase = new ComparePhase(bootstrap, tmp.resolve("data"), tools);
        WorkloadSpec produce =
                WorkloadSpec.defaults(Workload.PRODUCE).withRecords(RECORDS).withDuration(Duration.ofSeconds(60));
        phase.warmUp(produce, Duration.ofMillis(500));

        List<CompareSummary.Measured> measured = new ArrayList<>();
        int partitions = 2;
        for (CompareDriver driver : CompareDriver.values()) {
            List<WorkloadSpec> specs = List.of(
                    produce.withPartitions(partitions),
                    produce.withWorkload(Workload.CONSUME).withPartitions(partitions));
            for (ComparePhase.Sample s : phase.run(driver, specs)) {
                assertThat(s.result().records())
                        .as("%s %s", driver, s.result().spec().workload())
                        .isEqualTo(RECORDS);
                assertThat(s.partitions()).isEqualTo(partitions);
                measured.add(new CompareSummary.Measured("strata", "strata-first", 1, s));
            }
        }

        assertThat(measured).hasSize(2 * 2);
        List<CompareSummary.Row> rows = CompareSummary.rows(
                measured,
                List.of(CompareDriver.LOADDRIVER, CompareDriver.KAFKA_PERF),
                List.of(partitions),
                List.of(Workload.PRODUCE, Workload.CONSUME));
        assertThat(rows).hasSize(2 * 6).allSatisfy(r -> assertThat(r.strata().values())
                .hasSize(1));
        assertThat(CompareSummary.table(rows, 1, List.of("strata-first"))).contains("kafka-perf", "loaddriver");
    }
}
