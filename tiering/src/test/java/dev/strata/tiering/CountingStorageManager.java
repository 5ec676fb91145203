package dev.strata.tiering;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteResourceNotFoundException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * An in-memory backend that records every ranged read, can hold reads at a gate, and can fail the next read: the
 * fixture for {@link ChunkCache} tests.
 */
final class CountingStorageManager implements RemoteStorageManager {

    private final Map<RemoteLogSegmentId, byte[]> logs = new ConcurrentHashMap<>();
    private final List<Integer> fetchedStarts = new CopyOnWriteArrayList<>();
    private final AtomicReference<RemoteStorageException> failNext = new AtomicReference<>();
    private final AtomicReference<IOException> failNextStream = new AtomicReference<>();
    private final Semaphore fetchesStarted = new Semaphore(0);
    private volatile CountDownLatch gate;

    void add(RemoteLogSegmentMetadata segment, byte[] log) {
        logs.put(segment.remoteLogSegmentId(), log);
    }

    /** Start positions of every ranged read so far, in order. */
    List<Integer> fetchedStarts() {
        return List.copyOf(fetchedStarts);
    }

    int fetches() {
        return fetchedStarts.size();
    }

    void failNextFetch(RemoteStorageException error) {
        failNext.set(error);
    }

    /** Makes the next read return a stream that fails with {@code error} once it has given all its bytes. */
    void failNextStream(IOException error) {
        failNextStream.set(error);
    }

    /** Makes reads wait until {@link #openGate()}. */
    void closeGate() {
        gate = new CountDownLatch(1);
    }

    void openGate() {
        CountDownLatch current = gate;
        gate = null;
        if (current != null) {
            current.countDown();
        }
    }

    /** Waits until {@code count} more reads have started (counting from the previous wait). */
    boolean awaitFetchesStarted(int count) throws InterruptedException {
        return fetchesStarted.tryAcquire(count, 10, TimeUnit.SECONDS);
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition)
            throws RemoteStorageException {
        fetchedStarts.add(startPosition);
        fetchesStarted.release();
        CountDownLatch current = gate;
        if (current != null) {
            try {
                if (!current.await(30, TimeUnit.SECONDS)) {
                    throw new RemoteStorageException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RemoteStorageException("interrupted", e);
            }
        }
        RemoteStorageException error = failNext.getAndSet(null);
        if (error != null) {
            throw error;
        }
        byte[] log = logs.get(segment.remoteLogSegmentId());
        if (log == null) {
            throw new RemoteResourceNotFoundException("no " + segment.remoteLogSegmentId());
        }
        int end = Math.min(endPosition + 1, log.length);
        InputStream bytes = new ByteArrayInputStream(log, startPosition, end - startPosition);
        IOException streamError = failNextStream.getAndSet(null);
        return streamError == null ? bytes : new FailingAtEnd(bytes, streamError);
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition)
            throws RemoteStorageException {
        return fetchLogSegment(segment, startPosition, segment.segmentSizeInBytes() - 1);
    }

    @Override
    public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) {
        logs.remove(segment.remoteLogSegmentId());
    }

    @Override
    public void configure(Map<String, ?> configs) {}

    @Override
    public void close() {}

    /** Fails the read that takes its last byte, as a backend that checks a digest there does. */
    private static final class FailingAtEnd extends FilterInputStream {
        private final IOException error;

        FailingAtEnd(InputStream in, IOException error) {
            super(in);
            this.error = error;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n < 0 || in.available() == 0) {
                throw error;
            }
            return n;
        }
    }
}
