package dev.strata.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.CleanerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.testing.Await;
import dev.strata.testing.ManualTime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCleanerTest {

    private static final TopicPartition TP = new TopicPartition("compacted", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final long HOUR_MS = 3_600_000L;

    @TempDir
    Path root;

    private final ManualTime time = new ManualTime(1_700_000_000_000L);
    private final List<LocalLog> opened = new ArrayList<>();

    @AfterEach
    void closeLogs() {
        for (LocalLog log : opened) {
            try {
                log.close();
            } catch (RuntimeException e) {
                // already closed by the test
            }
        }
    }

    /** A key and its value; a null value is a tombstone. */
    private record Entry(long offset, String key, String value) {}

    private Path dir() {
        return root.resolve("compacted-0");
    }

    private static Map<String, String> compacted(String... overrides) {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        configs.put(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "1");
        configs.put(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.01");
        for (int i = 0; i < overrides.length; i += 2) {
            configs.put(overrides[i], overrides[i + 1]);
        }
        return configs;
    }

    private LocalLog open(Map<String, String> configs) throws Exception {
        LocalLog log = LocalLog.open(dir(), TP, TOPIC_ID, LogConfig.of(Map.of(), configs), time, 0, true);
        opened.add(log);
        return log;
    }

    private LogCleaner cleaner(LocalLog log) {
        return new LogCleaner(
                new CleanerConfig(true, 1, 0, 1024 * 1024, 64 * 1024), List.of(root), () -> List.of(log), time);
    }

    /** One batch of {@code key=value} pairs (value "-" is a tombstone), timestamped now. */
    private MemoryRecords records(String... pairs) {
        return MemoryRecords.withRecords(
                RecordBatch.MAGIC_VALUE_V2, 0, Compression.NONE, TimestampType.CREATE_TIME, simpleRecords(pairs));
    }

    private SimpleRecord[] simpleRecords(String... pairs) {
        SimpleRecord[] records = new SimpleRecord[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            String[] kv = pairs[i].split("=", 2);
            records[i] = new SimpleRecord(
                    time.milliseconds(),
                    kv[0].getBytes(StandardCharsets.UTF_8),
                    kv[1].equals("-") ? null : kv[1].getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    private static void append(LocalLog log, MemoryRecords records) {
        log.appendAsLeader(records, 0);
        log.updateHighWatermark(log.logEndOffset());
    }

    /** Every record, read one fetch at a time from the log start offset. */
    private static List<Entry> readAll(LocalLog log) {
        List<Entry> all = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            FetchDataInfo info = log.read(offset, 1_000_000, log.logEndOffset(), true);
            long next = offset;
            for (RecordBatch batch : info.records().batches()) {
                for (Record record : batch) {
                    if (record.offset() >= offset) {
                        all.add(new Entry(record.offset(), string(record.key()), string(record.value())));
                    }
                }
                next = Math.max(next, batch.nextOffset());
            }
            if (next == offset) {
                break;
            }
            offset = next;
        }
        return all;
    }

    private static String string(java.nio.ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The latest value of each key, in the order of those latest records. */
    private static Map<String, String> latestPerKey(List<Entry> entries) {
        Map<String, Entry> latest = new HashMap<>();
        for (Entry e : entries) {
            latest.put(e.key(), e);
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        latest.values().stream()
                .sorted((a, b) -> Long.compare(a.offset(), b.offset()))
                .forEach(e -> ordered.put(e.key(), e.value()));
        return ordered;
    }

    private static Map<String, String> asMap(List<Entry> entries) {
        Map<String, String> map = new LinkedHashMap<>();
        for (Entry e : entries) {
            assertThat(map).as("key %s appears once", e.key()).doesNotContainKey(e.key());
            map.put(e.key(), e.value());
        }
        return map;
    }

    private static List<String> filesEndingWith(Path dir, String suffix) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(suffix))
                    .toList();
        }
    }

    /** Many updates to five keys over several segments, the active segment rolled so that all of it is cleanable. */
    private LocalLog logWithUpdates(Map<String, String> configs, int rounds) throws Exception {
        LocalLog log = open(configs);
        for (int i = 0; i < rounds; i++) {
            append(log, records("k0=v" + i, "k1=v" + i, "k2=v" + i));
            append(log, records("k3=v" + i, "k4=v" + i));
        }
        log.roll();
        return log;
    }

    @Test
    void keepsTheLatestValuePerKeyAcrossSegmentsAndCheckpointsTheFirstDirtyOffset() throws Exception {
        LocalLog log = logWithUpdates(compacted(TopicConfig.SEGMENT_BYTES_CONFIG, "400"), 20);
        List<Entry> before = readAll(log);
        int segmentsBefore = log.numberOfSegments();
        long sizeBefore = log.size();
        assertThat(segmentsBefore).isGreaterThan(5);

        LogCleaner cleaner = cleaner(log);
        assertThat(cleaner.cleanOnce()).isTrue();

        List<Entry> after = readAll(log);
        assertThat(asMap(after)).containsExactlyEntriesOf(latestPerKey(before));
        assertThat(after).extracting(Entry::offset).isSorted();
        assertThat(log.size()).isLessThan(sizeBefore);
        assertThat(log.logEndOffset()).isEqualTo(before.get(before.size() - 1).offset() + 1);
        assertThat(cleaner.firstDirtyOffset(TP)).contains(log.activeSegment().baseOffset());
        assertThat(Files.readAllLines(root.resolve(LogCleaner.CHECKPOINT_FILE)))
                .containsExactly("0", "1", "compacted 0 " + log.activeSegment().baseOffset());
        assertThat(filesEndingWith(dir(), LocalLog.CLEANED_SUFFIX)).isEmpty();
        assertThat(filesEndingWith(dir(), LocalLog.SWAP_SUFFIX)).isEmpty();

        assertThat(cleaner.cleanOnce()).as("nothing is dirty any more").isFalse();
        append(log, records("k0=new"));
        log.roll();
        assertThat(cleaner.cleanOnce()).isTrue();
        assertThat(asMap(readAll(log))).containsEntry("k0", "new").hasSize(5);
        assertThat(log.numberOfSegments())
                .as("small cleaned segments are merged")
                .isLessThan(segmentsBefore);
    }

    @Test
    void aNewConfigReplacesTheRunningThreadsAndTheirSuccessorsClean() throws Exception {
        LocalLog log = logWithUpdates(compacted(TopicConfig.SEGMENT_BYTES_CONFIG, "400"), 20);
        Map<String, String> latest = latestPerKey(readAll(log));
        AtomicBoolean visible = new AtomicBoolean();
        LogCleaner cleaner = new LogCleaner(
                new CleanerConfig(true, 1, 3_600_000, 1024 * 1024, 64 * 1024),
                List.of(root),
                () -> visible.get() ? List.of(log) : List.of(),
                time);
        try {
            cleaner.startup(); // its thread finds no log and backs off for an hour
            CleanerConfig next = new CleanerConfig(true, 2, 10, 4 * 1024 * 1024, 128 * 1024);
            cleaner.reconfigure(next);
            cleaner.reconfigure(next);
            assertThat(cleaner.config()).isEqualTo(next);
            visible.set(true);
            Await.until(
                    Duration.ofSeconds(30),
                    "a thread of the new config cleans the log",
                    () -> cleaner.firstDirtyOffset(TP).isPresent());
        } finally {
            cleaner.close();
        }
        assertThat(asMap(readAll(log))).containsExactlyEntriesOf(latest);
    }

    @Test
    void cleansTheSameSegmentAgainWhileTheReplacedFilesAwaitDeletion() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            LocalLog log = LocalLog.open(
                    dir(), TP, TOPIC_ID, LogConfig.of(Map.of(), compacted()), time, 0, 0, true, scheduler);
            opened.add(log);
            LogCleaner cleaner = cleaner(log);
            for (int i = 0; i < 3; i++) {
                append(log, records("a=" + i, "b=" + i));
                log.roll();
                assertThat(cleaner.cleanOnce()).isTrue();
            }
            assertThat(asMap(readAll(log))).containsExactly(Map.entry("a", "2"), Map.entry("b", "2"));
            assertThat(filesEndingWith(dir(), LogSegment.LOG_SUFFIX + LogSegment.DELETED_SUFFIX))
                    .isNotEmpty();
            assertThat(filesEndingWith(dir(), LocalLog.SWAP_SUFFIX)).isEmpty();
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void leavesTheActiveSegmentAndLogsBelowTheDirtyRatioAlone() throws Exception {
        LocalLog log = open(compacted(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.9"));
        for (int i = 0; i < 10; i++) {
            append(log, records("k=v" + i));
        }
        LogCleaner cleaner = cleaner(log);
        assertThat(cleaner.cleanOnce()).as("only the active segment").isFalse();
        log.roll();
        assertThat(cleaner.cleanOnce()).as("all dirty: ratio 1.0").isTrue();
        assertThat(readAll(log)).extracting(Entry::value).containsExactly("v9");

        append(log, records("k=v10"));
        log.roll();
        assertThat(cleaner.cleanOnce())
                .as("half clean, half dirty: ratio 0.5 < 0.9")
                .isFalse();
    }

    @Test
    void keepsTombstonesUntilDeleteRetentionMsAfterTheCleanThatKeptThem() throws Exception {
        LocalLog log = open(compacted(TopicConfig.DELETE_RETENTION_MS_CONFIG, Long.toString(HOUR_MS)));
        append(log, records("a=1", "b=1", "c=1"));
        append(log, records("a=-", "b=2"));
        log.roll();
        LogCleaner cleaner = cleaner(log);

        assertThat(cleaner.cleanOnce()).isTrue();
        assertThat(asMap(readAll(log))).containsExactly(Map.entry("c", "1"), entry("a", null), Map.entry("b", "2"));

        time.sleep(HOUR_MS - 1);
        assertThat(cleaner.cleanOnce()).as("the horizon has not passed").isFalse();
        assertThat(asMap(readAll(log))).containsKey("a");

        time.sleep(1);
        assertThat(cleaner.cleanOnce())
                .as("a clean just to remove the tombstone")
                .isTrue();
        assertThat(asMap(readAll(log))).containsExactly(Map.entry("c", "1"), Map.entry("b", "2"));
        assertThat(cleaner.cleanOnce()).isFalse();
    }

    private static Map.Entry<String, String> entry(String key, String value) {
        return new java.util.AbstractMap.SimpleEntry<>(key, value);
    }

    @Test
    void respectsMinCompactionLagMs() throws Exception {
        LocalLog log = open(compacted(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Long.toString(HOUR_MS)));
        append(log, records("k=old"));
        append(log, records("k=new"));
        log.roll();
        LogCleaner cleaner = cleaner(log);

        assertThat(cleaner.cleanOnce()).as("records younger than the lag").isFalse();
        assertThat(readAll(log)).hasSize(2);

        time.sleep(HOUR_MS + 1);
        assertThat(cleaner.cleanOnce()).isTrue();
        assertThat(readAll(log)).extracting(Entry::value).containsExactly("new");
    }

    @Test
    void maxCompactionLagMsCleansALogBelowItsDirtyRatio() throws Exception {
        LocalLog log = open(compacted(
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                "0.99",
                TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG,
                Long.toString(HOUR_MS)));
        for (int i = 0; i < 20; i++) {
            append(log, records("k" + i + "=v"));
        }
        log.roll();
        LogCleaner cleaner = cleaner(log);
        assertThat(cleaner.cleanOnce()).isTrue();
        append(log, records("k0=v2"));
        log.roll();
        assertThat(cleaner.cleanOnce()).as("ratio far below 0.99").isFalse();

        time.sleep(HOUR_MS + 1);
        assertThat(cleaner.cleanOnce())
                .as("the dirty record waited longer than max.compaction.lag.ms")
                .isTrue();
        assertThat(asMap(readAll(log))).hasSize(20).containsEntry("k0", "v2");
    }

    @Test
    void compactDeleteAlsoAppliesRetention() throws Exception {
        LocalLog log = open(compacted(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                "compact,delete",
                TopicConfig.RETENTION_MS_CONFIG,
                Long.toString(HOUR_MS)));
        append(log, records("a=1", "b=1"));
        log.roll();
        time.sleep(2 * HOUR_MS);
        append(log, records("a=2", "c=1"));
        append(log, records("c=2"));
        log.roll();

        assertThat(log.deleteOldSegments()).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(2);
        assertThat(cleaner(log).cleanOnce()).isTrue();
        assertThat(asMap(readAll(log))).containsExactly(Map.entry("a", "2"), Map.entry("c", "2"));
    }

    @Test
    void keepsIdempotentProducersStateThroughCompaction() throws Exception {
        LocalLog log = open(compacted());
        long producer = 7L;
        long other = 8L;
        short epoch = 0;
        append(
                log,
                MemoryRecords.withIdempotentRecords(Compression.NONE, producer, epoch, 0, simpleRecords("a=1", "b=1")));
        append(
                log,
                MemoryRecords.withIdempotentRecords(Compression.NONE, producer, epoch, 2, simpleRecords("a=2", "c=1")));
        append(log, MemoryRecords.withIdempotentRecords(Compression.NONE, producer, epoch, 4, simpleRecords("c=2")));
        append(log, MemoryRecords.withIdempotentRecords(Compression.NONE, other, epoch, 0, simpleRecords("c=3")));
        log.roll();

        assertThat(cleaner(log).cleanOnce()).isTrue();
        assertThat(asMap(readAll(log))).containsExactly(Map.entry("b", "1"), Map.entry("a", "2"), Map.entry("c", "3"));

        List<RecordBatch> batches = new ArrayList<>();
        log.read(0, 1_000_000, log.logEndOffset(), true).records().batches().forEach(batches::add);
        assertThat(batches).extracting(RecordBatch::producerId).containsExactly(producer, producer, producer, other);
        RecordBatch partial = batches.get(1);
        assertThat(partial.baseOffset()).isEqualTo(2);
        assertThat(partial.baseSequence()).isEqualTo(2);
        assertThat(partial.lastSequence()).isEqualTo(3);
        assertThat(partial.producerEpoch()).isEqualTo(epoch);
        RecordBatch emptiedLast = batches.get(2);
        assertThat(emptiedLast.countOrNull())
                .as("kept empty: the producer's last batch")
                .isZero();
        assertThat(emptiedLast.lastSequence()).isEqualTo(4);
        assertThat(emptiedLast.lastOffset()).isEqualTo(4);

        log.close();
        Files.deleteIfExists(root.resolve(LogCleaner.CHECKPOINT_FILE));
        try (Stream<Path> snapshots = Files.list(dir())) {
            for (Path snapshot : snapshots
                    .filter(p -> p.toString().endsWith(ProducerStateManager.SUFFIX))
                    .toList()) {
                Files.delete(snapshot);
            }
        }
        LocalLog reopened = open(compacted());
        assertThat(reopened.producerState().entry(producer)).hasValueSatisfying(e -> {
            assertThat(e.lastSeq()).isEqualTo(4);
            assertThat(e.lastDataOffset()).isEqualTo(4);
        });
    }

    @Test
    void readsAcrossGapsAndEmptiedSegmentsReturnTheNextRecordKept() throws Exception {
        LocalLog log = open(compacted(TopicConfig.SEGMENT_BYTES_CONFIG, "100"));
        append(log, records("a=1", "b=1"));
        append(log, records("c=1", "d=1"));
        append(log, records("a=2", "c=2"));
        append(log, records("b=2", "e=1"));
        append(log, records("d=2", "a=3"));
        log.roll();
        assertThat(log.numberOfSegments()).isEqualTo(6);

        assertThat(cleaner(log).cleanOnce()).isTrue();
        List<Entry> kept = readAll(log);
        assertThat(kept).extracting(Entry::offset).containsExactly(5L, 6L, 7L, 8L, 9L);
        assertThat(log.logStartOffset()).isZero();
        for (long offset = 0; offset < log.logEndOffset(); offset++) {
            long from = offset;
            FetchDataInfo info = log.read(offset, 1_000_000, log.logEndOffset(), false);
            long expected = kept.stream()
                    .mapToLong(Entry::offset)
                    .filter(o -> o >= from)
                    .min()
                    .orElseThrow();
            Record first = null;
            for (RecordBatch batch : info.records().batches()) {
                for (Record record : batch) {
                    if (first == null && record.offset() >= from) {
                        first = record;
                    }
                }
            }
            assertThat(first).as("first record at or after %d", offset).isNotNull();
            assertThat(first.offset()).as("first record at or after %d", offset).isEqualTo(expected);
        }
    }

    /** The directory of a cleaned log and a copy of it before the clean, to stage crashes between the two. */
    private record CrashFixture(Path beforeDir, List<Entry> before, List<Entry> after, Path cleanedLog) {}

    private CrashFixture cleanAndKeepTheUncleanedCopy() throws Exception {
        LocalLog log = open(compacted());
        for (int i = 0; i < 4; i++) {
            append(log, records("a=" + i, "b=" + i));
            append(log, records("c=" + i));
            log.roll();
        }
        List<Entry> before = readAll(log);
        log.close();
        Path copy = root.resolve("copy");
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(dir())) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        LocalLog reopened = open(compacted());
        assertThat(cleaner(reopened).cleanOnce()).isTrue();
        List<Entry> after = readAll(reopened);
        reopened.close();
        assertThat(after).hasSize(3);

        Path cleanedDir = root.resolve("cleaned");
        Files.move(dir(), cleanedDir);
        Files.move(copy, dir());
        return new CrashFixture(dir(), before, after, LogSegment.logFile(cleanedDir, 0));
    }

    @Test
    void crashAfterTheSwapRenameRecoversToTheCleanedState() throws Exception {
        CrashFixture fixture = cleanAndKeepTheUncleanedCopy();
        Files.copy(fixture.cleanedLog(), fixture.beforeDir().resolve("00000000000000000000.log.swap"));
        Files.copy(fixture.cleanedLog(), fixture.beforeDir().resolve("00000000000000000000.index.swap"));

        LocalLog recovered = open(compacted());
        assertThat(readAll(recovered)).isEqualTo(fixture.after());
        assertThat(recovered.numberOfSegments()).isEqualTo(2);
        assertThat(filesEndingWith(dir(), LocalLog.SWAP_SUFFIX)).isEmpty();
        assertThat(filesEndingWith(dir(), LogSegment.LOG_SUFFIX)).hasSize(2);
    }

    @Test
    void crashWhileTheReplacedSegmentsAreRenamedRecoversToTheCleanedState() throws Exception {
        CrashFixture fixture = cleanAndKeepTheUncleanedCopy();
        Files.copy(fixture.cleanedLog(), fixture.beforeDir().resolve("00000000000000000000.log.swap"));
        Path first = LogSegment.logFile(dir(), 0);
        Files.move(first, first.resolveSibling(first.getFileName() + LogSegment.DELETED_SUFFIX));

        LocalLog recovered = open(compacted());
        assertThat(readAll(recovered)).isEqualTo(fixture.after());
        assertThat(recovered.numberOfSegments()).isEqualTo(2);
        assertThat(filesEndingWith(dir(), LogSegment.DELETED_SUFFIX)).isEmpty();
    }

    @Test
    void crashBeforeTheSwapRenameRecoversToTheUncleanedState() throws Exception {
        CrashFixture fixture = cleanAndKeepTheUncleanedCopy();
        Files.copy(fixture.cleanedLog(), fixture.beforeDir().resolve("00000000000000000000.log.cleaned"));
        Files.copy(fixture.cleanedLog(), fixture.beforeDir().resolve("00000000000000000000.index.swap"));

        LocalLog recovered = open(compacted());
        assertThat(readAll(recovered)).isEqualTo(fixture.before());
        assertThat(recovered.numberOfSegments()).isEqualTo(5);
        assertThat(filesEndingWith(dir(), LocalLog.CLEANED_SUFFIX)).isEmpty();
        assertThat(filesEndingWith(dir(), LocalLog.SWAP_SUFFIX)).isEmpty();
    }

    @Test
    void aSegmentReplacedWhileTheCleanerWorkedAbandonsTheClean() throws Exception {
        LocalLog log = open(compacted());
        append(log, records("a=1"));
        log.roll();
        append(log, records("a=2"));
        log.roll();
        LogToClean target = LogToClean.of(log, log.cleanerView(), 0, time.milliseconds());
        log.truncateTo(1);
        append(log, records("b=1"));
        log.roll();

        Cleaner cleaner = new Cleaner(1024 * 1024, 4096, time, l -> {});
        assertThat(cleaner.clean(target).swapped()).isFalse();
        assertThat(readAll(log)).extracting(Entry::value).containsExactly("1", "1");
        assertThat(filesEndingWith(dir(), LocalLog.CLEANED_SUFFIX)).isEmpty();
    }
}
