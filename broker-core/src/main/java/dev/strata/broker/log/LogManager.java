package dev.strata.broker.log;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.CleanerConfig;
import dev.strata.broker.config.LogConfig;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the broker's {@code log.dirs}: finds and recovers the partitions' logs at startup, creates and deletes logs,
 * and runs retention and time-based flushes in the background.
 *
 * <p>Each log directory holds, next to the partition directories:
 *
 * <ul>
 *   <li>{@code recovery-point-offset-checkpoint}: Kafka's text checkpoint (see {@link CheckpointFile}) with one
 *       {@code <topic> <partition> <offset>} line per partition, the offset below which the partition was flushed.
 *       After a crash, recovery re-validates only what lies above it.
 *   <li>{@code log-start-offset-checkpoint}: the same format, with each partition's log start offset, which
 *       DeleteRecords can move into the middle of a segment.
 *   <li>{@code replication-offset-checkpoint}: the same format, with each partition's high watermark, so that a
 *       follower restarts from the offset its leader had committed, not from its own log end (which may hold a tail
 *       the leader never committed). A directory without the file (written by a version before replication) keeps
 *       the high watermark at the log end offset, as that version did.
 *   <li>{@code cleaner-offset-checkpoint}: the same format, with each compacted partition's first dirty offset (see
 *       {@link LogCleaner}).
 *   <li>{@code .kafka_cleanshutdown}: an empty marker written after every log is flushed and closed, and removed at
 *       startup. A directory without it was not shut down cleanly (e.g. {@code kill -9}) and its logs are recovered.
 * </ul>
 *
 * <p>Work on one log never happens while another log's lock is held: background tasks visit the logs one at a time.
 */
public final class LogManager implements AutoCloseable {
    public static final String RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
    public static final String LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
    public static final String REPLICATION_OFFSET_CHECKPOINT = "replication-offset-checkpoint";
    public static final String CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
    static final String DELETE_DIR_SUFFIX = "-delete";
    /** The longest file name most file systems (ext4, xfs, APFS) accept, in bytes. */
    private static final int MAX_FILE_NAME_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(LogManager.class);

    private final List<Path> logDirs;
    private final Map<Path, LogDirectory> directories = new LinkedHashMap<>();
    /** How often each directory's free space is read ({@code log.dir.free.bytes.min}); one statfs call each. */
    private static final long FREE_SPACE_CHECK_MS = 1_000L;

    private final Function<TopicPartition, LogConfig> configs;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    private final long retentionCheckIntervalMs;
    private final long flushCheckIntervalMs;
    private final Map<Path, Boolean> hadCleanShutdown = new HashMap<>();
    private final ConcurrentHashMap<TopicPartition, LocalLog> logs = new ConcurrentHashMap<>();
    private volatile Consumer<List<TopicPartition>> offlineListener = partitions -> {};
    private final Object creationLock = new Object();
    /** Taken by whoever writes the recovery-point and log-start-offset checkpoints. */
    private final Object checkpointLock = new Object();

    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private final LogCleaner cleaner;
    /** Whether {@link #loadLogs} finished: until then the checkpoints on disk are the last run's, not this one's. */
    private volatile boolean loaded;

    private volatile boolean closed;

    /**
     * @param configs the effective config of each partition found on disk at {@link #loadLogs}
     * @param scheduler runs retention, flushes, checkpoints and delayed deletions; owned by the caller
     * @param flushCheckIntervalMs how often logs are checked for {@code flush.ms} and checkpoints are written
     */
    public LogManager(
            List<Path> logDirs,
            Function<TopicPartition, LogConfig> configs,
            Time time,
            ScheduledExecutorService scheduler,
            long retentionCheckIntervalMs,
            long flushCheckIntervalMs)
            throws IOException {
        this(
                logDirs,
                configs,
                time,
                scheduler,
                retentionCheckIntervalMs,
                flushCheckIntervalMs,
                CleanerConfig.defaults());
    }

    /** @param cleanerConfig the settings of the {@link LogCleaner} that compacts the logs of compacted topics */
    public LogManager(
            List<Path> logDirs,
            Function<TopicPartition, LogConfig> configs,
            Time time,
            ScheduledExecutorService scheduler,
            long retentionCheckIntervalMs,
            long flushCheckIntervalMs,
            CleanerConfig cleanerConfig)
            throws IOException {
        this(logDirs, configs, time, scheduler, retentionCheckIntervalMs, flushCheckIntervalMs, cleanerConfig, 0L);
    }

