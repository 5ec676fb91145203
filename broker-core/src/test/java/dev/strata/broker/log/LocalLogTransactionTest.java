package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.transactional;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.util.Map;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;

/** The log side of transactions: the last stable offset, markers, and the transaction index. */
class LocalLogTransactionTest extends LocalLogTestSupport {

    private static final long PRODUCER = 10L;
    private static final long OTHER_PRODUCER = 11L;
    private static final boolean ABORT = false;
    private static final boolean COMMIT = true;

    @Test
    void lastStableOffsetStaysAtAnOpenTransactionUntilItsMarkerIsReplicated() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(records(1_000L, "a", "b"), 0);
        log.appendAsLeader(transactional(PRODUCER, (short) 0, 0, "t1", "t2"), 0); // offsets 2, 3
        log.appendAsLeader(records(1_000L, "c"), 0);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.highWatermark()).isEqualTo(5);
        assertThat(log.lastStableOffset()).isEqualTo(2);

        LogAppendInfo marker = log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, ABORT, 0);
        assertThat(marker.firstOffset()).isEqualTo(5);
        assertThat(log.lastStableOffset())
                .as("marker not yet below the high watermark")
                .isEqualTo(2);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).isEqualTo(6);
        assertThat(log.collectAbortedTransactions(0, 6)).containsExactly(new AbortedTxn(PRODUCER, 2, 5, 6));
        assertThat(log.collectAbortedTransactions(4, 6))
                .as("a read after the aborted records does not need them")
                .containsExactly(new AbortedTxn(PRODUCER, 2, 5, 6));
        assertThat(log.collectAbortedTransactions(6, 7)).isEmpty();
    }

    @Test
    void aCoordinatorsTransactionalBatchesWithoutSequencesAreEachAppendedAndEndedByTheMarker() throws Exception {
        LocalLog log = open(Map.of());
        // as the group coordinator writes TxnOffsetCommits: every batch at sequence 0, no duplicate detection
        LogAppendInfo first = log.appendAsCoordinator(transactional(PRODUCER, (short) 0, 0, "o1"), 0);
        LogAppendInfo second = log.appendAsCoordinator(transactional(PRODUCER, (short) 0, 0, "o2"), 0);
        assertThat(second.firstOffset()).isEqualTo(first.lastOffset() + 1);
        LogAppendInfo marker = log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, COMMIT, 0);
        assertThat(marker.firstOffset())
                .as("the marker is no duplicate of the batches")
                .isEqualTo(2);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).isEqualTo(3);

        log.appendMarkerAsLeader(PRODUCER, (short) 1, 0, COMMIT, 0);
        assertThatThrownBy(() -> log.appendAsCoordinator(transactional(PRODUCER, (short) 0, 0, "late"), 0))
                .as("the producer's epoch is still checked")
                .isInstanceOf(InvalidProducerEpochException.class);
    }

    @Test
    void aCommittedTransactionLeavesNoIndexEntry() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(transactional(PRODUCER, (short) 0, 0, "t1"), 0);
        log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, COMMIT, 0);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).isEqualTo(2);
        assertThat(log.collectAbortedTransactions(0, 2)).isEmpty();
        assertThat(LogSegment.txnIndexFile(dir(), 0)).doesNotExist();
    }

    @Test
    void theIndexEntryNamesTheOldestTransactionStillOpenAsItsLastStableOffset() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(transactional(PRODUCER, (short) 0, 0, "p1"), 0); // 0
        log.appendAsLeader(transactional(OTHER_PRODUCER, (short) 0, 0, "o1"), 0); // 1
        log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, ABORT, 0); // 2
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).isEqualTo(1);
        assertThat(log.collectAbortedTransactions(0, 1)).containsExactly(new AbortedTxn(PRODUCER, 0, 2, 1));
        log.appendMarkerAsLeader(OTHER_PRODUCER, (short) 0, 0, ABORT, 0); // 3
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).isEqualTo(4);
        assertThat(log.collectAbortedTransactions(0, 4))
                .containsExactly(new AbortedTxn(PRODUCER, 0, 2, 1), new AbortedTxn(OTHER_PRODUCER, 1, 3, 4));
    }

    @Test
    void aMarkerOfAnOlderProducerEpochIsRefused() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(transactional(PRODUCER, (short) 3, 0, "t1"), 0);
        assertThatThrownBy(() -> log.appendMarkerAsLeader(PRODUCER, (short) 2, 0, ABORT, 0))
                .isInstanceOf(InvalidProducerEpochException.class);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).as("the transaction is still open").isZero();
    }

    @Test
    void theIndexAndTheOpenTransactionSurviveARestart() throws Exception {
        LocalLog log = open(smallSegments());
        log.appendAsLeader(transactional(PRODUCER, (short) 0, 0, "aborted-1", "aborted-2"), 0); // 0, 1
        log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, ABORT, 0); // 2
        log.appendAsLeader(transactional(OTHER_PRODUCER, (short) 0, 0, "open"), 0); // 3
        log.close();
        opened.remove(log);

        LocalLog reopened = open(smallSegments());
        reopened.updateHighWatermark(reopened.logEndOffset());
        assertThat(reopened.lastStableOffset()).isEqualTo(3);
        assertThat(reopened.collectAbortedTransactions(0, 3)).containsExactly(new AbortedTxn(PRODUCER, 0, 2, 3));
    }

    @Test
    void aLostIndexEntryIsRebuiltFromTheMarkerInTheLog() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(transactional(PRODUCER, (short) 0, 0, "aborted"), 0); // 0
        log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, ABORT, 0); // 1
        log.appendAsLeader(records(1_000L, "after"), 0); // 2
        log.close();
        opened.remove(log);
        // as after a crash between the marker's append and the index's: no entry, no snapshot past the marker
        try (var files = Files.newDirectoryStream(dir(), "*.{txnindex,snapshot}")) {
            for (var file : files) {
                Files.delete(file);
            }
        }

        LocalLog reopened = open(Map.of(), 0, false);
        reopened.updateHighWatermark(reopened.logEndOffset());
        assertThat(reopened.collectAbortedTransactions(0, 3)).containsExactly(new AbortedTxn(PRODUCER, 0, 1, 2));
        LogSegment withMarker = reopened.segments().stream()
                .filter(s -> s.baseOffset() <= 1)
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(withMarker.txnIndex().file()).exists();
    }

    @Test
    void truncatingAMarkerAwayReopensItsTransaction() throws Exception {
        LocalLog log = open(Map.of());
        log.appendAsLeader(transactional(PRODUCER, (short) 0, 0, "t1"), 0); // 0
        log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, ABORT, 0); // 1
        log.updateHighWatermark(1);
        log.truncateTo(1);
        log.updateHighWatermark(log.logEndOffset());
        assertThat(log.lastStableOffset()).isZero();
        assertThat(log.collectAbortedTransactions(0, 1)).isEmpty();
    }

    @Test
    void aFollowerIndexesTheAbortsItReplicates() throws Exception {
        LocalLog log = open(Map.of());
        MemoryRecords data = transactional(PRODUCER, (short) 0, 0, "t1", "t2");
        data.batches().forEach(b -> b.setLastOffset(1L)); // offsets 0..1, as the leader assigned them
        log.appendAsFollower(data);
        log.appendAsFollower(MemoryRecords.withEndTransactionMarker(
                2L, 1_000L, 0, PRODUCER, (short) 0, new EndTransactionMarker(ControlRecordType.ABORT, 0)));
        log.updateHighWatermark(3);
        assertThat(log.lastStableOffset()).isEqualTo(3);
        assertThat(log.collectAbortedTransactions(0, 3)).containsExactly(new AbortedTxn(PRODUCER, 0, 2, 3));
    }
}
