package dev.strata.broker.log;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first offset of every leader epoch in one partition's log, kept in memory and in the partition directory's
 * {@code leader-epoch-checkpoint} file, in Kafka's text checkpoint format (see {@link CheckpointFile}) with one
 * {@code <epoch> <start offset>} line per epoch, in increasing order of both.
 *
 * <p>Followers use it to find where their log diverges from the leader's (OffsetForLeaderEpoch), so every change is
 * written through to the file before it returns.
 */
public final class LeaderEpochCache {

    public static final String CHECKPOINT_FILE_NAME = "leader-epoch-checkpoint";
    public static final int UNDEFINED_EPOCH = RecordBatch.NO_PARTITION_LEADER_EPOCH;
    public static final long UNDEFINED_EPOCH_OFFSET = -1L;

    private static final Logger LOG = LoggerFactory.getLogger(LeaderEpochCache.class);

    private final Path file;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final NavigableMap<Integer, EpochEntry> epochs = new TreeMap<>();

    /** The end of {@code epoch}: the start offset of the next epoch, or the log end offset for the latest one. */
    public record EpochEndOffset(int epoch, long endOffset) {}

    private LeaderEpochCache(Path file, List<EpochEntry> entries) {
        this.file = file;
        for (EpochEntry entry : entries) {
            epochs.put(entry.epoch(), entry);
        }
    }

    /** Loads the cache of the partition in {@code dir}; a missing file means no epochs yet. */
    public static LeaderEpochCache load(Path dir) {
        Path file = dir.resolve(CHECKPOINT_FILE_NAME);
        List<EpochEntry> entries = new ArrayList<>();
        for (String line : CheckpointFile.read(file)) {
            String[] fields = line.split(" ");
            if (fields.length != 2) {
                throw new KafkaStorageException("Malformed line '" + line + "' in " + file);
            }
            entries.add(new EpochEntry(Integer.parseInt(fields[0]), Long.parseLong(fields[1])));
        }
        return new LeaderEpochCache(file, entries);
    }

    public Path file() {
        return file;
    }

    /**
     * Records that {@code epoch} starts at {@code startOffset}. Entries that the new one contradicts (an epoch at or
     * above it, or a start offset at or after it) are removed first; a repeat of the latest epoch is ignored.
     */
    public void assign(int epoch, long startOffset) {
        if (epoch < 0) {
            return;
        }
        lock.writeLock().lock();
        try {
            Map.Entry<Integer, EpochEntry> latest = epochs.lastEntry();
            if (latest != null && latest.getKey() == epoch && latest.getValue().startOffset() <= startOffset) {
                return;
            }
            List<EpochEntry> removed = new ArrayList<>();
            epochs.values().removeIf(entry -> {
                boolean conflict = entry.epoch() >= epoch || entry.startOffset() >= startOffset;
                if (conflict) {
                    removed.add(entry);
                }
                return conflict;
            });
            if (!removed.isEmpty()) {
                LOG.warn("New epoch entry {} {} replaced {} in {}", epoch, startOffset, removed, file);
            }
            epochs.put(epoch, new EpochEntry(epoch, startOffset));
            flush();
        } finally {
            lock.writeLock().unlock();
        }
    }

    public OptionalInt latestEpoch() {
        lock.readLock().lock();
        try {
            return epochs.isEmpty() ? OptionalInt.empty() : OptionalInt.of(epochs.lastKey());
        } finally {
            lock.readLock().unlock();
        }
    }

    public Optional<EpochEntry> latestEntry() {
        lock.readLock().lock();
        try {
            return Optional.ofNullable(epochs.lastEntry()).map(Map.Entry::getValue);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The epoch in which {@code offset} was written, if the cache covers it. */
    public OptionalInt epochForOffset(long offset) {
        lock.readLock().lock();
        try {
            Integer found = null;
            for (EpochEntry entry : epochs.values()) {
                if (entry.startOffset() > offset) {
                    break;
                }
                found = entry.epoch();
            }
            return found == null ? OptionalInt.empty() : OptionalInt.of(found);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Where {@code requestedEpoch} ends, as OffsetForLeaderEpoch answers it: the latest epoch ends at the log end
     * offset; an older one at the start of the next known epoch, reported with the largest known epoch at or below
     * the requested one; an epoch above the latest (or no epochs) is undefined.
     */
    public EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
        lock.readLock().lock();
        try {
            if (requestedEpoch == UNDEFINED_EPOCH || epochs.isEmpty()) {
                return new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
            }
            if (requestedEpoch == epochs.lastKey()) {
                return new EpochEndOffset(requestedEpoch, logEndOffset);
            }
            Map.Entry<Integer, EpochEntry> higher = epochs.higherEntry(requestedEpoch);
            if (higher == null) {
                return new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
            }
            Map.Entry<Integer, EpochEntry> floor = epochs.floorEntry(requestedEpoch);
            int epoch = floor == null ? requestedEpoch : floor.getKey();
            return new EpochEndOffset(epoch, higher.getValue().startOffset());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Removes the epochs starting at or after {@code endOffset}, after the log is truncated to it. */
    public void truncateFromEnd(long endOffset) {
        lock.writeLock().lock();
        try {
            if (epochs.values().removeIf(entry -> entry.startOffset() >= endOffset)) {
                flush();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Drops the epochs that end before {@code startOffset}, after the log start offset moved to it; the epoch holding
     * {@code startOffset} is kept and now starts there.
     */
    public void truncateFromStart(long startOffset) {
        lock.writeLock().lock();
        try {
            EpochEntry lastRemoved = null;
            for (var it = epochs.values().iterator(); it.hasNext(); ) {
                EpochEntry entry = it.next();
                if (entry.startOffset() > startOffset) {
                    break;
                }
                lastRemoved = entry;
                it.remove();
            }
            if (lastRemoved != null) {
                epochs.put(lastRemoved.epoch(), new EpochEntry(lastRemoved.epoch(), startOffset));
                if (lastRemoved.startOffset() != startOffset) {
                    flush();
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Removes every entry, e.g. before a follower rebuilds its log from scratch. */
    public void clear() {
        lock.writeLock().lock();
        try {
            epochs.clear();
            flush();
        } finally {
            lock.writeLock().unlock();
        }
    }

    public List<EpochEntry> entries() {
        lock.readLock().lock();
        try {
            return List.copyOf(epochs.values());
        } finally {
            lock.readLock().unlock();
        }
    }

    private void flush() {
        List<String> lines = new ArrayList<>(epochs.size());
        for (EpochEntry entry : epochs.values()) {
            lines.add(entry.epoch() + " " + entry.startOffset());
        }
        CheckpointFile.write(file, lines);
    }
}
