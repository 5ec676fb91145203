package dev.strata.broker.tiering;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.index.RemoteIndexStore;
import dev.strata.storage.api.RemoteObjectStorage;
import dev.strata.storage.api.SegmentManifestStorage;
import dev.strata.tiering.ChunkCache;
import dev.strata.tiering.EncryptedRemoteStorage;
import dev.strata.tiering.LocalLogFiles;
import dev.strata.tiering.OrphanScrub;
import dev.strata.tiering.PendingDeletions;
import dev.strata.tiering.RemoteIndexRebuild;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogReader;
import dev.strata.tiering.RemoteOffsetSearch;
import dev.strata.tiering.RemoteReadBudget;
import dev.strata.tiering.RemoteSegmentPublisher;
import dev.strata.tiering.RemoteStorageManagers;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's remote tier when {@code remote.log.storage.system.enable=true}: the backend, the RocksDB remote index,
 * the {@link RemoteLogManager} that copies and expires segments, the chunk cache and {@link RemoteLogReader} that
 * serve fetches below the local log start offset on their own bounded reader pool, and the {@link RemoteOffsetSearch}
 * that answers ListOffsets by timestamp over the remote segments, and, when the backend can list its objects, a
 * report-only {@link OrphanScrub} on a thread of its own every {@code remote.log.orphan.scrub.interval.ms}. Opened and
 * closed by the server.
 */
