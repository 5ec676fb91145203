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
 * Smoke test of what {@code bench compare --driver loaddriver,kafka-perf --partitions 1,2} runs against a broker, in
 * tiny form against an in-process Strata broker: both drivers (Apache Kafka's perf tools in their child JVMs on Kafka's
 * own jars) produce 300 records into a fresh topic at each partition count and read them back, twice, as two rounds
 * would, and the summary has min/median/max over both. It proves the wiring, not how fast anything is.
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
    void bothDriversProduceAndReadBackEveryRecordAtEachPartitionCount() throws Exception {
        String bootstrap = "127.0.0.1:" + broker.port();
        KafkaPerfTools tools = new KafkaPerfTools(ApacheKafkaJars.classpath(), tmp.resolve("kafka-perf"));
        ComparePhase phase = new ComparePhase(bootstrap, tmp.resolve("data"), tools);
        WorkloadSpec produce =
                WorkloadSpec.defaults(Workload.PRODUCE).withRecords(RECORDS).withDuration(Duration.ofSeconds(60));
        phase.warmUp(produce, Duration.ofMillis(500));

        List<CompareSummary.Measured> measured = new ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            for (int partitions : List.of(1, 2)) {
                for (CompareDriver driver : CompareDriver.values()) {
                    List<WorkloadSpec> specs = List.of(
                            produce.withPartitions(partitions),
                            produce.withWorkload(Workload.CONSUME).withPartitions(partitions));
                    for (ComparePhase.Sample s : phase.run(driver, specs)) {
                        assertThat(s.result().records())
                                .as(
                                        "%s %s, %d partitions",
                                        driver, s.result().spec().workload(), partitions)
                                .isEqualTo(RECORDS);
                        assertThat(s.partitions()).isEqualTo(partitions);
                        measured.add(new CompareSummary.Measured("strata", "strata-first", round, s));
                    }
                }
            }
        }

        assertThat(measured).hasSize(2 * 2 * 2 * 2);
        List<CompareSummary.Row> rows = CompareSummary.rows(
                measured,
                List.of(CompareDriver.LOADDRIVER, CompareDriver.KAFKA_PERF),
                List.of(1, 2),
                List.of(Workload.PRODUCE, Workload.CONSUME));
        assertThat(rows)
                .hasSize(2 * 2 * 6)
                .allSatisfy(r -> assertThat(r.strata().values()).hasSize(2));
        assertThat(CompareSummary.table(rows, 2, List.of("strata-first"))).contains("kafka-perf", "loaddriver");
    }
}
