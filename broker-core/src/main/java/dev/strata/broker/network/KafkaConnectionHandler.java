package dev.strata.broker.network;

import dev.strata.broker.security.ListenerSecurity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: decodes each frame into a request, hands the requests to the {@link RequestDispatcher} one at
 * a time (the next starts when the previous one's response is ready, as Kafka's socket server mutes a connection
 * while it handles a request), and writes the responses back in request order. Decoding runs ahead, so a client that
 * pipelines requests keeps the connection busy. A request that cannot be decoded closes this connection only.
 *
 * <p>All state here is touched on the channel's event loop; handler completions hop back onto it. A
 * {@link RequestObserver} hears of each request and response, for metrics.
 */
public final class KafkaConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KafkaConnectionHandler.class);

    /** Requests in flight on one connection before the broker stops reading from it. */
    static final int MAX_IN_FLIGHT = 64;

    private final RequestDispatcher dispatcher;
    private final RequestObserver observer;
    private final RequestBudget budget;
    private final ConnectionAuthenticator auth;
    private final ListenerSecurity security;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    private String connectionId;
    /** The latest request handed to the dispatcher; the next one starts when it is done. */
    private CompletableFuture<?> previous = CompletableFuture.completedFuture(null);
    /** Whether this connection has logged ignored trailing bytes already. */
    private boolean loggedTrailingBytes;
    /** Whether the frame decoder was told that the client authenticated. */
    private boolean frameLimitLifted;
    /** Whether authentication failed: the connection reads nothing more and closes once its delay has passed. */
    private boolean authenticationFailed;

    /** A connection to a PLAINTEXT listener named PLAINTEXT. */
    public KafkaConnectionHandler(RequestDispatcher dispatcher, RequestObserver observer, RequestBudget budget) {
        this(dispatcher, observer, budget, ListenerSecurity.plaintext("PLAINTEXT"));
    }

    /** A connection to the listener {@code security} describes; its TLS handler, if any, is before this one. */
    public KafkaConnectionHandler(
            RequestDispatcher dispatcher, RequestObserver observer, RequestBudget budget, ListenerSecurity security) {
        this.dispatcher = dispatcher;
        this.observer = observer;
        this.budget = budget;
        this.security = security;
        this.auth = new ConnectionAuthenticator(security);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        connectionId = ctx.channel().localAddress() + "-" + ctx.channel().remoteAddress();
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long receivedNanos = System.nanoTime();
        ByteBuffer frame;
        RequestFrame received = (RequestFrame) msg;
        ByteBuf buf = received.bytes();
        try {
            // A heap copy: parsed requests (produce records above all) keep referring to these bytes after the
            // pooled network buffer has been recycled.
            frame = ByteBuffer.allocate(buf.readableBytes());
            buf.readBytes(frame);
            frame.flip();
        } finally {
            buf.release();
        }
        if (authenticationFailed) {
            // frames decoded before reading stopped: the connection is closing
            budget.release(received.reserved());
            return;
        }
        if (auth.expectsRawToken()) {
            budget.release(received.reserved());
            rawSaslToken(ctx, frame);
            return;
        }
        Pending pending;
        try {
            pending = decodeAndDispatch(ctx, frame, receivedNanos, received.reserved());
        } catch (RuntimeException e) {
            budget.release(received.reserved());
            log.warn(
                    "Closing connection from {}: undecodable request: {}",
                    ctx.channel().remoteAddress(),
                    e.toString());
            ctx.close();
            return;
        }
        if (pending == null) {
            budget.release(received.reserved());
            return;
        }
        inFlight.addLast(pending);
        if (inFlight.size() >= MAX_IN_FLIGHT) {
            ReadGate.of(ctx.channel()).pause(ReadGate.Reason.IN_FLIGHT);
        }
        pending.response.whenComplete((r, e) -> ctx.executor().execute(() -> writeReady(ctx)));
    }

    private Pending decodeAndDispatch(ChannelHandlerContext ctx, ByteBuffer frame, long receivedNanos, int reserved) {
        int frameSize = Integer.BYTES + frame.remaining();
        RequestHeader header = RequestHeader.parse(frame);
        ApiKeys apiKey = header.apiKey();
        short version = header.apiVersion();
        observer.requestReceived(apiKey, frameSize);
        if (!dispatcher.supports(apiKey, version)) {
            if (apiKey == ApiKeys.API_VERSIONS) {
                // KIP-511: answer in v0 with UNSUPPORTED_VERSION and our ranges, so a newer client can retry lower.
                return new Pending(
                        header,
                        (short) 0,
                        (short) 0,
                        CompletableFuture.completedFuture(dispatcher.unsupportedApiVersionsResponse()),
                        null,
                        receivedNanos,
                        reserved,
                        null);
            }
            log.warn(
                    "Closing connection from {}: {} version {} is not supported",
                    ctx.channel().remoteAddress(),
                    apiKey,
                    version);
            ctx.close();
            return null;
        }
        AbstractRequest request = AbstractRequest.parseRequest(apiKey, version, new ByteBufferAccessor(frame)).request;
        if (frame.hasRemaining()) {
            ignoreTrailingBytes(ctx, apiKey, version, frame.remaining());
        }
        ConnectionAuthenticator.Admission admission = auth.admit(request);
        liftFrameLimitOnceAuthenticated(ctx);
        if (admission instanceof ConnectionAuthenticator.Admission.Close close) {
            log.info("Closing connection from {}: {}", ctx.channel().remoteAddress(), close.reason());
            if (close.authenticationFailed()) {
                closeAfterFailedAuthentication(ctx, null);
            } else {
                ctx.close();
            }
            return null;
        }
        if (admission instanceof ConnectionAuthenticator.Admission.Answer answer) {
            if (answer.closeReason() != null) {
                stopReading(ctx);
            }
            return new Pending(
                    header,
                    version,
                    apiKey.responseHeaderVersion(version),
                    CompletableFuture.completedFuture(answer.body()),
                    request,
                    receivedNanos,
                    reserved,
                    answer.closeReason());
        }
        RequestContext context = new RequestContext(
                header, ctx.channel().remoteAddress(), connectionId, auth.listenerName(), auth.principal());
        // One request at a time per connection, as Kafka's socket server does: a producer pipelining batches to a
        // partition relies on them being appended in the order it sent them.
        CompletableFuture<ApiMessage> response = previous.handle((r, e) -> null).thenCompose(ignored -> {
            try {
                return dispatcher.dispatch(context, request);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
        previous = response;
        return new Pending(
                header,
                version,
                apiKey.responseHeaderVersion(version),
                response,
                request,
                receivedNanos,
                reserved,
                null);
    }

    /**
     * A raw SASL token after a SaslHandshake v0: accepted, it is answered with the server's token (empty for PLAIN)
     * in a size-prefixed frame, as Kafka's SASL server does; otherwise the connection is closed.
     */
    private void rawSaslToken(ChannelHandlerContext ctx, ByteBuffer frame) {
        if (!inFlight.isEmpty()) {
            log.info("Closing connection from {}: a SASL token while requests are in flight", remote(ctx));
            ctx.close();
            return;
        }
        try {
            byte[] answer = auth.rawToken(frame);
            liftFrameLimitOnceAuthenticated(ctx);
            ctx.writeAndFlush(
                    Unpooled.buffer(4 + answer.length).writeInt(answer.length).writeBytes(answer));
        } catch (SaslAuthenticationException e) {
            log.info("Closing connection from {}: {}", remote(ctx), ConnectionAuthenticator.reason(e));
            closeAfterFailedAuthentication(ctx, null);
        }
    }

    /** After a failed authentication the connection reads nothing more: it only answers that and closes. */
    private void stopReading(ChannelHandlerContext ctx) {
        authenticationFailed = true;
        ReadGate.of(ctx.channel()).pause(ReadGate.Reason.AUTHENTICATION_FAILED);
    }

    /**
     * Writes a failed authentication's answer ({@code send}, if any) and closes the connection, both
     * {@code connection.failed.authentication.delay.ms} from now, as Kafka's selector delays them to slow down a
     * client guessing passwords: scheduled on the connection's event loop, which serves other connections meanwhile.
     */
    private void closeAfterFailedAuthentication(ChannelHandlerContext ctx, Send send) {
        stopReading(ctx);
        releaseAll();
        Runnable answerAndClose = () -> {
            if (send != null && ctx.channel().isActive()) {
                write(ctx, send);
            }
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        };
        int delayMs = security.failedAuthenticationDelayMs();
        if (delayMs == 0) {
            answerAndClose.run();
        } else {
            ctx.executor().schedule(answerAndClose, delayMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Lets the frame decoder take frames up to {@code socket.request.max.bytes} once the client has authenticated. */
    private void liftFrameLimitOnceAuthenticated(ChannelHandlerContext ctx) {
        if (!frameLimitLifted && auth.authenticated()) {
            frameLimitLifted = true;
            KafkaFrameDecoder frames = ctx.pipeline().get(KafkaFrameDecoder.class);
            if (frames != null) {
                frames.authenticated();
            }
        }
    }

    private static Object remote(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress();
    }

    /**
     * Bytes after a request body that decoded in full are ignored, as Apache Kafka ignores them: librdkafka 2.x sends
     * three stray bytes after its Metadata v13 request, and closing the connection would fail those clients' metadata
     * refreshes. A frame whose body does not decode is still refused.
     */
    private void ignoreTrailingBytes(ChannelHandlerContext ctx, ApiKeys apiKey, short version, int bytes) {
        observer.trailingBytesIgnored(apiKey, bytes);
        if (!loggedTrailingBytes) {
            loggedTrailingBytes = true;
            log.debug(
                    "Ignoring {} bytes after the {} v{} request body from {} (logged once per connection)",
                    bytes,
                    apiKey,
                    version,
                    ctx.channel().remoteAddress());
        }
    }

    private void writeReady(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (!inFlight.isEmpty() && inFlight.peekFirst().response.isDone()) {
            Pending p = inFlight.pollFirst();
            budget.release(p.reserved);
            if (p.closesConnection()) {
                log.info(
                        "Closing connection from {}: {}",
                        ctx.channel().remoteAddress(),
                        p.response
                                .handle((r, e) -> e.getCause() != null ? e.getCause() : e)
                                .join()
                                .getMessage());
                releaseAll();
                // Close once the responses before this one have reached the socket, not before.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ApiMessage body = p.body();
            if (p.closeReason != null) {
                // an authentication failure: its answer, then the end of the connection
                log.info("Closing connection from {}: {}", remote(ctx), p.closeReason);
                closeAfterFailedAuthentication(ctx, encode(p, body));
                return;
            }
            long sentBytes = 0;
            if (body != null && !p.answersNothing() && ctx.channel().isActive()) {
                Send send = encode(p, body);
                if (send == null) {
                    releaseAll();
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                sentBytes = send.size();
                if (!write(ctx, send)) {
                    releaseAll();
                    ctx.close();
                    return;
                }
                wrote = true;
            }
            observer.responseSent(p.header.apiKey(), sentBytes, System.nanoTime() - p.receivedNanos);
            int throttleMs = body == null ? 0 : ThrottleTimes.of(body);
            if (throttleMs > 0) {
                ReadGate.of(ctx.channel()).throttle(throttleMs);
            }
        }
        if (wrote) {
            ctx.flush();
        }
        if (inFlight.size() < MAX_IN_FLIGHT) {
            ReadGate.of(ctx.channel()).resume(ReadGate.Reason.IN_FLIGHT);
        }
    }

    /**
     * Writes one response: as a file region (zero-copy for local fetches) on a plain connection, as a buffer on a TLS
     * one. Returns false if a TLS response could not be read from its segments.
     */
    private boolean write(ChannelHandlerContext ctx, Send send) {
        if (!security.usesTls()) {
            ctx.write(new SendRegion(send));
            return true;
        }
        try {
            ctx.write(SendRegion.copy(send, ctx.alloc()));
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot read a response for {} from its segments: {}", remote(ctx), e.toString());
            return false;
        }
    }

    /** Gives back the budget of every request still in flight: the connection is closing. */
    private void releaseAll() {
        Pending p;
        while ((p = inFlight.pollFirst()) != null) {
            budget.release(p.reserved);
        }
    }

    /**
     * A client that does not read its responses fills the socket's send buffer and then Netty's outbound queue: stop
     * reading its requests until it catches up, so its responses cannot pile up in the broker's memory.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ReadGate gate = ReadGate.of(ctx.channel());
        if (ctx.channel().isWritable()) {
            gate.resume(ReadGate.Reason.UNWRITABLE);
        } else {
            gate.pause(ReadGate.Reason.UNWRITABLE);
        }
        super.channelWritabilityChanged(ctx);
    }

    /** {@code connections.max.idle.ms}: no byte in or out and no request in flight for that long closes the connection. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            tlsHandshakeDone(ctx, done);
            return;
        }
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.ALL_IDLE && inFlight.isEmpty()) {
            log.debug(
                    "Closing idle connection from {} (connections.max.idle.ms)",
                    ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * The TLS handshake's end: the client certificate's subject becomes the connection's principal; a failed handshake
     * (no certificate where one is required, an untrusted one, a client that does not speak TLS) closes the connection
     * with one line, never a stack trace.
     */
    private void tlsHandshakeDone(ChannelHandlerContext ctx, SslHandshakeCompletionEvent done) {
        if (!done.isSuccess()) {
            log.info(
                    "Closing connection from {} on listener {}: TLS handshake failed: {}",
                    remote(ctx),
                    security.listenerName(),
                    rootMessage(done.cause()));
            ctx.close();
            return;
        }
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        try {
            auth.tlsAuthenticated(security.tlsPrincipal(tls.engine().getSession()));
        } catch (RuntimeException e) {
            log.info("Closing connection from {}: {}", remote(ctx), e.getMessage());
            ctx.close();
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseAll();
        super.channelInactive(ctx);
    }

    /**
     * Encodes a response; if a handler built one this version cannot carry, answers with the request's error response
     * (UNKNOWN_SERVER_ERROR) instead, and if even that fails returns null so the connection is closed rather than
     * left waiting for a response that never comes.
     */
    private static Send encode(Pending p, ApiMessage body) {
        ResponseHeader header = new ResponseHeader(p.header.correlationId(), p.responseHeaderVersion);
        try {
            return SendBuilder.buildResponseSend(header, body, p.version);
        } catch (RuntimeException e) {
            log.error(
                    "Cannot encode the {} v{} response (correlation id {})",
                    p.header.apiKey(),
                    p.version,
                    p.header.correlationId(),
                    e);
            if (p.request == null) {
                return null;
            }
            try {
                ApiMessage error = p.request
                        .getErrorResponse(0, new org.apache.kafka.common.errors.UnknownServerException(e.getMessage()))
                        .data();
                return SendBuilder.buildResponseSend(header, error, p.version);
            } catch (RuntimeException again) {
                return null;
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("Connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
            // bytes that are not TLS on a TLS listener, or a broken TLS record: the handshake event says it once
            log.debug("TLS failure on the connection from {}: {}", remote(ctx), rootMessage(cause));
        } else {
            log.warn("Closing connection from {} after an error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /** A request whose response has not been written yet. */
    private record Pending(
            RequestHeader header,
            short version,
            short responseHeaderVersion,
            CompletableFuture<ApiMessage> response,
            AbstractRequest request,
            long receivedNanos,
            int reserved,
            String closeReason) {

        /**
         * A produce with acks=0 gets no response; its body, if any, only carries the time a quota holds the connection
         * (the one way such a producer is throttled, as in Kafka).
         */
        boolean answersNothing() {
            return request instanceof ProduceRequest produce && produce.acks() == 0;
        }

        boolean closesConnection() {
            return response.isCompletedExceptionally()
                    && response.handle((r, e) -> e instanceof CloseConnectionException
                                    || e.getCause() instanceof CloseConnectionException)
                            .join();
        }

        /** The body to send: the handler's, or the request's error response if the handler failed. */
        ApiMessage body() {
            try {
                return response.join();
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (!(cause instanceof ApiException)) {
                    log.error(
                            "Unexpected error handling {} (correlation id {})",
                            header.apiKey(),
                            header.correlationId(),
                            cause);
                }
                return request.getErrorResponse(0, cause).data();
            }
        }
    }
}
