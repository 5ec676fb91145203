package dev.strata.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.StrataServer;
import dev.strata.broker.config.BrokerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of the remote-replay workload against an in-process Strata broker that tiers to its filesystem backend
 * (the workload does not care which backend; {@code bench compare} and {@code bench tiered} use S3Proxy): 3 MB in
 * 1 MiB segments are offloaded, dropped locally and read back whole. It proves the workload's steps, not speed.
 */
class RemoteReplayIT {
    @TempDir
    Path tmp;

    private StrataServer broker;

    @BeforeEach
    void startBroker() throws Exception {
        broker = StrataServer.start(BrokerConfig.of(Map.of(
                "listeners", "PLAINTEXT://127.0.0.1:0",
                "log.dirs", tmp.resolve("data").toString(),
                "remote.log.storage.system.enable", "true",
                "rsm.config.dir", tmp.resolve("remote").toString(),
                "remote.log.manager.task.interval.ms", "200",
                "log.retention.check.interval.ms", "200")));
    }

    @AfterEach
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void offloadsSealedSegmentsAndReplaysEveryRecordFromOffsetZero() {
        // one partition: 3 MB fill at least two sealed 1 MiB segments besides the active one
        WorkloadSpec spec = RemoteReplayRun.spec(1000, 1, 3);
        WorkloadRunner runner = new WorkloadRunner("127.0.0.1:" + broker.port(), tmp.resolve("data"));

        WorkloadResult result = runner.run(spec);

        assertThat(result.records()).isEqualTo(spec.records());
        assertThat(result.bytes()).isEqualTo(spec.records() * spec.recordSize());
        assertThat(result.offload().segments()).isGreaterThanOrEqualTo(2);
        assertThat(result.offload().bytes()).isGreaterThan(2_000_000L);
        assertThat(result.offload().seconds()).isPositive();
    }

    @Test
    void aTieredWarmUpTiersAndReplaysATopicOfItsOwnWhenAMeasuredWorkloadReadsTheRemoteTier() throws Exception {
        String bootstrap = "127.0.0.1:" + broker.port();
        ComparePhase phase = new ComparePhase(bootstrap, tmp.resolve("data"), null);
        List<WorkloadSpec> remote = List.of(WorkloadSpec.defaults(Workload.PRODUCE), RemoteReplayRun.spec(1000, 1, 1));

        assertThat(phase.warmUpTiered(List.of(WorkloadSpec.defaults(Workload.PRODUCE)), 3))
                .isNull();
        assertThat(phase.warmUpTiered(remote, 0)).isNull();
        try (BenchTopic topic = phase.warmUpTiered(remote, 3);
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicPartition tp = new TopicPartition(topic.name(), 0);
            long tiered = admin.listOffsets(Map.of(tp, OffsetSpec.latestTiered()))
                    .partitionResult(tp)
                    .get()
                    .offset();
            // 3 MB in 1 MiB segments, not the remote-replay workload's 1 MB: at least two sealed segments are remote
            assertThat(tiered).isGreaterThan(1000L);
        }
    }

    @Test
    void refusesRemoteReplayWithoutTheBrokersLogDirectory() {
        WorkloadRunner runner = new WorkloadRunner("127.0.0.1:" + broker.port());

        assertThatThrownBy(() -> runner.run(WorkloadSpec.defaults(Workload.REMOTE_REPLAY)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--log-dir");
    }
}
