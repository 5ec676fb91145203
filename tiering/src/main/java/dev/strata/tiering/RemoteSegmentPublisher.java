package dev.strata.tiering;

import dev.strata.index.RemoteSegment;
import dev.strata.index.SegmentManifest;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Where the {@link RemoteLogManager} makes a remote segment's state changes known beyond this broker before it acts on
 * them: the replicated record of the remote tier that every replica of the partition materializes in its own
 * {@link dev.strata.index.RemoteIndexStore}. A broker runs the manager's copies and retention only for the partitions
 * it leads, and the publisher fences them: a change from a broker that no longer leads the partition in
 * {@code leaderEpoch} is refused, so that an ex-leader can neither register a segment nor delete one the new leader
 * relies on.
 *
 * <p>The manager publishes COPY_FINISHED after the segment's data and manifest are in the backend and before its own
 * index says so; DELETE_STARTED before it deletes any data (also to roll back a failed copy, so that a copy whose
 * publication had an unknown outcome is never deleted under readers); DELETE_FINISHED once the data is gone.
 *
 * <p>A single broker needs no publisher ({@link #LOCAL}): its index is the only record. Methods are called from the
 * manager's copier threads and may block on the network.
 */
public interface RemoteSegmentPublisher {

    /** Publishes nothing: the broker's own index is the whole record of the remote tier. */
    RemoteSegmentPublisher LOCAL = new RemoteSegmentPublisher() {
        @Override
        public void copyFinished(TopicIdPartition tip, int leaderEpoch, SegmentManifest manifest) {}

        @Override
        public void deleteStarted(TopicIdPartition tip, int leaderEpoch, RemoteSegment segment) {}

        @Override
        public void deleteFinished(TopicIdPartition tip, RemoteSegment segment) {}
    };

    /**
     * The segment of {@code manifest} (state COPY_FINISHED) holds readable data now.
     *
     * @throws RemoteStorageException if the change was refused (this broker does not lead the partition in
     *     {@code leaderEpoch}, or the segment would not extend the remote tier) or its outcome is unknown
     */
    void copyFinished(TopicIdPartition tip, int leaderEpoch, SegmentManifest manifest) throws RemoteStorageException;

    /**
     * The segment's data is about to be deleted: nobody may read it any more. A segment never published (a failed
     * copy's) is accepted at any epoch and can then never be published.
     *
     * @throws RemoteStorageException if the change was refused or its outcome is unknown: the data must stay
     */
    void deleteStarted(TopicIdPartition tip, int leaderEpoch, RemoteSegment segment) throws RemoteStorageException;

    /**
     * The segment's data is gone.
     *
     * @throws RemoteStorageException if the change could not be published; the next deletion attempt repeats it
     */
    void deleteFinished(TopicIdPartition tip, RemoteSegment segment) throws RemoteStorageException;
}