public final class RemoteTier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteTier.class);
    /** The first orphan scrub waits this long after startup, so that it does not compete with it. */
    private static final long FIRST_SCRUB_DELAY_MS = 60_000L;

    private final RemoteStorageManager storage;
    private final RemoteIndexStore index;
    private final RemoteLogManager manager;
    private final ExecutorService readerPool;
    private final ChunkCache cache;
    private final RemoteLogReader reader;
    private final RemoteOffsetSearch offsetSearch;
    private final long taskIntervalMs;
    private final long scrubIntervalMs;
    private final ScheduledExecutorService scrubber =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("strata-orphan-scrub", true));
    private volatile OrphanScrub.Report lastScrub;

    private RemoteTier(
            RemoteStorageManager storage,
            RemoteIndexStore index,
            RemoteLogManager manager,
            ExecutorService readerPool,
            ChunkCache cache,
            long taskIntervalMs,
            long scrubIntervalMs,
            long maxBufferedBytes) {
        this.storage = storage;
        this.index = index;
        this.manager = manager;
        this.readerPool = readerPool;
        this.cache = cache;
        // a backend whose logs are local files sends them from the files (sendfile), the page cache their cache
        this.reader = new RemoteLogReader(
                manager,
                index,
                cache,
                new RemoteReadBudget(maxBufferedBytes, readerPool),
                storage instanceof LocalLogFiles files ? files : null,
                readerPool);
        this.offsetSearch = new RemoteOffsetSearch(index, reader);
        this.taskIntervalMs = taskIntervalMs;
        this.scrubIntervalMs = scrubIntervalMs;
    }

    /**
     * Loads the backend and opens the index (rebuilding it from the backend's manifests if it is empty), the manager
     * and the cache; nothing runs until {@link #startup()}. The manager publishes its segments' state changes through
     * {@code publisher}, the replicated record every replica's index follows ({@link RemoteSegmentApplier}).
     */
    public static RemoteTier open(BrokerConfig config, RemoteSegmentPublisher publisher) {
        RemoteStorageManager storage =
                RemoteStorageManagers.load(config.remoteLogStorageManagerClassName(), config.rsmConfigs());
        try {
            storage = EncryptedRemoteStorage.wrap(storage, config.remoteEncryptionConfig());
        } catch (RuntimeException e) {
            closeQuietly(storage);
            throw e;
        }
        RemoteIndexStore index = null;
        ExecutorService readerPool = null;
        RemoteLogManager manager = null;
        try {
            index = RemoteIndexStore.open(config.remoteLogIndexDir());
            SegmentManifestStorage manifests =
                    RemoteStorageManagers.manifestStorage(storage).orElse(null);
            if (manifests != null) {
                RemoteIndexRebuild.rebuildIfLost(index, manifests);
            }
            readerPool = Executors.newFixedThreadPool(
                    config.remoteLogReaderThreads(), new DefaultThreadFactory("strata-remote-reader", true));
            manager = new RemoteLogManager(
                    config.nodeId(),
                    storage,
                    manifests,
                    index,
                    publisher,
                    PendingDeletions.load(config.logDirs().get(0)),
                    RemoteLogManager.newTaskPool(config.remoteLogManagerCopierThreadPoolSize()),
                    Time.SYSTEM,
                    config.remoteLogManagerCopyMaxBytesPerSecond());
            manager.setUploadThreadNiceness(config.remoteLogManagerUploadThreadNiceness());
            ChunkCache cache = new ChunkCache(config.chunkCacheConfig(), storage, readerPool, readerPool);
            log.info(
                    "Remote tier: {} with {}, index in {}",
                    config.remoteLogStorageManagerClassName(),
                    config.rsmConfigs().keySet(),
                    config.remoteLogIndexDir());
            return new RemoteTier(
                    storage,
                    index,
                    manager,
                    readerPool,
                    cache,
                    config.remoteLogManagerTaskIntervalMs(),
                    config.remoteLogOrphanScrubIntervalMs(),
                    config.remoteFetchMaxBufferedBytes());
        } catch (IOException | RemoteStorageException | RuntimeException e) {
            if (manager != null) {
                manager.close();
            }
            if (readerPool != null) {
                readerPool.shutdownNow();
            }
            if (index != null) {
                index.close();
            }
            closeQuietly(storage);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("Cannot open the remote index " + config.remoteLogIndexDir(), io);
            }
            if (e instanceof RemoteStorageException rse) {
                throw new IllegalStateException(rse.getMessage(), rse);
            }
            throw (RuntimeException) e;
        }
    }

    /** Starts the copy and expiry tasks of the registered partitions and of those registered later. */
    public void startup() {
        manager.startup(taskIntervalMs);
        Optional<RemoteObjectStorage> objects = RemoteStorageManagers.objectStorage(storage);
        if (objects.isPresent()) {
            OrphanScrub scrub = new OrphanScrub(objects.get(), index);
            scrubber.scheduleWithFixedDelay(
                    () -> scrub(scrub),
                    Math.min(scrubIntervalMs, FIRST_SCRUB_DELAY_MS),
                    scrubIntervalMs,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** What the latest orphan scrub found; empty before the first one finished. */
    public Optional<OrphanScrub.Report> lastScrub() {
        return Optional.ofNullable(lastScrub);
    }

    private void scrub(OrphanScrub scrub) {
        try {
            OrphanScrub.Report report = scrub.scan();
            lastScrub = report;
            if (report.orphans().isEmpty()) {
                log.info("Orphan scrub: {} objects in the remote tier, none orphaned", report.objects());
            } else {
                log.warn(
                        "Orphan scrub: {} objects ({} bytes) of {} segments in the remote tier are known to no index,"
                                + " e.g. {}; nothing deletes them unless `bin/strata tier scrub --delete` is run"
                                + " against the stopped broker",
                        report.orphanObjects(),
                        report.orphanBytes(),
                        report.orphans().size(),
                        report.orphans().keySet().stream().limit(5).toList());
            }
        } catch (RemoteStorageException | RuntimeException e) {
            log.warn("Orphan scrub of the remote tier failed; it runs again in {} ms", scrubIntervalMs, e);
        }
    }

    /** The broker's remote index. */
    public RemoteIndexStore index() {
        return index;
    }

    public RemoteLogManager manager() {
        return manager;
    }

    public RemoteLogReader reader() {
        return reader;
    }

    public RemoteOffsetSearch offsetSearch() {
        return offsetSearch;
    }

    public ChunkCache cache() {
        return cache;
    }

    @Override
    public void close() {
        scrubber.shutdownNow();
        manager.close();
        cache.close();
        readerPool.shutdownNow();
        try {
            if (!readerPool.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("Remote readers still busy after 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        index.close();
        closeQuietly(storage);
    }

    private static void closeQuietly(RemoteStorageManager storage) {
        try {
            storage.close();
        } catch (IOException | RuntimeException e) {
            log.warn("Error closing the remote storage manager", e);
        }
    }

    /**
     * A broker without a remote tier must not open the logs of tiered topics: a non-tiered log starts at its first
     * local segment, so the log start offset would move past the remote history, and the next start with tiering
     * would delete that history as below the log start. Refusing to start (as Apache Kafka does) makes an operator's
     * config slip harmless.
     *
     * @throws ConfigException naming the tiered topics and the missing setting
     */
    public static void requireForTieredTopics(BrokerConfig config, Collection<TopicMetadata> topics) {
        if (config.remoteLogStorageSystemEnable()) {
            return;
        }
        List<String> tiered = topics.stream()
                .filter(t -> config.tieredConfig(t.configs()))
                .map(TopicMetadata::name)
                .sorted()
                .toList();
        if (!tiered.isEmpty()) {
            throw new ConfigException("Topics " + tiered + " have " + BrokerConfig.REMOTE_STORAGE_ENABLE
                    + "=true but this broker's configuration does not set "
                    + BrokerConfig.REMOTE_LOG_STORAGE_SYSTEM_ENABLE + "=true. Starting without the remote tier would"
                    + " give up their remote history. Restore " + BrokerConfig.REMOTE_LOG_STORAGE_SYSTEM_ENABLE
                    + "=true with the same " + BrokerConfig.REMOTE_LOG_STORAGE_MANAGER_CLASS_NAME
                    + " and rsm.config.* settings as before, or first turn tiering off for these topics ("
                    + BrokerConfig.REMOTE_STORAGE_ENABLE + "=false with remote.log.delete.on.disable=true) or delete"
                    + " them.");
        }
    }
}
