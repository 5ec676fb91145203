package dev.strata.broker.metrics;

import dev.strata.broker.tiering.RemoteTier;
import dev.strata.tiering.ChunkCache;
import dev.strata.tiering.OrphanScrub;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogManagerStats;
import dev.strata.tiering.RemoteLogManagerStats.CopyLag;
import dev.strata.tiering.RemoteLogManagerStats.RemoteLogSize;
import dev.strata.tiering.RemoteLogReader;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.common.TopicPartition;

/**
 * The remote tier's metrics, read from the plain counters of the tiering module's {@link RemoteLogManager},
 * {@link ChunkCache} and {@link RemoteLogReader} whenever Prometheus scrapes (those classes know nothing of
 * Micrometer):
 *
 * <ul>
 *   <li>copies: {@code strata_remote_copy_bytes_total}, {@code _segments_total}, {@code _errors_total}, {@code
 *       strata_remote_copy_throttle_time_seconds_total} (waits for {@code
 *       remote.log.manager.copy.max.bytes.per.second}), and per partition ({@code topic}, {@code partition} tags)
 *       {@code strata_remote_copy_lag_bytes} and {@code _segments}; {@code strata_remote_copy_stalled_partitions}, the
 *       partitions whose segments have waited {@link RemoteLogManager#COPY_STALL_MS} without a copy finishing;
 *   <li>remote retention and topic deletion: {@code strata_remote_delete_segments_total}, {@code _errors_total}, and
 *       {@code strata_remote_delete_pending_partitions}, partitions of deleted topics whose remote data is still to go;
 *   <li>what the remote tier holds, per partition: {@code strata_remote_log_size_bytes}, {@code
 *       strata_remote_log_segments};
 *   <li>the latest orphan scrub: {@code strata_remote_orphan_objects}, {@code strata_remote_orphan_size_bytes}
 *       (objects no index entry owns; see {@link dev.strata.tiering.OrphanScrub});
 *   <li>reads for fetches and timestamp searches: {@code strata_remote_fetch_requests_total}, {@code _bytes_total}
 *       (record bytes returned), {@code _errors_total}, {@code _deferred_total} (reads that waited for
 *       {@code remote.fetch.max.buffered.bytes}), and {@code strata_remote_fetch_buffered_bytes} (reserved now);
 *   <li>the chunk cache: {@code strata_remote_cache_hits_total}, {@code _misses_total}, {@code
 *       strata_remote_cache_hit_ratio}, {@code strata_remote_cache_size_bytes} ({@code tier} memory or disk), {@code
 *       _evictions_total}, {@code _disk_hits_total}, {@code _read_aheads_total}, and the ranged reads it sends to the
 *       backend, with the reads of the filesystem backend's log files (which skip the cache): {@code
 *       strata_remote_storage_reads_total}, {@code _read_bytes_total}, {@code _read_errors_total}.
 * </ul>
 *
 * <p>The per-partition gauges follow the partitions this broker tiers; {@link #refresh()} brings them up to date and
 * runs before each scrape.
 */
public final class TieringMetrics {

    private final RemoteLogManager manager;
    private final MultiGauge copyLagBytes;
    private final MultiGauge copyLagSegments;
    private final MultiGauge remoteLogBytes;
    private final MultiGauge remoteLogSegments;
    private volatile Map<TopicPartition, PartitionStats> partitions = Map.of();

    public TieringMetrics(MeterRegistry registry, RemoteTier tier) {
        this(registry, tier.manager(), tier.cache(), tier.reader());
        bindScrub(registry, tier);
    }

    public TieringMetrics(MeterRegistry registry, RemoteLogManager manager, ChunkCache cache, RemoteLogReader reader) {
        this.manager = manager;
        bindCopiesAndDeletes(registry, manager);
        bindReads(registry, reader);
        bindCache(registry, cache, reader);

        copyLagBytes = perPartition(
                registry,
                "strata.remote.copy.lag.bytes",
                "bytes",
                "Bytes of sealed segments below the high watermark not yet copied to the remote tier");
        copyLagSegments = perPartition(
                registry,
                "strata.remote.copy.lag.segments",
                "segments",
                "Sealed segments below the high watermark not yet copied to the remote tier");
        remoteLogBytes = perPartition(
                registry, "strata.remote.log.size", "bytes", "Bytes of the segments the remote tier holds");
        remoteLogSegments =
                perPartition(registry, "strata.remote.log.segments", "segments", "Segments the remote tier holds");
    }

