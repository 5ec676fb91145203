package dev.strata.broker.console;

import dev.strata.broker.metrics.BrokerMetrics;
import dev.strata.broker.partition.Partition;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogManagerStats;
import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Takes a {@link MetricHistory.Sample} of the running broker from memory only: the request counters of its
 * {@link BrokerMetrics}, the remote log manager's counters and per-partition copy lag and remote size, and the sizes of
 * the hosted local logs (kept by each log, not read from disk).
 */
public final class BrokerSamples implements Supplier<MetricHistory.Sample> {

    private final BrokerMetrics metrics;
    private final Optional<RemoteLogManager> manager;
    private final Supplier<Collection<Partition>> partitions;

    public BrokerSamples(
            BrokerMetrics metrics, Optional<RemoteLogManager> manager, Supplier<Collection<Partition>> partitions) {
        this.metrics = metrics;
        this.manager = manager;
        this.partitions = partitions;
    }

    @Override
    public MetricHistory.Sample get() {
        long local = 0;
        for (Partition p : partitions.get()) {
            local += p.log().size();
        }
        long copied = 0, errors = 0, lag = 0, remote = 0;
        if (manager.isPresent()) {
            RemoteLogManagerStats stats = manager.get().stats();
            copied = stats.copiedBytes();
            errors = stats.copyErrors();
            lag = stats.copyLag().values().stream()
                    .mapToLong(RemoteLogManagerStats.CopyLag::bytes)
                    .sum();
            remote = stats.remoteLogSize().values().stream()
                    .mapToLong(RemoteLogManagerStats.RemoteLogSize::bytes)
                    .sum();
        }
        return new MetricHistory.Sample(
                System.currentTimeMillis(),
                metrics.counterTotal("strata.network.received"),
                metrics.counterTotal("strata.network.sent"),
                metrics.counterTotal("strata.requests"),
                copied,
                errors,
                lag,
                local,
                remote,
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
}
