package dev.strata.broker.partition;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.Errors;

/**
 * One partition of an {@code acks=all} produce waiting for its append to be replicated (Kafka's
 * {@code DelayedProduce}, per partition): the {@link ReplicaManager} completes it when the high watermark reaches
 * {@link #requiredOffset}, when the partition's leadership moves, or when the request times out. No thread waits.
 */
final class DelayedProduce {
    private final long requiredOffset;
    private final CompletableFuture<Errors> future = new CompletableFuture<>();

    DelayedProduce(long requiredOffset) {
        this.requiredOffset = requiredOffset;
    }

    long requiredOffset() {
        return requiredOffset;
    }

    CompletableFuture<Errors> future() {
        return future;
    }

    /** Completes with {@code error} (NONE for success) unless completed already. */
    void complete(Errors error) {
        future.complete(error);
    }
}
