package dev.strata.broker.network;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;

/**
 * Lets Netty write a kafka-clients {@link Send}. The send built by {@code SendBuilder} for a Fetch response holds the
 * segment's {@code FileRecords} slices; handing them to {@link FileChannel#transferTo} with the socket as target keeps
 * local fetches zero-copy (sendfile) instead of reading segment bytes onto the heap.
 */
final class SendRegion extends AbstractReferenceCounted implements FileRegion {
    private final Send send;
    private final long size;
    private long transferred;

    SendRegion(Send send) {
        this.send = send;
        this.size = send.size();
    }

    /**
     * The send's bytes in one buffer, for a TLS connection: the TLS handler encrypts buffers, not file regions, so a
     * Fetch response's records are read from their segment (the page cache, mostly) into the buffer, as Kafka's SSL
     * transport does. Released here if the copy fails.
     */
    static ByteBuf copy(Send send, ByteBufAllocator alloc) throws IOException {
        ByteBuf buf = alloc.ioBuffer((int) send.size());
        WritableByteChannel sink = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                buf.writeBytes(src);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
        try {
            Target target = new Target(sink);
            while (!send.completed()) {
                send.writeTo(target);
            }
            return buf;
        } catch (IOException | RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    @Override
    public long position() {
        return 0;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return size;
    }

    @Override
    public long transferTo(WritableByteChannel target, long position) throws IOException {
        long written = send.writeTo(new Target(target));
        transferred += written;
        return written;
    }

    @Override
    public FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public FileRegion touch() {
        return this;
    }

    @Override
    public FileRegion touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        // The records belong to their segments; nothing of ours to free.
    }

    /** The socket as Kafka's {@link TransferableChannel}. */
    private record Target(WritableByteChannel channel) implements TransferableChannel {
        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            return fileChannel.transferTo(position, count, channel);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            if (channel instanceof GatheringByteChannel gathering) {
                return gathering.write(srcs, offset, length);
            }
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                int n = channel.write(srcs[i]);
                total += n;
                if (srcs[i].hasRemaining()) {
                    break;
                }
            }
            return total;
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return channel.write(src);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
