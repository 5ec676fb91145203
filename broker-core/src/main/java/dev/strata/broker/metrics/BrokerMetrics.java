package dev.strata.broker.metrics;

import dev.strata.broker.log.LogDirectory;
import dev.strata.broker.tiering.RemoteTier;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The broker's metrics in one Micrometer registry rendered in Prometheus text format: JVM memory, garbage collection
 * and threads, process CPU and uptime ({@code process_uptime_seconds}), the {@link RequestMetrics} of every
 * connection, the disk space of each log directory ({@link LogDirMetrics}), and the remote tier's {@link TieringMetrics}
 * when the broker tiers. Created by the server when
 * {@code metrics.prometheus.listener} or {@code console.listener} is set.
 */
public final class BrokerMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final RequestMetrics requests;
    private final Optional<TieringMetrics> tiering;
    private LongSupplier fetchSessionEvictions;

    /**
     * @param logDirs the broker's log directories
     * @param remoteTier the broker's remote tier, if it tiers
     */
    public BrokerMetrics(List<Path> logDirs, Optional<RemoteTier> remoteTier) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        LogDirMetrics.bind(registry, logDirs);
        this.requests = new RequestMetrics(registry);
        this.tiering = remoteTier.map(tier -> new TieringMetrics(registry, tier));
    }

    /**
     * {@code strata_log_dir_offline} by {@code dir}: 1 once an I/O error has taken the log directory offline (until the
     * broker restarts); its space is in {@link LogDirMetrics}.
     */
    public void bindLogDirectories(Collection<LogDirectory> directories) {
        for (LogDirectory d : directories) {
            Gauge.builder("strata.log.dir.offline", d, x -> x.isOffline() ? 1 : 0)
                    .tag("dir", d.path().toString())
                    .description("1 once an I/O error has taken the log directory offline (until restart)")
                    .register(registry);
        }
    }

    /**
     * {@code strata_fetch_sessions}: the incremental fetch sessions in the cache (Kafka's
     * {@code NumIncrementalFetchSessions}); {@code strata_fetch_session_evictions_total}: the sessions evicted to make
     * room for another ({@code IncrementalFetchSessionEvictionsPerSec}).
     */
    public void bindFetchSessions(IntSupplier sessions, LongSupplier evictions) {
        fetchSessionEvictions = evictions; // Micrometer holds it weakly
        Gauge.builder("strata.fetch.sessions", sessions, IntSupplier::getAsInt)
                .description("incremental fetch sessions in the cache")
                .strongReference(true) // a method reference: nothing else holds it
                .register(registry);
        FunctionCounter.builder("strata.fetch.session.evictions", evictions, LongSupplier::getAsLong)
                .description("incremental fetch sessions evicted to make room for another")
                .register(registry);
    }

    /** What the network layer reports requests to. */
    public RequestMetrics requests() {
        return requests;
    }

    /** The sum of every counter named {@code name} (Micrometer's dotted name), whatever its tags; 0 when none. */
    public double counterTotal(String name) {
        return registry.find(name).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count)
                .sum();
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
