package dev.strata.tiering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Reads of remote segments whose logs are files on this machine ({@link LocalLogFiles}): the bytes of a read go once
 * through a buffer of the reading thread, a window of {@value #WINDOW_BYTES} bytes at a time (so that ten reader threads
 * keep 10 MiB, not ten times {@code remote.fetch.max.bytes}), where its batches are found and checked against their
 * CRCs ({@link BatchScan});
 * what the read returns is the region of the file that holds them, which the fetch response sends from the file
 * ({@code sendfile}, the local log's way) instead of from the heap. No chunk cache: the page cache holds the file.
 *
 * <p>Blocks on the file: call it on a reader thread, never a network event loop.
 */
final class LogFileReads {
    /** How many bytes of a log a read scans at a time: the buffer each reading thread keeps. */
    static final int WINDOW_BYTES = 1 << 20;

    private final LocalLogFiles files;
    private final int window;
    private final ThreadLocal<ByteBuffer> buffers = new ThreadLocal<>();
    private final LongAdder reads = new LongAdder();
    private final LongAdder readBytes = new LongAdder();
    private final LongAdder readErrors = new LongAdder();

    /** Reads that scan {@code window} bytes at a time (a batch larger than that is read whole, into a buffer of its own). */
    LogFileReads(LocalLogFiles files, int window) {
        this.files = files;
        this.window = window;
    }

    /** Reads of log files so far (one per segment read), the bytes they read from the files, and those that failed. */
    RemoteLogReader.FileReadStats stats() {
        return new RemoteLogReader.FileReadStats(reads.sum(), readBytes.sum(), readErrors.sum());
    }

    /**
     * The whole batches of the segment from the one holding {@code offset}, at {@code position} or after, up to
     * {@code maxBytes}; a first batch larger than that is returned whole if {@code minOneBatch}, else nothing. A
     * {@link RemoteRecords.FileSlice} holds the file open; an empty result holds nothing.
     *
     * @throws CorruptRecordException if the log's bytes are corrupt (a batch fails its CRC or runs past the segment's
     *     end, the file is shorter than the segment)
     */
    RemoteRecords.Part read(
            RemoteLogSegmentMetadata segment, long position, long offset, int maxBytes, boolean minOneBatch)
            throws RemoteStorageException, IOException {
        reads.increment();
        FileChannel channel;
        try {
            channel = files.openLog(segment);
        } catch (RemoteStorageException e) {
            readErrors.increment();
            if (ChunkCache.reportsCorruption(e)) {
                // the backend's message names the file
                throw new CorruptRecordException(e.getMessage(), e);
            }
            throw e;
        }
        RemoteRecords.Part part = RemoteRecords.EMPTY;
        try {
            part = read(channel, segment, position, offset, maxBytes, minOneBatch);
            return part;
        } catch (IOException | RuntimeException e) {
            readErrors.increment();
            throw e;
        } finally {
            if (!(part instanceof RemoteRecords.FileSlice)) {
                RemoteRecords.closeQuietly(channel);
            }
        }
    }

    private RemoteRecords.Part read(
            FileChannel channel,
            RemoteLogSegmentMetadata segment,
            long position,
            long offset,
            int maxBytes,
            boolean minOneBatch)
            throws IOException {
        long at = position;
        long start = -1;
        long lastOffset = -1;
        // the next read's length when it must hold one batch whole, larger than a window; else 0
        long wholeBatch = 0;
        while (true) {
            long left = start < 0 ? maxBytes : maxBytes - (at - start);
            if (start >= 0 && left < Records.LOG_OVERHEAD) {
                break;
            }
            // at least a batch header, so that the size of the first batch is known
            long length = wholeBatch > 0 ? wholeBatch : Math.max(Math.min(left, window), Records.LOG_OVERHEAD);
            length = Math.min(length, segment.segmentSizeInBytes() - at);
            if (length <= 0) {
                break;
            }
            ByteBuffer bytes = fill(channel, segment, at, (int) length);
            BatchScan scan;
            try {
                // a batch larger than the window: whether it is read whole is decided below, by the bytes left
                scan = BatchScan.of(bytes, at, offset, segment, true);
            } catch (CorruptRecordException e) {
                if (start < 0) {
                    throw e;
                }
                // the batches before it are returned; the next read, which starts at it, fails
                break;
            }
            wholeBatch = 0;
            if (scan.kind() == BatchScan.Kind.FOUND) {
                if (start < 0) {
                    start = at + scan.from();
                }
                at += scan.from() + scan.size();
                lastOffset = scan.lastOffset();
            } else if (scan.kind() == BatchScan.Kind.WHOLE_BATCH
                    && (scan.size() <= left || (start < 0 && minOneBatch))) {
                at += scan.from();
                wholeBatch = scan.size();
            } else if (scan.kind() == BatchScan.Kind.SKIPPED) {
                at += scan.from();
            } else {
                break;
            }
        }
        return start < 0
                ? RemoteRecords.EMPTY
                : new RemoteRecords.FileSlice(channel, start, (int) (at - start), lastOffset);
    }

    /** Bytes {@code [at, at + length)} of the log, in this thread's buffer (position 0). */
    private ByteBuffer fill(FileChannel channel, RemoteLogSegmentMetadata segment, long at, int length)
            throws IOException {
        ByteBuffer buffer = buffers.get();
        if (buffer == null || buffer.capacity() < length) {
            buffer = ByteBuffer.allocateDirect(length);
            if (length <= window) {
                buffers.set(buffer);
            }
        }
        buffer.clear().limit(length);
        long from = at;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, from);
            if (n < 0) {
                throw new CorruptRecordException(
                        "Remote segment " + segment.remoteLogSegmentId().id() + " of "
                                + segment.topicIdPartition() + " is corrupt: its log ends at byte " + from
                                + " but the remote index says it has " + segment.segmentSizeInBytes() + " bytes");
            }
            from += n;
        }
        readBytes.add(length);
        return buffer.flip();
    }
}
