package dev.strata.broker.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.Test;

/** Framing: whole frames out of arbitrary chunks, and oversized or negative sizes closing the connection. */
class KafkaFrameDecoderTest {

    private static ByteBuf frame(byte... body) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(body.length);
        b.writeBytes(body);
        return b;
    }

    private static RequestBudget roomy() {
        return new RequestBudget(100, 1 << 20);
    }

    @Test
    void emitsAFrameOnlyOnceAllOfItHasArrived() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024, roomy()));
        ByteBuf whole = frame(new byte[] {1, 2, 3, 4, 5});
        ch.writeInbound(whole.readRetainedSlice(3));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(whole.readRetainedSlice(whole.readableBytes()));
        ByteBuf out = ((RequestFrame) ch.readInbound()).bytes();
        assertThat(out.readableBytes()).isEqualTo(5);
        assertThat(out.getByte(4)).isEqualTo((byte) 5);
        out.release();
        whole.release();
    }

    @Test
    void splitsSeveralFramesArrivingTogether() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024, roomy()));
        ByteBuf both = Unpooled.wrappedBuffer(frame((byte) 7), frame((byte) 8, (byte) 9));
        ch.writeInbound(both);
        ByteBuf first = ((RequestFrame) ch.readInbound()).bytes();
        ByteBuf second = ((RequestFrame) ch.readInbound()).bytes();
        assertThat(first.readableBytes()).isEqualTo(1);
        assertThat(second.readableBytes()).isEqualTo(2);
        first.release();
        second.release();
    }

    @Test
    void closesTheConnectionWhenAFrameExceedsTheLimit() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(16, roomy()));
        ByteBuf header = Unpooled.buffer().writeInt(17);
        ch.writeInbound(header);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void stopsReadingWhileTheRequestBudgetIsUsedUpAndGoesOnWhenARequestIsAnswered() {
        RequestBudget budget = new RequestBudget(1, 1 << 20);
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024, budget));
        ch.writeInbound(Unpooled.wrappedBuffer(frame((byte) 1), frame((byte) 2, (byte) 3)));
        RequestFrame first = ch.readInbound();
        assertThat(first.reserved()).isEqualTo(1);
        assertThat((Object) ch.readInbound()).as("the second waits for budget").isNull();
        assertThat(ch.config().isAutoRead()).isFalse();

        budget.release(first.reserved()); // the first request was answered
        ch.runPendingTasks();
        RequestFrame second = ch.readInbound();
        assertThat(second.bytes().readableBytes()).isEqualTo(2);
        assertThat(second.reserved()).isEqualTo(2);
        assertThat(ch.config().isAutoRead()).isTrue();
        assertThat(budget.requests()).isEqualTo(1);
        first.bytes().release();
        second.bytes().release();
    }

    @Test
    void givesBackTheBudgetOfAPartlyReadFrameWhenTheConnectionCloses() {
        RequestBudget budget = new RequestBudget(10, 1 << 20);
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024, budget));
        ch.writeInbound(Unpooled.buffer().writeInt(100).writeByte(1));
        assertThat(budget.bytes()).isEqualTo(100);
        ch.close();
        assertThat(budget.bytes()).isZero();
        assertThat(budget.requests()).isZero();
    }

    @Test
    void closesAConnectionThatHoldsPartOfAFrameAndSendsNothingMore() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024, roomy()));
        ch.writeInbound(Unpooled.buffer().writeInt(100).writeByte(1));
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void keepsAnIdleConnectionWithoutAPartialFrameForTheIdleTimeout() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(1024, roomy()));
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void closesTheConnectionOnANegativeSize() {
        EmbeddedChannel ch = new EmbeddedChannel(new KafkaFrameDecoder(16, roomy()));
        ch.writeInbound(Unpooled.buffer().writeInt(-1));
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void beforeSaslAuthenticationTheSmallerLimitHoldsAndAfterItTheRequestLimit() {
        KafkaFrameDecoder decoder = new KafkaFrameDecoder(1024, 16, roomy());
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.buffer().writeInt(16).writeBytes(new byte[16]));
        ((RequestFrame) ch.readInbound()).bytes().release();
        decoder.authenticated();
        ch.writeInbound(Unpooled.buffer().writeInt(100).writeBytes(new byte[100]));
        ((RequestFrame) ch.readInbound()).bytes().release();
        assertThat(ch.isOpen()).isTrue();

        EmbeddedChannel unauthenticated = new EmbeddedChannel(new KafkaFrameDecoder(1024, 16, roomy()));
        unauthenticated.writeInbound(Unpooled.buffer().writeInt(17));
        assertThat(unauthenticated.isOpen()).isFalse();
    }
}
