package dev.strata.index;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The bytes of one {@link RemoteSegment}: the value of a row in the store's {@code segments} column family and the
 * metadata part of a {@link SegmentManifest}. One encoding for both, so that what a rebuild restores is exactly what
 * the broker stored.
 *
 * <p>All integers are big-endian; UUIDs are 16 bytes (most significant half first).
 *
 * <pre>
 * version            int8    1
 * topicId            16 bytes
 * partition          int32
 * segmentId          16 bytes
 * startOffset        int64
 * endOffset          int64
 * maxTimestampMs     int64
 * sizeInBytes        int64
 * brokerId           int32
 * state              int8    {@link RemoteSegmentState#id()}
 * eventTimestampMs   int64
 * epochCount         int32   then epochCount times: epoch int32, startOffset int64 (ascending epochs)
 * customLength       int32   then customLength bytes of custom metadata
 * </pre>
 *
 * <p>The value repeats the partition and start offset that are also in the row's key, so that a value decodes on its
 * own (inside a manifest there is no key). Fixed-width fields keep decoding a simple sequence of reads with no
 * varint edge cases; the segment count per broker is small enough that the few spare bytes do not matter.
 */
final class RemoteSegmentCodec {
    static final byte VERSION = 1;

    private static final int FIXED_SIZE = 1 + 16 + 4 + 16 + 8 + 8 + 8 + 8 + 4 + 1 + 8 + 4 + 4;
    private static final int EPOCH_ENTRY_SIZE = 4 + 8;

    private RemoteSegmentCodec() {}

    static int sizeOf(RemoteSegment segment) {
        return FIXED_SIZE + segment.leaderEpochs().size() * EPOCH_ENTRY_SIZE + segment.customMetadata().length;
    }

    static byte[] encode(RemoteSegment segment) {
        ByteBuffer buffer = ByteBuffer.allocate(sizeOf(segment));
        write(segment, buffer);
        return buffer.array();
    }

    static void write(RemoteSegment segment, ByteBuffer buffer) {
        buffer.put(VERSION);
        writeUuid(buffer, segment.partition().topicId());
        buffer.putInt(segment.partition().partition());
        writeUuid(buffer, segment.id().segmentId());
        buffer.putLong(segment.startOffset());
        buffer.putLong(segment.endOffset());
        buffer.putLong(segment.maxTimestampMs());
        buffer.putLong(segment.sizeInBytes());
        buffer.putInt(segment.brokerId());
        buffer.put(segment.state().id());
        buffer.putLong(segment.eventTimestampMs());
        buffer.putInt(segment.leaderEpochs().size());
        for (Map.Entry<Integer, Long> epoch : segment.leaderEpochs().entrySet()) {
            buffer.putInt(epoch.getKey());
            buffer.putLong(epoch.getValue());
        }
        byte[] custom = segment.customMetadata();
        buffer.putInt(custom.length);
        buffer.put(custom);
    }

    static RemoteSegment decode(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        RemoteSegment segment = read(buffer);
        if (buffer.hasRemaining()) {
            throw new IllegalArgumentException(buffer.remaining() + " trailing bytes after remote segment");
        }
        return segment;
    }

    /**
     * Reads one segment from the buffer's position.
     *
     * @throws IllegalArgumentException if the bytes are not a valid segment
     */
    static RemoteSegment read(ByteBuffer buffer) {
        try {
            byte version = buffer.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("Unsupported remote segment version " + version);
            }
            PartitionKey partition = new PartitionKey(readUuid(buffer), buffer.getInt());
            RemoteSegmentId id = new RemoteSegmentId(partition, readUuid(buffer));
            long startOffset = buffer.getLong();
            long endOffset = buffer.getLong();
            long maxTimestampMs = buffer.getLong();
            long sizeInBytes = buffer.getLong();
            int brokerId = buffer.getInt();
            RemoteSegmentState state = RemoteSegmentState.forId(buffer.get());
            long eventTimestampMs = buffer.getLong();
            int epochCount = checkedCount(buffer, buffer.getInt(), EPOCH_ENTRY_SIZE);
            TreeMap<Integer, Long> epochs = new TreeMap<>();
            for (int i = 0; i < epochCount; i++) {
                epochs.put(buffer.getInt(), buffer.getLong());
            }
            byte[] custom = new byte[checkedCount(buffer, buffer.getInt(), 1)];
            buffer.get(custom);
            return new RemoteSegment(
                    id,
                    startOffset,
                    endOffset,
                    maxTimestampMs,
                    sizeInBytes,
                    epochs,
                    brokerId,
                    state,
                    eventTimestampMs,
                    custom);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("Truncated remote segment", e);
        }
    }

    /** Checks a count read from the bytes against what is left, before anything is allocated for it. */
    static int checkedCount(ByteBuffer buffer, int count, int entrySize) {
        if (count < 0 || (long) count * entrySize > buffer.remaining()) {
            throw new IllegalArgumentException(
                    "Count " + count + " does not fit in the " + buffer.remaining() + " bytes left");
        }
        return count;
    }

    static void writeUuid(ByteBuffer buffer, UUID uuid) {
        buffer.putLong(uuid.getMostSignificantBits());
        buffer.putLong(uuid.getLeastSignificantBits());
    }

    static UUID readUuid(ByteBuffer buffer) {
        return new UUID(buffer.getLong(), buffer.getLong());
    }
}
