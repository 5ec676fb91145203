package dev.strata.broker.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent-producer bookkeeping for one partition: per producer id the current epoch and the last
 * {@value ProducerStateEntry#NUM_BATCHES_TO_RETAIN} batches, so the leader can reject out-of-order or fenced writes
 * and answer a retried batch with the offsets it was first written at instead of appending it twice.
 *
 * <p>Usage by the owning log, per batch of a produce request: {@link #checkBatch} before the append (a present result
 * is a duplicate: append nothing, answer with its offsets), {@link #update} once the batch is in the log. On recovery
 * {@link #load} restores the newest usable snapshot and the log replays its batches from {@link #snapshotOffset()} on
 * through {@link #update}, which never throws, so replay cannot fail on data the leader once accepted.
 *
 * <p>When no state is known for a producer id (a new producer, or one whose batches all left the log through
 * retention), a batch is accepted whatever its sequence, as Apache Kafka does.
 *
 * <p><b>Thread safety:</b> none. The owning log calls every method under its own lock.
 *
 * <h2>Snapshot file</h2>
 * {@link #takeSnapshot(long) takeSnapshot(offset)} writes {@code <offset as 20 digits>.snapshot} in the partition
 * directory: the state of every producer after all batches below {@code offset}. The file is written to
 * {@code <name>.tmp}, fsynced, atomically renamed and the directory fsynced, so a crash leaves either the old set of
 * snapshots or the new one, never a torn file under a final name. All integers are big-endian:
 * <pre>
 *   int16  version             1
 *   int64  snapshot offset     equals the offset in the file name
 *   int32  producer count      N
 *   N times:
 *     int64  producer id
 *     int16  producer epoch
 *     int64  last timestamp    max timestamp of the producer's last batch (drives expiry)
 *     int64  txn first offset  first offset of the open transaction, -1 if none
 *     int8   batch count       B, 0..5
 *     B times, oldest first:
 *       int32  first sequence
 *       int32  last sequence
 *       int64  last offset
 *       int32  offset delta    last offset - first offset
 *       int64  timestamp       the batch's max timestamp
 *   uint32 CRC32C               over every byte before it
 * </pre>
 * The version leads so a reader can refuse a layout it does not know; the CRC trails so the file is written in one
 * sequential pass, and a truncated file fails it. A file that fails any check is deleted on load and the next older
 * snapshot is tried: a snapshot is only a shortcut, the log itself can always rebuild the state.
 */
public final class ProducerStateManager {

    /** Kafka's default {@code producer.id.expiration.ms}: one day. */
    public static final long DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000L;

    static final String SUFFIX = ".snapshot";
    private static final String TMP_SUFFIX = ".tmp";
    private static final Pattern SNAPSHOT_NAME = Pattern.compile("(\\d{20})\\.snapshot");
    private static final short VERSION = 1;
    private static final int HEADER_BYTES = 2 + 8 + 4;
    private static final int ENTRY_BYTES = 8 + 2 + 8 + 8 + 1;
    private static final int BATCH_BYTES = 4 + 4 + 8 + 4 + 8;
    private static final int CRC_BYTES = 4;

    private static final Logger LOG = LoggerFactory.getLogger(ProducerStateManager.class);

    private final Path dir;
    private final long producerIdExpirationMs;
    private final Map<Long, ProducerStateEntry> producers = new HashMap<>();
    /** The open transactions: first offset to producer id. Kept in step with the entries' first offsets. */
    private final TreeMap<Long, Long> ongoingTxns = new TreeMap<>();
    /**
     * Transactions a marker ended, by first offset, while the marker is not yet below the high watermark: a leader
     * change could still lose the marker, so they hold the last stable offset back as open ones do.
     */
    private final TreeMap<Long, CompletedTxn> unreplicatedTxns = new TreeMap<>();

    private long mapEndOffset;
    private long snapshotOffset;

    /** An empty state for a new partition directory, with the default producer id expiration. */
    public ProducerStateManager(Path dir) {
        this(dir, DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    }

    /** An empty state for a new partition directory. */
    public ProducerStateManager(Path dir, long producerIdExpirationMs) {
        this.dir = dir;
        this.producerIdExpirationMs = producerIdExpirationMs;
    }

    /** {@link #load(Path, long, long, long)} with the default producer id expiration. */
    public static ProducerStateManager load(Path dir, long logStartOffset, long logEndOffset) {
        return load(dir, logStartOffset, logEndOffset, DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    }

    /**
     * Restores the state of a partition from the newest valid snapshot at or below {@code logEndOffset}. Snapshots
     * above the log end (left by a log truncated after they were taken), corrupt snapshots and stray temporary files
     * are deleted. Producers whose last batch lies below {@code logStartOffset} are dropped: retention removed them.
     * The log must then replay its batches from {@link #snapshotOffset()} on through {@link #update}.
     *
     * @throws UncheckedIOException if the directory cannot be listed or a file cannot be deleted
     */
    public static ProducerStateManager load(
            Path dir, long logStartOffset, long logEndOffset, long producerIdExpirationMs) {
        deleteTempFiles(dir);
        for (long offset : listSnapshots(dir).tailSet(logEndOffset, false)) {
            Path file = snapshotFile(dir, offset);
            LOG.info("Deleting producer snapshot {} above log end offset {}", file, logEndOffset);
            deleteIfExists(file);
        }
        return loadAt(dir, logStartOffset, logEndOffset, producerIdExpirationMs);
    }

    /**
     * Restores the state of a partition as it was at {@code offset} from the newest valid snapshot at or below it, for
     * writing a snapshot missing at that offset: the caller replays the batches from {@link #snapshotOffset()} up to
     * {@code offset} through {@link #update}, then {@link #takeSnapshot takes} it. Snapshots above {@code offset} are
     * left alone; corrupt ones are deleted. Producers whose last batch lies below {@code logStartOffset} are dropped.
     *
     * @throws UncheckedIOException if the directory cannot be listed or a file cannot be deleted
     */
    public static ProducerStateManager loadAt(Path dir, long logStartOffset, long offset, long producerIdExpirationMs) {
        ProducerStateManager state = new ProducerStateManager(dir, producerIdExpirationMs);
        state.mapEndOffset = logStartOffset;
        state.snapshotOffset = logStartOffset;
        for (long snapshot : listSnapshots(dir).headSet(offset, true).descendingSet()) {
            Path file = snapshotFile(dir, snapshot);
            Optional<List<ProducerStateEntry>> entries = readSnapshot(file, snapshot);
            if (entries.isEmpty()) {
                deleteIfExists(file);
                continue;
            }
            for (ProducerStateEntry e : entries.get()) {
                if (e.batches().isEmpty() || e.lastDataOffset() >= logStartOffset) {
                    state.put(e);
                }
            }
            state.mapEndOffset = Math.max(snapshot, logStartOffset);
            state.snapshotOffset = state.mapEndOffset;
            break;
        }
        return state;
    }

    /**
     * Checks a batch against its producer's state before it is appended.
     *
     * @return the batch's metadata when it is a retry of one of the producer's last
     *     {@value ProducerStateEntry#NUM_BATCHES_TO_RETAIN} batches (same epoch and sequence range): append nothing
     *     and answer with its offsets. Empty when the batch may be appended, or carries no producer id.
     * @throws InvalidProducerEpochException if the batch's epoch is older than the producer's current epoch
     * @throws OutOfOrderSequenceException if a new epoch does not start at sequence 0, or the batch does not follow
     *     the producer's last sequence in the current epoch
     */
    public Optional<BatchMetadata> checkBatch(BatchSummary batch) {
        if (!batch.hasProducerId()) {
            return Optional.empty();
        }
        ProducerStateEntry entry = producers.get(batch.producerId());
        if (entry == null) {
            // no state: a new producer, or one retention forgot; any sequence is accepted
            return Optional.empty();
        }
        Optional<BatchMetadata> duplicate =
                entry.findDuplicate(batch.producerEpoch(), batch.baseSequence(), batch.lastSequence());
        if (duplicate.isPresent()) {
            return duplicate;
        }
        checkEpoch(batch);
        if (batch.isControlBatch()) {
            return Optional.empty();
        }
        if (batch.producerEpoch() != entry.producerEpoch()) {
            if (batch.baseSequence() != 0) {
                throw new OutOfOrderSequenceException("Producer " + batch.producerId() + " starts new epoch "
                        + batch.producerEpoch() + " at sequence " + batch.baseSequence() + ", expected 0");
            }
        } else if (!inSequence(entry.lastSeq(), batch.baseSequence())) {
            throw new OutOfOrderSequenceException("Out of order sequence for producer " + batch.producerId()
                    + " epoch " + batch.producerEpoch() + ": got " + batch.baseSequence() + ", last appended "
                    + entry.lastSeq());
        }
        return Optional.empty();
    }

    /**
     * Checks only the producer epoch of a batch the broker writes itself (a transaction marker, or a coordinator's
     * transactional records, whose sequence numbers mean nothing), as Kafka checks batches of origin COORDINATOR: no
     * duplicate detection and no sequence check.
     *
     * @throws InvalidProducerEpochException if the batch's epoch is older than the producer's current epoch
     */
    public void checkEpoch(BatchSummary batch) {
        ProducerStateEntry entry = batch.hasProducerId() ? producers.get(batch.producerId()) : null;
        if (entry != null && batch.producerEpoch() < entry.producerEpoch()) {
            throw new InvalidProducerEpochException("Epoch " + batch.producerEpoch() + " of producer "
                    + batch.producerId() + " is older than its current epoch " + entry.producerEpoch());
        }
    }

    /**
     * Records a batch that is now in the log, with its assigned offsets. Never validates: it also replays the log on
     * recovery. Batches without producer id only advance {@link #mapEndOffset()}.
     *
     * @return the transaction a COMMIT or ABORT marker ended, when the producer had written to this partition in it
     *     (as Kafka, a marker of a transaction that wrote nothing here completes nothing)
     */
    public Optional<CompletedTxn> update(BatchSummary batch) {
        Optional<CompletedTxn> completed = Optional.empty();
        if (batch.hasProducerId()) {
            ProducerStateEntry entry = producers.get(batch.producerId());
            if (entry == null) {
                entry = ProducerStateEntry.empty(batch.producerId(), batch.producerEpoch());
            }
            if (batch.isControlBatch()) {
                OptionalLong first = entry.currentTxnFirstOffset();
                if (first.isPresent()) {
                    CompletedTxn txn = new CompletedTxn(
                            batch.producerId(), first.getAsLong(), batch.lastOffset(), batch.isAbortMarker());
                    unreplicatedTxns.put(txn.firstOffset(), txn);
                    completed = Optional.of(txn);
                }
                put(entry.withEndTxnMarker(batch));
            } else {
                put(entry.withDataBatch(batch));
            }
        }
        mapEndOffset = Math.max(mapEndOffset, batch.lastOffset() + 1);
        return completed;
    }

    /**
     * The partition's last stable offset just after {@code txn} completed: the first offset of the oldest transaction
     * still open, or the offset after the marker when none is. It goes with an aborted transaction into the
     * transaction index.
     */
    public long lastStableOffsetAfter(CompletedTxn txn) {
        return ongoingTxns.isEmpty() ? txn.lastOffset() + 1 : ongoingTxns.firstKey();
    }

    /**
     * The first offset the last stable offset may not pass: the first offset of the oldest open transaction, or of
     * the oldest completed one whose marker is not yet below the high watermark. Empty when there is none.
     */
    public OptionalLong firstUnstableOffset() {
        long first = Long.MAX_VALUE;
        if (!ongoingTxns.isEmpty()) {
            first = ongoingTxns.firstKey();
        }
        if (!unreplicatedTxns.isEmpty()) {
            first = Math.min(first, unreplicatedTxns.firstKey());
        }
        return first == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(first);
    }

    /** The high watermark reached {@code highWatermark}: completed transactions whose marker is below it are stable. */
    public void onHighWatermarkUpdated(long highWatermark) {
        unreplicatedTxns.values().removeIf(txn -> txn.lastOffset() < highWatermark);
    }

    /** The open transactions as first offset to producer id, oldest first; a read-only view. */
    public Map<Long, Long> ongoingTransactions() {
        return Collections.unmodifiableMap(ongoingTxns);
    }

    private void put(ProducerStateEntry entry) {
        ProducerStateEntry previous = producers.put(entry.producerId(), entry);
        if (previous != null) {
            previous.currentTxnFirstOffset().ifPresent(ongoingTxns::remove);
        }
        entry.currentTxnFirstOffset().ifPresent(first -> ongoingTxns.put(first, entry.producerId()));
    }

    /** One past the last offset this state has seen. */
    public long mapEndOffset() {
        return mapEndOffset;
    }

    /**
     * The offset the state was loaded up to: after {@link #load}, the log replays its batches at and after this
     * offset. It is the loaded snapshot's offset, or the log start offset when there was none usable.
     */
    public long snapshotOffset() {
        return snapshotOffset;
    }

    public Optional<ProducerStateEntry> entry(long producerId) {
        return Optional.ofNullable(producers.get(producerId));
    }

    /** Every producer with state, by producer id; a read-only view. */
    public Map<Long, ProducerStateEntry> activeProducers() {
        return Collections.unmodifiableMap(producers);
    }

    public long producerIdExpirationMs() {
        return producerIdExpirationMs;
    }

    /**
     * Forgets producers that have not written for {@code producer.id.expiration.ms} and have no open transaction.
     *
     * @return how many were removed
     */
    public int removeExpiredProducers(long nowMs) {
        return removeExpiredProducers(nowMs, producerIdExpirationMs);
    }

    /**
     * Forgets producers whose last batch is older than {@code expirationMs} (by its max timestamp, as Kafka compares)
     * and that have no open transaction: their next write starts a new sequence, as Kafka's does after
     * {@code producer.id.expiration.ms}.
     *
     * @return how many were removed
     */
    public int removeExpiredProducers(long nowMs, long expirationMs) {
        int before = producers.size();
        producers
                .values()
                .removeIf(e -> e.currentTxnFirstOffset().isEmpty() && nowMs - e.lastTimestamp() >= expirationMs);
        return before - producers.size();
    }

    /**
     * Writes the current state as the snapshot at {@code offset}, replacing any snapshot at the same offset. The state
     * must cover exactly the batches below {@code offset}; the log takes snapshots at segment rolls and on shutdown.
     *
     * @throws UncheckedIOException if the file cannot be written
     */
    public void takeSnapshot(long offset) {
        List<ProducerStateEntry> entries = new ArrayList<>(producers.values());
        int size = HEADER_BYTES + CRC_BYTES;
        for (ProducerStateEntry e : entries) {
            size += ENTRY_BYTES + e.batches().size() * BATCH_BYTES;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putShort(VERSION).putLong(offset).putInt(entries.size());
        for (ProducerStateEntry e : entries) {
            buf.putLong(e.producerId())
                    .putShort(e.producerEpoch())
                    .putLong(e.lastTimestamp())
                    .putLong(e.currentTxnFirstOffset().orElse(-1L))
                    .put((byte) e.batches().size());
            for (BatchMetadata b : e.batches()) {
                buf.putInt(b.firstSeq())
                        .putInt(b.lastSeq())
                        .putLong(b.lastOffset())
                        .putInt(b.offsetDelta())
                        .putLong(b.timestamp());
            }
        }
        buf.putInt((int) crc(buf.array(), buf.position()));
        buf.flip();

        Path target = snapshotFile(dir, offset);
        Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            moveAtomically(tmp, target);
            fsyncDirectory(dir);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("Cannot write producer snapshot " + target, e);
        }
        snapshotOffset = Math.max(snapshotOffset, offset);
    }

    /** Deletes the snapshots at offsets below {@code offset}, for example after retention removed their segments. */
    public void deleteSnapshotsBelow(long offset) {
        for (long o : listSnapshots(dir).headSet(offset, false)) {
            deleteIfExists(snapshotFile(dir, o));
        }
    }

    /** Forgets all state and all snapshots, for a log emptied and restarted at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) {
        producers.clear();
        ongoingTxns.clear();
        unreplicatedTxns.clear();
        for (long o : listSnapshots(dir)) {
            deleteIfExists(snapshotFile(dir, o));
        }
        mapEndOffset = offset;
        snapshotOffset = offset;
    }

    /**
     * Forgets the batches at and after {@code offset}, after the log was truncated to it: snapshots above it are
     * deleted and the state is reloaded from the newest snapshot at or below it, as {@link #loadAt} does. The log then
     * replays its batches from {@link #snapshotOffset()} up to {@code offset}.
     */
    public void truncateAndReload(long logStartOffset, long offset) {
        for (long o : listSnapshots(dir).tailSet(offset, false)) {
            deleteIfExists(snapshotFile(dir, o));
        }
        ProducerStateManager reloaded = loadAt(dir, logStartOffset, offset, producerIdExpirationMs);
        producers.clear();
        ongoingTxns.clear();
        unreplicatedTxns.clear();
        reloaded.producers.values().forEach(this::put);
        mapEndOffset = reloaded.mapEndOffset;
        snapshotOffset = reloaded.snapshotOffset;
    }

    /** The offsets of the snapshots on disk, ascending. */
    public List<Long> snapshotOffsets() {
        return List.copyOf(listSnapshots(dir));
    }

    /** The offset of the newest snapshot on disk. */
    public OptionalLong latestSnapshotOffset() {
        TreeSet<Long> all = listSnapshots(dir);
        return all.isEmpty() ? OptionalLong.empty() : OptionalLong.of(all.last());
    }

    /** The snapshot file for {@code offset} in a partition directory; it may not exist. */
    public static Path snapshotFile(Path dir, long offset) {
        return dir.resolve(String.format("%020d", offset) + SUFFIX);
    }

    private static boolean inSequence(int lastSeq, int nextSeq) {
        return nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == Integer.MAX_VALUE);
    }

    /** Parses one snapshot; empty (after a warning) when the file is unreadable or fails any check. */
    private static Optional<List<ProducerStateEntry>> readSnapshot(Path file, long expectedOffset) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length < HEADER_BYTES + CRC_BYTES) {
                return corrupt(file, "only " + bytes.length + " bytes");
            }
            int contentLength = bytes.length - CRC_BYTES;
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            int storedCrc = buf.getInt(contentLength);
            if (storedCrc != (int) crc(bytes, contentLength)) {
                return corrupt(file, "CRC mismatch");
            }
            buf.limit(contentLength);
            short version = buf.getShort();
            if (version != VERSION) {
                return corrupt(file, "unknown version " + version);
            }
            long offset = buf.getLong();
            if (offset != expectedOffset) {
                return corrupt(file, "holds offset " + offset);
            }
            int count = buf.getInt();
            if (count < 0 || (long) count * ENTRY_BYTES > buf.remaining()) {
                return corrupt(file, "invalid producer count " + count);
            }
            List<ProducerStateEntry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long producerId = buf.getLong();
                short epoch = buf.getShort();
                long lastTimestamp = buf.getLong();
                long txnFirstOffset = buf.getLong();
                int batchCount = buf.get();
                if (batchCount < 0 || batchCount > ProducerStateEntry.NUM_BATCHES_TO_RETAIN) {
                    return corrupt(file, "invalid batch count " + batchCount);
                }
                List<BatchMetadata> batches = new ArrayList<>(batchCount);
                for (int j = 0; j < batchCount; j++) {
                    batches.add(
                            new BatchMetadata(buf.getInt(), buf.getInt(), buf.getLong(), buf.getInt(), buf.getLong()));
                }
                entries.add(new ProducerStateEntry(producerId, epoch, batches, lastTimestamp, txnFirstOffset));
            }
            if (buf.hasRemaining()) {
                return corrupt(file, buf.remaining() + " trailing bytes");
            }
            return Optional.of(entries);
        } catch (BufferUnderflowException e) {
            return corrupt(file, "truncated");
        } catch (IOException e) {
            LOG.warn("Cannot read producer snapshot {}, deleting it", file, e);
            return Optional.empty();
        }
    }

    private static Optional<List<ProducerStateEntry>> corrupt(Path file, String why) {
        LOG.warn("Producer snapshot {} is corrupt ({}), deleting it", file, why);
        return Optional.empty();
    }

    private static long crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    private static TreeSet<Long> listSnapshots(Path dir) {
        TreeSet<Long> offsets = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                Matcher m = SNAPSHOT_NAME.matcher(f.getFileName().toString());
                if (m.matches()) {
                    offsets.add(Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list producer snapshots in " + dir, e);
        }
        return offsets;
    }

    private static void deleteTempFiles(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX + TMP_SUFFIX)) {
            for (Path f : files) {
                deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + dir, e);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the rename durable; some platforms cannot open a directory, where this is best effort. */
    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("Cannot fsync directory {}", dir, e);
        }
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + file, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("Cannot delete {}", file, e);
        }
    }
}
