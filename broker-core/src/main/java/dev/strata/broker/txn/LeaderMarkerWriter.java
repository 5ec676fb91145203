package dev.strata.broker.txn;

import dev.strata.broker.cluster.PartitionState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one transaction's markers to every partition through the partition's current leader, as Kafka's
 * {@code TransactionMarkerChannelManager} and its completion handler do, and completes once each partition has its
 * marker (replicated, as the leader answers only then) or is gone:
 *
 * <ul>
 *   <li>the partitions are grouped by leader in the cluster image and sent with one {@link RemoteMarkerSender} call
 *       per leader;
 *   <li>a retriable answer (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT,
 *       KAFKA_STORAGE_ERROR, a broker that cannot be reached), or a partition without a leader, is tried again after a
 *       backoff (doubling up to a limit), against the leader the image names then;
 *   <li>a partition whose topic was deleted (the image no longer knows it) is skipped, as Kafka drops the markers of
 *       a deleted topic, and so is one whose leader answers UNSUPPORTED_FOR_MESSAGE_FORMAT or UNSUPPORTED_VERSION;
 *   <li>INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED mean a newer coordinator or producer epoch owns the
 *       transaction: the write fails with that error and this coordinator stops; any other error fails it as well
 *       (Kafka treats those as a broken invariant).
 * </ul>
 *
 * <p>Threads: {@link #write} returns at once; retries run on the scheduler, answers on the sender's threads.
 */
public final class LeaderMarkerWriter implements TransactionCoordinator.MarkerWriter {
    private static final Logger log = LoggerFactory.getLogger(LeaderMarkerWriter.class);

    private final Function<TopicPartition, Optional<PartitionState>> partitions;
    private final RemoteMarkerSender sender;
    private final ScheduledExecutorService scheduler;
    private final long retryBackoffMs;
    private final long maxRetryBackoffMs;

    /** The first retry's backoff, Kafka's {@code retry.backoff.ms} default. */
    public static final long RETRY_BACKOFF_MS = 100;
    /** The longest backoff between retries, Kafka's {@code retry.backoff.max.ms} default. */
    public static final long MAX_RETRY_BACKOFF_MS = 1_000;

    /** With Kafka's default backoffs ({@link #RETRY_BACKOFF_MS} doubling up to {@link #MAX_RETRY_BACKOFF_MS}). */
    public LeaderMarkerWriter(
            Function<TopicPartition, Optional<PartitionState>> partitions,
            RemoteMarkerSender sender,
            ScheduledExecutorService scheduler) {
        this(partitions, sender, scheduler, RETRY_BACKOFF_MS, MAX_RETRY_BACKOFF_MS);
    }

    /**
     * @param partitions the current state of a partition, empty once its topic is deleted ({@code
     *     ClusterImage::partition})
     * @param scheduler runs the retries
     */
    public LeaderMarkerWriter(
            Function<TopicPartition, Optional<PartitionState>> partitions,
            RemoteMarkerSender sender,
            ScheduledExecutorService scheduler,
            long retryBackoffMs,
            long maxRetryBackoffMs) {
        this.partitions = partitions;
        this.sender = sender;
        this.scheduler = scheduler;
        this.retryBackoffMs = retryBackoffMs;
        this.maxRetryBackoffMs = maxRetryBackoffMs;
    }

    /**
     * Writes the markers; completes when every partition has its marker or was skipped, or exceptionally with the
     * error that ends this coordinator's attempt. Cancelling the future stops the retries (as Kafka drops a
     * transaction's markers once its coordinator epoch changed or it is no longer the coordinator).
     */
    @Override
    public CompletableFuture<Void> write(
            long producerId, short producerEpoch, boolean commit, int coordinatorEpoch, Set<TopicPartition> tps) {
        Attempt attempt = new Attempt(producerId, producerEpoch, commit, coordinatorEpoch);
        attempt.round(Set.copyOf(tps), retryBackoffMs);
        return attempt.done;
    }

    /** One transaction's markers: the partitions still without theirs are sent again, round after round. */
    private final class Attempt {
        private final long producerId;
        private final short producerEpoch;
        private final boolean commit;
        private final int coordinatorEpoch;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        Attempt(long producerId, short producerEpoch, boolean commit, int coordinatorEpoch) {
            this.producerId = producerId;
            this.producerEpoch = producerEpoch;
            this.commit = commit;
            this.coordinatorEpoch = coordinatorEpoch;
        }

        /** Sends the markers of {@code pending} to their leaders now; what is left is retried after {@code backoffMs}. */
        void round(Set<TopicPartition> pending, long backoffMs) {
            Map<Integer, Set<TopicPartition>> byLeader = new HashMap<>();
            Set<TopicPartition> retry = new HashSet<>();
            for (TopicPartition tp : pending) {
                Optional<PartitionState> state = partitions.apply(tp);
                if (state.isEmpty()) {
                    log.info("Skipping the marker of producer {} for {}: the partition was deleted", producerId, tp);
                } else if (!state.get().hasLeader()) {
                    retry.add(tp);
                } else {
                    byLeader.computeIfAbsent(state.get().leader(), l -> new HashSet<>())
                            .add(tp);
                }
            }
            CompletableFuture<?>[] sent = byLeader.entrySet().stream()
                    .map(e -> sender.send(e.getKey(), producerId, producerEpoch, commit, coordinatorEpoch, e.getValue())
                            .thenAccept(errors -> collect(e.getValue(), errors, retry)))
                    .toArray(CompletableFuture[]::new);
            CompletableFuture.allOf(sent).whenComplete((ok, e) -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else if (retry.isEmpty()) {
                    done.complete(null);
                } else if (!done.isDone()) {
                    schedule(Set.copyOf(retry), backoffMs);
                }
            });
        }

        private void collect(Set<TopicPartition> sent, Map<TopicPartition, Errors> errors, Set<TopicPartition> retry) {
            for (TopicPartition tp : sent) {
                Errors error = errors.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR);
                switch (error) {
                    case NONE -> {}
                    case UNSUPPORTED_FOR_MESSAGE_FORMAT, UNSUPPORTED_VERSION -> log.info(
                            "Skipping the marker of producer {} for {}: {}", producerId, tp, error);
                    case INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED -> done.completeExceptionally(
                            error.exception("The marker of producer " + producerId + " for " + tp + " was refused"));
                    default -> {
                        if (error.exception() instanceof RetriableException) {
                            log.debug("Marker of producer {} for {} to be retried: {}", producerId, tp, error);
                            synchronized (retry) {
                                retry.add(tp);
                            }
                        } else {
                            done.completeExceptionally(new IllegalStateException("Unexpected error " + error
                                    + " writing the marker of producer " + producerId + " for " + tp));
                        }
                    }
                }
            }
        }

        private void schedule(Set<TopicPartition> retry, long backoffMs) {
            try {
                scheduler.schedule(
                        () -> round(retry, Math.min(backoffMs * 2, maxRetryBackoffMs)),
                        backoffMs,
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                done.completeExceptionally(e); // shutting down: the next coordinator writes them again
            }
        }
    }
}
