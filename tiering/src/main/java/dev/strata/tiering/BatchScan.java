package dev.strata.tiering;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;

/**
 * What the bytes read at a position of a remote segment's log hold for a read from an offset: the whole batches to
 * return, or where to read next. Every batch returned is checked against its CRC ({@link BatchChecksum}) and must end
 * within the segment; a batch that fails either is a {@link CorruptRecordException}, never records.
 *
 * @param kind what to do with the bytes
 * @param from {@link Kind#FOUND}: where the first batch to return starts; {@link Kind#WHOLE_BATCH}: where the batch to
 *     read whole starts; {@link Kind#SKIPPED}: where the bytes after the skipped batches start (relative to the bytes)
 * @param size {@link Kind#FOUND}: the bytes of the batches to return; {@link Kind#WHOLE_BATCH}: the batch's size
 * @param lastOffset {@link Kind#FOUND}: the last offset of the last batch to return
 */
record BatchScan(Kind kind, int from, int size, long lastOffset) {

    enum Kind {
        /** Whole batches holding the offset or after it: return them. */
        FOUND,
        /** The first batch to return does not fit the bytes read: read it whole. */
        WHOLE_BATCH,
        /** Nothing to return: the segment ends, or the first batch does not fit and need not be returned. */
        END,
        /** Every whole batch read ends below the offset: read on after them. */
        SKIPPED
    }

    /**
     * Scans {@code bytes} (whose position is 0), read at byte {@code position} of {@code segment}, for the whole batches
     * from the one holding {@code offset}; a first batch larger than the bytes is {@link Kind#WHOLE_BATCH} if
     * {@code minOneBatch}, else {@link Kind#END}.
     *
     * @throws CorruptRecordException if a batch has an impossible size, runs past the segment's end or fails its CRC
     */
    static BatchScan of(
            ByteBuffer bytes, long position, long offset, RemoteLogSegmentMetadata segment, boolean minOneBatch) {
        ByteBuffer buffer = bytes.duplicate();
        int first = -1;
        int end = 0;
        long lastOffset = -1;
        while (buffer.remaining() >= Records.LOG_OVERHEAD) {
            int batchStart = buffer.position();
            int batchSize = Records.LOG_OVERHEAD + buffer.getInt(batchStart + Records.SIZE_OFFSET);
            if (batchSize <= Records.LOG_OVERHEAD) {
                throw new CorruptRecordException("Record batch at byte " + (position + batchStart) + " of "
                        + segment.remoteLogSegmentId() + " has an invalid size " + batchSize);
            }
            if (batchSize > buffer.remaining()) {
                if (first >= 0) {
                    break;
                }
                if (position + batchStart + batchSize > segment.segmentSizeInBytes()) {
                    // reading it "whole" would return the same short tail again, forever
                    throw new CorruptRecordException("Record batch at byte " + (position + batchStart) + " of "
                            + segment.remoteLogSegmentId() + " has a size of " + batchSize
                            + " bytes, past the end of the segment at byte " + segment.segmentSizeInBytes());
                }
                return minOneBatch ? new BatchScan(Kind.WHOLE_BATCH, batchStart, batchSize, -1) : end();
            }
            MutableRecordBatch batch = batchAt(buffer, batchStart, batchSize);
            if (batch.lastOffset() >= offset) {
                if (!BatchChecksum.isValid(buffer, batchStart, batchSize, batch)) {
                    throw new CorruptRecordException("Record batch at byte " + (position + batchStart) + " of "
                            + segment.remoteLogSegmentId() + " (offsets " + batch.baseOffset() + " to "
                            + batch.lastOffset() + ") fails its CRC check");
                }
                if (first < 0) {
                    first = batchStart;
                }
                end = batchStart + batchSize;
                lastOffset = batch.lastOffset();
            }
            buffer.position(batchStart + batchSize);
        }
        if (first >= 0) {
            return new BatchScan(Kind.FOUND, first, end - first, lastOffset);
        }
        int consumed = buffer.position();
        if (consumed == 0 || position + consumed >= segment.segmentSizeInBytes()) {
            // the end of the segment (or a tail too short to be a batch)
            return end();
        }
        return new BatchScan(Kind.SKIPPED, consumed, 0, -1);
    }

    private static BatchScan end() {
        return new BatchScan(Kind.END, 0, 0, -1);
    }

    private static MutableRecordBatch batchAt(ByteBuffer buffer, int start, int size) {
        ByteBuffer slice =
                buffer.duplicate().position(start).limit(start + size).slice();
        return MemoryRecords.readableRecords(slice).batches().iterator().next();
    }
}
