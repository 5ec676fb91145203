package dev.strata.broker.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** Framing: whole frames out of arbitrary chunks, and oversized or negative sizes closing the connection. */
class KafkaFrameDecoderTest {

    private static ByteBuf frame(byte... body) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(body.length);
        b.writeBytes(body);
        return b;
    }

    @Test
    void emitsAFrameOnlyOnceAllOfItHasArrived() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024));
        ByteBuf whole = frame(new byte[] {1, 2, 3, 4, 5});
        ch.writeInbound(whole.readRetainedSlice(3));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(whole.readRetainedSlice(whole.readableBytes()));
        ByteBuf out = ch.readInbound();
        assertThat(out.readableBytes()).isEqualTo(5);
        assertThat(out.getByte(4)).isEqualTo((byte) 5);
        out.release();
        whole.release();
    }

    @Test
    void splitsSeveralFramesArrivingTogether() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024));
        ByteBuf both = Unpooled.wrappedBuffer(frame((byte) 7), frame((byte) 8, (byte) 9));
        ch.writeInbound(both);
        ByteBuf first = ch.readInbound();
        ByteBuf second = ch.readInbound();
        assertThat(first.readableBytes()).isEqualTo(1);
        assertThat(second.readableBytes()).isEqualTo(2);
        first.release();
        second.release();
    }

    @Test
    void closesTheConnectionWhenAFrameExceedsTheLimit() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(16));
        ByteBuf header = Unpooled.buffer().writeInt(17);
        ch.writeInbound(header);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void closesTheConnectionOnANegativeSize() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(16));
        ch.writeInbound(Unpooled.buffer().writeInt(-1));
        assertThat(ch.isOpen()).isFalse();
    }
}
