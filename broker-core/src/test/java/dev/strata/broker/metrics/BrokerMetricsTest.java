package dev.strata.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker's registry in Prometheus text format: request metrics by API, bytes in and out, log directory space, JVM
 * and process.
 */
class BrokerMetricsTest {

    @Test
    void rendersRequestJvmAndProcessMetricsUnderPrometheusNames() {
        try (BrokerMetrics metrics = new BrokerMetrics(List.of(), Optional.empty())) {
            RequestMetrics requests = metrics.requests();
            requests.requestReceived(ApiKeys.PRODUCE, 1_000);
            requests.requestReceived(ApiKeys.PRODUCE, 500);
            requests.responseSent(ApiKeys.PRODUCE, 60, TimeUnit.MILLISECONDS.toNanos(3));
            requests.requestReceived(ApiKeys.FETCH, 100);
            requests.trailingBytesIgnored(ApiKeys.FETCH, 3);

            String scrape = metrics.scrape();

            assertThat(scrape)
                    .contains("strata_requests_total{request=\"Produce\"} 2")
                    .contains("strata_requests_total{request=\"Fetch\"} 1")
                    .contains("strata_requests_trailing_total{request=\"Fetch\"} 1")
                    .contains("strata_request_latency_seconds_count{request=\"Produce\"} 1")
                    .contains("strata_request_latency_seconds_sum{request=\"Produce\"} 0.003")
                    .contains("strata_network_received_bytes_total 1600")
                    .contains("strata_network_sent_bytes_total 60")
                    .contains("jvm_memory_used_bytes{")
                    .contains("jvm_threads_live_threads ")
                    .contains("process_uptime_seconds ")
                    .doesNotContain("strata_remote_", "request=\"Metadata\"");
        }
    }

    @Test
    void rendersTheSpaceUsedAndFreeOfEachLogDir(@TempDir Path logDir) throws IOException {
        Files.createDirectories(logDir.resolve("orders-0"));
        Files.write(logDir.resolve("orders-0").resolve("00000000000000000000.log"), new byte[1234]);
        Files.write(logDir.resolve("orders-0").resolve("00000000000000000000.index"), new byte[16]);

        try (BrokerMetrics metrics = new BrokerMetrics(List.of(logDir), Optional.empty())) {
            String scrape = metrics.scrape();

            String dir = "{dir=\"" + logDir + "\"}";
            assertThat(scrape)
                    .contains("strata_log_dir_used_bytes" + dir + " 1250.0")
                    .contains("strata_log_dir_free_bytes" + dir + " ")
                    .contains("strata_log_dir_total_bytes" + dir + " ");
        }
    }
}
