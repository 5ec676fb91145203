package dev.strata.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Latency percentiles in milliseconds, read from an HdrHistogram of microseconds.
 *
 * @param count how many latencies were recorded
 * @param p50Ms median
 * @param p99Ms 99th percentile
 * @param p999Ms 99.9th percentile
 * @param maxMs largest recorded
 * @param meanMs mean
 */
public record Percentiles(long count, double p50Ms, double p99Ms, double p999Ms, double maxMs, double meanMs) {

    /** Microsecond histograms up to one hour, three significant digits. */
    public static Histogram newHistogram() {
        return new Histogram(3_600_000_000L, 3);
    }

    public static Percentiles of(Histogram micros) {
        if (micros.getTotalCount() == 0) {
            return new Percentiles(0, 0, 0, 0, 0, 0);
        }
        return new Percentiles(
                micros.getTotalCount(),
                ms(micros.getValueAtPercentile(50)),
                ms(micros.getValueAtPercentile(99)),
                ms(micros.getValueAtPercentile(99.9)),
                ms(micros.getMaxValue()),
                micros.getMean() / 1000.0);
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("p50_ms", p50Ms);
        m.put("p99_ms", p99Ms);
        m.put("p99_9_ms", p999Ms);
        m.put("max_ms", maxMs);
        m.put("mean_ms", meanMs);
        return m;
    }
}
