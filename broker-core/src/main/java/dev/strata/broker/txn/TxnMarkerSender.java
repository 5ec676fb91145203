package dev.strata.broker.txn;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Delivers one leader's share of a transaction's markers for the {@link LeaderMarkerWriter}: appended here when this
 * broker is the leader ({@link LocalTxnMarkers}, on the I/O pool: no broker-to-broker hop to itself), sent with
 * WriteTxnMarkers through {@code others} when another broker is. Either way each partition is answered with its
 * error, and the writer retries what is retriable.
 */
public final class TxnMarkerSender implements RemoteMarkerSender {

    /** Appends one marker to a partition this broker leads ({@link LocalTxnMarkers#append}). */
    @FunctionalInterface
    public interface LocalAppend {
        CompletableFuture<Errors> append(
                TopicPartition tp, long producerId, short producerEpoch, int coordinatorEpoch, boolean commit);
    }

    private final int localBrokerId;
    private final LocalAppend local;
    private final RemoteMarkerSender others;
    private final Executor ioPool;

    public TxnMarkerSender(int localBrokerId, LocalAppend local, RemoteMarkerSender others, Executor ioPool) {
        this.localBrokerId = localBrokerId;
        this.local = local;
        this.others = others;
        this.ioPool = ioPool;
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Errors>> send(
            int brokerId,
            long producerId,
            short producerEpoch,
            boolean commit,
            int coordinatorEpoch,
            Set<TopicPartition> partitions) {
        if (brokerId != localBrokerId) {
            return others.send(brokerId, producerId, producerEpoch, commit, coordinatorEpoch, partitions);
        }
        return CompletableFuture.supplyAsync(
                        () -> appendLocally(producerId, producerEpoch, commit, coordinatorEpoch, partitions), ioPool)
                .thenCompose(f -> f);
    }

    private CompletableFuture<Map<TopicPartition, Errors>> appendLocally(
            long producerId, short epoch, boolean commit, int coordinatorEpoch, Set<TopicPartition> partitions) {
        Map<TopicPartition, CompletableFuture<Errors>> appended = new HashMap<>();
        for (TopicPartition tp : partitions) {
            appended.put(tp, local.append(tp, producerId, epoch, coordinatorEpoch, commit));
        }
        return CompletableFuture.allOf(appended.values().toArray(CompletableFuture[]::new))
                .thenApply(ignored -> {
                    Map<TopicPartition, Errors> errors = new HashMap<>();
                    appended.forEach((tp, f) -> errors.put(tp, f.join()));
                    return errors;
                });
    }
}