    /** Brings the per-partition gauges up to date with the partitions tiered now and their values. */
    public synchronized void refresh() {
        RemoteLogManagerStats stats = manager.stats();
        Map<TopicPartition, PartitionStats> current = new HashMap<>();
        stats.copyLag()
                .forEach((tip, lag) -> current.put(
                        tip.topicPartition(),
                        new PartitionStats(lag, stats.remoteLogSize().getOrDefault(tip, RemoteLogSize.NONE))));
        partitions = current;
        copyLagBytes.register(rows(current, s -> s.copyLag().bytes()), false);
        copyLagSegments.register(rows(current, s -> s.copyLag().segments()), false);
        remoteLogBytes.register(rows(current, s -> s.remoteLogSize().bytes()), false);
        remoteLogSegments.register(rows(current, s -> s.remoteLogSize().segments()), false);
    }

    private static void bindCopiesAndDeletes(MeterRegistry registry, RemoteLogManager manager) {
        counter(
                registry,
                "strata.remote.copy.bytes",
                "bytes",
                "Log bytes copied to the remote tier",
                manager,
                m -> m.stats().copiedBytes());
        counter(
                registry,
                "strata.remote.copy.segments",
                null,
                "Segments copied to the remote tier",
                manager,
                m -> m.stats().copiedSegments());
        counter(
                registry,
                "strata.remote.copy.errors",
                null,
                "Segment copies that failed and were rolled back",
                manager,
                m -> m.stats().copyErrors());
        counter(
                registry,
                "strata.remote.copy.throttle.time",
                "seconds",
                "Time copies waited for the upload byte-rate limit",
                manager,
                m -> m.stats().throttledMs() / 1000.0);
        Gauge.builder("strata.remote.copy.max.bytes.per.second", manager, m ->
                        (double) m.rateLimiter().bytesPerSecond())
                .description("The upload byte-rate limit in effect (remote.log.manager.copy.max.bytes.per.second,"
                        + " dynamic); 9223372036854775807 for none")
                .register(registry);
        counter(
                registry,
                "strata.remote.delete.segments",
                null,
                "Remote segments deleted by remote retention or topic deletion",
                manager,
                m -> m.stats().deletedSegments());
        counter(
                registry,
                "strata.remote.delete.errors",
                null,
                "Remote segment deletions that failed (retried later)",
                manager,
                m -> m.stats().deleteErrors());
        Gauge.builder("strata.remote.delete.pending.partitions", manager, m -> m.stats()
                        .pendingDeletions())
                .description("Partitions of deleted topics whose remote data is not deleted yet (retried)")
                .register(registry);
        Gauge.builder("strata.remote.copy.stalled.partitions", manager, m -> m.stats()
                        .stalledPartitions())
                .description("Tiered partitions whose sealed segments wait without a copy finishing for "
                        + RemoteLogManager.COPY_STALL_MS / 60_000 + " minutes or more")
                .register(registry);
    }

    private static void bindScrub(MeterRegistry registry, RemoteTier tier) {
        Gauge.builder("strata.remote.orphan.objects", tier, t -> t.lastScrub()
                        .map(OrphanScrub.Report::orphanObjects)
                        .orElse(0L))
                .description("Objects in the remote tier that no index entry owns, at the latest orphan scrub")
                .register(registry);
        Gauge.builder("strata.remote.orphan.size", tier, t -> t.lastScrub()
                        .map(OrphanScrub.Report::orphanBytes)
                        .orElse(0L))
                .baseUnit("bytes")
                .description("Bytes of the orphaned objects at the latest orphan scrub")
                .register(registry);
    }

    private static void bindReads(MeterRegistry registry, RemoteLogReader reader) {
        counter(
                registry,
                "strata.remote.fetch.requests",
                null,
                "Reads from the remote tier for fetches and timestamp searches",
                reader,
                r -> r.stats().reads());
        counter(
                registry,
                "strata.remote.fetch.bytes",
                "bytes",
                "Record bytes read from the remote tier",
                reader,
                r -> r.stats().readBytes());
        counter(
                registry,
                "strata.remote.fetch.errors",
                null,
                "Reads from the remote tier that failed",
                reader,
                r -> r.stats().readErrors());
        counter(
                registry,
                "strata.remote.fetch.deferred",
                null,
                "Reads from the remote tier that waited for remote.fetch.max.buffered.bytes",
                reader,
                r -> r.stats().deferredReads());
        Gauge.builder("strata.remote.fetch.buffered", reader, r -> r.stats().bufferedBytes())
                .baseUnit("bytes")
                .description("Bytes reserved by reads from the remote tier in flight")
                .register(registry);
    }

