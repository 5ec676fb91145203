package dev.strata.broker.network;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The broker-wide budget of requests read from clients and not yet answered: at most {@code queued.max.requests}
 * requests and about {@code queued.max.request.bytes} bytes of them. A connection reserves a request's size as soon as
 * its frame header announces it, before the bytes are buffered, and gives it back when the response has been written
 * or the connection closes; a connection that cannot reserve stops reading until some other request is answered.
 *
 * <p>As in Kafka's memory pool, a reservation succeeds whenever any byte of the budget is free, even if it then goes
 * over: a request larger than the whole budget is still served when it comes alone, instead of waiting forever.
 * Thread-safe; waiters are told on whichever thread releases, and must hop to their own event loop.
 */
public final class RequestBudget {

    private final int maxRequests;
    private final long maxBytes;
    private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();
    private int requests;
    private long bytes;

    /**
     * @param maxRequests {@code queued.max.requests}
     * @param maxBytes {@code queued.max.request.bytes}, already resolved to a positive number
     */
    public RequestBudget(int maxRequests, long maxBytes) {
        if (maxRequests < 1 || maxBytes < 1) {
            throw new IllegalArgumentException(
                    "budget must be positive: " + maxRequests + " requests, " + maxBytes + " bytes");
        }
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    /** Reserves one request of {@code size} bytes if the budget has room; false otherwise. */
    public synchronized boolean tryReserve(int size) {
        if (requests >= maxRequests || bytes >= maxBytes) {
            return false;
        }
        requests++;
        bytes += size;
        return true;
    }

    /** Gives back one request's reservation, and tells every waiter to try again. */
    public void release(int size) {
        synchronized (this) {
            requests--;
            bytes -= size;
        }
        Runnable waiter;
        while ((waiter = waiters.poll()) != null) {
            waiter.run();
        }
    }

    /**
     * Runs {@code retry} once after the next release (or at once if there is room already, so a release between a
     * failed reservation and this call is not missed).
     */
    public void onRelease(Runnable retry) {
        waiters.add(retry);
        boolean room;
        synchronized (this) {
            room = requests < maxRequests && bytes < maxBytes;
        }
        if (room && waiters.remove(retry)) {
            retry.run();
        }
    }

    public synchronized int requests() {
        return requests;
    }

    public synchronized long bytes() {
        return bytes;
    }
}
