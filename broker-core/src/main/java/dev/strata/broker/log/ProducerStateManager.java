package dev.strata.broker.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent-producer bookkeeping for one partition: per producer id, its epoch and its last five batches, so that a
 * retried batch is answered with its original offsets instead of being written twice, and a gap in sequence numbers
 * is refused. The owning {@link LocalLog} calls every method under its own lock.
 *
 * <p>Snapshots: {@code <20-digit offset>.snapshot} holds the state as of that offset (everything before it applied).
 * Bytes, big-endian: {@code short version (1)}, {@code int crc32c} of everything after it, {@code int entries}, then
 * per entry {@code long producerId, short epoch, int batches}, and per batch {@code int firstSeq, int lastSeq,
 * long firstOffset, long lastOffset, long timestamp}. A snapshot is written to a temporary file, forced to disk and
 * renamed, so a crash leaves either a whole snapshot or none; one whose CRC does not match is ignored and the log is
 * replayed from an older one.
 */
public final class ProducerStateManager {
    private static final Logger log = LoggerFactory.getLogger(ProducerStateManager.class);
    static final int MAX_BATCHES_PER_PRODUCER = 5;
    private static final short VERSION = 1;
    private static final String SUFFIX = ".snapshot";

    private final Path dir;
    private final Map<Long, Entry> producers = new HashMap<>();
    private final long snapshotOffset;

    /** One producer: its epoch and its most recent batches, oldest first. */
    private static final class Entry {
        short epoch;
        final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>();

        Entry(short epoch) {
            this.epoch = epoch;
        }

        int lastSeq() {
            return batches.isEmpty() ? -1 : batches.peekLast().lastSeq();
        }
    }

    private ProducerStateManager(Path dir, long snapshotOffset) {
        this.dir = dir;
        this.snapshotOffset = snapshotOffset;
    }

    /**
     * Loads the newest intact snapshot at or below {@code logEndOffset}, deleting any above it. The log then replays
     * its batches from {@link #snapshotOffset()} through {@link #update}.
     */
    public static ProducerStateManager load(Path dir, long logStartOffset, long logEndOffset) {
        TreeMap<Long, Path> snapshots = listSnapshots(dir);
        for (Map.Entry<Long, Path> e : snapshots.tailMap(logEndOffset, false).entrySet()) {
            deleteQuietly(e.getValue());
        }
        for (Map.Entry<Long, Path> e : snapshots.headMap(logEndOffset, true).descendingMap().entrySet()) {
            if (e.getKey() < logStartOffset) {
                break;
            }
            ProducerStateManager psm = new ProducerStateManager(dir, e.getKey());
            if (psm.read(e.getValue())) {
                return psm;
            }
            log.warn("Ignoring corrupt producer snapshot {}", e.getValue());
        }
        return new ProducerStateManager(dir, logStartOffset);
    }

    /** The offset the loaded snapshot covers up to; batches from here on must be replayed. */
    public long snapshotOffset() {
        return snapshotOffset;
    }

    /**
     * Checks a batch about to be appended.
     *
     * @return the original batch if this one is a retry of one of the producer's last five
     * @throws InvalidProducerEpochException if the producer has been fenced by a newer epoch
     * @throws OutOfOrderSequenceException if the batch does not follow the producer's last sequence
     */
    public Optional<BatchMetadata> checkBatch(BatchSummary b) {
        if (!b.hasProducerId()) {
            return Optional.empty();
        }
        Entry e = producers.get(b.producerId());
        if (e == null) {
            // Unknown producer (new, or its state expired with retention): accept its sequence as the start.
            return Optional.empty();
        }
        if (b.producerEpoch() < e.epoch) {
            throw new InvalidProducerEpochException("Producer " + b.producerId() + " has epoch " + b.producerEpoch()
                    + ", older than the current epoch " + e.epoch);
        }
        if (b.producerEpoch() > e.epoch) {
            if (b.baseSequence() != 0) {
                throw new OutOfOrderSequenceException("Producer " + b.producerId() + " started epoch "
                        + b.producerEpoch() + " at sequence " + b.baseSequence() + " instead of 0");
            }
            return Optional.empty();
        }
        for (BatchMetadata m : e.batches) {
            if (m.firstSeq() == b.baseSequence() && m.lastSeq() == b.lastSequence()) {
                return Optional.of(m);
            }
        }
        int last = e.lastSeq();
        if (last >= 0 && b.baseSequence() != nextSequence(last)) {
            throw new OutOfOrderSequenceException("Out of order sequence from producer " + b.producerId()
                    + " epoch " + b.producerEpoch() + ": got " + b.baseSequence() + ", expected " + nextSequence(last));
        }
        return Optional.empty();
    }

