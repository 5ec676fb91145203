package dev.strata.broker.tiering;

import dev.strata.broker.cluster.RemoteLogChannel;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.index.RemoteSegment;
import dev.strata.index.SegmentManifest;
import dev.strata.tiering.RemoteSegmentPublisher;
import java.util.UUID;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.log.remote.storage.RemoteStorageException;

/**
 * Publishes the remote log manager's segment state changes as records of the metadata quorum ({@link RemoteLogChannel}),
 * as this broker's decisions as leader: the quorum refuses them from a broker that no longer leads the partition in
 * that epoch, and every broker applies the committed ones to its own index ({@link RemoteSegmentApplier}).
 *
 * <p>Why the metadata quorum and not a topic of its own (Kafka's {@code __remote_log_metadata}): the quorum already
 * decides who leads in which epoch, so it can fence a stale leader's record in the same step that orders it, and its
 * snapshots give a restarted or new broker the whole record without replaying history. A record is small (a segment's
 * manifest: its metadata and sparse index entries, a few KiB for the usual segment sizes), and there is one per
 * segment copied or deleted, far fewer than the quorum's other writes for any realistic segment size. The manifest
 * travels inside one Raft entry, which Ratis's appender buffer (4 MiB by default) bounds: a 1 GiB segment with Kafka's
 * default 4 KiB index interval has a manifest of about 2 MiB; much larger segments would need a larger buffer.
 */
public final class ReplicatedRemoteSegments implements RemoteSegmentPublisher {

    private final RemoteLogChannel channel;
    private final int brokerId;

    public ReplicatedRemoteSegments(RemoteLogChannel channel, int brokerId) {
        this.channel = channel;
        this.brokerId = brokerId;
    }

    @Override
    public void copyFinished(TopicIdPartition tip, int leaderEpoch, SegmentManifest manifest)
            throws RemoteStorageException {
        RemoteSegment segment = manifest.segment();
        RemoteSegmentRecord record = new RemoteSegmentRecord(
                uuid(segment.id().segmentId()), segment.startOffset(), segment.endOffset(), false, manifest.toBytes());
        run(
                () -> channel.copySegmentFinished(tip.topicId(), tip.partition(), brokerId, leaderEpoch, record),
                "record the copy of " + segment.id());
    }

    @Override
    public void deleteStarted(TopicIdPartition tip, int leaderEpoch, RemoteSegment segment)
            throws RemoteStorageException {
        run(
                () -> channel.deleteSegmentStarted(
                        tip.topicId(),
                        tip.partition(),
                        brokerId,
                        leaderEpoch,
                        uuid(segment.id().segmentId())),
                "record the deletion of " + segment.id());
    }

    @Override
    public void deleteFinished(TopicIdPartition tip, RemoteSegment segment) throws RemoteStorageException {
        run(
                () -> channel.deleteSegmentFinished(
                        tip.topicId(), tip.partition(), uuid(segment.id().segmentId())),
                "record the finished deletion of " + segment.id());
    }

    private static void run(Runnable write, String what) throws RemoteStorageException {
        try {
            write.run();
        } catch (RuntimeException e) {
            throw new RemoteStorageException("Could not " + what + " in the metadata quorum: " + e.getMessage(), e);
        }
    }

    static Uuid uuid(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    static UUID uuid(Uuid id) {
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