    /**
     * @param minFreeBytes {@code log.dir.free.bytes.min}: a directory with less free space refuses appends (0: never)
     */
    public LogManager(
            List<Path> logDirs,
            Function<TopicPartition, LogConfig> configs,
            Time time,
            ScheduledExecutorService scheduler,
            long retentionCheckIntervalMs,
            long flushCheckIntervalMs,
            CleanerConfig cleanerConfig,
            long minFreeBytes)
            throws IOException {
        this.logDirs = List.copyOf(logDirs);
        for (Path dir : this.logDirs) {
            LogDirectory directory = new LogDirectory(dir, minFreeBytes);
            directory.onOffline(this::onDirectoryOffline);
            directories.put(dir, directory);
        }
        this.configs = configs;
        this.time = time;
        this.scheduler = scheduler;
        this.retentionCheckIntervalMs = retentionCheckIntervalMs;
        this.flushCheckIntervalMs = flushCheckIntervalMs;
        for (Path dir : this.logDirs) {
            Files.createDirectories(dir);
            Path marker = dir.resolve(CLEAN_SHUTDOWN_FILE);
            boolean clean = Files.exists(marker);
            hadCleanShutdown.put(dir, clean);
            // removed now so that a crash from here on is seen as unclean at the next start
            Files.deleteIfExists(marker);
            Utils.flushDir(dir);
            if (!clean && Files.exists(dir.resolve(RECOVERY_POINT_CHECKPOINT))) {
                LOG.info("Log directory {} was not shut down cleanly; its logs will be recovered", dir);
            }
        }
        this.cleaner = new LogCleaner(cleanerConfig, this.logDirs, logs::values, time);
    }

    public List<Path> logDirs() {
        return logDirs;
    }

    /** The health of every log directory: offline or not, free space. */
    public Collection<LogDirectory> directories() {
        return directories.values();
    }

    /**
     * Tells {@code listener} the partitions of a log directory when it goes offline, on the thread that hit the error:
     * in a cluster their leaderships must move to other replicas.
     */
    public void onOfflinePartitions(Consumer<List<TopicPartition>> listener) {
        this.offlineListener = listener;
    }

    private void onDirectoryOffline(Path dir, Exception cause) {
        List<TopicPartition> inDir = logs.entrySet().stream()
                .filter(e -> e.getValue().dir().getParent().equals(dir))
                .map(Map.Entry::getKey)
                .sorted(Comparator.comparing(TopicPartition::toString))
                .toList();
        LOG.error("{} partitions in {} are offline; new partitions go to the other log directories", inDir.size(), dir);
        offlineListener.accept(inDir);
    }

    /**
     * Opens the logs of {@code partitions} found in the log directories, recovering them if needed. Directories of
     * other partitions are left alone; directories of deleted logs are removed.
     */
    public void loadLogs(Map<TopicPartition, Uuid> partitions) throws IOException {
        for (Path logDir : logDirs) {
            Map<TopicPartition, Long> recoveryPoints = readCheckpoint(logDir.resolve(RECOVERY_POINT_CHECKPOINT));
            Map<TopicPartition, Long> startOffsets = readCheckpoint(logDir.resolve(LOG_START_OFFSET_CHECKPOINT));
            Path hwFile = logDir.resolve(REPLICATION_OFFSET_CHECKPOINT);
            Map<TopicPartition, Long> highWatermarks = Files.exists(hwFile) ? readCheckpoint(hwFile) : null;
            boolean clean = hadCleanShutdown.get(logDir);
            List<Path> partitionDirs = new ArrayList<>();
            try (DirectoryStream<Path> children = Files.newDirectoryStream(logDir, Files::isDirectory)) {
                children.forEach(partitionDirs::add);
            }
            partitionDirs.sort(Comparator.naturalOrder());
            for (Path partitionDir : partitionDirs) {
                String name = partitionDir.getFileName().toString();
                if (name.startsWith("__strata")
                        || name.equals(BrokerConfig.REMOTE_INDEX_DIR_NAME)
                        || name.equals(BrokerConfig.REMOTE_TIER_DIR_NAME)) {
                    continue; // the broker's own metadata or the embedded remote tier, not a partition
                }
                if (name.endsWith(DELETE_DIR_SUFFIX)) {
                    scheduleDirDeletion(partitionDir, 0);
                    continue;
                }
                Optional<TopicPartition> parsed = parseDirName(name);
                if (parsed.isEmpty() || !partitions.containsKey(parsed.get())) {
                    LOG.warn("Ignoring directory {}: not a partition this broker hosts", partitionDir);
                    continue;
                }
                TopicPartition tp = parsed.get();
                if (logs.containsKey(tp)) {
                    throw new KafkaStorageException("Partition " + tp + " has directories in two log dirs: "
                            + logs.get(tp).dir() + " and " + partitionDir);
                }
                LocalLog log = LocalLog.open(
                        partitionDir,
                        tp,
                        partitions.get(tp),
                        configs.apply(tp),
                        time,
                        recoveryPoints.getOrDefault(tp, 0L),
                        startOffsets.getOrDefault(tp, 0L),
                        clean,
                        scheduler);
                log.logDirectory(directories.get(logDir));
                if (highWatermarks != null) {
                    log.updateHighWatermark(highWatermarks.getOrDefault(tp, 0L));
                }
                logs.put(tp, log);
            }
        }
        directories.values().forEach(LogDirectory::updateFreeSpace);
        loaded = true;
        LOG.info("Loaded {} logs from {}", logs.size(), logDirs);
    }

