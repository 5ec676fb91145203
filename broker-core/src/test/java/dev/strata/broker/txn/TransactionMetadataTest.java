package dev.strata.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

class TransactionMetadataTest {
    private static final TopicPartition A = new TopicPartition("a", 0);
    private static final TopicPartition B = new TopicPartition("b", 1);

    private static TransactionLogRecords.Value apply(TransactionMetadata txn, TransactionMetadata.Decision d) {
        assertThat(d.write()).isNotNull();
        txn.begin(d.write());
        txn.complete();
        return txn.current();
    }

    private static TransactionMetadata initialized() {
        TransactionMetadata txn = TransactionMetadata.fresh("tx", 5L, 60_000, 0L);
        apply(txn, txn.prepareInitProducerId(60_000, -1, (short) -1, () -> 99L, 1L));
        return txn;
    }

    @Test
    void theFirstInitGivesEpochZeroAndEachNextOneBumpsIt() {
        TransactionMetadata txn = initialized();
        assertThat(txn.current().producerEpoch()).isZero();
        apply(txn, txn.prepareInitProducerId(60_000, -1, (short) -1, () -> 99L, 2L));
        assertThat(txn.current().producerId()).isEqualTo(5L);
        assertThat(txn.current().producerEpoch()).isEqualTo((short) 1);
    }

