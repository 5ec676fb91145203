package dev.strata.bench;

import java.util.List;
import java.util.Locale;

/** The results of a driver run as a fixed-width table for a terminal. */
final class ResultTable {

    private ResultTable() {}

    static String format(List<WorkloadResult> results) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "%-8s %12s %9s %12s %9s %9s %9s %9s %7s%n",
                "workload",
                "records",
                "MB/s",
                "records/s",
                "p50 ms",
                "p99 ms",
                "p99.9 ms",
                "max ms",
                "errors"));
        for (WorkloadResult r : results) {
            Percentiles l = r.latency();
            out.append(String.format(
                    Locale.ROOT,
                    "%-8s %12d %9.1f %12.0f %9s %9s %9s %9s %7d%n",
                    r.spec().workload().label(),
                    r.records(),
                    r.megabytesPerSecond(),
                    r.recordsPerSecond(),
                    ms(l == null ? null : l.p50Ms()),
                    ms(l == null ? null : l.p99Ms()),
                    ms(l == null ? null : l.p999Ms()),
                    ms(l == null ? null : l.maxMs()),
                    r.errors()));
        }
        return out.toString();
    }

    private static String ms(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }
}
