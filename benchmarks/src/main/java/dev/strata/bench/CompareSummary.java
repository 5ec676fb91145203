package dev.strata.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The table of {@code bench compare}: per driver, partition count and metric, the minimum, median and maximum over
 * every round of each broker, the ratio of the medians (Strata / Kafka), and that ratio again over the rounds of each
 * order alone (Kafka first, Strata first), which shows what going first or second did.
 */
final class CompareSummary {
    static final String KAFKA_FIRST = "kafka-first";
    static final String STRATA_FIRST = "strata-first";

    private CompareSummary() {}

    /**
     * One value measured on one broker.
     *
     * @param broker {@code kafka} or {@code strata}
     * @param order which broker went first in its round ({@link #KAFKA_FIRST}, {@link #STRATA_FIRST})
     * @param round 1-based round
     * @param sample what was measured
     */
    record Measured(String broker, String order, int round, ComparePhase.Sample sample) {}

    /**
     * Min, median and max of some values; empty values give nulls.
     *
     * @param values the values, in the order measured
     */
    record Stats(List<Double> values) {
        static Stats of(List<Double> values) {
            return new Stats(List.copyOf(values));
        }

        Double min() {
            return values.stream().mapToDouble(Double::doubleValue).min().stream()
                    .boxed()
                    .findFirst()
                    .orElse(null);
        }

        Double max() {
            return values.stream().mapToDouble(Double::doubleValue).max().stream()
                    .boxed()
                    .findFirst()
                    .orElse(null);
        }

        /** The middle value, or the mean of the two middle ones. */
        Double median() {
            if (values.isEmpty()) {
                return null;
            }
            double[] sorted =
                    values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("min", min());
            m.put("median", median());
            m.put("max", max());
            m.put("values", values);
            return m;
        }
    }

    /**
     * One line of the table.
     *
     * @param driver the client
     * @param partitions the topic's partitions
     * @param metric what
     * @param kafka Apache Kafka's values over every round
     * @param strata Strata's
     * @param kafkaFirst Strata / Kafka of the medians over the rounds where Kafka ran first; null if none
     * @param strataFirst the same where Strata ran first
     */
    record Row(
            CompareDriver driver,
            int partitions,
            Metric metric,
            Stats kafka,
            Stats strata,
            Double kafkaFirst,
            Double strataFirst) {

        Double ratio() {
            return CompareSummary.ratio(kafka.median(), strata.median());
        }

        /** As a row of the chart: the medians, under a name that says driver and partitions. */
        ComparisonRow medians() {
            Metric named = new Metric(
                    metric.workload(),
                    driver.label() + " P" + partitions + " " + metric.name(),
                    metric.unit(),
                    metric.higherIsBetter(),
                    metric.value());
            return new ComparisonRow(named, kafka.median(), strata.median());
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("driver", driver.label());
            m.put("partitions", partitions);
            m.put("metric", metric.name());
            m.put("unit", metric.unit());
            m.put("better", metric.higherIsBetter() ? "higher" : "lower");
            m.put("kafka", kafka.toJson());
            m.put("strata", strata.toJson());
            m.put("strata_over_kafka", ratio());
            m.put("strata_over_kafka_" + KAFKA_FIRST.replace('-', '_'), kafkaFirst);
            m.put("strata_over_kafka_" + STRATA_FIRST.replace('-', '_'), strataFirst);
            return m;
        }
    }

    /** The rows: drivers, then partition counts, then metrics, in the order given. */
    static List<Row> rows(
            List<Measured> measured, List<CompareDriver> drivers, List<Integer> partitions, List<Workload> workloads) {
        List<Row> rows = new ArrayList<>();
        for (CompareDriver d : drivers) {
            for (int p : partitions) {
                for (Metric m : Metric.ALL) {
                    if (workloads.contains(m.workload()) && d.runs(m.workload())) {
                        rows.add(new Row(
                                d,
                                p,
                                m,
                                Stats.of(values(measured, d, p, m, "kafka", null)),
                                Stats.of(values(measured, d, p, m, "strata", null)),
                                orderRatio(measured, d, p, m, KAFKA_FIRST),
                                orderRatio(measured, d, p, m, STRATA_FIRST)));
                    }
                }
            }
        }
        return rows;
    }

    private static Double orderRatio(List<Measured> measured, CompareDriver d, int p, Metric m, String order) {
        return ratio(
                Stats.of(values(measured, d, p, m, "kafka", order)).median(),
                Stats.of(values(measured, d, p, m, "strata", order)).median());
    }

    private static List<Double> values(
            List<Measured> measured, CompareDriver d, int p, Metric m, String broker, String order) {
        return measured.stream()
                .filter(x ->
                        x.broker().equals(broker) && (order == null || x.order().equals(order)))
                .map(Measured::sample)
                .filter(s -> s.driver() == d
                        && s.partitions() == p
                        && s.result().spec().workload() == m.workload())
                .map(s -> m.value().applyAsDouble(s.result()))
                .toList();
    }

    private static Double ratio(Double kafka, Double strata) {
        return kafka == null || strata == null || kafka == 0 ? null : strata / kafka;
    }

    /** The table as {@code comparison.txt} holds it. */
    static String table(List<Row> rows, int rounds, List<String> orders) {
        StringBuilder out = new StringBuilder();
        String format = "%-10s %3s %-22s %26s %26s %8s %8s %8s%n";
        out.append(String.format(
                Locale.ROOT,
                format,
                "driver",
                "P",
                "metric",
                "Kafka min/med/max",
                "Strata min/med/max",
                "S/K med",
                "K first",
                "S first"));
        for (Row r : rows) {
            out.append(String.format(
                    Locale.ROOT,
                    format,
                    r.driver().label(),
                    r.partitions(),
                    r.metric().label() + (r.metric().higherIsBetter() ? " (+)" : " (-)"),
                    stats(r.kafka()),
                    stats(r.strata()),
                    ratioText(r.ratio()),
                    ratioText(r.kafkaFirst()),
                    ratioText(r.strataFirst())));
        }
        out.append("(+) higher is better, (-) lower is better; ")
                .append(rounds)
                .append(rounds == 1 ? " round" : " rounds")
                .append(" of each order (")
                .append(String.join(", ", orders))
                .append("); S/K med: Strata/Kafka of the medians over all rounds; K first, S first: the same over the"
                        + " rounds where Kafka, or Strata, ran first\n");
        return out.toString();
    }

    private static String stats(Stats s) {
        if (s.values().isEmpty()) {
            return "-";
        }
        if (s.values().size() == 1) {
            return number(s.median());
        }
        return number(s.min()) + " / " + number(s.median()) + " / " + number(s.max());
    }

    private static String ratioText(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    static String number(Double v) {
        Objects.requireNonNull(v);
        return v >= 1000 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
