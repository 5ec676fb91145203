package dev.strata.broker.metrics;

import dev.strata.broker.log.LogDirectory;
import dev.strata.broker.tiering.RemoteTier;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Collection;
import java.util.Optional;

/**
 * The broker's metrics in one Micrometer registry rendered in Prometheus text format: JVM memory, garbage collection
 * and threads, process CPU and uptime ({@code process_uptime_seconds}), the {@link RequestMetrics} of every
 * connection, and the remote tier's {@link TieringMetrics} when the broker tiers. Created by the server when
 * {@code metrics.prometheus.listener} is set.
 */
public final class BrokerMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final RequestMetrics requests;
    private final Optional<TieringMetrics> tiering;

    /** @param remoteTier the broker's remote tier, if it tiers */
    public BrokerMetrics(Optional<RemoteTier> remoteTier) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        this.requests = new RequestMetrics(registry);
        this.tiering =
                remoteTier.map(tier -> new TieringMetrics(registry, tier.manager(), tier.cache(), tier.reader()));
    }

    /**
     * Gauges of each log directory: {@code strata_log_dir_offline} (1 after an I/O error took it offline),
     * {@code strata_log_dir_free_bytes} and {@code strata_log_dir_total_bytes} (as last read, once a second), by
     * {@code dir}.
     */
    public void bindLogDirectories(Collection<LogDirectory> directories) {
        for (LogDirectory d : directories) {
            String dir = d.path().toString();
            Gauge.builder("strata.log.dir.offline", d, x -> x.isOffline() ? 1 : 0)
                    .tag("dir", dir)
                    .description("1 once an I/O error has taken the log directory offline (until restart)")
                    .register(registry);
            Gauge.builder("strata.log.dir.free", d, x -> x.freeBytes() == Long.MAX_VALUE ? -1 : x.freeBytes())
                    .tag("dir", dir)
                    .baseUnit("bytes")
                    .description("Usable bytes left on the log directory's file system")
                    .register(registry);
            Gauge.builder("strata.log.dir.total", d, LogDirectory::totalBytes)
                    .tag("dir", dir)
                    .baseUnit("bytes")
                    .description("Size of the log directory's file system")
                    .register(registry);
        }
    }

    /** What the network layer reports requests to. */
    public RequestMetrics requests() {
        return requests;
    }

    /** Every metric's current value, in Prometheus text format 0.0.4. */
    public synchronized String scrape() {
        tiering.ifPresent(TieringMetrics::refresh);
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
