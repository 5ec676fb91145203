package dev.strata.broker.log;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntToLongFunction;
import org.apache.kafka.common.utils.ByteBufferUnmapper;
import org.apache.kafka.common.utils.Utils;

/**
 * A memory-mapped file of fixed-size entries sorted by offset, shared by {@link OffsetIndex} and {@link TimeIndex}.
 *
 * <p>A new index file is preallocated to {@code maxIndexSize} (rounded down to a whole number of entries) so appends
 * never grow the file; {@link #trimToValidSize()} cuts it to the written entries when the segment becomes inactive or
 * is closed. A file left at its preallocated size by a crash ends in zero bytes; {@link #countValidEntries} stops at
 * the first entry that breaks the sort order, so such a tail is not mistaken for entries.
 *
 * <p>Every access holds a short per-index lock: the append path and fetch path both touch the mapping, and a resize
 * replaces it.
 */
abstract sealed class AbstractIndex implements Closeable permits OffsetIndex, TimeIndex {

    protected final ReentrantLock lock = new ReentrantLock();
    protected final long baseOffset;
    private final int maxIndexSize;
    private volatile Path file;
    protected MappedByteBuffer mmap;
    private int maxEntries;
    protected volatile int entries;

    AbstractIndex(Path file, long baseOffset, int maxIndexSize) throws IOException {
        this.file = file;
        this.baseOffset = baseOffset;
        this.maxIndexSize = maxIndexSize;
        boolean existed = Files.exists(file) && Files.size(file) > 0;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long length = existed ? raf.length() : roundDown(maxIndexSize);
            raf.setLength(length);
            mmap = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        maxEntries = mmap.limit() / entrySize();
        entries = existed ? countValidEntries(mmap.limit() / entrySize()) : 0;
        mmap.position(entries * entrySize());
    }

    abstract int entrySize();

    /** How many of the first {@code candidates} slots hold real, correctly ordered entries. */
    abstract int countValidEntries(int candidates);

    /** Throws {@link CorruptIndexException} if the entries are inconsistent with each other or the file's size. */
    public abstract void sanityCheck();

    private int roundDown(int size) {
        return Math.max(entrySize(), size - size % entrySize());
    }

    public Path file() {
        return file;
    }

    public long baseOffset() {
        return baseOffset;
    }

    public int entries() {
        return entries;
    }

    public int maxEntries() {
        lock.lock();
        try {
            return maxEntries;
        } finally {
            lock.unlock();
        }
    }

    public boolean isFull() {
        return entries >= maxEntries();
    }

    public long sizeInBytes() {
        return (long) entries * entrySize();
    }

    int relativeOffset(long offset) {
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) {
            throw new IndexOutOfBoundsException("Offset " + offset + " is not within segment base " + baseOffset);
        }
        return (int) relative;
    }

    /** Greatest slot whose key is <= {@code target}, or -1 when every entry is larger (or there are none). */
    protected int floorSlot(long target) {
        return floorSlot(target, this::key);
    }

    /** As {@link #floorSlot(long)}, searching on another non-decreasing key of the entries. */
    protected int floorSlot(long target, IntToLongFunction key) {
        int lo = 0;
        int hi = entries - 1;
        if (hi < 0 || key.applyAsLong(0) > target) {
            return -1;
        }
        while (lo < hi) {
            // upper middle, so that lo = mid always makes progress
            int mid = (lo + hi + 1) >>> 1;
            if (key.applyAsLong(mid) <= target) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The sort key of entry {@code slot}: an absolute offset or a timestamp. */
    abstract long key(int slot);

    /** Removes every entry whose offset is >= {@code offset}. */
    public abstract void truncateTo(long offset);

    protected void truncateToEntries(int count) {
        lock.lock();
        try {
            entries = count;
            mmap.position(count * entrySize());
        } finally {
            lock.unlock();
        }
    }

    /** Drops all entries and restores the preallocated size, ready for a rebuild. */
    public void reset() throws IOException {
        lock.lock();
        try {
            truncateToEntries(0);
            resize(maxIndexSize);
        } finally {
            lock.unlock();
        }
    }

    /** Cuts the file to the written entries; called when the segment stops being the active one. */
    public void trimToValidSize() throws IOException {
        lock.lock();
        try {
            resize(entries * entrySize());
        } finally {
            lock.unlock();
        }
    }

    /** Grows (or shrinks) the file to {@code newSize}; the segment that becomes active again needs room to append. */
    public void resizeTo(int newSize) throws IOException {
        lock.lock();
        try {
            resize(Math.max(newSize, entries * entrySize()));
        } finally {
            lock.unlock();
        }
    }

    private void resize(int newSize) throws IOException {
        int rounded = newSize - newSize % entrySize();
        if (rounded == mmap.limit()) {
            return;
        }
        int position = mmap.position();
        ByteBufferUnmapper.unmap(file.toString(), mmap);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(rounded);
            mmap = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, rounded);
        }
        maxEntries = rounded / entrySize();
        mmap.position(Math.min(position, rounded));
    }

    public void flush() {
        lock.lock();
        try {
            mmap.force();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Renames the file, replacing {@code target} if it exists (as the log file's rename does), e.g. the
     * {@code .deleted} files of an earlier segment with the same base offset still waiting for deletion.
     */
    public void renameTo(Path target) throws IOException {
        lock.lock();
        try {
            Utils.atomicMoveWithFallback(file, target, false);
            file = target;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            trimToValidSize();
            ByteBufferUnmapper.unmap(file.toString(), mmap);
            mmap = null;
        } finally {
            lock.unlock();
        }
    }

    public void deleteIfExists() throws IOException {
        lock.lock();
        try {
            if (mmap != null) {
                ByteBufferUnmapper.unmap(file.toString(), mmap);
                mmap = null;
            }
            Files.deleteIfExists(file);
        } finally {
            lock.unlock();
        }
    }

    protected void ensureOpen() {
        if (mmap == null) {
            throw new IllegalStateException("Index " + file + " is closed");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(file=" + file + ", entries=" + entries + ")";
    }
}
