package dev.strata.broker.partition;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;

/**
 * A fetch waiting for data (Kafka's long poll): it completes when a read of its partitions finds at least
 * {@code minBytes}, when the read hits an error, or when {@code max.wait.ms} passes, with whatever is there. No
 * thread waits on it; appends to its partitions trigger another attempt.
 *
 * @param <R> the read result
 */
public final class DelayedFetch<R> {

    /** The outcome of one attempt to read the partitions. */
    public record Attempt<R>(R result, boolean satisfied) {}

    private final Collection<TopicPartition> partitions;
    private final Function<Boolean, Attempt<R>> read;
    private final CompletableFuture<R> future = new CompletableFuture<>();
    private final AtomicBoolean completed = new AtomicBoolean();

    /**
     * @param read reads every partition; its argument says whether this is the final (timed-out) attempt
     */
    DelayedFetch(Collection<TopicPartition> partitions, Function<Boolean, Attempt<R>> read) {
        this.partitions = partitions;
        this.read = read;
    }

    Collection<TopicPartition> partitions() {
        return partitions;
    }

    CompletableFuture<R> future() {
        return future;
    }

    boolean isCompleted() {
        return completed.get();
    }

    /** Reads again; completes if satisfied. */
    void tryComplete() {
        if (completed.get()) {
            return;
        }
        Attempt<R> attempt;
        try {
            attempt = read.apply(false);
        } catch (RuntimeException e) {
            if (completed.compareAndSet(false, true)) {
                future.completeExceptionally(e);
            }
            return;
        }
        if (attempt.satisfied() && completed.compareAndSet(false, true)) {
            future.complete(attempt.result());
        }
    }

    /** Time is up: answer with what is there. */
    void expire() {
        if (completed.compareAndSet(false, true)) {
            try {
                future.complete(read.apply(true).result());
            } catch (RuntimeException e) {
                future.completeExceptionally(e);
            }
        }
    }
}
