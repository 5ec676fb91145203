package dev.strata.broker.log;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * A sparse map from timestamp to offset in one segment, stored as Kafka stores it in the
 * {@code <base offset>.timeindex} file.
 *
 * <p>On disk: a sequence of 12-byte entries, big-endian, no header:
 *
 * <pre>
 *   8 bytes  timestamp: the largest record timestamp in the segment up to this entry
 *   4 bytes  offset relative to the segment's base offset at which that timestamp was reached
 * </pre>
 *
 * Record timestamps need not increase with offsets, so the index stores the running maximum: an entry is added only
 * when the maximum grows, which keeps both columns sorted and a lookup a binary search. A lookup for timestamp T
 * returns the last entry whose timestamp is <= T; every record before that entry's offset is older than T, so the
 * search of the log for the first record at or after T starts there.
 *
 * <p>One slot is kept free so that the segment's final maximum can always be recorded when it is rolled.
 */
public final class TimeIndex extends AbstractIndex {

    static final int ENTRY_SIZE = 12;

    public TimeIndex(Path file, long baseOffset, int maxIndexSize) throws IOException {
        super(file, baseOffset, maxIndexSize);
    }

    @Override
    int entrySize() {
        return ENTRY_SIZE;
    }

    @Override
    int countValidEntries(int candidates) {
        long previousTimestamp = RecordBatch.NO_TIMESTAMP;
        int previousOffset = -1;
        for (int slot = 0; slot < candidates; slot++) {
            long timestamp = mmap.getLong(slot * ENTRY_SIZE);
            int relative = mmap.getInt(slot * ENTRY_SIZE + 8);
            if (timestamp <= previousTimestamp || relative < previousOffset || (slot > 0 && timestamp == 0)) {
                return slot;
            }
            previousTimestamp = timestamp;
            previousOffset = relative;
        }
        return candidates;
    }

    @Override
    long key(int slot) {
        return mmap.getLong(slot * ENTRY_SIZE);
    }

    private long offsetAt(int slot) {
        return baseOffset + mmap.getInt(slot * ENTRY_SIZE + 8);
    }

    private TimestampOffset entry(int slot) {
        return new TimestampOffset(key(slot), offsetAt(slot));
    }

    @Override
    public boolean isFull() {
        return entries >= maxEntries() - 1;
    }

    /** The last entry, or (-1, base offset) when the index is empty. */
    public TimestampOffset lastEntry() {
        lock.lock();
        try {
            ensureOpen();
            return entries == 0 ? TimestampOffset.unknown(baseOffset) : entry(entries - 1);
        } finally {
            lock.unlock();
        }
    }

    /** The entry with the greatest timestamp <= {@code targetTimestamp}, or (-1, base offset) if there is none. */
    public TimestampOffset lookup(long targetTimestamp) {
        lock.lock();
        try {
            ensureOpen();
            int slot = floorSlot(targetTimestamp);
            return slot < 0 ? TimestampOffset.unknown(baseOffset) : entry(slot);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records that {@code timestamp} was reached at {@code offset}, if it is larger than the last indexed timestamp.
     *
     * @param skipFullCheck true only for the final entry written when the segment is rolled
     */
    public void maybeAppend(long timestamp, long offset, boolean skipFullCheck) {
        lock.lock();
        try {
            ensureOpen();
            if (!skipFullCheck && isFull()) {
                throw new IllegalStateException("Time index " + file() + " is full (" + entries + " entries)");
            }
            TimestampOffset last = entries == 0 ? TimestampOffset.unknown(baseOffset) : entry(entries - 1);
            if (entries > 0 && offset < last.offset()) {
                throw new IllegalStateException(
                        "Offset " + offset + " is below the last time-indexed offset " + last.offset());
            }
            if (timestamp > last.timestamp() && entries < maxEntries()) {
                mmap.putLong(timestamp);
                mmap.putInt(relativeOffset(offset));
                entries++;
            }
        } finally {
            lock.unlock();
        }
    }

    public void maybeAppend(long timestamp, long offset) {
        maybeAppend(timestamp, offset, false);
    }

    @Override
    public void truncateTo(long offset) {
        lock.lock();
        try {
            ensureOpen();
            int slot = floorSlot(offset, this::offsetAt);
            int keep = slot < 0 ? 0 : (offsetAt(slot) == offset ? slot : slot + 1);
            truncateToEntries(keep);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void sanityCheck() {
        lock.lock();
        try {
            ensureOpen();
            if (mmap.limit() % ENTRY_SIZE != 0) {
                throw new CorruptIndexException("Time index file " + file() + " has size " + mmap.limit()
                        + ", not a multiple of " + ENTRY_SIZE);
            }
            if (entries > 0 && offsetAt(entries - 1) < baseOffset) {
                throw new CorruptIndexException("Time index file " + file() + " has last offset "
                        + offsetAt(entries - 1) + " below its base offset " + baseOffset);
            }
        } finally {
            lock.unlock();
        }
    }
}