    private static void bindCache(MeterRegistry registry, ChunkCache cache, RemoteLogReader reader) {
        counter(
                registry,
                "strata.remote.cache.hits",
                null,
                "Chunk lookups served from the memory tier",
                cache,
                c -> c.stats().hits());
        counter(
                registry,
                "strata.remote.cache.misses",
                null,
                "Chunk lookups not in the memory tier",
                cache,
                c -> c.stats().misses());
        Gauge.builder("strata.remote.cache.hit.ratio", cache, c -> c.stats().hitRatio())
                .description("Share of chunk lookups served from the memory tier, 0 before the first lookup")
                .register(registry);
        counter(
                registry,
                "strata.remote.cache.evictions",
                null,
                "Chunks evicted from the memory tier to stay within its budget",
                cache,
                c -> c.stats().evictions());
        counter(
                registry,
                "strata.remote.cache.disk.hits",
                null,
                "Chunk loads served by the disk tier",
                cache,
                c -> c.stats().diskHits());
        counter(
                registry,
                "strata.remote.cache.read.aheads",
                null,
                "Read-ahead chunk loads started",
                cache,
                c -> c.stats().readAheads());
        Gauge.builder("strata.remote.cache.size", cache, c -> c.stats().memoryBytes())
                .tag("tier", "memory")
                .baseUnit("bytes")
                .description("Bytes the chunk cache holds")
                .register(registry);
        Gauge.builder("strata.remote.cache.capacity", cache, c -> c.config().memoryBytes())
                .tag("tier", "memory")
                .baseUnit("bytes")
                .description("The chunk cache's budget in effect (remote.log.chunk.cache.memory.bytes, dynamic)")
                .register(registry);
        Gauge.builder("strata.remote.cache.size", cache, c -> c.stats().diskBytes())
                .tag("tier", "disk")
                .baseUnit("bytes")
                .description("Bytes the chunk cache holds")
                .register(registry);
        // the filesystem backend's logs are read from their files, not through the cache: those reads count too
        counter(
                registry,
                "strata.remote.storage.reads",
                null,
                "Ranged reads sent to the storage backend, read-ahead included, and reads of its log files",
                reader,
                r -> cache.stats().remoteFetches() + r.fileReadStats().reads());
        counter(
                registry,
                "strata.remote.storage.read.bytes",
                "bytes",
                "Bytes received from the storage backend or read from its log files",
                reader,
                r -> cache.stats().remoteFetchBytes() + r.fileReadStats().bytes());
        counter(
                registry,
                "strata.remote.storage.read.errors",
                null,
                "Reads from the storage backend or its log files that failed",
                reader,
                r -> cache.stats().remoteFetchErrors() + r.fileReadStats().errors());
    }

    private static <T> void counter(
            MeterRegistry registry,
            String name,
            String baseUnit,
            String description,
            T source,
            ToDoubleFunction<T> count) {
        FunctionCounter.builder(name, source, count)
                .baseUnit(baseUnit)
                .description(description)
                .register(registry);
    }

    private static MultiGauge perPartition(MeterRegistry registry, String name, String baseUnit, String description) {
        return MultiGauge.builder(name)
                .baseUnit(baseUnit)
                .description(description)
                .register(registry);
    }

    /** One row per partition; each reads its partition's value from the latest {@link #refresh()}. */
    private List<MultiGauge.Row<?>> rows(
            Map<TopicPartition, PartitionStats> current, ToDoubleFunction<PartitionStats> value) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>(current.size());
        for (TopicPartition tp : current.keySet()) {
            Tags tags = Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
            rows.add(MultiGauge.Row.of(tags, this, metrics -> {
                PartitionStats stats = metrics.partitions.get(tp);
                return stats == null ? Double.NaN : value.applyAsDouble(stats);
            }));
        }
        return rows;
    }

    /** One tiered partition's values at the latest refresh. */
    private record PartitionStats(CopyLag copyLag, RemoteLogSize remoteLogSize) {}
}
