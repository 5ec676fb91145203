package dev.strata.index;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.UUID;

/**
 * Keys and small values of the {@link RemoteIndexStore}'s column families. RocksDB orders keys by unsigned bytes,
 * so every number is big-endian and every key puts what a scan groups by first; the lookups are then a
 * {@code seek} or {@code seekForPrev} and a short walk.
 *
 * <pre>
 * segments        topicId (16) | partition int32 | startOffset int64 | segmentId (16)  -> {@link RemoteSegmentCodec}
 * segment-ids     segmentId (16)                                                      -> the segments key
 * offset-entries  segmentId (16) | offset - startOffset int32                         -> position int32
 * time-entries    segmentId (16) | timestamp int64, sign bit flipped                  -> offset - startOffset int32
 * aborted-txns    topicId (16) | partition int32 | lastOffset int64 | segmentId (16)
 *                                              -> producerId int64, firstOffset int64, lastStableOffset int64
 * </pre>
 *
 * <p>A partition's segments sort by start offset, so "the segment holding offset O" is the floor of O. The segment id
 * ends the key because a retried copy of the same local segment has the same start offset but a new id, and both must
 * be kept until the failed attempt's debris is deleted. Offsets and partitions are never negative, so big-endian
 * bytes sort like the numbers. Timestamps can be negative (Kafka's -1 for "none"), so their sign bit is flipped to
 * make the bytes sort like signed values. Index entries use 4-byte relative offsets and 4-byte positions, as Kafka's
 * {@code .index} does: a segment spans fewer than 2^31 offsets and is at most 2 GiB.
 *
 * <p>Aborted transactions are keyed by partition and the offset of their ABORT marker, not by segment: a fetch at
 * offset F must see every aborted transaction that ends at or after F, whichever segment its marker is in, so a scan
 * seeks to F and walks forward across segments. The segment id ends the key so that a segment's entries can be told
 * apart (and removed with it) should another segment's offsets overlap it.
 */
final class IndexKeys {
    static final int UUID_SIZE = 16;
    static final int PARTITION_PREFIX_SIZE = UUID_SIZE + 4;
    static final int SEGMENT_KEY_SIZE = PARTITION_PREFIX_SIZE + 8 + UUID_SIZE;

    /** Sorts after every segment id, so that a floor seek lands on the last segment at a start offset. */
    private static final UUID MAX_UUID = new UUID(-1L, -1L);

    private IndexKeys() {}

    static byte[] partitionPrefix(PartitionKey partition) {
        ByteBuffer buffer = ByteBuffer.allocate(PARTITION_PREFIX_SIZE);
        RemoteSegmentCodec.writeUuid(buffer, partition.topicId());
        buffer.putInt(partition.partition());
        return buffer.array();
    }

    static byte[] segmentKey(PartitionKey partition, long startOffset, UUID segmentId) {
        ByteBuffer buffer = ByteBuffer.allocate(SEGMENT_KEY_SIZE);
        RemoteSegmentCodec.writeUuid(buffer, partition.topicId());
        buffer.putInt(partition.partition());
        buffer.putLong(startOffset);
        RemoteSegmentCodec.writeUuid(buffer, segmentId);
        return buffer.array();
    }

    static byte[] segmentKey(RemoteSegment segment) {
        return segmentKey(
                segment.partition(), segment.startOffset(), segment.id().segmentId());
    }

    static UUID segmentIdOfSegmentKey(byte[] key) {
        ByteBuffer buffer = ByteBuffer.wrap(key, PARTITION_PREFIX_SIZE + 8, UUID_SIZE);
        return new UUID(buffer.getLong(), buffer.getLong());
    }

    /** The largest possible key of a segment of {@code partition} starting at {@code startOffset}. */
    static byte[] lastSegmentKeyAt(PartitionKey partition, long startOffset) {
        return segmentKey(partition, startOffset, MAX_UUID);
    }

    static byte[] segmentIdKey(UUID segmentId) {
        return ByteBuffer.allocate(UUID_SIZE)
                .putLong(segmentId.getMostSignificantBits())
                .putLong(segmentId.getLeastSignificantBits())
                .array();
    }

    static byte[] offsetEntryKey(UUID segmentId, int relativeOffset) {
        return ByteBuffer.allocate(UUID_SIZE + 4)
                .putLong(segmentId.getMostSignificantBits())
                .putLong(segmentId.getLeastSignificantBits())
                .putInt(relativeOffset)
                .array();
    }

    static int relativeOffsetOfOffsetKey(byte[] key) {
        return ByteBuffer.wrap(key, UUID_SIZE, 4).getInt();
    }

    static byte[] timeEntryKey(UUID segmentId, long timestampMs) {
        return ByteBuffer.allocate(UUID_SIZE + 8)
                .putLong(segmentId.getMostSignificantBits())
                .putLong(segmentId.getLeastSignificantBits())
                .putLong(timestampMs ^ Long.MIN_VALUE)
                .array();
    }

    static long timestampOfTimeKey(byte[] key) {
        return ByteBuffer.wrap(key, UUID_SIZE, 8).getLong() ^ Long.MIN_VALUE;
    }

    static byte[] abortedTxnKey(PartitionKey partition, long lastOffset, UUID segmentId) {
        return segmentKey(partition, lastOffset, segmentId);
    }

    static long lastOffsetOfAbortedTxnKey(byte[] key) {
        return ByteBuffer.wrap(key, PARTITION_PREFIX_SIZE, 8).getLong();
    }

    static UUID segmentIdOfAbortedTxnKey(byte[] key) {
        return segmentIdOfSegmentKey(key);
    }

    static byte[] abortedTxnValue(RemoteAbortedTxn txn) {
        return ByteBuffer.allocate(24)
                .putLong(txn.producerId())
                .putLong(txn.firstOffset())
                .putLong(txn.lastStableOffset())
                .array();
    }

    static RemoteAbortedTxn abortedTxnOf(byte[] key, byte[] value) {
        if (value.length != 24) {
            throw new IllegalStateException("Expected a 24-byte aborted transaction, found " + value.length + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        long producerId = buffer.getLong();
        long firstOffset = buffer.getLong();
        return new RemoteAbortedTxn(producerId, firstOffset, lastOffsetOfAbortedTxnKey(key), buffer.getLong());
    }

    static byte[] intValue(int value) {
        return ByteBuffer.allocate(4).putInt(value).array();
    }

    static int intOf(byte[] value) {
        if (value.length != 4) {
            throw new IllegalStateException("Expected a 4-byte value, found " + value.length + " bytes");
        }
        return ByteBuffer.wrap(value).getInt();
    }

    static boolean hasPrefix(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * An exclusive upper bound for every key that starts with {@code prefix} and has at most {@code tailSize} more
     * bytes: the prefix followed by one more 0xFF byte than any such tail can have.
     */
    static byte[] prefixEnd(byte[] prefix, int tailSize) {
        byte[] end = Arrays.copyOf(prefix, prefix.length + tailSize + 1);
        Arrays.fill(end, prefix.length, end.length, (byte) 0xFF);
        return end;
    }
}
