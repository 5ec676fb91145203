package dev.strata.tiering;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The bytes that reads from the remote tier may have in flight in one broker ({@code remote.fetch.max.buffered.bytes}),
 * so that many consumers replaying history at once cannot fill the heap with read buffers: a read reserves the bytes
 * it asked for before it starts and gives them back when it completes. A read that does not fit waits, in arrival
 * order, and is started on the given executor once enough is given back; nothing is refused. A read larger than the
 * whole budget waits until it has the budget to itself.
 *
 * <p>What this bounds is the reads in flight; once a read completes its buffer belongs to the fetch response, whose
 * bytes waiting for a slow client are bounded by the network layer's back-pressure. Thread-safe.
 */
public final class RemoteReadBudget {

    private final long maxBytes;
    private final Executor deferredStarts;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private long used;
    private long deferred;

    /**
     * @param maxBytes the most bytes reserved at once
     * @param deferredStarts where reads that had to wait are started (a reader pool, never a network thread)
     */
    public RemoteReadBudget(long maxBytes, Executor deferredStarts) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be > 0, was " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.deferredStarts = deferredStarts;
    }

    /** No bound: every read starts at once. */
    public static RemoteReadBudget unbounded() {
        return new RemoteReadBudget(Long.MAX_VALUE, Runnable::run);
    }

    /** Starts {@code read} once {@code bytes} are reserved for it, and gives them back when its future completes. */
    public <T> CompletableFuture<T> submit(long bytes, Supplier<CompletableFuture<T>> read) {
        long reserved = Math.max(1, Math.min(bytes, maxBytes));
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable start = () -> {
            CompletableFuture<T> started;
            try {
                started = read.get();
            } catch (RuntimeException e) {
                started = CompletableFuture.failedFuture(e);
            }
            started.whenComplete((value, error) -> {
                release(reserved);
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(value);
                }
            });
        };
        boolean now;
        synchronized (this) {
            now = waiting.isEmpty() && used + reserved <= maxBytes;
            if (now) {
                used += reserved;
            } else {
                waiting.add(new Waiting(reserved, start));
                deferred++;
            }
        }
        if (now) {
            start.run();
        }
        return result;
    }

    /** Bytes reserved by reads in flight now. */
    public synchronized long usedBytes() {
        return used;
    }

    /** Reads that had to wait for budget, since startup. */
    public synchronized long deferredReads() {
        return deferred;
    }

    private void release(long bytes) {
        List<Runnable> starts = new ArrayList<>();
        synchronized (this) {
            used -= bytes;
            while (!waiting.isEmpty() && used + waiting.peek().bytes() <= maxBytes) {
                Waiting next = waiting.poll();
                used += next.bytes();
                starts.add(next.start());
            }
        }
        starts.forEach(deferredStarts::execute);
    }

    private record Waiting(long bytes, Runnable start) {}
}
