package dev.strata.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's remote index: metadata of every remote segment of every partition, with its KIP-405 state, and each
 * segment's sparse offset and time index entries, in one RocksDB database (a directory) per broker. A cold read is
 * {@link #segmentFor} (a floor lookup), then {@link #positionFor}, then one ranged GET of the segment's log object:
 * no index file is downloaded.
 *
 * <p>Five column families, keyed as {@link IndexKeys} describes: {@code segments} (a partition's segments sorted by
 * start offset), {@code segment-ids} (segment id to its {@code segments} key, for writes by id), {@code
 * offset-entries}, {@code time-entries} and {@code aborted-txns} (each segment's {@code .txnindex} entries, by
 * partition and marker offset, for {@code read_committed} fetches: {@link #abortedTxns}). The default column family
 * holds only the store's format version. A store written before {@code aborted-txns} existed opens with it empty.
 *
 * <p><b>Durability.</b> Every write is one {@link WriteBatch}, so its keys change together, written with
 * {@code WriteOptions.sync = true}, so it is on disk (the write-ahead log is fsynced) before the method returns. The
 * broker acts on these writes: local retention deletes a local segment once {@link #highestRemoteOffset} passes it,
 * and remote retention deletes objects after DELETE_STARTED. If the COPY_FINISHED that allowed a local deletion were
 * lost in a crash, the data would be readable from neither tier until a {@link #rebuild}. The cost is one fsync per
 * segment state change, a few per partition per segment roll.
 *
 * <p><b>Visibility.</b> Only {@link RemoteSegmentState#COPY_FINISHED} segments are seen by the reader lookups
 * ({@link #segmentFor}, {@link #firstSegmentAtOrAfter}, {@link #highestRemoteOffset}, {@link #remoteSizeBytes}). So
 * tiering writes a segment's index entries while it is COPY_STARTED and then moves it to COPY_FINISHED: readers see it
 * whole or not at all. {@link #segments} lists every state, for the copy and expiry tasks.
 *
 * <p><b>Rebuild.</b> Everything here can be restored from the {@link SegmentManifest}s in the bucket.
 *
 * <p>Thread-safe. Reads run concurrently; writes are serialized, because each checks the stored state before it
 * writes. After {@link #close()} every method throws {@link IllegalStateException} (a RocksDB handle used after close
 * would crash the JVM). RocksDB errors surface as {@link UncheckedIOException}.
 *
 * <p>Why it is ~820 lines: it is one concept, the remote index's on-disk format. Every method reads or writes
 * the same five column families under the same rules (one synced batch per write, state checked before writing,
 * COPY_FINISHED-only visibility); the key layout itself is {@link IndexKeys}'s.
 */
public final class RemoteIndexStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteIndexStore.class);

    private static final byte[] FORMAT_VERSION_KEY = "strata.remote.index.format".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 1;
    private static final int REBUILD_SEGMENTS_PER_BATCH = 256;
    /**
     * A rebuild's write batch is written once it holds this many bytes, whatever its number of segments: a 1 GiB
     * segment with Kafka's default 4 KiB index interval brings about 500 000 index entries, some 16 MiB of batch, so
     * 256 of them would build a batch of gigabytes in native memory.
     */
    private static final long REBUILD_BATCH_BYTES = 64L << 20;

    private static final int OFFSET_ENTRY_TAIL = 4;
    private static final int TIME_ENTRY_TAIL = 8;

    private final Path directory;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions columnFamilyOptions;
    private final WriteOptions syncWrites;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> handles;
    private final ColumnFamilyHandle segments;
    private final ColumnFamilyHandle segmentIds;
    private final ColumnFamilyHandle offsetEntries;
    private final ColumnFamilyHandle timeEntries;
    private final ColumnFamilyHandle abortedTxns;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final Object writeMutex = new Object();
    private boolean closed;

    /** What {@link #rebuild} did with the manifests it was given. */
    public record RebuildResult(int restoredSegments, int skippedManifests, int rejectedManifests) {}

    private RemoteIndexStore(
            Path directory,
            DBOptions dbOptions,
            ColumnFamilyOptions columnFamilyOptions,
            WriteOptions syncWrites,
            RocksDB db,
            List<ColumnFamilyHandle> handles) {
        this.directory = directory;
        this.dbOptions = dbOptions;
        this.columnFamilyOptions = columnFamilyOptions;
        this.syncWrites = syncWrites;
        this.db = db;
        this.handles = List.copyOf(handles);
        this.segments = handles.get(1);
        this.segmentIds = handles.get(2);
        this.offsetEntries = handles.get(3);
        this.timeEntries = handles.get(4);
        this.abortedTxns = handles.get(5);
    }

    /**
     * Opens the store in {@code directory}, creating it if needed.
     *
     * @throws IOException if the directory cannot be created, RocksDB cannot open it (for instance another process
     *     holds it), or it holds a format version this code does not know
     */
    public static RemoteIndexStore open(Path directory) throws IOException {
        Files.createDirectories(directory);
        RocksDB.loadLibrary();
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(5);
        ColumnFamilyOptions columnFamilyOptions = new ColumnFamilyOptions();
        WriteOptions syncWrites = new WriteOptions().setSync(true);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, columnFamilyOptions),
                new ColumnFamilyDescriptor(bytes("segments"), columnFamilyOptions),
                new ColumnFamilyDescriptor(bytes("segment-ids"), columnFamilyOptions),
                new ColumnFamilyDescriptor(bytes("offset-entries"), columnFamilyOptions),
                new ColumnFamilyDescriptor(bytes("time-entries"), columnFamilyOptions),
                new ColumnFamilyDescriptor(bytes("aborted-txns"), columnFamilyOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        RocksDB db = null;
        try {
            db = RocksDB.open(dbOptions, directory.toString(), descriptors, handles);
            checkFormatVersion(db, syncWrites, directory);
            return new RemoteIndexStore(directory, dbOptions, columnFamilyOptions, syncWrites, db, handles);
        } catch (RocksDBException e) {
            closeAll(handles, db, syncWrites, columnFamilyOptions, dbOptions);
            throw new IOException("Cannot open the remote index in " + directory + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            closeAll(handles, db, syncWrites, columnFamilyOptions, dbOptions);
            throw e;
        }
    }

    /** The directory holding the RocksDB files. */
    public Path directory() {
        return directory;
    }

    /**
     * Stores a segment's metadata. A segment that is not stored yet must be {@link RemoteSegmentState#COPY_STARTED}.
     * Of a stored segment only what Kafka's {@code RemoteLogSegmentMetadataUpdate} carries may change: the state (as
     * {@link RemoteSegmentState#isValidTransition} allows), event time, broker id and custom metadata. The offsets,
     * size, max timestamp and epochs describe the data, which does not change, and the index entries were checked
     * against them.
     *
     * @throws IllegalStateTransitionException if the state change is not legal
     * @throws IllegalArgumentException if the segment is stored with other offsets, size, max timestamp or epochs
     */
    public void putSegment(RemoteSegment segment) {
        Objects.requireNonNull(segment, "segment");
        write(() -> {
            Optional<RemoteSegment> stored = storedSegment(segment.id());
            checkTransition(segment.id(), stored.map(RemoteSegment::state).orElse(null), segment.state());
            if (stored.isPresent() && !sameData(stored.get(), segment)) {
                throw new IllegalArgumentException(
                        "A stored segment's offsets, size, timestamps and epochs cannot change: " + stored.get()
                                + " cannot become " + segment);
            }
            try (WriteBatch batch = new WriteBatch()) {
                putSegment(batch, segment);
                db.write(syncWrites, batch);
            }
            return null;
        });
    }

    /**
     * Moves a stored segment to {@code state}.
     *
     * @return the segment as now stored
     * @throws NoSuchElementException if the segment is not stored
     * @throws IllegalStateTransitionException if the state change is not legal
     */
    public RemoteSegment updateState(RemoteSegmentId id, RemoteSegmentState state, long eventTimestampMs) {
        Objects.requireNonNull(state, "state");
        return write(() -> {
            RemoteSegment stored = storedSegment(id).orElseThrow(() -> unknown(id));
            checkTransition(id, stored.state(), state);
            RemoteSegment updated = stored.withState(state, eventTimestampMs);
            try (WriteBatch batch = new WriteBatch()) {
                putSegment(batch, updated);
                db.write(syncWrites, batch);
            }
            return updated;
        });
    }

    /**
     * Replaces a segment's offset and time index entries. Allowed while the segment is COPY_STARTED or COPY_FINISHED;
     * tiering writes them before COPY_FINISHED, so a segment is never visible without its entries.
     *
     * @throws NoSuchElementException if the segment is not stored
     * @throws IllegalStateException if the segment is being or has been deleted
     * @throws IllegalArgumentException if an entry lies outside the segment
     */
    public void putIndexEntries(
            RemoteSegmentId id, List<OffsetPosition> offsetIndexEntries, List<TimestampOffset> timeIndexEntries) {
        write(() -> {
            RemoteSegment stored = storedSegment(id).orElseThrow(() -> unknown(id));
            if (stored.state() != RemoteSegmentState.COPY_STARTED
                    && stored.state() != RemoteSegmentState.COPY_FINISHED) {
                throw new IllegalStateException("Cannot write index entries of " + id + " in state " + stored.state());
            }
            SegmentManifest entries =
                    new SegmentManifest(stored, offsetIndexEntries, timeIndexEntries, storedAbortedTxns(stored));
            try (WriteBatch batch = new WriteBatch()) {
                deleteIndexEntries(batch, stored);
                putIndexEntries(batch, entries);
                db.write(syncWrites, batch);
            }
            return null;
        });
    }

    /**
     * Records a copy as finished from its manifest, in one synced write: a segment not stored yet is stored with its
     * index entries in the manifest's state (how a follower learns of a segment its leader copied), a stored
     * COPY_STARTED one (the copier's own record) gets the entries and the manifest's state, and a segment stored in
     * any later state is left as it is, since the store already knows more than the manifest. Only a
     * {@link RemoteSegmentState#COPY_FINISHED} manifest is accepted.
     *
     * @return whether the store changed
     * @throws IllegalArgumentException if the manifest is not COPY_FINISHED, or the stored segment has other data
     */
    public boolean applyManifest(SegmentManifest manifest) {
        RemoteSegment segment = manifest.segment();
        if (segment.state() != RemoteSegmentState.COPY_FINISHED) {
            throw new IllegalArgumentException("Not a finished copy: " + segment);
        }
        return write(() -> {
            Optional<RemoteSegment> stored = storedSegment(segment.id());
            if (stored.isPresent() && stored.get().state() != RemoteSegmentState.COPY_STARTED) {
                return false;
            }
            if (stored.isPresent() && !sameData(stored.get(), segment)) {
                throw new IllegalArgumentException(
                        "A stored segment's offsets, size, timestamps and epochs cannot change: " + stored.get()
                                + " cannot become " + segment);
            }
            try (WriteBatch batch = new WriteBatch()) {
                if (stored.isPresent()) {
                    deleteIndexEntries(batch, stored.get());
                }
                putSegment(batch, segment);
                putIndexEntries(batch, manifest);
                db.write(syncWrites, batch);
            }
            return true;
        });
    }

    /**
     * Whether the store holds no segment of any partition, in any state: a new store, one whose directory was lost,
     * or one whose every segment was deleted. A broker rebuilds an empty store from the bucket's manifests.
     */
    public boolean isEmpty() {
        return read(() -> {
            try (RocksIterator it = db.newIterator(segments)) {
                it.seekToFirst();
                if (it.isValid()) {
                    return false;
                }
                it.status();
            }
            return true;
        });
    }

    /** The stored segment with this id, in any state. */
    public Optional<RemoteSegment> segment(RemoteSegmentId id) {
        return read(() -> storedSegment(id));
    }

    /**
     * The COPY_FINISHED segment whose {@code [startOffset, endOffset]} holds {@code offset}: the finished segment with
     * the greatest start offset at or below it, if that segment reaches the offset. Empty when the offset falls in a
     * gap, below the first or above the last finished segment.
     */
    public Optional<RemoteSegment> segmentFor(PartitionKey partition, long offset) {
        if (offset < 0) {
            return Optional.empty();
        }
        return read(() -> {
            byte[] prefix = IndexKeys.partitionPrefix(partition);
            try (RocksIterator it = db.newIterator(segments)) {
                for (it.seekForPrev(IndexKeys.lastSegmentKeyAt(partition, offset));
                        it.isValid() && IndexKeys.hasPrefix(it.key(), prefix);
                        it.prev()) {
                    RemoteSegment segment = RemoteSegmentCodec.decode(it.value());
                    if (segment.state().isReadable()) {
                        return segment.contains(offset) ? Optional.of(segment) : Optional.<RemoteSegment>empty();
                    }
                }
                it.status();
            }
            return Optional.empty();
        });
    }

    /**
     * The first COPY_FINISHED segment, in offset order, whose max timestamp is at or above {@code timestampMs}: where
     * a ListOffsets by timestamp continues in the remote tier. A scan of the partition's segments, as Kafka's own
     * lookup is; it runs per ListOffsets request, not per fetch.
     */
    public Optional<RemoteSegment> firstSegmentAtOrAfter(PartitionKey partition, long timestampMs) {
        return read(() -> {
            byte[] prefix = IndexKeys.partitionPrefix(partition);
            try (RocksIterator it = db.newIterator(segments)) {
                for (it.seek(prefix); it.isValid() && IndexKeys.hasPrefix(it.key(), prefix); it.next()) {
                    RemoteSegment segment = RemoteSegmentCodec.decode(it.value());
                    if (segment.state().isReadable() && segment.maxTimestampMs() >= timestampMs) {
                        return Optional.of(segment);
                    }
                }
                it.status();
            }
            return Optional.empty();
        });
    }

    /**
     * The end offset of the partition's last COPY_FINISHED segment, the highest offset the remote tier holds: local
     * retention may delete local segments that end at or below it. Empty when nothing is finished. Tiering copies a partition's
     * segments in offset order, so finished segments do not overlap and the last one ends highest.
     */
    public OptionalLong highestRemoteOffset(PartitionKey partition) {
        return read(() -> {
            byte[] prefix = IndexKeys.partitionPrefix(partition);
            try (RocksIterator it = db.newIterator(segments)) {
                int tail = IndexKeys.SEGMENT_KEY_SIZE - IndexKeys.PARTITION_PREFIX_SIZE;
                for (it.seekForPrev(IndexKeys.prefixEnd(prefix, tail));
                        it.isValid() && IndexKeys.hasPrefix(it.key(), prefix);
                        it.prev()) {
                    RemoteSegment segment = RemoteSegmentCodec.decode(it.value());
                    if (segment.state().isReadable()) {
                        return OptionalLong.of(segment.endOffset());
                    }
                }
                it.status();
            }
            return OptionalLong.empty();
        });
    }

    /** Total size in bytes of the partition's COPY_FINISHED segments, for {@code retention.bytes} and metrics. */
    public long remoteSizeBytes(PartitionKey partition) {
        long size = 0;
        for (RemoteSegment segment : segments(partition)) {
            if (segment.state().isReadable()) {
                size += segment.sizeInBytes();
            }
        }
        return size;
    }

    /** All of the partition's segments, in every state, ordered by start offset. */
    public List<RemoteSegment> segments(PartitionKey partition) {
        return read(() -> {
            byte[] prefix = IndexKeys.partitionPrefix(partition);
            List<RemoteSegment> result = new ArrayList<>();
            try (RocksIterator it = db.newIterator(segments)) {
                for (it.seek(prefix); it.isValid() && IndexKeys.hasPrefix(it.key(), prefix); it.next()) {
                    result.add(RemoteSegmentCodec.decode(it.value()));
                }
                it.status();
            }
            return result;
        });
    }

    /**
     * Where a ranged read for {@code offset} starts: the offset index entry with the greatest offset at or below it,
     * or the segment's start offset at position 0 when there is none. The batch holding {@code offset} starts at or
     * after the returned position.
     *
     * @return empty if the segment is not stored
     * @throws IllegalArgumentException if {@code offset} is outside the segment
     */
    public Optional<OffsetPosition> positionFor(RemoteSegmentId id, long offset) {
        return read(() -> {
            Optional<RemoteSegment> stored = storedSegment(id);
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            RemoteSegment segment = stored.get();
            if (!segment.contains(offset)) {
                throw new IllegalArgumentException("Offset " + offset + " is outside [" + segment.startOffset() + ", "
                        + segment.endOffset() + "] of " + id);
            }
            UUID segmentId = id.segmentId();
            try (RocksIterator it = db.newIterator(offsetEntries)) {
                it.seekForPrev(IndexKeys.offsetEntryKey(segmentId, (int) (offset - segment.startOffset())));
                if (it.isValid() && IndexKeys.hasPrefix(it.key(), IndexKeys.segmentIdKey(segmentId))) {
                    long entryOffset = segment.startOffset() + IndexKeys.relativeOffsetOfOffsetKey(it.key());
                    return Optional.of(new OffsetPosition(entryOffset, IndexKeys.intOf(it.value())));
                }
                it.status();
            }
            return Optional.of(new OffsetPosition(segment.startOffset(), 0));
        });
    }

    /**
     * The offset from which to scan the segment for the first record with a timestamp at or above
     * {@code timestampMs}: the time index entry with the greatest timestamp at or below it, as Kafka's
     * {@code TimeIndex.lookup}, or the segment's start offset when there is none.
     *
     * @return empty if the segment is not stored
     */
    public OptionalLong offsetForTimestamp(RemoteSegmentId id, long timestampMs) {
        return read(() -> {
            Optional<RemoteSegment> stored = storedSegment(id);
            if (stored.isEmpty()) {
                return OptionalLong.empty();
            }
            long startOffset = stored.get().startOffset();
            UUID segmentId = id.segmentId();
            try (RocksIterator it = db.newIterator(timeEntries)) {
                it.seekForPrev(IndexKeys.timeEntryKey(segmentId, timestampMs));
                if (it.isValid() && IndexKeys.hasPrefix(it.key(), IndexKeys.segmentIdKey(segmentId))) {
                    return OptionalLong.of(startOffset + IndexKeys.intOf(it.value()));
                }
                it.status();
            }
            return OptionalLong.of(startOffset);
        });
    }

    /**
     * Everything stored about a segment, as the manifest tiering uploads next to it (and re-uploads when the state
     * changes).
     *
     * @return empty if the segment is not stored
     */
    public Optional<SegmentManifest> manifest(RemoteSegmentId id) {
        return read(() -> {
            Optional<RemoteSegment> stored = storedSegment(id);
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            RemoteSegment segment = stored.get();
            byte[] prefix = IndexKeys.segmentIdKey(id.segmentId());
            List<OffsetPosition> offsets = new ArrayList<>();
            try (RocksIterator it = db.newIterator(offsetEntries)) {
                for (it.seek(prefix); it.isValid() && IndexKeys.hasPrefix(it.key(), prefix); it.next()) {
                    long offset = segment.startOffset() + IndexKeys.relativeOffsetOfOffsetKey(it.key());
                    offsets.add(new OffsetPosition(offset, IndexKeys.intOf(it.value())));
                }
                it.status();
            }
            List<TimestampOffset> times = new ArrayList<>();
            try (RocksIterator it = db.newIterator(timeEntries)) {
                for (it.seek(prefix); it.isValid() && IndexKeys.hasPrefix(it.key(), prefix); it.next()) {
                    long offset = segment.startOffset() + IndexKeys.intOf(it.value());
                    times.add(new TimestampOffset(IndexKeys.timestampOfTimeKey(it.key()), offset));
                }
                it.status();
            }
            return Optional.of(new SegmentManifest(segment, offsets, times, storedAbortedTxns(segment)));
        });
    }

    /**
     * The aborted transactions that overlap {@code [fetchOffset, upperBoundOffset)} among the partition's remote
     * segments, as Kafka's search of the transaction indexes of the segment holding {@code fetchOffset} and the ones
     * after it finds them: every transaction whose ABORT marker is at or after {@code fetchOffset} and whose first
     * record is before {@code upperBoundOffset}, up to the first entry whose last stable offset reaches
     * {@code upperBoundOffset} (no later marker can then concern the range). Only markers up to the remote tier's
     * highest offset, read first, are searched, so that a segment finished during the search is left to the local
     * log's search that continues from {@link AbortedTxnSearch#searchedUpTo()} rather than found twice or missed.
     */
    public AbortedTxnSearch abortedTxns(PartitionKey partition, long fetchOffset, long upperBoundOffset) {
        return read(() -> {
            long highest = highestRemoteOffset(partition).orElse(-1L);
            List<RemoteAbortedTxn> found = new ArrayList<>();
            byte[] prefix = IndexKeys.partitionPrefix(partition);
            try (RocksIterator it = db.newIterator(abortedTxns)) {
                for (it.seek(IndexKeys.abortedTxnKey(partition, Math.max(0, fetchOffset), new UUID(0, 0)));
                        it.isValid() && IndexKeys.hasPrefix(it.key(), prefix);
                        it.next()) {
                    RemoteAbortedTxn txn = IndexKeys.abortedTxnOf(it.key(), it.value());
                    if (txn.lastOffset() > highest) {
                        break;
                    }
                    if (txn.overlaps(fetchOffset, upperBoundOffset)) {
                        found.add(txn);
                    }
                    if (txn.lastStableOffset() >= upperBoundOffset) {
                        return new AbortedTxnSearch(found, true, highest);
                    }
                }
                it.status();
            }
            return new AbortedTxnSearch(found, false, highest);
        });
    }

    /**
     * Removes every segment of the partition, in any state, with its index entries: for a deleted topic, once its
     * remote data is gone.
     *
     * @return the number of segments removed
     */
    public int deletePartition(PartitionKey partition) {
        return write(() -> {
            byte[] prefix = IndexKeys.partitionPrefix(partition);
            List<UUID> removed = new ArrayList<>();
            try (RocksIterator it = db.newIterator(segments)) {
                for (it.seek(prefix); it.isValid() && IndexKeys.hasPrefix(it.key(), prefix); it.next()) {
                    removed.add(IndexKeys.segmentIdOfSegmentKey(it.key()));
                }
                it.status();
            }
            if (removed.isEmpty()) {
                return 0;
            }
            try (WriteBatch batch = new WriteBatch()) {
                int tail = IndexKeys.SEGMENT_KEY_SIZE - IndexKeys.PARTITION_PREFIX_SIZE;
                batch.deleteRange(segments, prefix, IndexKeys.prefixEnd(prefix, tail));
                batch.deleteRange(abortedTxns, prefix, IndexKeys.prefixEnd(prefix, tail));
                for (UUID segmentId : removed) {
                    batch.delete(segmentIds, IndexKeys.segmentIdKey(segmentId));
                    deleteOffsetAndTimeEntries(batch, segmentId);
                }
                db.write(syncWrites, batch);
            }
            return removed.size();
        });
    }

    /**
     * Forgets a segment whose deletion has finished, with its index entries.
     *
     * @return whether the segment was stored
     * @throws IllegalStateException if the segment is not {@link RemoteSegmentState#DELETE_FINISHED}
     */
    public boolean removeSegment(RemoteSegmentId id) {
        return write(() -> {
            Optional<RemoteSegment> stored = storedSegment(id);
            if (stored.isEmpty()) {
                return false;
            }
            if (stored.get().state() != RemoteSegmentState.DELETE_FINISHED) {
                throw new IllegalStateException("Cannot remove " + id + " in state "
                        + stored.get().state() + "; only a DELETE_FINISHED segment can be removed");
            }
            try (WriteBatch batch = new WriteBatch()) {
                batch.delete(segments, IndexKeys.segmentKey(stored.get()));
                batch.delete(segmentIds, IndexKeys.segmentIdKey(id.segmentId()));
                deleteIndexEntries(batch, stored.get());
                db.write(syncWrites, batch);
            }
            return true;
        });
    }

    /**
     * Restores segments from their manifests, as listed from the bucket, typically into an empty store after the
     * broker's disk was lost. Each manifest's segment is stored in the state it records, with its index entries. A
     * segment already stored is left as it is (the store may know a later state than an older manifest), a
     * DELETE_FINISHED manifest restores nothing, and a corrupt manifest is logged and counted, not fatal: one bad
     * object must not hide the rest of the partition's history. Writes are synced in batches of segments, bounded in
     * number and in bytes; a rebuild that fails part way keeps the batches it wrote, and a second rebuild skips them.
     */
    public RebuildResult rebuild(Iterable<byte[]> manifests) {
        return rebuild(manifests, REBUILD_BATCH_BYTES);
    }

    /** {@link #rebuild(Iterable)}, writing a batch once it holds {@code maxBatchBytes}. */
    RebuildResult rebuild(Iterable<byte[]> manifests, long maxBatchBytes) {
        return write(() -> {
            int restored = 0;
            int skipped = 0;
            int rejected = 0;
            Set<UUID> pending = new HashSet<>();
            try (WriteBatch batch = new WriteBatch()) {
                for (byte[] bytes : manifests) {
                    SegmentManifest manifest;
                    try {
                        manifest = SegmentManifest.fromBytes(bytes);
                    } catch (CorruptManifestException e) {
                        log.warn(
                                "Rebuilding the remote index in {}: skipping a corrupt manifest: {}",
                                directory,
                                e.getMessage());
                        rejected++;
                        continue;
                    }
                    RemoteSegment segment = manifest.segment();
                    UUID segmentId = segment.id().segmentId();
                    if (segment.state() == RemoteSegmentState.DELETE_FINISHED
                            || pending.contains(segmentId)
                            || db.get(segmentIds, IndexKeys.segmentIdKey(segmentId)) != null) {
                        skipped++;
                        continue;
                    }
                    putSegment(batch, segment);
                    putIndexEntries(batch, manifest);
                    pending.add(segmentId);
                    restored++;
                    if (pending.size() >= REBUILD_SEGMENTS_PER_BATCH || batch.getDataSize() >= maxBatchBytes) {
                        db.write(syncWrites, batch);
                        batch.clear();
                        pending.clear();
                    }
                }
                if (!pending.isEmpty()) {
                    db.write(syncWrites, batch);
                }
            }
            log.info(
                    "Rebuilt the remote index in {}: {} segments restored, {} manifests skipped, {} rejected",
                    directory,
                    restored,
                    skipped,
                    rejected);
            return new RebuildResult(restored, skipped, rejected);
        });
    }

    /** Closes RocksDB and its native option objects. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                closeAll(handles, db, syncWrites, columnFamilyOptions, dbOptions);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private Optional<RemoteSegment> storedSegment(RemoteSegmentId id) throws RocksDBException {
        byte[] segmentKey = db.get(segmentIds, IndexKeys.segmentIdKey(id.segmentId()));
        if (segmentKey == null) {
            return Optional.empty();
        }
        if (!IndexKeys.hasPrefix(segmentKey, IndexKeys.partitionPrefix(id.partition()))) {
            throw new IllegalArgumentException(
                    "Segment id " + id.segmentId() + " belongs to another partition than " + id.partition());
        }
        byte[] value = db.get(segments, segmentKey);
        if (value == null) {
            throw new IllegalStateException("Remote index in " + directory + " maps " + id + " to a missing segment");
        }
        return Optional.of(RemoteSegmentCodec.decode(value));
    }

    private void putSegment(WriteBatch batch, RemoteSegment segment) throws RocksDBException {
        byte[] segmentKey = IndexKeys.segmentKey(segment);
        batch.put(segments, segmentKey, RemoteSegmentCodec.encode(segment));
        batch.put(segmentIds, IndexKeys.segmentIdKey(segment.id().segmentId()), segmentKey);
    }

    private void putIndexEntries(WriteBatch batch, SegmentManifest manifest) throws RocksDBException {
        UUID segmentId = manifest.segment().id().segmentId();
        long startOffset = manifest.segment().startOffset();
        for (OffsetPosition entry : manifest.offsetEntries()) {
            int relativeOffset = (int) (entry.offset() - startOffset);
            batch.put(
                    offsetEntries,
                    IndexKeys.offsetEntryKey(segmentId, relativeOffset),
                    IndexKeys.intValue(entry.position()));
        }
        for (TimestampOffset entry : manifest.timeEntries()) {
            int relativeOffset = (int) (entry.offset() - startOffset);
            batch.put(
                    timeEntries,
                    IndexKeys.timeEntryKey(segmentId, entry.timestampMs()),
                    IndexKeys.intValue(relativeOffset));
        }
        for (RemoteAbortedTxn txn : manifest.abortedTxns()) {
            batch.put(
                    abortedTxns,
                    IndexKeys.abortedTxnKey(manifest.segment().partition(), txn.lastOffset(), segmentId),
                    IndexKeys.abortedTxnValue(txn));
        }
    }

    /** The segment's offset and time index entries and its aborted transactions. */
    private void deleteIndexEntries(WriteBatch batch, RemoteSegment segment) throws RocksDBException {
        deleteOffsetAndTimeEntries(batch, segment.id().segmentId());
        for (byte[] key : abortedTxnKeys(segment)) {
            batch.delete(abortedTxns, key);
        }
    }

    private void deleteOffsetAndTimeEntries(WriteBatch batch, UUID segmentId) throws RocksDBException {
        byte[] prefix = IndexKeys.segmentIdKey(segmentId);
        batch.deleteRange(offsetEntries, prefix, IndexKeys.prefixEnd(prefix, OFFSET_ENTRY_TAIL));
        batch.deleteRange(timeEntries, prefix, IndexKeys.prefixEnd(prefix, TIME_ENTRY_TAIL));
    }

    private List<RemoteAbortedTxn> storedAbortedTxns(RemoteSegment segment) throws RocksDBException {
        List<RemoteAbortedTxn> found = new ArrayList<>();
        for (byte[] key : abortedTxnKeys(segment)) {
            found.add(IndexKeys.abortedTxnOf(key, db.get(abortedTxns, key)));
        }
        return found;
    }

    /** The keys of the segment's aborted transactions: its markers lie within its offsets. */
    private List<byte[]> abortedTxnKeys(RemoteSegment segment) throws RocksDBException {
        PartitionKey partition = segment.partition();
        UUID segmentId = segment.id().segmentId();
        byte[] end = IndexKeys.abortedTxnKey(partition, segment.endOffset() + 1, new UUID(0, 0));
        List<byte[]> keys = new ArrayList<>();
        try (RocksIterator it = db.newIterator(abortedTxns)) {
            for (it.seek(IndexKeys.abortedTxnKey(partition, segment.startOffset(), new UUID(0, 0)));
                    it.isValid() && Arrays.compareUnsigned(it.key(), end) < 0;
                    it.next()) {
                if (IndexKeys.segmentIdOfAbortedTxnKey(it.key()).equals(segmentId)) {
                    keys.add(it.key());
                }
            }
            it.status();
        }
        return keys;
    }

    private static boolean sameData(RemoteSegment stored, RemoteSegment update) {
        return stored.startOffset() == update.startOffset()
                && stored.endOffset() == update.endOffset()
                && stored.sizeInBytes() == update.sizeInBytes()
                && stored.maxTimestampMs() == update.maxTimestampMs()
                && stored.leaderEpochs().equals(update.leaderEpochs());
    }

    private static void checkTransition(RemoteSegmentId id, RemoteSegmentState from, RemoteSegmentState to) {
        if (!RemoteSegmentState.isValidTransition(from, to)) {
            throw new IllegalStateTransitionException(id, from, to);
        }
    }

    private static NoSuchElementException unknown(RemoteSegmentId id) {
        return new NoSuchElementException("Unknown remote segment " + id);
    }

    private <T> T read(StoreOperation<T> operation) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("Remote index in " + directory + " is closed");
            }
            return operation.run();
        } catch (RocksDBException e) {
            throw new UncheckedIOException(
                    new IOException("Remote index in " + directory + " failed: " + e.getMessage(), e));
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private <T> T write(StoreOperation<T> operation) {
        return read(() -> {
            synchronized (writeMutex) {
                return operation.run();
            }
        });
    }

    private static void checkFormatVersion(RocksDB db, WriteOptions syncWrites, Path directory)
            throws RocksDBException, IOException {
        byte[] stored = db.get(FORMAT_VERSION_KEY);
        if (stored == null) {
            db.put(syncWrites, FORMAT_VERSION_KEY, IndexKeys.intValue(FORMAT_VERSION));
        } else if (IndexKeys.intOf(stored) != FORMAT_VERSION) {
            throw new IOException("Remote index in " + directory + " has format version " + IndexKeys.intOf(stored)
                    + "; this broker reads version " + FORMAT_VERSION);
        }
    }

    private static void closeAll(
            List<ColumnFamilyHandle> handles,
            RocksDB db,
            WriteOptions syncWrites,
            ColumnFamilyOptions columnFamilyOptions,
            DBOptions dbOptions) {
        // handles before the database, the database before the options it was opened with
        handles.forEach(ColumnFamilyHandle::close);
        if (db != null) {
            db.close();
        }
        syncWrites.close();
        columnFamilyOptions.close();
        dbOptions.close();
    }

    private static byte[] bytes(String name) {
        return name.getBytes(StandardCharsets.US_ASCII);
    }

    /** A store operation that may fail inside RocksDB. */
    @FunctionalInterface
    private interface StoreOperation<T> {
        T run() throws RocksDBException;
    }
}
