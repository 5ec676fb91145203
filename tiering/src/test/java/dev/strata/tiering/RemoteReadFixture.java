package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.index.RemoteIndexStore;
import dev.strata.testing.ManualTime;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * A remote tier to read from, on the filesystem backend under a test's directory: the remote index, a remote log
 * manager on a manual clock at {@link #START_MS}, a chunk cache of {@link #CHUNK_SIZE}-byte chunks and a reader over
 * them; the backend records its fetches. {@link #tier} copies a {@link FakeTieredPartition}'s segments into it.
 */
final class RemoteReadFixture implements AutoCloseable {
    static final long START_MS = 1_700_000_000_000L;
    /** Smaller than a segment, so reads are ranged and only the batch CRCs can catch a corrupt byte. */
    static final int CHUNK_SIZE = 128;

    private final Path remoteRoot;
    private final ExecutorService fetchPool = Executors.newFixedThreadPool(2);
    private final FailingStorageManager storage;
    private final RemoteIndexStore index;
    private final RemoteLogManager manager;
    private final ChunkCache cache;
    private final RemoteLogReader reader;

    RemoteReadFixture(Path dir) throws IOException {
        this(dir, RemoteEncryptionConfig.disabled(), 0);
    }

    /**
     * A remote tier whose reader reads the logs from their files ({@link LocalLogFiles}), scanning {@code fileReadWindow}
     * bytes at a time.
     */
    RemoteReadFixture(Path dir, int fileReadWindow) throws IOException {
        this(dir, RemoteEncryptionConfig.disabled(), fileReadWindow);
    }

    /** A remote tier whose manager and cache go through {@link EncryptedRemoteStorage} around the recording backend. */
    RemoteReadFixture(Path dir, RemoteEncryptionConfig encryption) throws IOException {
        this(dir, encryption, 0);
    }

    /** Reads through the chunk cache when {@code fileReadWindow} is 0, else from the files. */
    private RemoteReadFixture(Path dir, RemoteEncryptionConfig encryption, int fileReadWindow) throws IOException {
        remoteRoot = dir.resolve("remote");
        FileSystemRemoteStorageManager fileSystem = new FileSystemRemoteStorageManager();
        fileSystem.configure(Map.of(FileSystemRemoteStorageManager.DIR_CONFIG, remoteRoot.toString()));
        storage = new FailingStorageManager(fileSystem);
        RemoteStorageManager tier = EncryptedRemoteStorage.wrap(storage, encryption);
        index = RemoteIndexStore.open(dir.resolve("index"));
        manager = new RemoteLogManager(
                1, tier, index, RemoteLogManager.newTaskPool(1), new ManualTime(START_MS), OptionalLong.empty());
        cache = new ChunkCache(
                new ChunkCacheConfig(CHUNK_SIZE, 16 * 1024, Optional.empty(), 0, Duration.ofSeconds(10), 0),
                tier,
                fetchPool,
                fetchPool);
        reader = fileReadWindow > 0
                ? new RemoteLogReader(
                        manager, index, cache, RemoteReadBudget.unbounded(), fileSystem, fetchPool, fileReadWindow)
                : new RemoteLogReader(manager, index, cache);
    }

    /** Copies the partition's sealed segments below {@code highWatermark} to the remote tier. */
    void tier(FakeTieredPartition partition, long highWatermark) {
        TopicIdPartition tip = partition.topicIdPartition();
        partition.highWatermark(highWatermark);
        manager.register(partition);
        manager.runCopyOnce(tip);
        assertThat(manager.highestRemoteOffset(tip)).hasValue(highWatermark - 1);
    }

    /** Where the backend keeps the remote segments' files. */
    Path remoteRoot() {
        return remoteRoot;
    }

    RemoteIndexStore index() {
        return index;
    }

    RemoteLogManager manager() {
        return manager;
    }

    /** The backend, which records every fetch. */
    FailingStorageManager storage() {
        return storage;
    }

    RemoteLogReader reader() {
        return reader;
    }

    @Override
    public void close() throws Exception {
        cache.close();
        manager.close();
        index.close();
        storage.close();
        fetchPool.shutdownNow();
        assertThat(fetchPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
}
