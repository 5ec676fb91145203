package dev.strata.broker.txn;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * How the transaction coordinator reaches the leader of a transaction's partitions: one WriteTxnMarkers request to a
 * broker, as Kafka's {@code TransactionMarkerChannelManager} sends them. A broker that cannot be reached answers
 * every partition with a retriable error ({@link Errors#NETWORK_EXCEPTION}), never with an exceptional future, so
 * the caller's retry covers both.
 */
public interface RemoteMarkerSender {
    /** Sends WriteTxnMarkers for these partitions (all led by brokerId) and completes with each partition's error. */
    CompletableFuture<Map<TopicPartition, Errors>> send(
            int brokerId,
            long producerId,
            short producerEpoch,
            boolean commit,
            int coordinatorEpoch,
            Set<TopicPartition> partitions);
}
