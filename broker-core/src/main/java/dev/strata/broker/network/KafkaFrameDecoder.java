package dev.strata.broker.network;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream of one connection into Kafka request frames: a 4-byte big-endian size followed by that many
 * bytes. The size is checked against {@code socket.request.max.bytes} before anything is allocated, so a client cannot
 * make the broker reserve memory by announcing a huge frame; such a connection is closed with a log line. On a SASL
 * listener the limit is {@code sasl.server.max.receive.size} until the client has authenticated ({@link
 * #authenticated}), as in Kafka: a client that has not said who it is cannot make the broker buffer large frames.
 *
 * <p>Before it buffers a frame's bytes the decoder reserves the frame's size from the broker's {@link RequestBudget};
 * while the budget is used up the connection stops reading (its bytes wait in the client's socket) and tries again
 * when another request is answered. The reservation travels with the frame ({@link RequestFrame}) to the connection
 * handler, which gives it back. A connection that has sent part of a frame and then nothing for the partial-request
 * timeout (a {@code READER_IDLE} event from the pipeline's idle handler) is closed: it would hold its buffer forever.
 */
public final class KafkaFrameDecoder extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(KafkaFrameDecoder.class);

    private final int maxFrameBytes;
    private final RequestBudget budget;
    /** The limit now: lower than {@link #maxFrameBytes} until a SASL client has authenticated. */
    private int limit;
    /** Bytes of the budget reserved for the frame being read; 0 when none is. */
    private int reserved;

    public KafkaFrameDecoder(int maxFrameBytes, RequestBudget budget) {
        this(maxFrameBytes, maxFrameBytes, budget);
    }

    /** @param unauthenticatedMaxFrameBytes the limit until {@link #authenticated} */
    public KafkaFrameDecoder(int maxFrameBytes, int unauthenticatedMaxFrameBytes, RequestBudget budget) {
        this.maxFrameBytes = maxFrameBytes;
        this.limit = Math.min(maxFrameBytes, unauthenticatedMaxFrameBytes);
        this.budget = budget;
    }

    /** The client has authenticated: frames up to {@code socket.request.max.bytes} from now on. */
    void authenticated() {
        limit = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        int size = in.getInt(in.readerIndex());
        if (size < 0 || size > limit) {
            log.warn(
                    "Closing connection from {}: request size {} is outside [0, {}] ({})",
                    ctx.channel().remoteAddress(),
                    size,
                    limit,
                    limit == maxFrameBytes
                            ? "socket.request.max.bytes"
                            : "sasl.server.max.receive.size, before authentication");
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        if (reserved == 0 && !reserve(ctx, size)) {
            return;
        }
        if (in.readableBytes() < 4 + size) {
            return;
        }
        in.skipBytes(4);
        out.add(new RequestFrame(in.readRetainedSlice(size), reserved));
        reserved = 0;
    }

    /** Reserves a frame's size; if the budget has no room, stops reading until a release lets it try again. */
    private boolean reserve(ChannelHandlerContext ctx, int size) {
        // an empty frame still counts as a request
        int amount = Math.max(1, size);
        if (budget.tryReserve(amount)) {
            reserved = amount;
            ReadGate.of(ctx.channel()).resume(ReadGate.Reason.REQUEST_BUDGET);
            return true;
        }
        ReadGate gate = ReadGate.of(ctx.channel());
        if (!gate.isPaused(ReadGate.Reason.REQUEST_BUDGET)) {
            gate.pause(ReadGate.Reason.REQUEST_BUDGET);
            budget.onRelease(() -> ctx.executor().execute(() -> retry(ctx)));
        }
        return false;
    }

    /** Decodes what is buffered again, now that the budget may have room. */
    private void retry(ChannelHandlerContext ctx) {
        ReadGate gate = ReadGate.of(ctx.channel());
        if (!ctx.channel().isActive() || !gate.isPaused(ReadGate.Reason.REQUEST_BUDGET)) {
            return;
        }
        gate.resume(ReadGate.Reason.REQUEST_BUDGET);
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idle
                && idle.state() == IdleState.READER_IDLE
                && actualReadableBytes() > 0
                && !ReadGate.of(ctx.channel()).isPaused(ReadGate.Reason.REQUEST_BUDGET)) {
            log.info(
                    "Closing connection from {}: {} bytes of a request and then nothing for the partial-request"
                            + " timeout",
                    ctx.channel().remoteAddress(),
                    actualReadableBytes());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (reserved > 0) {
            budget.release(reserved);
            reserved = 0;
        }
    }
}
