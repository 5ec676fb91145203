package dev.strata.tiering;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The CRC check of a record batch read from the remote tier, at the speed of the JDK's CRC32C intrinsic. Remote bytes
 * are read-only views of cached chunks, and for a read-only heap buffer Kafka's {@code DefaultRecordBatch.isValid()}
 * falls back to updating its checksum one byte at a time (its {@code Checksums.update} uses the array of a heap buffer
 * and the native path of a direct one, neither of which a read-only heap buffer offers): profiled, that was most of a
 * remote replay's CPU time. {@link CRC32C#update(ByteBuffer)} reads such a buffer in blocks instead.
 */
final class BatchChecksum {
    /** Where a v2 batch's CRC-covered bytes start: its attributes, right after the stored CRC. */
    private static final int CRC_COVERED_FROM = DefaultRecordBatch.CRC_OFFSET + 4;

    private BatchChecksum() {}

    /**
     * Whether the magic v2 batch of {@code size} bytes at {@code start} of {@code buffer} holds the CRC32C of its
     * content, as {@code isValid()} checks it; a batch of an older format is checked by {@code batch} itself.
     */
    static boolean isValid(ByteBuffer buffer, int start, int size, RecordBatch batch) {
        if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
            return batch.isValid();
        }
        if (size < DefaultRecordBatch.RECORD_BATCH_OVERHEAD) {
            return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().limit(start + size).position(start + CRC_COVERED_FROM));
        long stored = Integer.toUnsignedLong(buffer.getInt(start + DefaultRecordBatch.CRC_OFFSET));
        return crc.getValue() == stored;
    }
}
