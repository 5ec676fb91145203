package dev.strata.broker.config;

import static dev.strata.broker.config.BrokerConfig.*;

import dev.strata.tiering.ChunkCacheConfig;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import dev.strata.tiering.RemoteEncryptionConfig;
import dev.strata.tiering.ThreadNiceness;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The remote tier's broker settings (KIP-405's names where Kafka has one): the backend, the index, the copy and expiry
 * tasks, the chunk cache ({@link ChunkCacheConfig}), encryption ({@link RemoteEncryptionConfig}) and the reads of
 * fetches from the remote tier; part of {@link BrokerConfigs#DEF}, in the README's order. The backend's own settings
 * are those after {@code rsm.config.}, the backend's to check.
 */
final class RemoteTierConfigs {

    private RemoteTierConfigs() {}

    static void define(ConfigDef def) {
        def.define(
                        REMOTE_LOG_STORAGE_SYSTEM_ENABLE,
                        Type.BOOLEAN,
                        false,
                        Importance.HIGH,
                        "tier topics that set `remote.storage.enable=true` (the sample `config/server.properties`"
                                + " sets it)")
                .define(
                        REMOTE_LOG_STORAGE_MANAGER_CLASS_NAME,
                        Type.STRING,
                        FileSystemRemoteStorageManager.class.getName(),
                        Importance.HIGH,
                        "the backend, a Kafka `RemoteStorageManager`; its settings are the `rsm.config.*` keys"
                                + " without the prefix; for the filesystem backend `rsm.config.dir` (default"
                                + " `<first log dir>/" + REMOTE_TIER_DIR_NAME + "`)")
                .define(
                        REMOTE_LOG_INDEX_DIR,
                        Type.STRING,
                        null,
                        Importance.MEDIUM,
                        "RocksDB index of the remote segments, `<first log dir>/" + REMOTE_INDEX_DIR_NAME
                                + "` when unset; rebuilt from the remote tier's segment manifests when it is empty at"
                                + " startup")
                .define(
                        REMOTE_LOG_MANAGER_TASK_INTERVAL_MS,
                        Type.LONG,
                        30_000L,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "interval of each tiered partition's copy and remote-retention task")
                .define(
                        REMOTE_LOG_ORPHAN_SCRUB_INTERVAL_MS,
                        Type.LONG,
                        86_400_000L,
                        Range.atLeast(1),
                        Importance.LOW,
                        "interval of the report-only orphan scrub, which lists the remote tier and counts objects no"
                                + " index entry owns (first run one minute after startup, or after the interval if"
                                + " shorter); only `bin/strata tier scrub --delete` deletes them")
                .define(
                        REMOTE_LOG_MANAGER_COPIER_THREAD_POOL_SIZE,
                        Type.INT,
                        10,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "threads running the partitions' copy and expiry tasks; a copy's uploads run on threads of"
                                + " their own, at most two at a time per partition")
                .define(
                        REMOTE_LOG_MANAGER_UPLOAD_THREAD_NICENESS,
                        Type.INT,
                        10,
                        Range.between(0, ThreadNiceness.MAX),
                        Importance.LOW,
                        "Linux nice value of the threads that upload segments to the remote tier (0: the broker's"
                                + " priority); with every core busy, produce and fetch requests get the CPU first and"
                                + " uploads what is left; ignored elsewhere than on Linux")
                .define(
                        REMOTE_LOG_MANAGER_COPY_MAX_BYTES_PER_SECOND,
                        Type.LONG,
                        Long.MAX_VALUE,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "upload byte-rate limit over all partitions (the default means no limit)")
                .define(
                        REMOTE_LOG_READER_THREADS,
                        Type.INT,
                        10,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "threads reading from the remote tier for fetches: its chunks, or the filesystem backend's"
                                + " files");
        ChunkCacheConfig.configDef().configKeys().values().forEach(def::define);
        RemoteEncryptionConfig.configDef().configKeys().values().forEach(def::define);
        def.define(
                        REMOTE_FETCH_MAX_BYTES,
                        Type.INT,
                        8 * 1024 * 1024,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "most bytes one fetch request reads from the remote tier, over all its partitions, whatever"
                                + " the client asks (a first batch larger than it is still returned whole); each remote"
                                + " partition of the request reads at most an equal share of it, and no less than an"
                                + " eighth of it")
                .define(
                        REMOTE_FETCH_MAX_BUFFERED_BYTES,
                        Type.LONG,
                        64L * 1024 * 1024,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "most bytes of reads from the remote tier in flight in the broker; a read beyond it waits"
                                + " for others to finish (past `remote.fetch.max.wait.ms` its partition is answered"
                                + " with no records)")
                .define(
                        REMOTE_FETCH_MAX_WAIT_MS,
                        Type.INT,
                        500,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "longest a fetch waits for its reads from the remote tier; a partition whose read is not done"
                                + " by then is answered with no records and no error (the read still fills the chunk"
                                + " cache)");
    }
}
