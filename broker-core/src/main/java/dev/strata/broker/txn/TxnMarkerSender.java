package dev.strata.broker.txn;

import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * The coordinator's {@link TransactionCoordinator.MarkerWriter}: each partition's marker goes to the partition's
 * leader, appended here for the partitions this broker leads ({@link LocalTxnMarkers}, on the I/O pool) and sent with
 * a {@link RemoteMarkerSender} to the others. The write succeeds once every partition has its marker, or is gone
 * (UNKNOWN_TOPIC_OR_PARTITION: a deleted topic needs none, as Kafka skips it); any other error fails it, and the
 * coordinator tries again later.
 */
public final class TxnMarkerSender implements TransactionCoordinator.MarkerWriter {

    /** Appends one marker to a partition this broker leads ({@link LocalTxnMarkers#append}). */
    @FunctionalInterface
    public interface LocalAppend {
        CompletableFuture<Errors> append(
                TopicPartition tp, long producerId, short producerEpoch, int coordinatorEpoch, boolean commit);
    }

    private final int localBrokerId;
    private final Supplier<ClusterImage> cluster;
    private final LocalAppend local;
    private final RemoteMarkerSender remote;
    private final Executor ioPool;

    public TxnMarkerSender(
            int localBrokerId,
            Supplier<ClusterImage> cluster,
            LocalAppend local,
            RemoteMarkerSender remote,
            Executor ioPool) {
        this.localBrokerId = localBrokerId;
        this.cluster = cluster;
        this.local = local;
        this.remote = remote;
        this.ioPool = ioPool;
    }

    @Override
    public CompletableFuture<Void> write(
            long producerId, short epoch, boolean commit, int coordinatorEpoch, Set<TopicPartition> partitions) {
        Map<Integer, Set<TopicPartition>> byLeader = new HashMap<>();
        ClusterImage image = cluster.get();
        for (TopicPartition tp : partitions) {
            Optional<PartitionState> state = image.partition(tp);
            if (state.isEmpty()) {
                continue; // the topic is gone: nothing to mark
            }
            int leader = state.get().leader();
            if (leader < 0) {
                return CompletableFuture.failedFuture(
                        new IllegalStateException(tp + " has no leader: its marker waits"));
            }
            byLeader.computeIfAbsent(leader, l -> new HashSet<>()).add(tp);
        }
        List<CompletableFuture<Map<TopicPartition, Errors>>> sent = new ArrayList<>();
        byLeader.forEach((leader, tps) -> {
            if (leader == localBrokerId) {
                sent.add(CompletableFuture.supplyAsync(
                                () -> appendLocally(producerId, epoch, commit, coordinatorEpoch, tps), ioPool)
                        .thenCompose(f -> f));
            } else {
                sent.add(remote.send(leader, producerId, epoch, commit, coordinatorEpoch, tps));
            }
        });
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).thenAccept(ignored -> {
            for (CompletableFuture<Map<TopicPartition, Errors>> f : sent) {
                f.join().forEach((tp, error) -> {
                    if (error != Errors.NONE && error != Errors.UNKNOWN_TOPIC_OR_PARTITION) {
                        throw new IllegalStateException("The marker of producer " + producerId + " in " + tp
                                + " was not written: " + error.name());
                    }
                });
            }
        });
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
