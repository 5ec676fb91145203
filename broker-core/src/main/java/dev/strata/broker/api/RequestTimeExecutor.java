package dev.strata.broker.api;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The handlers' I/O pool, measuring the time each request's work runs on it, for request quotas (Kafka's request
 * handler time). Work handed over while {@link #timing} runs a dispatch on the calling thread adds its run time to
 * that request's counter; work handed over otherwise (continuations, background tasks) is not counted. Waiting (a
 * parked fetch, a quorum write) is not work on the pool and is not counted either.
 */
final class RequestTimeExecutor extends AbstractExecutorService {
    private static final ThreadLocal<Timer> CURRENT = new ThreadLocal<>();

    private final ExecutorService pool;

    RequestTimeExecutor(ExecutorService pool) {
        this.pool = pool;
    }

    /**
     * One request's time on the pool. A response completes inside the work that makes it, so {@link #nanos} counts
     * the work still running too.
     */
    static final class Timer {
        private long total;
        private long runningSince;
        private int running;

        private synchronized void start() {
            if (running++ == 0) {
                runningSince = System.nanoTime();
            }
        }

        private synchronized void stop() {
            if (--running == 0) {
                total += System.nanoTime() - runningSince;
            }
        }

        synchronized long nanos() {
            return total + (running > 0 ? System.nanoTime() - runningSince : 0);
        }
    }

    /** Runs {@code dispatch}, counting into {@code timer} the run time of the work it hands to this pool. */
    static <T> T timing(Timer timer, Supplier<T> dispatch) {
        Timer outer = CURRENT.get();
        CURRENT.set(timer);
        try {
            return dispatch.get();
        } finally {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    @Override
    public void execute(Runnable work) {
        Timer timer = CURRENT.get();
        if (timer == null) {
            pool.execute(work);
            return;
        }
        pool.execute(() -> {
            timer.start();
            try {
                work.run();
            } finally {
                timer.stop();
            }
        });
    }

    @Override
    public void shutdown() {
        pool.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
        return pool.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
        return pool.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return pool.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return pool.awaitTermination(timeout, unit);
    }
}