    @Test
    void aCommitAddsPartitionsThenPreparesThenCompletes() {
        TransactionMetadata txn = initialized();
        TransactionLogRecords.Value ongoing = apply(txn, txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 10L));
        assertThat(ongoing.state()).isEqualTo(TransactionState.ONGOING);
        assertThat(ongoing.startTimestampMs()).isEqualTo(10L);
        apply(txn, txn.prepareAddPartitions(5L, (short) 0, Set.of(B), 11L));
        assertThat(txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 12L).write())
                .isNull();
        assertThat(txn.verify(5L, (short) 0, B)).isEqualTo(Errors.NONE);
        assertThat(txn.verify(5L, (short) 0, new TopicPartition("c", 0))).isEqualTo(Errors.INVALID_TXN_STATE);
        TransactionLogRecords.Value prepared = apply(txn, txn.prepareEndTxn(5L, (short) 0, true, 13L));
        assertThat(prepared.state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(prepared.partitions()).containsExactlyInAnyOrder(A, B);
        assertThat(txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 14L).error())
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(txn.prepareEndTxn(5L, (short) 0, true, 14L).error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        TransactionLogRecords.Value done = apply(txn, txn.prepareComplete(15L));
        assertThat(done.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
        assertThat(done.partitions()).isEmpty();
        // a retried EndTxn is answered without a write; the opposite decision is not
        assertThat(txn.prepareEndTxn(5L, (short) 0, true, 16L))
                .isEqualTo(new TransactionMetadata.Decision(Errors.NONE, null, false));
        assertThat(txn.prepareEndTxn(5L, (short) 0, false, 16L).error()).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void endTxnWithoutATransactionOrWithAnotherProducerIsRefused() {
        TransactionMetadata txn = initialized();
        assertThat(txn.prepareEndTxn(5L, (short) 0, true, 2L).error()).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(txn.prepareEndTxn(6L, (short) 0, true, 2L).error()).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(txn.prepareAddPartitions(5L, (short) 3, Set.of(A), 2L).error())
                .isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void aNewProducerFencesTheOngoingTransactionByAbortingItWithABumpedEpoch() {
        TransactionMetadata txn = initialized();
        apply(txn, txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 10L));
        TransactionMetadata.Decision init = txn.prepareInitProducerId(60_000, -1, (short) -1, () -> 99L, 11L);
        assertThat(init.error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(init.fencesOngoing()).isTrue();
        TransactionLogRecords.Value abort = apply(txn, init);
        assertThat(abort.state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(abort.producerEpoch()).isEqualTo((short) 1);
        assertThat(txn.prepareEndTxn(5L, (short) 0, true, 12L).error()).isEqualTo(Errors.PRODUCER_FENCED);
        apply(txn, txn.prepareComplete(12L));
        apply(txn, txn.prepareInitProducerId(60_000, -1, (short) -1, () -> 99L, 13L));
        assertThat(txn.current().producerEpoch()).isEqualTo((short) 2);
    }

    @Test
    void kip360RecoveryChecksTheEpochTheProducerHas() {
        TransactionMetadata txn = initialized();
        apply(txn, txn.prepareInitProducerId(60_000, 5L, (short) 0, () -> 99L, 2L));
        assertThat(txn.current().producerEpoch()).isEqualTo((short) 1);
        // the same request again (its answer was lost): the epoch it already got, no write
        TransactionMetadata.Decision retry = txn.prepareInitProducerId(60_000, 5L, (short) 0, () -> 99L, 3L);
        assertThat(retry.error()).isEqualTo(Errors.NONE);
        assertThat(retry.write()).isNull();
        assertThat(txn.prepareInitProducerId(60_000, 5L, (short) 7, () -> 99L, 3L)
                        .error())
                .isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(txn.prepareInitProducerId(60_000, 4L, (short) 1, () -> 99L, 3L)
                        .error())
                .isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void anExhaustedEpochMovesToANewProducerId() {
        TransactionMetadata txn = new TransactionMetadata(
                "tx",
                new TransactionLogRecords.Value(
                        5L,
                        -1,
                        -1,
                        (short) (Short.MAX_VALUE - 1),
                        1000,
                        TransactionState.COMPLETE_COMMIT,
                        Set.of(),
                        1L,
                        1L,
                        (short) 0));
        TransactionLogRecords.Value next = apply(txn, txn.prepareInitProducerId(1000, -1, (short) -1, () -> 99L, 2L));
        assertThat(next.producerId()).isEqualTo(99L);
        assertThat(next.producerEpoch()).isZero();
        assertThat(next.previousProducerId()).isEqualTo(5L);
    }

    @Test
    void aPendingWriteMakesEveryOtherRequestWait() {
        TransactionMetadata txn = initialized();
        txn.begin(txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 10L).write());
        assertThat(txn.prepareInitProducerId(60_000, -1, (short) -1, () -> 99L, 11L)
                        .error())
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(txn.timedOut(Long.MAX_VALUE)).isFalse();
        txn.abandon();
        assertThat(txn.current().state()).isEqualTo(TransactionState.EMPTY);
    }

    @Test
    void anOngoingTransactionTimesOutAfterItsTimeout() {
        TransactionMetadata txn = initialized();
        apply(txn, txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 10L));
        assertThat(txn.timedOut(10L + 60_000)).isFalse();
        assertThat(txn.timedOut(10L + 60_001)).isTrue();
    }

    @Test
    void aTransactionPastItsTimeoutIsAbortedWithTheEpochBumped() {
        TransactionMetadata txn = initialized();
        apply(txn, txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 10L));
        assertThat(txn.timedOut(10L + 60_000)).isFalse();
        assertThat(txn.prepareAbortTimedOut(10L + 60_000).write()).isNull();
        assertThat(txn.timedOut(10L + 60_001)).isTrue();
        TransactionLogRecords.Value aborting = apply(txn, txn.prepareAbortTimedOut(10L + 60_001));
        assertThat(aborting.state()).isEqualTo(TransactionState.PREPARE_ABORT);
        assertThat(aborting.producerEpoch()).isEqualTo((short) 1);
        assertThat(aborting.partitions()).containsExactly(A);
        // the producer that left it open is fenced
        assertThat(txn.prepareEndTxn(5L, (short) 0, true, 70_000L).error()).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(apply(txn, txn.prepareComplete(70_001L)).state()).isEqualTo(TransactionState.COMPLETE_ABORT);
    }

    @Test
    void anIdleIdExpiresOnlyAfterTheExpirationWithoutATransaction() {
        TransactionMetadata txn = initialized();
        assertThat(txn.prepareExpire(1L + 1_000, 1_000).write()).isNull();
        apply(txn, txn.prepareAddPartitions(5L, (short) 0, Set.of(A), 10L));
        assertThat(txn.prepareExpire(1_000_000L, 1_000).write())
                .as("an open transaction")
                .isNull();
        apply(txn, txn.prepareEndTxn(5L, (short) 0, true, 20L));
        apply(txn, txn.prepareComplete(21L));
        TransactionLogRecords.Value dead = apply(txn, txn.prepareExpire(21L + 1_001, 1_000));
        assertThat(dead.state()).isEqualTo(TransactionState.DEAD);
    }
}
