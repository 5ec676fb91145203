package dev.strata.broker.log;

import dev.strata.broker.config.CleanerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's log cleaner: background threads that compact the logs of topics with {@code cleanup.policy=compact}
 * (or {@code compact,delete}), one log at a time per thread, never blocking produce or fetch (see {@link Cleaner} for
 * what a clean keeps).
 *
 * <p>Each round picks the log that most needs it: first a log whose oldest dirty record is older than
 * {@code max.compaction.lag.ms}, then the log with the highest dirty ratio at or above its
 * {@code min.cleanable.dirty.ratio}, and last a log whose kept tombstones have reached their delete horizon. A thread
 * that finds nothing to clean waits {@code log.cleaner.backoff.ms}. A log whose clean fails with an error is left
 * alone until it is deleted, so one bad log cannot stop the others from being cleaned.
 *
 * <p>Each log directory holds {@code cleaner-offset-checkpoint}, Kafka's text checkpoint (see {@link CheckpointFile})
 * with one {@code <topic> <partition> <first dirty offset>} line per cleaned partition: where the part of the log not
 * yet cleaned begins. It is rewritten after every clean; losing it only makes the next clean of a log redo work.
 *
 * <p>When to remove tombstones is held in memory only. After a restart each compacted log that has a cleaned section
 * is cleaned once more to find its tombstones' horizons again.
 */
public final class LogCleaner implements AutoCloseable {

    public static final String CHECKPOINT_FILE = "cleaner-offset-checkpoint";

    private static final Logger LOG = LoggerFactory.getLogger(LogCleaner.class);

    private volatile CleanerConfig config;
    private final List<Path> logDirs;
    private final Supplier<Collection<LocalLog>> logs;
    private final Time time;
    private final Map<TopicPartition, Long> firstDirtyOffsets = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> nextDeleteHorizons = new ConcurrentHashMap<>();
    /** Guarded by {@code this}: logs being cleaned, logs whose clean must stop, logs that failed. */
    private final Set<TopicPartition> inProgress = new HashSet<>();

    private final Set<TopicPartition> aborting = new HashSet<>();
    private final Set<TopicPartition> uncleanable = new HashSet<>();
    private final Object checkpointLock = new Object();
    private final CountDownLatch shutdown = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    /** Threads of an earlier config, finishing the clean they are in (guarded by {@code this}). */
    private final List<Thread> retiring = new ArrayList<>();
    /** Counted down to retire the running threads, at a new config or at shutdown (guarded by {@code this}). */
    private CountDownLatch retire = new CountDownLatch(1);

    private Cleaner callerCleaner;

    /**
     * @param logs the logs of the broker at the time of the call; compacted ones are cleaned
     */
    public LogCleaner(CleanerConfig config, List<Path> logDirs, Supplier<Collection<LocalLog>> logs, Time time) {
        this.config = config;
        this.logDirs = List.copyOf(logDirs);
        this.logs = logs;
        this.time = time;
        for (Path dir : this.logDirs) {
            firstDirtyOffsets.putAll(LogManager.readCheckpoint(dir.resolve(CHECKPOINT_FILE)));
        }
    }