    private static int nextSequence(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }

    /** Records a batch that was appended (or replayed from the log). */
    public void update(BatchSummary b) {
        if (!b.hasProducerId()) {
            return;
        }
        Entry e = producers.computeIfAbsent(b.producerId(), id -> new Entry(b.producerEpoch()));
        if (b.producerEpoch() > e.epoch) {
            e.epoch = b.producerEpoch();
            e.batches.clear();
        }
        e.batches.addLast(new BatchMetadata(
                b.baseSequence(), b.lastSequence(), b.firstOffset(), b.lastOffset(), b.maxTimestamp()));
        while (e.batches.size() > MAX_BATCHES_PER_PRODUCER) {
            e.batches.removeFirst();
        }
    }

    public int producerCount() {
        return producers.size();
    }

    public Optional<Short> epochOf(long producerId) {
        Entry e = producers.get(producerId);
        return e == null ? Optional.empty() : Optional.of(e.epoch);
    }

    /** Writes the current state as of {@code offset} (nothing from {@code offset} on is in it). */
    public void takeSnapshot(long offset) {
        Path target = dir.resolve(String.format("%020d", offset) + SUFFIX);
        ByteBuffer body = serialize();
        CRC32C crc = new CRC32C();
        crc.update(body.duplicate());
        ByteBuffer out = ByteBuffer.allocate(2 + 4 + body.remaining());
        out.putShort(VERSION).putInt((int) crc.getValue()).put(body).flip();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write producer snapshot " + target, e);
        }
    }

    private ByteBuffer serialize() {
        int size = 4;
        for (Entry e : producers.values()) {
            size += 8 + 2 + 4 + e.batches.size() * (4 + 4 + 8 + 8 + 8);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(producers.size());
        producers.forEach((id, e) -> {
            b.putLong(id).putShort(e.epoch).putInt(e.batches.size());
            for (BatchMetadata m : e.batches) {
                b.putInt(m.firstSeq()).putInt(m.lastSeq()).putLong(m.firstOffset()).putLong(m.lastOffset())
                        .putLong(m.timestamp());
            }
        });
        return b.flip();
    }

    private boolean read(Path file) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
            if (b.remaining() < 10 || b.getShort() != VERSION) {
                return false;
            }
            int expected = b.getInt();
            CRC32C crc = new CRC32C();
            crc.update(b.duplicate());
            if ((int) crc.getValue() != expected) {
                return false;
            }
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                long id = b.getLong();
                Entry e = new Entry(b.getShort());
                int batches = b.getInt();
                for (int j = 0; j < batches; j++) {
                    e.batches.addLast(new BatchMetadata(b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getLong()));
                }
                producers.put(id, e);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            producers.clear();
            return false;
        }
    }

    public void deleteSnapshotsBelow(long offset) {
        for (Map.Entry<Long, Path> e : listSnapshots(dir).headMap(offset, false).entrySet()) {
            deleteQuietly(e.getValue());
        }
    }

    /** Forgets everything, as when the log is emptied and restarts at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) {
        producers.clear();
        for (Path p : listSnapshots(dir).values()) {
            deleteQuietly(p);
        }
    }

    public List<Long> snapshotOffsets() {
        return new ArrayList<>(listSnapshots(dir).keySet());
    }

    private static TreeMap<Long, Path> listSnapshots(Path dir) {
        TreeMap<Long, Path> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    out.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), f);
                } catch (NumberFormatException e) {
                    log.warn("Ignoring unexpected file {}", f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("Cannot delete {}", p, e);
        }
    }
}
