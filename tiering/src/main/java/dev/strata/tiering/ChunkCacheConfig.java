package dev.strata.tiering;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The settings of the {@link ChunkCache}, read from the broker's configuration.
 *
 * @param chunkSize bytes per chunk: the unit of every ranged read from the remote tier
 * @param memoryBytes byte budget of the memory tier (at least one chunk)
 * @param diskDirectory directory of the disk tier; empty for no disk tier
 * @param diskBytes byte budget of the disk tier
 * @param fetchTimeout how long a chunk load may take before its readers get a timeout
 * @param readAheadMaxInFlight read-ahead loads in flight at most; 0 turns read-ahead off
 */
public record ChunkCacheConfig(
        int chunkSize,
        long memoryBytes,
        Optional<Path> diskDirectory,
        long diskBytes,
        Duration fetchTimeout,
        int readAheadMaxInFlight) {

    public static final String CHUNK_SIZE_CONFIG = "remote.log.chunk.size";
    public static final String MEMORY_BYTES_CONFIG = "remote.log.chunk.cache.memory.bytes";
    public static final String DISK_DIR_CONFIG = "remote.log.chunk.cache.dir";
    public static final String DISK_BYTES_CONFIG = "remote.log.chunk.cache.disk.bytes";
    public static final String FETCH_TIMEOUT_MS_CONFIG = "remote.log.chunk.fetch.timeout.ms";
    public static final String READ_AHEAD_MAX_IN_FLIGHT_CONFIG = "remote.log.chunk.read.ahead.max.in.flight";

    private static final int MIB = 1024 * 1024;

    public ChunkCacheConfig {
        if (chunkSize < 1) {
            throw new ConfigException(CHUNK_SIZE_CONFIG, chunkSize, "must be at least 1");
        }
        if (memoryBytes < chunkSize) {
            throw new ConfigException(
                    MEMORY_BYTES_CONFIG, memoryBytes, "must hold at least one chunk (" + chunkSize + " bytes)");
        }
        if (diskDirectory.isPresent() && diskBytes < chunkSize) {
            throw new ConfigException(
                    DISK_BYTES_CONFIG, diskBytes, "must hold at least one chunk (" + chunkSize + " bytes)");
        }
        if (fetchTimeout.isNegative() || fetchTimeout.isZero()) {
            throw new ConfigException(FETCH_TIMEOUT_MS_CONFIG, fetchTimeout.toMillis(), "must be positive");
        }
        if (readAheadMaxInFlight < 0) {
            throw new ConfigException(READ_AHEAD_MAX_IN_FLIGHT_CONFIG, readAheadMaxInFlight, "must not be negative");
        }
    }

    /** The settings' definitions, defaults and documentation. */
    public static ConfigDef configDef() {
        return new ConfigDef()
                .define(
                        CHUNK_SIZE_CONFIG,
                        Type.INT,
                        4 * MIB,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "bytes per ranged read from the remote tier and per cached chunk")
                .define(
                        MEMORY_BYTES_CONFIG,
                        Type.LONG,
                        128L * MIB,
                        Range.atLeast(1),
                        Importance.MEDIUM,
                        "memory budget of the chunk cache (least recently used chunks are evicted)")
                .define(
                        DISK_DIR_CONFIG,
                        Type.STRING,
                        "",
                        Importance.LOW,
                        "directory of an on-disk chunk cache (emptied at start); empty for no disk cache")
                .define(
                        DISK_BYTES_CONFIG,
                        Type.LONG,
                        1024L * MIB,
                        Range.atLeast(0),
                        Importance.LOW,
                        "disk budget of the chunk cache")
                .define(
                        FETCH_TIMEOUT_MS_CONFIG,
                        Type.LONG,
                        30_000L,
                        Range.atLeast(1),
                        Importance.LOW,
                        "how long loading one chunk may take before the fetch fails")
                .define(
                        READ_AHEAD_MAX_IN_FLIGHT_CONFIG,
                        Type.INT,
                        4,
                        Range.atLeast(0),
                        Importance.LOW,
                        "read-ahead chunk loads in flight; `0` turns read-ahead off");
    }

    /** Reads the settings from a configuration map, applying defaults. */
    public static ChunkCacheConfig from(Map<String, ?> configs) {
        Map<String, Object> values = configDef().parse(configs);
        String dir = ((String) values.get(DISK_DIR_CONFIG)).trim();
        return new ChunkCacheConfig(
                (Integer) values.get(CHUNK_SIZE_CONFIG),
                (Long) values.get(MEMORY_BYTES_CONFIG),
                dir.isEmpty() ? Optional.empty() : Optional.of(Path.of(dir)),
                (Long) values.get(DISK_BYTES_CONFIG),
                Duration.ofMillis((Long) values.get(FETCH_TIMEOUT_MS_CONFIG)),
                (Integer) values.get(READ_AHEAD_MAX_IN_FLIGHT_CONFIG));
    }
}
