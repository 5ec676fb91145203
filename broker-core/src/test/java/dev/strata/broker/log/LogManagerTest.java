package dev.strata.broker.log;

import static dev.strata.broker.log.TestRecords.batch;
import static dev.strata.broker.log.TestRecords.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.config.CleanerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.testing.ManualTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogManagerTest {

    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final TopicPartition P0 = new TopicPartition("events", 0);
    private static final TopicPartition P1 = new TopicPartition("events", 1);
    private static final TopicPartition OTHER = new TopicPartition("my-topic", 2);

    @TempDir
    Path root;

    private static final byte[] VALUE = {1};

    private final ManualTime time = new ManualTime(1_700_000_000_000L);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopScheduler() throws Exception {
        scheduler.shutdownNow();
        assertThat(scheduler.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private List<Path> dirs() {
        return List.of(root.resolve("d1"), root.resolve("d2"));
    }

    private LogManager manager() throws Exception {
        return new LogManager(dirs(), tp -> LogConfig.defaults(), time, scheduler, 300_000, 60_000);
    }

    @Test
    void createsLogsInTheLeastLoadedDirectory() throws Exception {
        try (LogManager manager = manager()) {
            LocalLog a = manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
            LocalLog b = manager.getOrCreateLog(P1, TOPIC_ID, LogConfig.defaults());

            assertThat(manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults()))
                    .isSameAs(a);
            assertThat(a.dir().getParent()).isNotEqualTo(b.dir().getParent());
            assertThat(a.dir().getFileName().toString()).isEqualTo("events-0");
            assertThat(manager.log(P1)).contains(b);
            assertThat(manager.log(OTHER)).isEmpty();
        }
    }

    @Test
    void forgetsProducersIdleForLongerThanTheExpirationUnlessTheirTransactionIsOpen() throws Exception {
        long expirationMs = 60_000;
        try (LogManager manager = manager()) {
            LocalLog log = manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
            log.appendAsLeader(
                    MemoryRecords.withIdempotentRecords(
                            Compression.NONE, 7L, (short) 0, 0, new SimpleRecord(time.milliseconds(), null, VALUE)),
                    0);
            log.appendAsLeader(
                    MemoryRecords.withTransactionalRecords(
                            Compression.NONE, 8L, (short) 0, 0, new SimpleRecord(time.milliseconds(), null, VALUE)),
                    0);

            time.advance(expirationMs - 1);
            assertThat(manager.removeExpiredProducers(expirationMs)).isZero();
            assertThat(log.producerState().entry(7L)).isPresent();

            time.advance(1);
            assertThat(manager.removeExpiredProducers(expirationMs)).isOne();
            assertThat(log.producerState().entry(7L)).isEmpty();
            assertThat(log.producerState().entry(8L))
                    .as("a producer with an open transaction is kept")
                    .isPresent();
        }
    }

    @Test
    void reloadsLogsAfterACleanClose() throws Exception {
        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of());
            manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults()).appendAsLeader(batch(0, 5, "a", "b"), 1);
            manager.getOrCreateLog(OTHER, TOPIC_ID, LogConfig.defaults()).appendAsLeader(batch(0, 5, "c"), 1);
        }
        for (Path dir : dirs()) {
            assertThat(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).exists();
        }
        Path p0Dir = root.resolve("d1/events-0");
        assertThat(Files.readAllLines(root.resolve("d1").resolve(LogManager.RECOVERY_POINT_CHECKPOINT)))
                .containsExactly("0", "1", "events 0 2");

        try (LogManager manager = manager()) {
            for (Path dir : dirs()) {
                assertThat(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).doesNotExist();
            }
            // OTHER is not in the map: its directory stays but is not loaded
            manager.loadLogs(Map.of(P0, TOPIC_ID));
            LocalLog log = manager.log(P0).orElseThrow();
            assertThat(log.dir()).isEqualTo(p0Dir);
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(values(log.read(0, 1000, 2, false).records())).containsExactly("a", "b");
            assertThat(manager.log(OTHER)).isEmpty();
            assertThat(root.resolve("d2/my-topic-2")).exists();
        }
    }

    @Test
    void recoversAfterAnUncleanShutdown() throws Exception {
        LogManager crashed = manager();
        LocalLog log = crashed.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
        log.appendAsLeader(batch(0, 5, "a", "b", "c"), 0);
        log.flush();
        // no close: the marker is never written, as after kill -9; release the files the way the OS would
        log.close();

        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of(P0, TOPIC_ID));
            LocalLog reloaded = manager.log(P0).orElseThrow();
            assertThat(reloaded.logEndOffset()).isEqualTo(3);
            assertThat(reloaded.recoveryPoint()).isEqualTo(3);
        }
    }

    @Test
    void aManagerClosedBeforeItsLogsWereLoadedLeavesTheDirectoriesAsItFoundThem() throws Exception {
        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of());
            manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults()).appendAsLeader(batch(0, 5, "a", "b"), 1);
        }
        Path d1 = root.resolve("d1");
        List<String> checkpoint = Files.readAllLines(d1.resolve(LogManager.RECOVERY_POINT_CHECKPOINT));
        assertThat(checkpoint).contains("events 0 2");

        // a start that fails before it loads the logs (say, the remote tier cannot be opened)
        manager().close();

        for (Path dir : dirs()) {
            assertThat(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE))
                    .as("found clean, left clean")
                    .exists();
        }
        assertThat(Files.readAllLines(d1.resolve(LogManager.RECOVERY_POINT_CHECKPOINT)))
                .as("the checkpoint of a log the manager never loaded")
                .isEqualTo(checkpoint);

        LogManager crashed = manager();
        crashed.loadLogs(Map.of(P0, TOPIC_ID));
        LocalLog log = crashed.log(P0).orElseThrow();
        log.appendAsLeader(batch(0, 6, "c"), 1);
        log.flush();
        // no close: the marker is never written, as after kill -9; release the files the way the OS would
        log.close();

        manager().close();

        for (Path dir : dirs()) {
            assertThat(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE))
                    .as("found after a crash, left to be recovered")
                    .doesNotExist();
        }
        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of(P0, TOPIC_ID));
            assertThat(values(manager.log(P0)
                            .orElseThrow()
                            .read(0, 1000, 3, false)
                            .records()))
                    .containsExactly("a", "b", "c");
        }
    }

    @Test
    void deleteLogRenamesTheDirectoryAndDeletesItInTheBackground() throws Exception {
        try (LogManager manager = manager()) {
            LocalLog log = manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
            log.appendAsLeader(batch(0, 5, "a"), 0);
            Path dir = log.dir();

            assertThat(manager.deleteLog(P0)).isTrue();
            assertThat(dir).doesNotExist();
            assertThat(manager.log(P0)).isEmpty();
            assertThat(manager.deleteLog(P0)).isFalse();
            // file.delete.delay.ms defaults to 60 s: the renamed directory is still there
            try (Stream<Path> children = Files.list(dir.getParent())) {
                assertThat(children.map(p -> p.getFileName().toString()))
                        .anyMatch(name -> name.startsWith("events-0.") && name.endsWith("-delete"));
            }
        }
        // a restart finishes the deletion
        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of(P0, TOPIC_ID));
            assertThat(manager.log(P0)).isEmpty();
            scheduler.submit(() -> {}).get();
            try (Stream<Path> children = Files.list(root.resolve("d1"))) {
                assertThat(children.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith("-delete"));
            }
        }
    }

    @Test
    void checkpointWritersTakeTurnsSoNoneMovesAnothersTemporaryFile() throws Exception {
        try (LogManager manager = manager()) {
            manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
            manager.getOrCreateLog(P1, TOPIC_ID, LogConfig.defaults());
            int rounds = 300;
            CyclicBarrier start = new CyclicBarrier(2);
            Callable<Void> writer = () -> {
                start.await();
                for (int i = 0; i < rounds; i++) {
                    manager.checkpointLogs();
                }
                return null;
            };
            ExecutorService writers = Executors.newFixedThreadPool(2);
            try {
                List<Future<Void>> done = writers.invokeAll(List.of(writer, writer));
                for (Future<Void> f : done) {
                    f.get(); // a writer whose temporary file was moved away fails with KafkaStorageException
                }
            } finally {
                writers.shutdownNow();
            }
            assertThat(LogManager.readCheckpoint(dirs().get(0).resolve(LogManager.RECOVERY_POINT_CHECKPOINT)))
                    .hasSize(1);
        }
    }

    @Test
    void theDeletionNameOfALongTopicIsCutToTheFileNameLimit() {
        String longest = "t".repeat(249);
        String name = LogManager.deleteDirName(new TopicPartition(longest, 17));
        assertThat(name).hasSize(255).startsWith("ttt").endsWith("-delete").contains("-17.");
        assertThat(LogManager.deleteDirName(P0)).matches("events-0\\.[0-9a-f]{32}-delete");
    }

    @Test
    void anIoErrorTakesItsDirectoryOfflineAndTheOtherDirectoryKeepsServing() throws Exception {
        Path failed;
        List<List<TopicPartition>> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (LogManager manager = manager()) {
            manager.onOfflinePartitions(reported::add);
            manager.loadLogs(Map.of());
            LocalLog a = manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
            LocalLog b = manager.getOrCreateLog(P1, TOPIC_ID, LogConfig.defaults());
            a.appendAsLeader(batch(0, 1L, "before"), 0);
            // the disk under a's directory fails: its next write gets an I/O error
            a.activeSegment().log().channel().close();

            assertThatThrownBy(() -> a.appendAsLeader(batch(0, 1L, "torn"), 0))
                    .isInstanceOf(KafkaStorageException.class)
                    .hasMessageContaining("offline");
            failed = a.dir().getParent();
            // once, with the partitions of that directory only: in a cluster their leaderships move
            assertThat(reported).containsExactly(List.of(P0));
            assertThat(a.isOffline()).isTrue();
            assertThat(b.isOffline()).isFalse();
            assertThat(manager.directories())
                    .filteredOn(LogDirectory::isOffline)
                    .extracting(LogDirectory::path)
                    .containsExactly(failed);
            // nothing more is written to or read from the failed directory
            assertThatThrownBy(() -> a.appendAsLeader(batch(0, 1L, "after"), 0))
                    .isInstanceOf(KafkaStorageException.class);
            assertThatThrownBy(() -> a.read(0, 1024, Long.MAX_VALUE, true)).isInstanceOf(KafkaStorageException.class);
            // the other directory serves, and takes the new partitions
            b.appendAsLeader(batch(0, 1L, "elsewhere"), 0);
            assertThat(values(b.read(0, 1024, Long.MAX_VALUE, true).records())).containsExactly("elsewhere");
            LocalLog c = manager.getOrCreateLog(OTHER, TOPIC_ID, LogConfig.defaults());
            assertThat(c.dir().getParent()).isNotEqualTo(failed);
            manager.checkpointLogs(); // skips the offline directory
            assertThat(reported).hasSize(1);
        }
        // an offline directory is not marked cleanly shut down: the next start recovers it
        assertThat(failed.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).doesNotExist();
        assertThat(dirs().stream().filter(d -> !d.equals(failed)))
                .allSatisfy(d ->
                        assertThat(d.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).exists());
    }

    @Test
    void aCheckpointWriteInterruptedByShutdownLeavesItsDirectoryOnlineAndCleanlyShutDown() throws Exception {
        // seen in CI: the broker stopping interrupted the scheduler thread in the middle of a periodic checkpoint
        // write; the interrupt closed the file channel and the directory was taken offline as if its disk had failed
        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of());
            manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults()).appendAsLeader(batch(0, 1L, "x"), 0);
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(manager::checkpointLogs).isInstanceOf(KafkaStorageException.class);
            } finally {
                Thread.interrupted();
            }
            assertThat(manager.directories()).noneMatch(LogDirectory::isOffline);
        }
        assertThat(dirs()).allSatisfy(d -> assertThat(d.resolve(LogManager.CLEAN_SHUTDOWN_FILE))
                .exists());
    }

    @Test
    void aDirectoryShortOfSpaceRefusesAppendsWithARetriableErrorAndStaysOnline() throws Exception {
        try (LogManager manager = new LogManager(
                dirs(),
                tp -> LogConfig.defaults(),
                time,
                scheduler,
                300_000,
                60_000,
                CleanerConfig.defaults(),
                Long.MAX_VALUE)) {
            manager.loadLogs(Map.of());
            LocalLog a = manager.getOrCreateLog(P0, TOPIC_ID, LogConfig.defaults());
            assertThatThrownBy(() -> a.appendAsLeader(batch(0, 1L, "x"), 0))
                    .isInstanceOf(KafkaStorageException.class)
                    .hasMessageContaining("log.dir.free.bytes.min");
            assertThat(manager.directories()).noneMatch(LogDirectory::isOffline);
            assertThat(new KafkaStorageException("x")).isInstanceOf(RetriableException.class);
        }
    }

    @Test
    void retentionRacingShutdownStillDeletesTheSegmentsItRemoved() throws Exception {
        // seen in the soak: the broker stopping shuts the scheduler down while retention runs; the delayed file
        // deletion was refused, retention failed with an ERROR, and the segment files stayed behind
        LogConfig config = LogConfig.of(Map.of(), Map.of(TopicConfig.RETENTION_MS_CONFIG, "1"));
        try (LogManager manager = manager()) {
            manager.loadLogs(Map.of());
            LocalLog log = manager.getOrCreateLog(P0, TOPIC_ID, config);
            log.appendAsLeader(batch(0, 1L, "a"), 1);
            log.roll();
            log.appendAsLeader(batch(1, 1L, "b"), 1);
            log.roll();
            log.updateHighWatermark(log.logEndOffset());
            scheduler.shutdownNow();

            assertThat(manager.cleanupLogs()).isEqualTo(2);
            assertThat(log.logStartOffset()).isEqualTo(2);
            try (var files = Files.list(log.dir())) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .noneMatch(name ->
                                name.startsWith("00000000000000000000.") || name.startsWith("00000000000000000001."));
            }
        }
    }

    @Test
    void parsesPartitionDirectoryNames() {
        assertThat(LogManager.parseDirName("my-topic-12")).contains(new TopicPartition("my-topic", 12));
        assertThat(LogManager.parseDirName("lost+found")).isEmpty();
        assertThat(LogManager.parseDirName("x.abc-delete")).isEmpty();
    }
}
