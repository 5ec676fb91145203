package dev.strata.storage.api;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads the manifests of a listing several at a time, for {@link SegmentManifestStorage#listManifests()}: a rebuild
 * of 100,000 segments from a store that answers a GET in 20 ms would take over half an hour one read at a time.
 *
 * <p>The listing (of names: paths, object keys) is consumed lazily: a name is taken from it only when a read can
 * start, so at most {@code readsInFlight} manifests are being read or wait to be taken at any time, whatever the size
 * of the bucket. Manifests come out in the order of the listing. A failed read is thrown when the stream reaches it,
 * as it was thrown by the reader (an {@link UncheckedIOException}); closing the stream cancels the reads in flight,
 * stops the reading threads and closes the listing.
 */
public final class ManifestReadAhead {

    /** Reads in flight by default: enough to hide a store's latency, few enough to bound memory and connections. */
    public static final int READS_IN_FLIGHT = 16;

    /** How long an idle reading thread lives on, should a stream never be closed. */
    private static final long IDLE_THREAD_SECONDS = 10;

    private ManifestReadAhead() {}

    /**
     * The manifests under {@code names}, read by {@code reader} with {@link #READS_IN_FLIGHT} reads in flight.
     *
     * @param reader reads the manifest of one name: empty when it was deleted since it was listed (it is left out),
     *     a failure as an {@link UncheckedIOException}
     */
    public static <N> Stream<byte[]> read(Stream<N> names, Function<N, Optional<byte[]>> reader) {
        return read(names, reader, READS_IN_FLIGHT);
    }

    /** {@link #read(Stream, Function)} with {@code readsInFlight} reads in flight. */
    static <N> Stream<byte[]> read(Stream<N> names, Function<N, Optional<byte[]>> reader, int readsInFlight) {
        if (readsInFlight <= 0) {
            throw new IllegalArgumentException("readsInFlight must be positive: " + readsInFlight);
        }
        Reads<N> reads = new Reads<>(names.iterator(), reader, readsInFlight);
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(reads, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(reads::close)
                .onClose(names::close);
    }

    /** The reads of one listing, on threads of their own. Not thread-safe: one consumer takes the manifests. */
    private static final class Reads<N> implements Iterator<byte[]> {
        private final Iterator<N> names;
        private final Function<N, Optional<byte[]>> reader;
        private final int readsInFlight;
        private final ThreadPoolExecutor pool;
        /** The reads in flight or done and not yet taken, in listing order. */
        private final Deque<Future<Optional<byte[]>>> reads = new ArrayDeque<>();

        private byte[] next;

        Reads(Iterator<N> names, Function<N, Optional<byte[]>> reader, int readsInFlight) {
            this.names = names;
            this.reader = reader;
            this.readsInFlight = readsInFlight;
            this.pool = new ThreadPoolExecutor(
                    readsInFlight,
                    readsInFlight,
                    IDLE_THREAD_SECONDS,
                    TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(),
                    threadFactory());
            pool.allowCoreThreadTimeOut(true);
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                while (reads.size() < readsInFlight && names.hasNext()) {
                    N name = names.next();
                    reads.add(pool.submit(() -> reader.apply(name)));
                }
                if (reads.isEmpty()) {
                    return false;
                }
                next = await(reads.poll()).orElse(null);
            }
            return true;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] manifest = next;
            next = null;
            return manifest;
        }

        void close() {
            reads.forEach(read -> read.cancel(true));
            reads.clear();
            pool.shutdownNow();
        }

        private static ThreadFactory threadFactory() {
            AtomicInteger counter = new AtomicInteger();
            return runnable -> {
                Thread thread = new Thread(runnable, "strata-manifest-reader-" + counter.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            };
        }

        private static Optional<byte[]> await(Future<Optional<byte[]>> read) {
            try {
                return read.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UncheckedIOException(new InterruptedIOException("Interrupted while reading manifests"));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw new UncheckedIOException(new IOException("Reading a manifest failed: " + cause, cause));
            }
        }
    }
}
