package dev.strata.broker.txn;

import static dev.strata.broker.txn.TransactionState.COMPLETE_ABORT;
import static dev.strata.broker.txn.TransactionState.COMPLETE_COMMIT;
import static dev.strata.broker.txn.TransactionState.DEAD;
import static dev.strata.broker.txn.TransactionState.EMPTY;
import static dev.strata.broker.txn.TransactionState.ONGOING;
import static dev.strata.broker.txn.TransactionState.PREPARE_ABORT;
import static dev.strata.broker.txn.TransactionState.PREPARE_COMMIT;
import static dev.strata.broker.txn.TransactionState.PREPARE_EPOCH_FENCE;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TransactionStateTest {

    @Test
    void idsAndNamesAreKafkas() {
        assertThat(TransactionState.values())
                .extracting(TransactionState::kafkaName)
                .containsExactly(
                        "Empty",
                        "Ongoing",
                        "PrepareCommit",
                        "PrepareAbort",
                        "CompleteCommit",
                        "CompleteAbort",
                        "Dead",
                        "PrepareEpochFence");
        for (TransactionState s : TransactionState.values()) {
            assertThat(TransactionState.fromId(s.id())).isEqualTo(s);
            assertThat(s.id()).isEqualTo((byte) s.ordinal());
        }
    }

    @Test
    void aCommitGoesThroughPrepareToComplete() {
        assertThat(EMPTY.canTransitionTo(ONGOING)).isTrue();
        assertThat(ONGOING.canTransitionTo(PREPARE_COMMIT)).isTrue();
        assertThat(PREPARE_COMMIT.canTransitionTo(COMPLETE_COMMIT)).isTrue();
        assertThat(COMPLETE_COMMIT.canTransitionTo(ONGOING)).isTrue();
        assertThat(EMPTY.canTransitionTo(PREPARE_COMMIT)).isFalse();
        assertThat(PREPARE_COMMIT.canTransitionTo(COMPLETE_ABORT)).isFalse();
        assertThat(PREPARE_COMMIT.canTransitionTo(ONGOING)).isFalse();
    }

    @Test
    void fencingAbortsTheOngoingTransaction() {
        assertThat(ONGOING.canTransitionTo(PREPARE_EPOCH_FENCE)).isTrue();
        assertThat(PREPARE_EPOCH_FENCE.canTransitionTo(PREPARE_ABORT)).isTrue();
        assertThat(PREPARE_EPOCH_FENCE.canTransitionTo(PREPARE_COMMIT)).isFalse();
        assertThat(EMPTY.canTransitionTo(PREPARE_EPOCH_FENCE)).isFalse();
    }

    @Test
    void onlyAnIdleIdExpires() {
        for (TransactionState s : TransactionState.values()) {
            assertThat(s.canTransitionTo(DEAD)).isEqualTo(s.isIdle());
        }
        assertThat(DEAD.canTransitionTo(EMPTY)).isFalse();
        assertThat(PREPARE_ABORT.isCompleting()).isTrue();
        assertThat(ONGOING.isCompleting()).isFalse();
    }
}
