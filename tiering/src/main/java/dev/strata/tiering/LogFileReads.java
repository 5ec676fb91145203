package dev.strata.tiering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Reads of remote segments whose logs are files on this machine ({@link LocalLogFiles}): the bytes of a read go once
 * into a buffer of the reading thread, where its batches are found and checked against their CRCs ({@link BatchScan});
 * what the read returns is the region of the file that holds them, which the fetch response sends from the file
 * ({@code sendfile}, the local log's way) instead of from the heap. No chunk cache: the page cache holds the file.
 *
 * <p>Blocks on the file: call it on a reader thread, never a network event loop.
 */
final class LogFileReads {
    /** A reading thread keeps its buffer for the next read up to this size; a larger one is dropped after its read. */
    static final int KEPT_BUFFER_BYTES = 16 << 20;

    private final LocalLogFiles files;
    private final ThreadLocal<ByteBuffer> buffers = new ThreadLocal<>();

    LogFileReads(LocalLogFiles files) {
        this.files = files;
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
        FileChannel channel;
        try {
            channel = files.openLog(segment);
        } catch (RemoteStorageException e) {
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
        int limit = maxBytes;
        boolean whole = minOneBatch;
        while (true) {
            // at least a batch header, so that the size of the first batch is known
            long length = Math.min(Math.max(limit, Records.LOG_OVERHEAD), segment.segmentSizeInBytes() - at);
            if (length <= 0) {
                return RemoteRecords.EMPTY;
            }
            ByteBuffer bytes = fill(channel, segment, at, (int) length);
            BatchScan scan = BatchScan.of(bytes, at, offset, segment, whole);
            switch (scan.kind()) {
                case FOUND -> {
                    return new RemoteRecords.FileSlice(channel, at + scan.from(), scan.size(), scan.lastOffset());
                }
                case END -> {
                    return RemoteRecords.EMPTY;
                }
                case WHOLE_BATCH -> {
                    at += scan.from();
                    limit = scan.size();
                    whole = true;
                }
                case SKIPPED -> at += scan.from();
            }
        }
    }

    /** Bytes {@code [at, at + length)} of the log, in this thread's buffer (position 0). */
    private ByteBuffer fill(FileChannel channel, RemoteLogSegmentMetadata segment, long at, int length)
            throws IOException {
        ByteBuffer buffer = buffers.get();
        if (buffer == null || buffer.capacity() < length) {
            buffer = ByteBuffer.allocateDirect(length);
            if (length <= KEPT_BUFFER_BYTES) {
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
        return buffer.flip();
    }
}
