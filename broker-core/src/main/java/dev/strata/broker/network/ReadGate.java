package dev.strata.broker.network;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Why a connection stopped reading from its socket, in one place: the connection reads again only once every reason
 * is gone. Several parts of the pipeline pause a connection for reasons of their own (too many requests in flight on
 * it, a client that does not read its responses, no request memory left in the broker), and one of them resuming must
 * not undo another's pause. Called on the channel's event loop only.
 */
final class ReadGate {

    /** A reason to stop reading. */
    enum Reason {
        /** The connection has as many decoded requests waiting as it may. */
        IN_FLIGHT,
        /** The client does not read its responses: the socket's send buffer and Netty's queue are full. */
        UNWRITABLE,
        /** The broker-wide request memory ({@code queued.max.request.bytes}, {@code queued.max.requests}) is used up. */
        REQUEST_BUDGET,
        /** The client is over a quota: its last response told it how long to wait, and the broker waits as long. */
        THROTTLED,
        /** The client failed to authenticate: the connection answers that and closes, reading nothing more. */
        AUTHENTICATION_FAILED
    }

    private static final AttributeKey<ReadGate> KEY = AttributeKey.valueOf(ReadGate.class.getName());

    private final Channel channel;
    private final Set<Reason> closedBy = EnumSet.noneOf(Reason.class);
    /** When a {@link Reason#THROTTLED} pause ends ({@link System#nanoTime}). */
    private long throttledUntilNanos;

    private ReadGate(Channel channel) {
        this.channel = channel;
    }

    static ReadGate of(Channel channel) {
        ReadGate gate = channel.attr(KEY).get();
        if (gate == null) {
            gate = new ReadGate(channel);
            channel.attr(KEY).set(gate);
        }
        return gate;
    }

    void pause(Reason reason) {
        if (closedBy.add(reason) && closedBy.size() == 1) {
            channel.config().setAutoRead(false);
        }
    }

    void resume(Reason reason) {
        if (closedBy.remove(reason) && closedBy.isEmpty()) {
            channel.config().setAutoRead(true);
        }
    }

    /**
     * Stops reading for {@code ms} at least, as Kafka mutes a throttled client's connection (KIP-219): a later throttle
     * that ends later extends the pause.
     */
    void throttle(long ms) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        if (closedBy.contains(Reason.THROTTLED) && until - throttledUntilNanos <= 0) {
            return;
        }
        throttledUntilNanos = until;
        pause(Reason.THROTTLED);
        channel.eventLoop().schedule(this::endThrottle, ms, TimeUnit.MILLISECONDS);
    }

    private void endThrottle() {
        long left = throttledUntilNanos - System.nanoTime();
        if (left <= 0) {
            resume(Reason.THROTTLED);
        } else {
            channel.eventLoop().schedule(this::endThrottle, left, TimeUnit.NANOSECONDS);
        }
    }

    boolean isPaused(Reason reason) {
        return closedBy.contains(reason);
    }
}