    /** The log cleaner, which compacts the logs of compacted topics. */
    public LogCleaner cleaner() {
        return cleaner;
    }

    /** Starts retention, flush and checkpoint tasks on the scheduler, and the log cleaner. */
    public void startup() {
        cleaner.startup();
        synchronized (tasks) {
            tasks.add(scheduler.scheduleWithFixedDelay(
                    this::cleanupLogs, retentionCheckIntervalMs, retentionCheckIntervalMs, TimeUnit.MILLISECONDS));
            tasks.add(scheduler.scheduleWithFixedDelay(
                    () -> directories.values().forEach(LogDirectory::updateFreeSpace),
                    FREE_SPACE_CHECK_MS,
                    FREE_SPACE_CHECK_MS,
                    TimeUnit.MILLISECONDS));
            tasks.add(scheduler.scheduleWithFixedDelay(
                    this::flushDirtyLogs, flushCheckIntervalMs, flushCheckIntervalMs, TimeUnit.MILLISECONDS));
            tasks.add(scheduler.scheduleWithFixedDelay(
                    () -> checkpointLogsOrLog("periodically"),
                    flushCheckIntervalMs,
                    flushCheckIntervalMs,
                    TimeUnit.MILLISECONDS));
        }
    }

    public Optional<LocalLog> log(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    public Map<TopicPartition, LocalLog> logs() {
        return Map.copyOf(logs);
    }

    /** The partition's log, created in the log directory with the fewest partitions if it does not exist. */
    public LocalLog getOrCreateLog(TopicPartition tp, Uuid topicId, LogConfig config) {
        LocalLog existing = logs.get(tp);
        if (existing != null) {
            return existing;
        }
        synchronized (creationLock) {
            existing = logs.get(tp);
            if (existing != null) {
                return existing;
            }
            if (closed) {
                throw new KafkaStorageException("The log manager is closed");
            }
            Path logDir = leastLoadedDir();
            Path dir = logDir.resolve(tp.topic() + "-" + tp.partition());
            try {
                LocalLog log = LocalLog.open(dir, tp, topicId, config, time, 0L, 0L, true, scheduler);
                log.logDirectory(directories.get(dir.getParent()));
                logs.put(tp, log);
                LOG.info("Created log for {} in {}", tp, dir);
                return log;
            } catch (IOException e) {
                throw new KafkaStorageException("Error creating log for " + tp + " in " + dir, e);
            }
        }
    }

    /** The online log directory with the fewest logs; KAFKA_STORAGE_ERROR when every directory is offline. */
    private Path leastLoadedDir() {
        Map<Path, Integer> counts = new HashMap<>();
        logDirs.forEach(dir -> counts.put(dir, 0));
        for (LocalLog log : logs.values()) {
            counts.merge(log.dir().getParent(), 1, Integer::sum);
        }
        Path best = null;
        for (Path dir : logDirs) {
            if (!directories.get(dir).isOffline() && (best == null || counts.get(dir) < counts.get(best))) {
                best = dir;
            }
        }
        if (best == null) {
            throw new KafkaStorageException("Every log directory is offline: " + logDirs);
        }
        return best;
    }

    /**
     * Closes the partition's log, renames its directory to {@code <topic>-<partition>.<uuid>-delete} at once, so a
     * restart neither loads nor confuses it with a new incarnation, and deletes it in the background.
     *
     * @return whether the partition had a log
     */
    public boolean deleteLog(TopicPartition tp) {
        LocalLog log;
        synchronized (creationLock) {
            log = logs.remove(tp);
        }
        if (log == null) {
            return false;
        }
        cleaner.forget(tp);
        log.close();
        Path dir = log.dir();
        Path renamed = dir.resolveSibling(deleteDirName(tp));
        try {
            Utils.atomicMoveWithFallback(dir, renamed);
        } catch (IOException e) {
            throw new KafkaStorageException("Error renaming " + dir + " for deletion", e);
        }
        LOG.info("Log for {} renamed to {} and scheduled for deletion", tp, renamed);
        scheduleDirDeletion(renamed, log.config().fileDeleteDelayMs());
        checkpointLogsOrLog("after deleting " + tp);
        return true;
    }

    /**
     * {@code <topic>-<partition>.<uuid>-delete}, with the topic cut short (as Kafka does) where the whole name would
     * pass the 255-byte file-name limit: a topic name may be 249 characters long.
     */
    static String deleteDirName(TopicPartition tp) {
        String uniqueId = UUID.randomUUID().toString().replace("-", "");
        String suffix = "-" + tp.partition() + "." + uniqueId + DELETE_DIR_SUFFIX;
        String topic = tp.topic();
        return topic.substring(0, Math.min(topic.length(), MAX_FILE_NAME_LENGTH - suffix.length())) + suffix;
    }

    private void scheduleDirDeletion(Path dir, long delayMs) {
        scheduler.schedule(
                () -> {
                    try {
                        Utils.delete(dir.toFile());
                        LOG.info("Deleted {}", dir);
                    } catch (IOException e) {
                        LOG.warn("Failed to delete {}", dir, e);
                    }
                },
                delayMs,
                TimeUnit.MILLISECONDS);
    }

    /** Applies retention to every log, one at a time. */
    public int cleanupLogs() {
        int deleted = 0;
        for (LocalLog log : logs.values()) {
            try {
                deleted += log.deleteOldSegments();
            } catch (RuntimeException e) {
                LOG.error("Retention failed for {}", log.topicPartition(), e);
            }
        }
        return deleted;
    }

    /**
     * Forgets, in every log, the producers that have not written for {@code expirationMs} and have no open
     * transaction ({@code producer.id.expiration.ms}); Kafka checks every
     * {@code producer.id.expiration.check.interval.ms}.
     *
     * @return how many producers were forgotten
     */
    public int removeExpiredProducers(long expirationMs) {
        long now = time.milliseconds();
        int removed = 0;
        for (LocalLog log : logs.values()) {
            try {
                removed += log.removeExpiredProducers(now, expirationMs);
            } catch (RuntimeException e) {
                LOG.error("Producer expiry failed for {}", log.topicPartition(), e);
            }
        }
        if (removed > 0) {
            LOG.info("Forgot {} producers idle for {} ms or longer", removed, expirationMs);
        }
        return removed;
    }

    /** Runs {@link #removeExpiredProducers} every {@code checkIntervalMs} on the scheduler, until {@link #close}. */
    public void scheduleProducerExpiry(long expirationMs, long checkIntervalMs) {
        synchronized (tasks) {
            tasks.add(scheduler.scheduleWithFixedDelay(
                    () -> removeExpiredProducers(expirationMs),
                    checkIntervalMs,
                    checkIntervalMs,
                    TimeUnit.MILLISECONDS));
        }
    }

    /** Flushes the logs not flushed for longer than their {@code flush.ms}. */
    public void flushDirtyLogs() {
        long now = time.milliseconds();
        for (LocalLog log : logs.values()) {
            try {
                if (now - log.lastFlushTimeMs() >= log.config().flushMs()) {
                    log.flush();
                }
            } catch (RuntimeException e) {
                LOG.error("Flush failed for {}", log.topicPartition(), e);
            }
        }
    }

    /**
     * Writes every directory's recovery-point, log-start-offset and high-watermark checkpoints. Writers take turns (the scheduler's
     * periodic write, a finished deletion and shutdown all call this): each file is written through one {@code .tmp}
     * path, and two writers at once would move each other's temporary file away.
     *
     * @throws KafkaStorageException after trying every directory, if any directory's checkpoints could not be written
     */
    public void checkpointLogs() {
        synchronized (checkpointLock) {
            KafkaStorageException failure = null;
            for (Path logDir : logDirs) {
                LogDirectory directory = directories.get(logDir);
                if (directory.isOffline()) {
                    continue;
                }
                List<String> recoveryPoints = new ArrayList<>();
                List<String> startOffsets = new ArrayList<>();
                List<String> highWatermarks = new ArrayList<>();
                for (LocalLog log : logs.values()) {
                    if (log.dir().getParent().equals(logDir)) {
                        String key = log.topicPartition().topic() + " "
                                + log.topicPartition().partition() + " ";
                        recoveryPoints.add(key + log.recoveryPoint());
                        startOffsets.add(key + log.logStartOffset());
                        highWatermarks.add(key + log.highWatermark());
                    }
                }
                try {
                    CheckpointFile.write(logDir.resolve(RECOVERY_POINT_CHECKPOINT), recoveryPoints);
                    CheckpointFile.write(logDir.resolve(LOG_START_OFFSET_CHECKPOINT), startOffsets);
                    CheckpointFile.write(logDir.resolve(REPLICATION_OFFSET_CHECKPOINT), highWatermarks);
                } catch (KafkaStorageException e) {
                    if (!(e.getCause() instanceof ClosedByInterruptException)) {
                        // an interrupt closes the channel under the write: that says nothing about the disk
                        directory.fail("writing its checkpoints", e);
                    }
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** {@link #checkpointLogs}, logging a failure at ERROR: the next periodic write tries again. */
    private boolean checkpointLogsOrLog(String when) {
        try {
            checkpointLogs();
            return true;
        } catch (KafkaStorageException e) {
            if (e.getCause() instanceof ClosedByInterruptException) {
                // the scheduler was stopped under a periodic write; shutdown writes the checkpoints itself
                LOG.info("Writing the log checkpoints {} was interrupted by shutdown", when);
            } else {
                LOG.error("Failed to write the log checkpoints {}; the next periodic write tries again", when, e);
            }
            return false;
        }
    }

    static Map<TopicPartition, Long> readCheckpoint(Path file) {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (String line : CheckpointFile.read(file)) {
            String[] fields = line.split(" ");
            if (fields.length != 3) {
                throw new KafkaStorageException("Malformed line '" + line + "' in " + file);
            }
            offsets.put(new TopicPartition(fields[0], Integer.parseInt(fields[1])), Long.parseLong(fields[2]));
        }
        return offsets;
    }

    /** {@code orders-3} → orders/3; topic names may themselves contain '-'. */
    static Optional<TopicPartition> parseDirName(String name) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0 || dash == name.length() - 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Stops the background tasks, flushes and closes every log, writes the checkpoints and then the clean-shutdown
     * marker of each directory. A manager closed before {@link #loadLogs} finished (a broker whose start failed) writes
     * no checkpoint, since it does not know every log, and marks clean only the directories it found clean: it leaves
     * them as they were, and the next start recovers exactly what this one would have.
     */
    @Override
    public void close() {
        synchronized (creationLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        synchronized (tasks) {
            tasks.forEach(task -> task.cancel(false));
            tasks.clear();
        }
        cleaner.close();
        Set<Path> unclean = new HashSet<>();
        for (LocalLog log : logs.values()) {
            Path dir = log.dir().getParent();
            if (directories.get(dir).isOffline()) {
                unclean.add(dir); // its files are as the failure left them: the next start recovers them
                continue;
            }
            try {
                log.close();
            } catch (RuntimeException e) {
                unclean.add(dir);
                LOG.error("Failed to close log {}", log.topicPartition(), e);
            }
        }
        if (loaded && !checkpointLogsOrLog("at shutdown")) {
            // without current checkpoints the next start must not trust the directories as cleanly shut down
            unclean.addAll(logDirs);
        }
        for (Path dir : logDirs) {
            if (!loaded && !hadCleanShutdown.get(dir)
                    || unclean.contains(dir)
                    || directories.get(dir).isOffline()) {
                continue;
            }
            try {
                Files.createFile(dir.resolve(CLEAN_SHUTDOWN_FILE));
                Utils.flushDir(dir);
            } catch (IOException e) {
                LOG.error("Failed to write the clean shutdown marker in {}", dir, e);
            }
        }
        logs.clear();
        LOG.info("Log manager closed");
    }
}
