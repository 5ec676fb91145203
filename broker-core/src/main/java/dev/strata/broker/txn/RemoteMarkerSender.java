package dev.strata.broker.txn;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Sends a transaction's markers to another broker, for the partitions it leads (WriteTxnMarkers, as Kafka's
 * coordinator does): completes with each partition's error, or exceptionally when the broker cannot be reached.
 */
@FunctionalInterface
public interface RemoteMarkerSender {
    CompletableFuture<Map<TopicPartition, Errors>> send(
            int brokerId,
            long producerId,
            short producerEpoch,
            boolean commit,
            int coordinatorEpoch,
            Set<TopicPartition> partitions);

    /** No way to reach other brokers yet: every send fails, and the coordinator retries the transaction later. */
    RemoteMarkerSender UNAVAILABLE = (brokerId, producerId, producerEpoch, commit, coordinatorEpoch, partitions) ->
            CompletableFuture.failedFuture(new IllegalStateException("Markers to broker " + brokerId
                    + " cannot be sent: this broker has no WriteTxnMarkers sender for other brokers yet"));
}
