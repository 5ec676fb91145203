package dev.strata.broker.it;

import dev.strata.tiering.FileSystemRemoteStorageManager;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.server.log.remote.storage.LogSegmentData;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentMetadata.CustomMetadata;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;
import org.apache.kafka.server.log.remote.storage.RemoteStorageManager;

/**
 * The filesystem backend behind a gate that tests close to make reads of segment data hang, as a slow object store
 * would: {@link #closeGate()} and reads wait (up to a minute) until {@link #openGate()}. Copies, deletes
 * and index reads pass. The broker loads it by class name ({@code remote.log.storage.manager.class.name}) with the
 * filesystem backend's settings.
 */
public final class GatedRemoteStorageManager implements RemoteStorageManager {

    private static volatile CountDownLatch gate = new CountDownLatch(0);

    private final FileSystemRemoteStorageManager delegate = new FileSystemRemoteStorageManager();

    /** From now on, reads of segment data wait for {@link #openGate()}. */
    static void closeGate() {
        gate = new CountDownLatch(1);
    }

    /** Lets waiting and later reads through. */
    static void openGate() {
        gate.countDown();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        delegate.configure(configs);
    }

    @Override
    public Optional<CustomMetadata> copyLogSegmentData(RemoteLogSegmentMetadata segment, LogSegmentData data)
            throws RemoteStorageException {
        return delegate.copyLogSegmentData(segment, data);
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition)
            throws RemoteStorageException {
        awaitGate();
        return delegate.fetchLogSegment(segment, startPosition);
    }

    @Override
    public InputStream fetchLogSegment(RemoteLogSegmentMetadata segment, int startPosition, int endPosition)
            throws RemoteStorageException {
        awaitGate();
        return delegate.fetchLogSegment(segment, startPosition, endPosition);
    }

    @Override
    public InputStream fetchIndex(RemoteLogSegmentMetadata segment, IndexType indexType) throws RemoteStorageException {
        return delegate.fetchIndex(segment, indexType);
    }

    @Override
    public void deleteLogSegmentData(RemoteLogSegmentMetadata segment) throws RemoteStorageException {
        delegate.deleteLogSegmentData(segment);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    private static void awaitGate() throws RemoteStorageException {
        try {
            if (!gate.await(1, TimeUnit.MINUTES)) {
                throw new RemoteStorageException("The test left the gate closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteStorageException("Interrupted at the gate", e);
        }
    }
}