    /** Starts {@code log.cleaner.threads} threads, unless {@code log.cleaner.enable} is false. */
    public synchronized void startup() {
        if (!config.enable() || !threads.isEmpty() || shutdown.getCount() == 0) {
            return;
        }
        CountDownLatch retired = retire;
        for (int i = 0; i < config.threads(); i++) {
            Cleaner cleaner = newCleaner();
            Thread thread = new Thread(() -> run(cleaner, retired), "strata-log-cleaner-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        LOG.info("Started {} log cleaner threads", config.threads());
    }

    /**
     * Puts new settings in effect without a restart (dynamic {@code log.cleaner.*} configs), as Kafka's cleaner does:
     * the running threads finish the clean they are in and end, and threads of the new config start at once (a log
     * is never cleaned by two threads, so for a while both sets may run).
     */
    public synchronized void reconfigure(CleanerConfig next) {
        if (next.equals(config)) {
            return;
        }
        config = next;
        callerCleaner = null;
        if (threads.isEmpty()) {
            return;
        }
        retire.countDown();
        retire = new CountDownLatch(1);
        retiring.removeIf(t -> !t.isAlive());
        retiring.addAll(threads);
        threads.clear();
        startup();
    }

    /** The settings in effect. */
    public CleanerConfig config() {
        return config;
    }

    private Cleaner newCleaner() {
        return new Cleaner(config.dedupeBytesPerThread(), config.ioBufferBytesPerThread(), time, this::checkAborted);
    }

    private void run(Cleaner cleaner, CountDownLatch retired) {
        try {
            while (retired.getCount() > 0) {
                boolean cleaned = false;
                try {
                    cleaned = cleanOnce(cleaner);
                } catch (RuntimeException e) {
                    LOG.error("The log cleaner failed", e);
                }
                if (!cleaned && retired.await(config.backoffMs(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Cleans the log that most needs it, if any, on the calling thread.
     *
     * @return whether a log was cleaned (or its clean attempted and abandoned because the log changed meanwhile)
     */
    public boolean cleanOnce() {
        Cleaner cleaner;
        synchronized (this) {
            if (callerCleaner == null) {
                callerCleaner = newCleaner();
            }
            cleaner = callerCleaner;
        }
        synchronized (cleaner) {
            return cleanOnce(cleaner);
        }
    }

    private boolean cleanOnce(Cleaner cleaner) {
        Optional<LogToClean> chosen = grabLogToClean();
        if (chosen.isEmpty()) {
            return false;
        }
        LogToClean target = chosen.get();
        TopicPartition tp = target.log().topicPartition();
        try {
            Cleaner.Result result = cleaner.clean(target);
            if (result.swapped()) {
                firstDirtyOffsets.put(tp, result.nextDirtyOffset());
                nextDeleteHorizons.put(tp, result.nextDeleteHorizonMs());
                writeCheckpoint(target.log().dir().getParent());
            }
            return true;
        } catch (Cleaner.AbortedException e) {
            LOG.info("Cleaning of {} aborted: {}", tp, e.getMessage());
            return false;
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                if (!aborting.contains(tp) && shutdown.getCount() > 0) {
                    uncleanable.add(tp);
                    LOG.error("Cleaning of {} failed; it will not be cleaned again until it is deleted", tp, e);
                }
            }
            return false;
        } finally {
            synchronized (this) {
                inProgress.remove(tp);
                notifyAll();
            }
        }
    }

    /** Chooses the log to clean and marks it in progress. */
    private synchronized Optional<LogToClean> grabLogToClean() {
        long nowMs = time.milliseconds();
        LogToClean best = null;
        LogToClean tombstonesDue = null;
        for (LocalLog log : logs.get()) {
            TopicPartition tp = log.topicPartition();
            if (!log.config().compact()
                    || inProgress.contains(tp)
                    || uncleanable.contains(tp)
                    || aborting.contains(tp)) {
                continue;
            }
            LogToClean candidate;
            try {
                LocalLog.CleanerView view = log.cleanerView();
                candidate = LogToClean.of(log, view, firstDirtyOffsets.getOrDefault(tp, view.logStartOffset()), nowMs);
            } catch (KafkaStorageException e) {
                continue; // closed meanwhile
            }
            if (candidate.needsCleaning()) {
                if (best == null
                        || candidate.maxLagExceeded() && !best.maxLagExceeded()
                        || candidate.maxLagExceeded() == best.maxLagExceeded()
                                && candidate.dirtyRatio() > best.dirtyRatio()) {
                    best = candidate;
                }
            } else if (tombstonesDue == null
                    && candidate.cleanBytes() > 0
                    && nextDeleteHorizons.getOrDefault(tp, 0L) <= nowMs) {
                tombstonesDue = candidate;
            }
        }
        LogToClean chosen = best != null ? best : tombstonesDue;
        if (chosen != null) {
            inProgress.add(chosen.log().topicPartition());
        }
        return Optional.ofNullable(chosen);
    }

    private void checkAborted(LocalLog log) {
        synchronized (this) {
            if (aborting.contains(log.topicPartition())) {
                throw new Cleaner.AbortedException("the log is being removed");
            }
        }
        if (shutdown.getCount() == 0) {
            throw new Cleaner.AbortedException("the cleaner is shutting down");
        }
    }

    /**
     * Stops any clean of {@code tp}, waits for it to end and forgets the partition, e.g. before its log is deleted. A
     * later log of the same name starts with no cleaning history.
     */
    public void forget(TopicPartition tp) {
        synchronized (this) {
            aborting.add(tp);
            try {
                while (inProgress.contains(tp)) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                aborting.remove(tp);
            }
            uncleanable.remove(tp);
            firstDirtyOffsets.remove(tp);
            nextDeleteHorizons.remove(tp);
        }
        for (Path dir : logDirs) {
            writeCheckpoint(dir);
        }
    }

    /** The first dirty offset the cleaner has for {@code tp}: where its last clean ended. */
    public Optional<Long> firstDirtyOffset(TopicPartition tp) {
        return Optional.ofNullable(firstDirtyOffsets.get(tp));
    }

    private void writeCheckpoint(Path logDir) {
        synchronized (checkpointLock) {
            Map<TopicPartition, LocalLog> inDir = new HashMap<>();
            for (LocalLog log : logs.get()) {
                if (log.dir().getParent().equals(logDir)) {
                    inDir.put(log.topicPartition(), log);
                }
            }
            List<String> entries = new ArrayList<>();
            firstDirtyOffsets.forEach((tp, offset) -> {
                if (inDir.containsKey(tp)) {
                    entries.add(tp.topic() + " " + tp.partition() + " " + offset);
                }
            });
            try {
                CheckpointFile.write(logDir.resolve(CHECKPOINT_FILE), entries);
            } catch (KafkaStorageException e) {
                LOG.error("Failed to write the cleaner checkpoint in {}", logDir, e);
            }
        }
    }

    /** Stops the threads, aborting cleans in progress, and waits for them to end. */
    @Override
    public void close() {
        shutdown.countDown();
        List<Thread> started = new ArrayList<>();
        synchronized (this) {
            retire.countDown();
            started.addAll(threads);
            started.addAll(retiring);
            threads.clear();
            retiring.clear();
        }
        for (Thread thread : started) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
