package dev.strata.broker.txn;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Asks the transaction coordinator whether a producer's ongoing transaction already holds a partition, as Kafka's
 * broker-side verification does (KIP-890 part 1). Produce asks it for each transactional batch; TxnOffsetCommit asks
 * it for the group's {@code __consumer_offsets} partition.
 */
public interface TransactionVerification {

    /**
     * Completes with {@link Errors#NONE} when the ongoing transaction of {@code transactionalId}, held by this producer
     * id and epoch, includes {@code partition}; otherwise with the error Kafka's coordinator answers a verify-only
     * AddPartitionsToTxn with (INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE, ...).
     */
    CompletableFuture<Errors> verify(
            String transactionalId, long producerId, short producerEpoch, TopicPartition partition);

    /** No coordinator to ask: every request passes, as with {@code transaction.partition.verification.enable=false}. */
    TransactionVerification NONE =
            (transactionalId, producerId, producerEpoch, partition) -> CompletableFuture.completedFuture(Errors.NONE);
}
