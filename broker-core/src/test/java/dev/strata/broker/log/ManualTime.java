package dev.strata.broker.log;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Time;

/** A clock that moves only when a test says so. */
final class ManualTime implements Time {

    private long nowMs;

    ManualTime(long startMs) {
        this.nowMs = startMs;
    }

    @Override
    public synchronized long milliseconds() {
        return nowMs;
    }

    @Override
    public synchronized long nanoseconds() {
        return TimeUnit.MILLISECONDS.toNanos(nowMs);
    }

    @Override
    public synchronized void sleep(long ms) {
        nowMs += ms;
    }

    @Override
    public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) {
        if (!condition.get()) {
            throw new UnsupportedOperationException("ManualTime cannot wait");
        }
    }
}
