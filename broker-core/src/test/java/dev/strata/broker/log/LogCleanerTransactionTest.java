package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.CleanerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

/** The log cleaner and transactions: aborted records, markers and their delete horizon, open transactions. */
class LogCleanerTransactionTest extends LocalLogTestSupport {

    private static final long PRODUCER = 10L;
    private static final long HOUR_MS = 3_600_000L;
    private static final boolean ABORT = false;
    private static final boolean COMMIT = true;

    private static Map<String, String> compacted() {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                "0.01",
                TopicConfig.DELETE_RETENTION_MS_CONFIG,
                Long.toString(HOUR_MS),
                TopicConfig.INDEX_INTERVAL_BYTES_CONFIG,
                "1");
    }

    private LogCleaner cleaner(LocalLog log) {
        return new LogCleaner(
                new CleanerConfig(true, 1, 0, 1024 * 1024, 64 * 1024), List.of(root), () -> List.of(log), time);
    }

    /** Cleans the whole log once, whether or not it is due. */
    private void cleanNow(LocalLog log) throws Exception {
        Cleaner cleaner = new Cleaner(1024 * 1024, 4096, time, l -> {});
        assertThat(cleaner.clean(LogToClean.of(log, log.cleanerView(), 0, time.milliseconds()))
                        .swapped())
                .isTrue();
    }

    private SimpleRecord[] keyed(String... pairs) {
        SimpleRecord[] records = new SimpleRecord[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            String[] kv = pairs[i].split("=", 2);
            records[i] = new SimpleRecord(
                    time.milliseconds(),
                    kv[0].getBytes(StandardCharsets.UTF_8),
                    kv[1].getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    private void plain(LocalLog log, String... pairs) {
        append(log, MemoryRecords.withRecords(Compression.NONE, keyed(pairs)));
    }

    private void inTransaction(LocalLog log, int baseSequence, String... pairs) {
        append(
                log,
                MemoryRecords.withTransactionalRecords(
                        Compression.NONE, PRODUCER, (short) 0, baseSequence, keyed(pairs)));
    }

    private static void marker(LocalLog log, boolean commit) {
        log.appendMarkerAsLeader(PRODUCER, (short) 0, 0, commit, 0);
        log.updateHighWatermark(log.logEndOffset());
    }

    private static void append(LocalLog log, MemoryRecords records) {
        log.appendAsLeader(records, 0);
        log.updateHighWatermark(log.logEndOffset());
    }

    /** The data records of every segment, key to value in offset order (later values of a key replace earlier). */
    private static Map<String, String> data(LocalLog log) {
        Map<String, String> data = new LinkedHashMap<>();
        for (RecordBatch batch : batches(log)) {
            if (!batch.isControlBatch()) {
                for (Record record : batch) {
                    data.put(string(record.key()), string(record.value()));
                }
            }
        }
        return data;
    }

    private static List<Long> dataOffsets(LocalLog log) {
        List<Long> offsets = new ArrayList<>();
        for (RecordBatch batch : batches(log)) {
            if (!batch.isControlBatch()) {
                batch.forEach(r -> offsets.add(r.offset()));
            }
        }
        return offsets;
    }

    /** The control records of every segment, by type. */
    private static List<ControlRecordType> markers(LocalLog log) {
        List<ControlRecordType> markers = new ArrayList<>();
        for (RecordBatch batch : batches(log)) {
            if (batch.isControlBatch()) {
                for (Record record : batch) {
                    markers.add(ControlRecordType.parse(record.key()));
                }
            }
        }
        return markers;
    }

    private static List<RecordBatch> batches(LocalLog log) {
        List<RecordBatch> batches = new ArrayList<>();
        for (LogSegment segment : log.cleanerView().segments()) {
            segment.log().batches().forEach(batches::add);
        }
        return batches;
    }

    private static String string(java.nio.ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void abortedRecordsAreRemovedAndDoNotHideOlderCommittedValues() throws Exception {
        LocalLog log = open(compacted());
        plain(log, "a=1", "b=1"); // 0, 1
        inTransaction(log, 0, "a=2", "c=2"); // 2, 3
        marker(log, ABORT); // 4
        plain(log, "d=1"); // 5
        log.roll();

        assertThat(cleaner(log).cleanOnce()).isTrue();

        assertThat(data(log)).containsExactly(Map.entry("a", "1"), Map.entry("b", "1"), Map.entry("d", "1"));
        assertThat(markers(log))
                .as("the marker stays while its transaction's (emptied) batch does")
                .containsExactly(ControlRecordType.ABORT);
        assertThat(log.collectAbortedTransactions(0, log.logEndOffset()))
                .containsExactly(new AbortedTxn(PRODUCER, 2, 4, 5));
    }

    @Test
    void anAbortMarkerGoesOnceItsRecordsAreGoneAndItsDeleteHorizonHasPassed() throws Exception {
        LocalLog log = open(compacted());
        inTransaction(log, 0, "a=2"); // 0
        marker(log, ABORT); // 1
        plain(log, "b=1"); // 2
        log.roll();
        log.producerState().removeExpiredProducers(Long.MAX_VALUE);
        LogCleaner cleaner = cleaner(log);

        assertThat(cleaner.cleanOnce()).isTrue();
        assertThat(data(log)).containsExactly(Map.entry("b", "1"));
        assertThat(markers(log)).containsExactly(ControlRecordType.ABORT);
        assertThat(log.collectAbortedTransactions(0, 3)).containsExactly(new AbortedTxn(PRODUCER, 0, 1, 2));

        assertThat(cleaner.cleanOnce())
                .as("a clean at once, since the records of the marker's transaction are gone")
                .isTrue();
        assertThat(markers(log)).containsExactly(ControlRecordType.ABORT);
        assertThat(log.collectAbortedTransactions(0, 3))
                .as("no record is left for the index entry to hide")
                .isEmpty();
        assertThat(LogSegment.txnIndexFile(dir(), 0)).isEmptyFile();

        time.sleep(HOUR_MS - 1);
        assertThat(cleaner.cleanOnce()).as("the horizon has not passed").isFalse();
        time.sleep(1);
        assertThat(cleaner.cleanOnce()).isTrue();
        assertThat(markers(log)).isEmpty();
        assertThat(data(log)).containsExactly(Map.entry("b", "1"));
        assertThat(cleaner.cleanOnce()).isFalse();
    }

    @Test
    void aCommitMarkerStaysWhileRecordsOfItsTransactionDo() throws Exception {
        LocalLog log = open(compacted());
        inTransaction(log, 0, "a=1", "b=1"); // 0, 1
        marker(log, COMMIT); // 2
        plain(log, "a=2"); // 3
        log.roll();
        log.producerState().removeExpiredProducers(Long.MAX_VALUE);

        cleanNow(log);
        assertThat(data(log)).containsExactly(Map.entry("b", "1"), Map.entry("a", "2"));
        assertThat(markers(log)).containsExactly(ControlRecordType.COMMIT);
        RecordBatch kept = batches(log).get(0);
        assertThat(kept.isTransactional()).isTrue();
        assertThat(kept.producerId()).isEqualTo(PRODUCER);
        assertThat(kept.producerEpoch()).isEqualTo((short) 0);

        plain(log, "b=2"); // 4
        log.roll();
        cleanNow(log); // removes b=1, but saw its batch
        assertThat(data(log)).containsExactly(Map.entry("a", "2"), Map.entry("b", "2"));
        assertThat(markers(log)).containsExactly(ControlRecordType.COMMIT);

        cleanNow(log); // sees no batch of the transaction: stamps the marker's horizon
        assertThat(markers(log)).containsExactly(ControlRecordType.COMMIT);
        assertThat(batches(log).get(0).deleteHorizonMs()).hasValue(time.milliseconds() + HOUR_MS);

        time.sleep(HOUR_MS);
        cleanNow(log);
        assertThat(markers(log)).isEmpty();
        assertThat(data(log)).containsExactly(Map.entry("a", "2"), Map.entry("b", "2"));
    }

    @Test
    void theBatchOfAnActiveProducerStaysAsAnEmptyBatch() throws Exception {
        LocalLog log = open(compacted());
        inTransaction(log, 0, "a=1"); // 0
        marker(log, ABORT); // 1
        log.roll();

        cleanNow(log);
        cleanNow(log);
        List<RecordBatch> batches = batches(log);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).countOrNull()).isZero();
        assertThat(batches.get(0).lastSequence()).isZero();
        assertThat(markers(log))
                .as("its marker stays while the emptied batch does")
                .containsExactly(ControlRecordType.ABORT);
    }

    @Test
    void neverCleansAnOpenTransactionOrWhatFollowsIt() throws Exception {
        LocalLog log = open(compacted());
        plain(log, "a=1", "b=1"); // 0, 1
        plain(log, "a=2"); // 2
        log.roll();
        inTransaction(log, 0, "a=3", "b=3"); // 3, 4
        log.roll();
        plain(log, "a=4"); // 5
        log.roll();

        assertThat(LogToClean.of(log, log.cleanerView(), 0, time.milliseconds()).firstUncleanableOffset())
                .isEqualTo(3);
        cleanNow(log);
        assertThat(dataOffsets(log)).containsExactly(1L, 2L, 3L, 4L, 5L);

        marker(log, ABORT); // 6
        log.roll();
        cleanNow(log);
        assertThat(dataOffsets(log)).containsExactly(1L, 5L);
    }

    /** An aborted transaction in segment 0, closed, with a copy of that segment staged as a crashed swap. */
    private void stageASwapOfTheSegmentWithAnAbortedTransaction() throws Exception {
        LocalLog log = open(compacted());
        inTransaction(log, 0, "a=1"); // 0
        marker(log, ABORT); // 1
        log.roll();
        log.close();
        Files.copy(LogSegment.logFile(dir(), 0), dir().resolve("00000000000000000000.log.swap"));
    }

    @Test
    void completingASwapUsesTheCleanedTransactionIndex() throws Exception {
        stageASwapOfTheSegmentWithAnAbortedTransaction();
        Files.createFile(dir().resolve("00000000000000000000.txnindex.swap"));

        LocalLog recovered = open(compacted());
        assertThat(recovered.collectAbortedTransactions(0, 2)).isEmpty();
        assertThat(LogSegment.txnIndexFile(dir(), 0)).isEmptyFile();
    }

    @Test
    void completingAnOlderSwapWithoutATransactionIndexKeepsTheReplacedSegmentsEntries() throws Exception {
        stageASwapOfTheSegmentWithAnAbortedTransaction();

        LocalLog recovered = open(compacted());
        assertThat(recovered.collectAbortedTransactions(0, 2)).containsExactly(new AbortedTxn(PRODUCER, 0, 1, 2));
    }
}
