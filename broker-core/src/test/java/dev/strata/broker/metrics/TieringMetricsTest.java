package dev.strata.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.log.LocalLog;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.tiering.LogTieredPartition;
import dev.strata.broker.tiering.TieredLogs;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.tiering.ChunkCache;
import dev.strata.tiering.ChunkCacheConfig;
import dev.strata.tiering.ChunkCacheStats;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogReader;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote tier's metrics bound over a real remote log manager, chunk cache and reader: a partition's sealed
 * segments are copied to the filesystem backend and read back, and the meters report what happened.
 */
class TieringMetricsTest {

    private static final TopicPartition TP = new TopicPartition("tiered", 0);
    private static final Tags PARTITION_TAGS = Tags.of("topic", "tiered", "partition", "0");

    @TempDir
    Path root;

    private final ExecutorService readerPool = Executors.newFixedThreadPool(2);
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private LocalLog log;
    private FileSystemRemoteStorageManager storage;
    private RemoteIndexStore index;
    private RemoteLogManager manager;
    private ChunkCache cache;
    private RemoteLogReader reader;
    private TieringMetrics metrics;
    private TopicIdPartition tip;

    @BeforeEach
    void setUp() throws Exception {
        log = TieredLogs.open(root.resolve("tiered-0"), TP);
        TieredLogs.fill(log, 30, i -> 0);
        tip = new TopicIdPartition(log.topicId(), TP);

        storage = new FileSystemRemoteStorageManager();
        storage.configure(Map.of(
                FileSystemRemoteStorageManager.DIR_CONFIG,
                root.resolve("remote").toString()));
        index = RemoteIndexStore.open(root.resolve("index"));
        manager = new RemoteLogManager(
                1, storage, index, RemoteLogManager.newTaskPool(1), Time.SYSTEM, OptionalLong.empty());
        // chunks smaller than a segment, so that a read takes several and a second read hits the cache
        cache = new ChunkCache(
                new ChunkCacheConfig(128, 1 << 20, Optional.empty(), 0, Duration.ofSeconds(10), 0),
                storage,
                readerPool,
                readerPool);
        reader = new RemoteLogReader(manager, index, cache);
        metrics = new TieringMetrics(registry, manager, cache, reader);
    }

    @AfterEach
    void tearDown() throws Exception {
        cache.close();
        manager.close();
        index.close();
        storage.close();
        log.close();
        registry.close();
        readerPool.shutdownNow();
        assertThat(readerPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void reportsCopiesReadsAndTheCacheAsTheTieringObjectsCountThem() throws Exception {
        manager.register(new LogTieredPartition(new Partition(TP, log.topicId(), log, 1, 0)));
        manager.runCopyOnce(tip);
        manager.runExpiryOnce(tip);
        ByteBuffer first = reader.readRecords(tip, 0, 1 << 20).get(10, TimeUnit.SECONDS);
        ByteBuffer again = reader.readRecords(tip, 0, 1 << 20).get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> reader.readRecords(tip, 1_000, 1024).get(10, TimeUnit.SECONDS))
                .hasMessageContaining("does not hold offset 1000");
        metrics.refresh();

        List<RemoteSegment> remote = index.segments(partitionKey());
        long remoteBytes = remote.stream().mapToLong(RemoteSegment::sizeInBytes).sum();
        assertThat(remote).hasSize(log.numberOfSegments() - 1);
        assertThat(counter("strata.remote.copy.segments")).isEqualTo(remote.size());
        assertThat(counter("strata.remote.copy.bytes")).isEqualTo(remoteBytes);
        assertThat(counter("strata.remote.copy.errors")).isZero();
        assertThat(counter("strata.remote.copy.throttle.time")).isZero();
        assertThat(gauge("strata.remote.log.segments", PARTITION_TAGS)).isEqualTo(remote.size());
        assertThat(gauge("strata.remote.log.size", PARTITION_TAGS)).isEqualTo(remoteBytes);
        assertThat(gauge("strata.remote.copy.lag.segments", PARTITION_TAGS)).isZero();
        assertThat(gauge("strata.remote.copy.lag.bytes", PARTITION_TAGS)).isZero();
        assertThat(counter("strata.remote.delete.segments")).isZero();

        assertThat(counter("strata.remote.fetch.requests")).isEqualTo(3);
        assertThat(counter("strata.remote.fetch.errors")).isEqualTo(1);
        assertThat(counter("strata.remote.fetch.bytes")).isEqualTo(first.remaining() + again.remaining());

        ChunkCacheStats cacheStats = cache.stats();
        assertThat(cacheStats.hits())
                .as("the second read is served from memory")
                .isPositive();
        assertThat(counter("strata.remote.cache.hits")).isEqualTo(cacheStats.hits());
        assertThat(counter("strata.remote.cache.misses")).isEqualTo(cacheStats.misses());
        assertThat(gauge("strata.remote.cache.hit.ratio", Tags.empty()))
                .isEqualTo(cacheStats.hitRatio())
                .isStrictlyBetween(0.0, 1.0);
        assertThat(gauge("strata.remote.cache.size", Tags.of("tier", "memory")))
                .isEqualTo(cacheStats.memoryBytes())
                .isPositive();
        assertThat(gauge("strata.remote.cache.size", Tags.of("tier", "disk"))).isZero();
        assertThat(counter("strata.remote.storage.reads")).isEqualTo(cacheStats.remoteFetches());
        assertThat(counter("strata.remote.storage.read.bytes")).isEqualTo(cacheStats.remoteFetchBytes());

        assertThat(registry.scrape())
                .contains("strata_remote_copy_bytes_total " + remoteBytes)
                .contains("strata_remote_copy_segments_total " + remote.size())
                .contains("strata_remote_copy_lag_bytes{partition=\"0\",topic=\"tiered\"} 0")
                .contains("strata_remote_log_size_bytes{partition=\"0\",topic=\"tiered\"} " + remoteBytes)
                .contains("strata_remote_fetch_requests_total 3")
                .contains("strata_remote_cache_hit_ratio ")
                .contains("strata_remote_cache_size_bytes{tier=\"memory\"} ");
    }

    @Test
    void perPartitionGaugesFollowThePartitionsBeingTiered() throws Exception {
        manager.register(new LogTieredPartition(new Partition(TP, log.topicId(), log, 1, 0)));
        metrics.refresh();
        assertThat(registry.find("strata.remote.copy.lag.bytes").gauges()).hasSize(1);

        manager.unregister(tip);
        metrics.refresh();

        assertThat(registry.find("strata.remote.copy.lag.bytes").gauges()).isEmpty();
        assertThat(registry.find("strata.remote.log.size").gauges()).isEmpty();
    }

    private double counter(String name) {
        return registry.get(name).functionCounter().count();
    }

    private double gauge(String name, Tags tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    private PartitionKey partitionKey() {
        Uuid id = tip.topicId();
        return new PartitionKey(new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()), TP.partition());
    }
}
