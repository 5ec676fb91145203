package dev.strata.tiering;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * Wraps a real backend; while failing, a copy writes the files through the real backend and then throws, as an upload
 * that dies before it is acknowledged would, so the test sees whether the debris is cleaned up. Deletions can fail
 * too, as against a store that is down. Records every fetch, so that tests can count what a read costs.
 */
final class FailingStorageManager implements RemoteStorageManager {

    private final RemoteStorageManager delegate;
    private final AtomicInteger copyAttempts = new AtomicInteger();
    private final AtomicInteger deleteAttempts = new AtomicInteger();
    private volatile boolean failCopies;
    private volatile boolean failDeletes;
    private volatile Runnable duringCopy = () -> {};
    private final List<String> fetches = new CopyOnWriteArrayList<>();

    FailingStorageManager(RemoteStorageManager delegate) {
        this.delegate = delegate;
    }

    void failCopies(boolean fail) {
        failCopies = fail;
    }

    /** While failing, every deletion throws before it deletes anything, as against a store that is down. */
    void failDeletes(boolean fail) {
        failDeletes = fail;
    }

    int deleteAttempts() {
        return deleteAttempts.get();
    }

    /** Runs {@code action} inside every copy, after the files are written. */
    void duringCopy(Runnable action) {
        duringCopy = action;
    }

    int copyAttempts() {
        return copyAttempts.get();
    }

    /** Every fetch so far, in order: {@code "log <start>-<end>"} (end -1: to the end), or {@code "index <type>"}. */
    List<String> fetches() {
        return List.copyOf(fetches);
    }

    @Override
    public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data)
            throws RemoteStorageException {
        copyAttempts.incrementAndGet();
        Optional<CustomMetadata> result = delegate.copyLogSegmentData(segment, data);
        duringCopy.run();
        if (failCopies) {
            throw new RemoteStorageException("injected copy failure");
        }
        return result;
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition)
            throws RemoteStorageException {
        fetches.add("log " + startPosition + "--1");
        return delegate.fetchLogSegment(segment, startPosition);
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition)
            throws RemoteStorageException {
        fetches.add("log " + startPosition + "-" + endPosition);
        return delegate.fetchLogSegment(segment, startPosition, endPosition);
    }

    @Override
    public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) throws RemoteStorageException {
        fetches.add("index " + indexType);
        return delegate.fetchIndex(segment, indexType);
    }

    @Override
    public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        deleteAttempts.incrementAndGet();
        if (failDeletes) {
            throw new RemoteStorageException("injected delete failure");
        }
        delegate.deleteLogSegmentData(segment);
    }

    @Override
    public void configure(Map<String, ?> configs) {
        delegate.configure(configs);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
