package dev.strata.broker.log;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The aborted transactions whose ABORT marker lies in one segment, stored as Apache Kafka stores them in the
 * {@code <base offset>.txnindex} file beside the segment, so that a {@code read_committed} fetch learns which records
 * of the range it returns belong to aborted transactions without reading the records themselves.
 *
 * <p>On disk: a sequence of 34-byte entries, big-endian, no header, in the order the markers were written (so by
 * increasing {@code lastOffset}):
 *
 * <pre>
 *   int16  version              0
 *   int64  producer id
 *   int64  first offset         the transaction's first record in this partition
 *   int64  last offset          the ABORT marker's offset
 *   int64  last stable offset   the partition's LSO once the marker was written
 * </pre>
 *
 * Absolute offsets, not relative ones: a transaction may start in an earlier segment. The last stable offset lets a
 * search stop early: no later entry can concern records below it. The file is created on the first abort only, so
 * segments without aborted transactions (most of them) have none; a missing file reads as empty.
 *
 * <p>The index is not a source of truth: the log's control batches are, and recovery rebuilds lost entries from them
 * ({@link LogLoader}). A torn last entry (a crash mid-write) is cut off by {@link #sanityCheck()}.
 *
 * <p><b>Threads:</b> the owning log appends and truncates under its lock; fetches read concurrently. Every method
 * holds this object's monitor, and reads are a positional read of a file that holds few entries.
 */
public final class TransactionIndex implements Closeable {

    public static final String SUFFIX = ".txnindex";
    static final int ENTRY_SIZE = 2 + 8 + 8 + 8 + 8;
    private static final short VERSION = 0;

    private Path file;
    private FileChannel channel;
    /** The marker offset of the last entry, -1 with no entry, {@link #UNKNOWN} until the file was read or written. */
    private long lastOffset = UNKNOWN;

    private static final long UNKNOWN = -2;

    /** The index in {@code file}, which need not exist; nothing is read until it is used. */
    public TransactionIndex(Path file) {
        this.file = file;
    }

    /** What {@link #collectAbortedTxns} found, and whether later entries (or segments) cannot add to it. */
    public record SearchResult(List<AbortedTxn> aborted, boolean complete) {}

    public synchronized Path file() {
        return file;
    }

    /**
     * Adds {@code txn}, whose marker must come after every marker already in the index.
     *
     * @throws IllegalArgumentException if it does not
     */
    public synchronized void append(AbortedTxn txn) throws IOException {
        if (txn.lastOffset() <= lastOffset()) {
            throw new IllegalArgumentException(
                    "Aborted transaction " + txn + " does not follow the last entry at " + lastOffset + " in " + file);
        }
        ByteBuffer entry = ByteBuffer.allocate(ENTRY_SIZE)
                .putShort(VERSION)
                .putLong(txn.producerId())
                .putLong(txn.firstOffset())
                .putLong(txn.lastOffset())
                .putLong(txn.lastStableOffset())
                .flip();
        FileChannel ch = channel();
        long position = ch.size();
        while (entry.hasRemaining()) {
            position += ch.write(entry, position);
        }
        lastOffset = txn.lastOffset();
    }

    /** The marker offset of the last entry, or -1 when the index is empty. */
    public synchronized long lastOffset() throws IOException {
        if (lastOffset == UNKNOWN) {
            List<AbortedTxn> entries = readAll();
            lastOffset =
                    entries.isEmpty() ? -1 : entries.get(entries.size() - 1).lastOffset();
        }
        return lastOffset;
    }

    /**
     * The aborted transactions that overlap {@code [fetchOffset, upperBoundOffset)}: their marker is at or after
     * {@code fetchOffset} and their first record before {@code upperBoundOffset}.
     *
     * @return them, and {@code complete} when an entry showed that no later entry can overlap the range
     */
    public synchronized SearchResult collectAbortedTxns(long fetchOffset, long upperBoundOffset) throws IOException {
        List<AbortedTxn> found = new ArrayList<>();
        for (AbortedTxn txn : readAll()) {
            if (txn.lastOffset() >= fetchOffset && txn.firstOffset() < upperBoundOffset) {
                found.add(txn);
            }
            if (txn.lastStableOffset() >= upperBoundOffset) {
                return new SearchResult(found, true);
            }
        }
        return new SearchResult(found, false);
    }

    /** Every entry, in file order. */
    public synchronized List<AbortedTxn> entries() throws IOException {
        return readAll();
    }

    /** Removes the entries whose marker is at or after {@code offset}, after the log was truncated to it. */
    public synchronized void truncateTo(long offset) throws IOException {
        List<AbortedTxn> entries = readAll();
        int keep = 0;
        while (keep < entries.size() && entries.get(keep).lastOffset() < offset) {
            keep++;
        }
        if (keep < entries.size()) {
            channel().truncate((long) keep * ENTRY_SIZE);
            lastOffset = keep == 0 ? -1 : entries.get(keep - 1).lastOffset();
        }
    }

    /** Removes every entry. */
    public synchronized void reset() throws IOException {
        if (channel != null || Files.exists(file)) {
            channel().truncate(0);
        }
        lastOffset = -1;
    }

    /**
     * Cuts off a torn last entry and any entry that does not follow the one before it or has another version: what
     * remains is a prefix of entries a writer completed.
     */
    public synchronized void sanityCheck() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        ByteBuffer bytes = read();
        long previous = -1;
        int valid = 0;
        while (bytes.remaining() >= ENTRY_SIZE) {
            int start = bytes.position();
            short version = bytes.getShort();
            bytes.getLong();
            bytes.getLong();
            long last = bytes.getLong();
            bytes.getLong();
            if (version != VERSION || last <= previous) {
                bytes.position(start);
                break;
            }
            previous = last;
            valid = bytes.position();
        }
        if (valid < Files.size(file)) {
            channel().truncate(valid);
        }
        lastOffset = previous;
    }

    /** Creates the file, empty, if there is none (the cleaner's segments always have one, see {@link LogLoader}). */
    public synchronized void createFile() throws IOException {
        channel();
    }

    public synchronized void flush() throws IOException {
        if (channel != null) {
            channel.force(true);
        }
    }

    /** Renames the file (if there is one); later appends go to the new name. */
    public synchronized void renameTo(Path target) throws IOException {
        try {
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            // never written: nothing to rename
        }
        file = target;
    }

    /** Closes the file and deletes it. */
    public synchronized void deleteIfExists() throws IOException {
        close();
        Files.deleteIfExists(file);
        lastOffset = -1;
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private List<AbortedTxn> readAll() throws IOException {
        ByteBuffer bytes = read();
        List<AbortedTxn> entries = new ArrayList<>(bytes.remaining() / ENTRY_SIZE);
        while (bytes.remaining() >= ENTRY_SIZE) {
            short version = bytes.getShort();
            if (version != VERSION) {
                throw new CorruptIndexException(
                        "Entry of version " + version + " at position " + (bytes.position() - 2) + " of " + file);
            }
            entries.add(new AbortedTxn(bytes.getLong(), bytes.getLong(), bytes.getLong(), bytes.getLong()));
        }
        return entries;
    }

    private ByteBuffer read() throws IOException {
        if (channel == null && !Files.exists(file)) {
            return ByteBuffer.allocate(0);
        }
        FileChannel ch = channel();
        ByteBuffer bytes = ByteBuffer.allocate((int) ch.size());
        while (bytes.hasRemaining() && ch.read(bytes, bytes.position()) >= 0) {
            // positional reads until full
        }
        return bytes.flip();
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return channel;
    }

    @Override
    public String toString() {
        return "TransactionIndex(" + file + ", lastOffset=" + lastOffset + ")";
    }
}
