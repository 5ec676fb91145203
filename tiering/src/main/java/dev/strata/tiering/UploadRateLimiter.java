package dev.strata.tiering;

import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.utils.Time;

/**
 * A token bucket that caps upload bytes per second ({@code remote.log.manager.copy.max.bytes.per.second}). The bucket
 * holds at most one second of tokens. A copy takes its segment's size at once and may drive the bucket into debt (a
 * segment can be larger than a second's worth); the caller then sleeps until the debt is repaid. Paying after the fact
 * keeps one segment one upload, and over time the rate is exact.
 *
 * <p>Tokens are counted in byte-milliseconds (bytes times 1000), so refilling after any whole number of milliseconds
 * is exact integer arithmetic. The rate can change while uploads run ({@link #setBytesPerSecond}, a dynamic broker
 * config); {@link #UNLIMITED} makes every reservation free. Thread-safe: the accounting is synchronized, the sleeping
 * is not.
 */
public final class UploadRateLimiter {

    /** The rate that never makes a caller wait (Kafka's default of the setting). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private final Time time;
    private long bytesPerSecond;
    private long capacity;
    private final LongAdder acquiredBytes = new LongAdder();
    private final LongAdder throttledMs = new LongAdder();
    private long tokens;
    private long lastRefillMs;

    /** @param bytesPerSecond the rate; must be positive, {@link #UNLIMITED} for none */
    public UploadRateLimiter(Time time, long bytesPerSecond) {
        this.time = time;
        this.lastRefillMs = time.milliseconds();
        setBytesPerSecond(bytesPerSecond);
    }

    /** The configured rate in bytes per second, {@link #UNLIMITED} for none. */
    public synchronized long bytesPerSecond() {
        return bytesPerSecond;
    }

    /**
     * Changes the rate from now on, with a full bucket (one second of the new rate); a debt owed at the old rate is
     * forgiven, and a caller already sleeping it off is not woken.
     *
     * @param bytesPerSecond the new rate; must be positive, {@link #UNLIMITED} for none
     */
    public synchronized void setBytesPerSecond(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bytesPerSecond must be > 0, was " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.capacity = saturatedMultiply(bytesPerSecond, 1000L);
        this.tokens = capacity;
    }

    /**
     * Takes {@code bytes} tokens and returns how long the caller must wait before it may send them, in milliseconds
     * (0 when the bucket covered them).
     */
    public synchronized long reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        acquiredBytes.add(bytes);
        long now = time.milliseconds();
        long elapsed = Math.max(0L, now - lastRefillMs);
        lastRefillMs = now;
        if (bytesPerSecond == UNLIMITED) {
            return 0L;
        }
        tokens = Math.min(capacity, saturatedAdd(tokens, saturatedMultiply(elapsed, bytesPerSecond)));
        tokens -= Math.multiplyExact(bytes, 1000L);
        if (tokens >= 0) {
            return 0L;
        }
        return (-tokens + bytesPerSecond - 1) / bytesPerSecond;
    }

    /** {@link #reserve}, then sleeps (through {@link Time}) as long as it says. */
    public void acquire(long bytes) {
        long waitMs = reserve(bytes);
        if (waitMs > 0) {
            throttledMs.add(waitMs);
            time.sleep(waitMs);
        }
    }

    /** Bytes taken from the bucket so far. */
    public long acquiredBytes() {
        return acquiredBytes.sum();
    }

    /** Milliseconds callers of {@link #acquire} were told to wait so far. */
    public long throttledMs() {
        return throttledMs.sum();
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return (high == 0 && low >= 0) ? low : Long.MAX_VALUE;
    }
}
