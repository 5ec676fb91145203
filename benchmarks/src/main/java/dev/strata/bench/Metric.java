package dev.strata.bench;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One number the comparison puts side by side for both brokers.
 *
 * @param workload the workload it comes from
 * @param name short name, such as {@code produce p99}
 * @param unit {@code MB/s}, {@code records/s}, {@code ms} or {@code s}
 * @param higherIsBetter whether a larger value is the better one (throughput) or not (latency)
 * @param value how to read it from the workload's result
 */
record Metric(
        Workload workload, String name, String unit, boolean higherIsBetter, ToDoubleFunction<WorkloadResult> value) {

    static final List<Metric> ALL = List.of(
            new Metric(Workload.PRODUCE, "produce", "MB/s", true, WorkloadResult::megabytesPerSecond),
            new Metric(Workload.PRODUCE, "produce", "records/s", true, WorkloadResult::recordsPerSecond),
            new Metric(Workload.PRODUCE, "produce p50", "ms", false, r -> r.latency()
                    .p50Ms()),
            new Metric(Workload.PRODUCE, "produce p99", "ms", false, r -> r.latency()
                    .p99Ms()),
            new Metric(Workload.PRODUCE, "produce p99.9", "ms", false, r -> r.latency()
                    .p999Ms()),
            new Metric(Workload.CONSUME, "consume", "MB/s", true, WorkloadResult::megabytesPerSecond),
            new Metric(Workload.E2E, "e2e p50", "ms", false, r -> r.latency().p50Ms()),
            new Metric(Workload.E2E, "e2e p99", "ms", false, r -> r.latency().p99Ms()),
            new Metric(Workload.E2E, "e2e p99.9", "ms", false, r -> r.latency().p999Ms()),
            new Metric(Workload.REPLAY, "replay", "MB/s", true, WorkloadResult::megabytesPerSecond),
            new Metric(Workload.REMOTE_REPLAY, "offload", "MB/s", true, r -> r.offload()
                    .megabytesPerSecond()),
            new Metric(Workload.REMOTE_REPLAY, "time to offload", "s", false, r -> r.offload()
                    .seconds()),
            new Metric(Workload.REMOTE_REPLAY, "remote replay", "MB/s", true, WorkloadResult::megabytesPerSecond),
            new Metric(Workload.REMOTE_REPLAY, "remote replay", "records/s", true, WorkloadResult::recordsPerSecond));

    String label() {
        return name + " " + unit;
    }
}
