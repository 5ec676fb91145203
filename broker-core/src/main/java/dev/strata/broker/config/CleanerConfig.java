package dev.strata.broker.config;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * The broker settings of the log cleaner, with Kafka's names; their types and defaults are in {@link BrokerConfigs#DEF}.
 *
 * @param enable {@code log.cleaner.enable}: whether compacted topics are cleaned at all
 * @param threads {@code log.cleaner.threads}: how many logs are cleaned at once
 * @param backoffMs {@code log.cleaner.backoff.ms}: how long a cleaner thread waits when no log needs cleaning
 * @param dedupeBufferSize {@code log.cleaner.dedupe.buffer.size}: bytes of key-to-offset map shared by the threads
 * @param ioBufferSize {@code log.cleaner.io.buffer.size}: bytes of read plus write buffer shared by the threads; the
 *     buffers grow to the largest batch when one does not fit
 */
public record CleanerConfig(boolean enable, int threads, long backoffMs, long dedupeBufferSize, int ioBufferSize) {

    public static final String ENABLE = "log.cleaner.enable";
    public static final String THREADS = "log.cleaner.threads";
    public static final String BACKOFF_MS = "log.cleaner.backoff.ms";
    public static final String DEDUPE_BUFFER_SIZE = "log.cleaner.dedupe.buffer.size";
    public static final String IO_BUFFER_SIZE = "log.cleaner.io.buffer.size";

    /** Every thread needs room for at least this many keys. */
    public static final long MIN_DEDUPE_BYTES_PER_THREAD = 1024L * 1024;

    public CleanerConfig {
        if (threads < 1) {
            throw new ConfigException(THREADS, threads, "must be at least 1");
        }
        if (backoffMs < 0) {
            throw new ConfigException(BACKOFF_MS, backoffMs, "must not be negative");
        }
        if (dedupeBufferSize / threads < MIN_DEDUPE_BYTES_PER_THREAD) {
            throw new ConfigException(
                    DEDUPE_BUFFER_SIZE,
                    dedupeBufferSize,
                    "must give every cleaner thread at least " + MIN_DEDUPE_BYTES_PER_THREAD + " bytes");
        }
        if (ioBufferSize / threads < 2 * 1024) {
            throw new ConfigException(IO_BUFFER_SIZE, ioBufferSize, "must give every cleaner thread at least 2 KiB");
        }
    }

    /**
     * Kafka's defaults, as {@link BrokerConfigs#DEF} defines them: enabled, one thread, 15 s backoff, a 128 MiB dedupe
     * buffer and 512 KiB of I/O buffers.
     */
    public static CleanerConfig defaults() {
        return from(BrokerConfigs.DEF.parse(Map.of()));
    }

    /** The cleaner settings among a broker's settings parsed by {@link BrokerConfigs#DEF}. */
    static CleanerConfig from(Map<String, Object> parsed) {
        return new CleanerConfig(
                (Boolean) parsed.get(ENABLE),
                (Integer) parsed.get(THREADS),
                (Long) parsed.get(BACKOFF_MS),
                (Long) parsed.get(DEDUPE_BUFFER_SIZE),
                (Integer) parsed.get(IO_BUFFER_SIZE));
    }

    /** The dedupe bytes one thread's offset map may use. */
    public long dedupeBytesPerThread() {
        return dedupeBufferSize / threads;
    }

    /** The size of one thread's read buffer, and of its write buffer. */
    public int ioBufferBytesPerThread() {
        return ioBufferSize / threads / 2;
    }
}
