package dev.strata.broker.partition;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A fetch waiting for its reads from the remote tier (Kafka's {@code DelayedRemoteFetch}): it is answered as soon as
 * every read is done, or when {@code remote.fetch.max.wait.ms} passes, whichever comes first. The response is built
 * once, at that moment, from the reads done by then; a read still running is left out of it (its partition gets no
 * records and no error) and is not cancelled, so what it loads still lands in the chunk cache for the next fetch. No
 * thread waits: the last read to finish, or the timer, builds the response.
 *
 * @param <R> the response
 */
public final class DelayedRemoteFetch<R> {

    private final Supplier<R> response;
    private final CompletableFuture<R> future = new CompletableFuture<>();
    private final AtomicBoolean completed = new AtomicBoolean();

    private DelayedRemoteFetch(Supplier<R> response) {
        this.response = response;
    }

    /**
     * Waits for {@code reads} (which must never complete exceptionally) for up to {@code maxWaitMs}.
     *
     * @param response builds the response from the reads done when it is called; called exactly once
     * @return the response, completed exceptionally if building it threw
     */
    static <R> CompletableFuture<R> start(
            Collection<? extends CompletableFuture<?>> reads,
            long maxWaitMs,
            ScheduledExecutorService timer,
            Supplier<R> response) {
        DelayedRemoteFetch<R> fetch = new DelayedRemoteFetch<>(response);
        ScheduledFuture<?> expiry = timer.schedule(fetch::complete, maxWaitMs, TimeUnit.MILLISECONDS);
        CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            expiry.cancel(false);
            fetch.complete();
        });
        return fetch.future;
    }

    private void complete() {
        if (completed.compareAndSet(false, true)) {
            try {
                future.complete(response.get());
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
        }
    }
}
