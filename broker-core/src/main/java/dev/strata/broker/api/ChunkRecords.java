package dev.strata.broker.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.network.ByteBufferSend;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

/**
 * Record batches read from the remote tier as several buffers (read-only views of the chunk cache's chunks, one per
 * remote segment read), written to the socket as they are: one fetch response's records without first copying them
 * into one buffer. Each buffer holds whole batches.
 */
final class ChunkRecords implements BaseRecords {
    private final List<ByteBuffer> parts;
    private final int size;

    private ChunkRecords(List<ByteBuffer> parts, int size) {
        this.parts = parts;
        this.size = size;
    }

    /** The parts as records: a single part as plain {@link MemoryRecords}. */
    static BaseRecords of(List<ByteBuffer> parts) {
        if (parts.size() == 1) {
            return MemoryRecords.readableRecords(parts.get(0));
        }
        long size = 0;
        for (ByteBuffer part : parts) {
            size += part.remaining();
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Records of " + size + " bytes do not fit one response");
        }
        return new ChunkRecords(List.copyOf(parts), (int) size);
    }

    /** The offset after the last batch of {@code parts}, -1 when they hold none. */
    static long upperBound(List<ByteBuffer> parts) {
        for (int i = parts.size() - 1; i >= 0; i--) {
            long upperBound = -1;
            for (var batch :
                    MemoryRecords.readableRecords(parts.get(i).duplicate()).batches()) {
                upperBound = batch.lastOffset() + 1;
            }
            if (upperBound >= 0) {
                return upperBound;
            }
        }
        return -1;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    @Override
    public RecordsSend<ChunkRecords> toSend() {
        return new Send(this);
    }

    /** Writes the parts with gathering writes; each send writes its own views, so the records can be sent again. */
    private static final class Send extends RecordsSend<ChunkRecords> {
        private final ByteBufferSend bytes;

        Send(ChunkRecords records) {
            super(records, records.size);
            ByteBuffer[] views =
                    records.parts.stream().map(ByteBuffer::duplicate).toArray(ByteBuffer[]::new);
            this.bytes = new ByteBufferSend(views, records.size);
        }

        @Override
        protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining) throws IOException {
            return (int) bytes.writeTo(channel);
        }
    }
}
