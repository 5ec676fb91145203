package dev.strata.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One metric measured on both brokers. A value is null where that broker's run failed.
 *
 * @param metric what was measured
 * @param kafka Apache Kafka's value
 * @param strata Strata's value
 */
record ComparisonRow(Metric metric, Double kafka, Double strata) {

    /** Strata / Kafka, or null when either is missing or Kafka's is zero. */
    Double ratio() {
        return kafka == null || strata == null || kafka == 0 ? null : strata / kafka;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", metric.name());
        m.put("unit", metric.unit());
        m.put("better", metric.higherIsBetter() ? "higher" : "lower");
        m.put("kafka", kafka);
        m.put("strata", strata);
        m.put("strata_over_kafka", ratio());
        return m;
    }
}
