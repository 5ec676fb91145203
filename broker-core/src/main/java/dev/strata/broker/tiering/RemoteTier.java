package dev.strata.broker.tiering;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.index.RemoteIndexStore;
import dev.strata.storage.api.SegmentManifestStorage;
import dev.strata.tiering.ChunkCache;
import dev.strata.tiering.PendingDeletions;
import dev.strata.tiering.RemoteIndexRebuild;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogReader;
import dev.strata.tiering.RemoteOffsetSearch;
import dev.strata.tiering.RemoteStorageManagers;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's remote tier when {@code remote.log.storage.system.enable=true}: the backend, the RocksDB remote index,
 * the {@link RemoteLogManager} that copies and expires segments, the chunk cache and {@link RemoteLogReader} that
 * serve fetches below the local log start offset on their own bounded reader pool, and the {@link RemoteOffsetSearch}
 * that answers ListOffsets by timestamp over the remote segments. Opened and closed by the server.
 */
public final class RemoteTier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteTier.class);

    private final RemoteStorageManager storage;
    private final RemoteIndexStore index;
    private final RemoteLogManager manager;
    private final ExecutorService readerPool;
    private final ChunkCache cache;
    private final RemoteLogReader reader;
    private final RemoteOffsetSearch offsetSearch;
    private final long taskIntervalMs;

    private RemoteTier(
            RemoteStorageManager storage,
            RemoteIndexStore index,
            RemoteLogManager manager,
            ExecutorService readerPool,
            ChunkCache cache,
            long taskIntervalMs) {
        this.storage = storage;
        this.index = index;
        this.manager = manager;
        this.readerPool = readerPool;
        this.cache = cache;
        this.reader = new RemoteLogReader(manager, index, cache);
        this.offsetSearch = new RemoteOffsetSearch(index, reader);
        this.taskIntervalMs = taskIntervalMs;
    }

    /**
     * Loads the backend and opens the index (rebuilding it from the backend's manifests if it is empty), the manager
     * and the cache; nothing runs until {@link #startup()}.
     */
    public static RemoteTier open(BrokerConfig config) {
        RemoteStorageManager storage =
                RemoteStorageManagers.load(config.remoteLogStorageManagerClassName(), config.rsmConfigs());
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
                    PendingDeletions.load(config.logDirs().get(0)),
                    RemoteLogManager.newTaskPool(config.remoteLogManagerCopierThreadPoolSize()),
                    Time.SYSTEM,
                    config.remoteLogManagerCopyMaxBytesPerSecond());
            ChunkCache cache = new ChunkCache(config.chunkCacheConfig(), storage, readerPool, readerPool);
            log.info(
                    "Remote tier: {} with {}, index in {}",
                    config.remoteLogStorageManagerClassName(),
                    config.rsmConfigs().keySet(),
                    config.remoteLogIndexDir());
            return new RemoteTier(storage, index, manager, readerPool, cache, config.remoteLogManagerTaskIntervalMs());
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
}
