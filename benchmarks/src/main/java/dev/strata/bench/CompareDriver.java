package dev.strata.bench;

import java.util.Locale;
import java.util.Set;

/**
 * The client side of {@code bench compare}: Strata's {@link LoadDriver} (every workload), or Apache Kafka's own perf
 * tools ({@link KafkaPerfTools}: produce and consume only), so that a skeptic need not trust Strata's driver.
 */
enum CompareDriver {
    LOADDRIVER("loaddriver", Set.of(Workload.values())),
    KAFKA_PERF("kafka-perf", Set.of(Workload.PRODUCE, Workload.CONSUME));

    private final String label;
    private final Set<Workload> workloads;

    CompareDriver(String label, Set<Workload> workloads) {
        this.label = label;
        this.workloads = workloads;
    }

    String label() {
        return label;
    }

    boolean runs(Workload w) {
        return workloads.contains(w);
    }

    static CompareDriver parse(String s) {
        String name = s.trim().toLowerCase(Locale.ROOT);
        for (CompareDriver d : values()) {
            if (d.label.equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown driver '" + s + "'; loaddriver or kafka-perf");
    }
}
