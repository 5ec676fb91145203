package dev.strata.broker.api;

import dev.strata.tiering.RemoteRecords;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

/**
 * Record batches read from the remote tier, written to the socket part by part as they are: read-only views of the
 * chunk cache's chunks with plain writes, regions of the remote log files with {@code transferTo} ({@code sendfile}
 * on a plain connection), without first copying them into one buffer. Each part holds whole batches. The files are
 * closed once the records are written whole.
 */
final class ChunkRecords implements BaseRecords {
    private final RemoteRecords records;

    private ChunkRecords(RemoteRecords records) {
        this.records = records;
    }

    /** The records: a single part in memory as plain {@link MemoryRecords}. */
    static BaseRecords of(RemoteRecords records) {
        List<RemoteRecords.Part> parts = records.parts();
        if (parts.size() == 1 && parts.get(0) instanceof RemoteRecords.Bytes bytes) {
            return MemoryRecords.readableRecords(bytes.buffer());
        }
        return new ChunkRecords(records);
    }

    @Override
    public int sizeInBytes() {
        return records.sizeInBytes();
    }

    @Override
    public RecordsSend<ChunkRecords> toSend() {
        return new Send(this);
    }

    /** Writes the parts in order, from wherever the previous writes stopped. */
    private static final class Send extends RecordsSend<ChunkRecords> {

        Send(ChunkRecords records) {
            super(records, records.sizeInBytes());
        }

        @Override
        protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining) throws IOException {
            RemoteRecords records = records().records;
            long written = 0;
            long partStart = 0;
            for (RemoteRecords.Part part : records.parts()) {
                long partEnd = partStart + part.size();
                long at = previouslyWritten + written;
                if (at < partEnd) {
                    int within = (int) (at - partStart);
                    int left = part.size() - within;
                    long n = write(channel, part, within, left);
                    written += n;
                    if (n < left) {
                        break;
                    }
                }
                partStart = partEnd;
            }
            if (written == remaining) {
                records.close();
            }
            return (int) written;
        }

        private static long write(TransferableChannel channel, RemoteRecords.Part part, int within, int count)
                throws IOException {
            if (part instanceof RemoteRecords.FileSlice slice) {
                return channel.transferFrom(slice.channel(), slice.position() + within, count);
            }
            ByteBuffer view = ((RemoteRecords.Bytes) part).buffer().duplicate();
            view.position(view.position() + within);
            return channel.write(view);
        }
    }
}
