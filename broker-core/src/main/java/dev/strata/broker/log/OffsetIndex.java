package dev.strata.broker.log;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A sparse map from offset to byte position in one segment's {@code .log} file, stored as Kafka stores it in the
 * {@code <base offset>.index} file.
 *
 * <p>On disk: a sequence of 8-byte entries, big-endian, no header:
 *
 * <pre>
 *   4 bytes  offset relative to the segment's base offset (last offset of the indexed batch)
 *   4 bytes  byte position of that batch in the .log file
 * </pre>
 *
 * Offsets are stored relative to the base offset, which is in the file name, so each entry takes 8 bytes instead of
 * 12; a segment therefore never spans more than {@link Integer#MAX_VALUE} offsets (a roll condition). Entries are
 * appended in increasing offset order, one every {@code index.interval.bytes} of log, which keeps the index small
 * enough to stay in the page cache while bounding the scan after a lookup. Because entries are sorted, a lookup is
 * a binary search for the greatest entry at or below the target, followed by a short forward scan of the log.
 */
public final class OffsetIndex extends AbstractIndex {

    static final int ENTRY_SIZE = 8;

    public OffsetIndex(Path file, long baseOffset, int maxIndexSize) throws IOException {
        super(file, baseOffset, maxIndexSize);
    }

    @Override
    int entrySize() {
        return ENTRY_SIZE;
    }

    @Override
    int countValidEntries(int candidates) {
        int previousOffset = -1;
        int previousPosition = -1;
        for (int slot = 0; slot < candidates; slot++) {
            int relative = mmap.getInt(slot * ENTRY_SIZE);
            int position = mmap.getInt(slot * ENTRY_SIZE + 4);
            if (relative <= previousOffset || position <= previousPosition) {
                return slot;
            }
            previousOffset = relative;
            previousPosition = position;
        }
        return candidates;
    }

    @Override
    long key(int slot) {
        return baseOffset + mmap.getInt(slot * ENTRY_SIZE);
    }

    private OffsetPosition entry(int slot) {
        return new OffsetPosition(key(slot), mmap.getInt(slot * ENTRY_SIZE + 4));
    }

    /** The entry with the greatest offset <= {@code targetOffset}, or (base offset, 0) if there is none. */
    public OffsetPosition lookup(long targetOffset) {
        lock.lock();
        try {
            ensureOpen();
            int slot = floorSlot(targetOffset);
            return slot < 0 ? new OffsetPosition(baseOffset, 0) : entry(slot);
        } finally {
            lock.unlock();
        }
    }

    /** The last entry, or (base offset, 0) for an empty index. */
    public OffsetPosition lastEntry() {
        lock.lock();
        try {
            ensureOpen();
            return entries == 0 ? new OffsetPosition(baseOffset, 0) : entry(entries - 1);
        } finally {
            lock.unlock();
        }
    }

    public long lastOffset() {
        return lastEntry().offset();
    }

    /**
     * Adds an entry; {@code offset} must be larger than every indexed offset.
     *
     * @throws IllegalStateException if the index is full or the offset is out of order
     */
    public void append(long offset, int position) {
        lock.lock();
        try {
            ensureOpen();
            if (isFull()) {
                throw new IllegalStateException("Index " + file() + " is full (" + entries + " entries)");
            }
            if (entries > 0 && offset <= key(entries - 1)) {
                throw new IllegalStateException(
                        "Offset " + offset + " is not larger than the last indexed offset " + key(entries - 1));
            }
            mmap.putInt(relativeOffset(offset));
            mmap.putInt(position);
            entries++;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void truncateTo(long offset) {
        lock.lock();
        try {
            ensureOpen();
            int slot = floorSlot(offset);
            // keep entries strictly below the offset
            int keep = slot < 0 ? 0 : (key(slot) == offset ? slot : slot + 1);
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
                throw new CorruptIndexException(
                        "Index file " + file() + " has size " + mmap.limit() + ", not a multiple of " + ENTRY_SIZE);
            }
            if (entries > 0 && key(entries - 1) < baseOffset) {
                throw new CorruptIndexException("Index file " + file() + " has last offset " + key(entries - 1)
                        + " below its base offset " + baseOffset);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Also checks that every indexed position lies inside a log of {@code logSize} bytes. */
    public void sanityCheck(int logSize) {
        sanityCheck();
        lock.lock();
        try {
            if (entries > 0 && entry(entries - 1).position() >= logSize) {
                throw new CorruptIndexException("Index file " + file() + " points at position "
                        + entry(entries - 1).position() + " beyond the log's " + logSize + " bytes");
            }
        } finally {
            lock.unlock();
        }
    }
}
