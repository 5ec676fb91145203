package dev.strata.testing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Time;

/**
 * A clock that moves only when a test (or a {@link #sleep}) moves it, so time-based decisions are deterministic. Safe
 * to read from any thread.
 */
public final class ManualTime implements Time {

    private final AtomicLong nowMs;

    public ManualTime(long startMs) {
        this.nowMs = new AtomicLong(startMs);
    }

    public void advance(long ms) {
        nowMs.addAndGet(ms);
    }

    @Override
    public long milliseconds() {
        return nowMs.get();
    }

    @Override
    public long nanoseconds() {
        return TimeUnit.MILLISECONDS.toNanos(nowMs.get());
    }

    /** Sleeping advances the clock at once. */
    @Override
    public void sleep(long ms) {
        advance(ms);
    }

    /** Returns if {@code condition} already holds; nothing can make it hold later, since this clock never ticks. */
    @Override
    public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) {
        if (!condition.get()) {
            throw new UnsupportedOperationException("ManualTime cannot wait");
        }
    }
}
