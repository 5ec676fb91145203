package dev.strata.broker.tiering;

import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentId;
import dev.strata.index.RemoteSegmentState;
import dev.strata.index.SegmentManifest;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes this broker's {@link RemoteIndexStore} the local materialization of the remote-segment records of the
 * metadata quorum, on every broker, leader or follower: a recorded segment is stored from its manifest with its index
 * entries, a segment whose deletion started stops being readable, and one whose deletion finished is forgotten. The
 * partition's local log hears how far the remote tier reaches, so a follower deletes local segments below the highest
 * remote offset once they are past local retention, as its leader does, and raises its log start offset when remote
 * retention deleted the oldest segments; and a broker that becomes leader serves remote reads at once.
 *
 * <p>Runs on the metadata layer's listener thread, in log order. The quorum's image is applied rather than each event
 * as it was: by the time an event is told the image may have moved on (a segment recorded and already deleted), and
 * storing a segment that is gone would offer readers deleted data. Every step is idempotent, because the leader's
 * remote log manager makes the same changes to its own index as it publishes them, and a restart tells the whole image
 * again. Nothing here deletes remote data or local segments itself: the leader's retention decided, and the log's own
 * local retention acts.
 */
public final class RemoteSegmentApplier implements ClusterChangeListener {
    private static final Logger log = LoggerFactory.getLogger(RemoteSegmentApplier.class);

    /** The image's current record of a segment, empty once its deletion finished. */
    @FunctionalInterface
    public interface RecordedSegments {
        Optional<RemoteSegmentRecord> segment(Uuid topicId, int partition, Uuid segmentId);
    }

    private final RemoteIndexStore index;
    private final ReplicaManager replicas;
    private final RecordedSegments recorded;

    public RemoteSegmentApplier(RemoteIndexStore index, ReplicaManager replicas, RecordedSegments recorded) {
        this.index = index;
        this.replicas = replicas;
        this.recorded = recorded;
    }

    @Override
    public void onRemoteSegmentChanged(
            Uuid topicId, TopicPartition tp, Uuid segmentId, Optional<RemoteSegmentRecord> told) {
        Optional<RemoteSegmentRecord> current = recorded.segment(topicId, tp.partition(), segmentId);
        RemoteSegmentId id = new RemoteSegmentId(
                new PartitionKey(ReplicatedRemoteSegments.uuid(topicId), tp.partition()),
                ReplicatedRemoteSegments.uuid(segmentId));
        Optional<Partition> partition =
                replicas.partition(tp).filter(p -> p.topicId().equals(topicId));
        if (current.isPresent() && !current.get().deleting()) {
            SegmentManifest manifest = SegmentManifest.fromBytes(current.get().manifest());
            index.applyManifest(manifest);
            partition.ifPresent(p -> p.log().onHighestRemoteOffset(current.get().endOffset()));
            return;
        }
        Optional<RemoteSegment> stored = index.segment(id);
        if (stored.isEmpty()) {
            return;
        }
        try {
            RemoteSegmentState state = stored.get().state();
            long now = System.currentTimeMillis();
            if (state == RemoteSegmentState.COPY_STARTED || state == RemoteSegmentState.COPY_FINISHED) {
                state = index.updateState(id, RemoteSegmentState.DELETE_STARTED, now)
                        .state();
            }
            if (current.isEmpty()) {
                if (state == RemoteSegmentState.DELETE_STARTED) {
                    index.updateState(id, RemoteSegmentState.DELETE_FINISHED, now);
                }
                index.removeSegment(id);
            }
        } catch (NoSuchElementException e) {
            // the leader's own remote log manager removed it meanwhile
            return;
        }
        // remote retention deletes the oldest segments first: the remote tier now starts at the first readable one
        long remoteLogStart = index.segments(id.partition()).stream()
                .filter(s -> s.state().isReadable())
                .mapToLong(RemoteSegment::startOffset)
                .findFirst()
                .orElse(-1L);
        if (remoteLogStart > 0) {
            partition.ifPresent(p -> p.log().onRemoteLogStartOffset(remoteLogStart));
        }
        log.debug("Applied the deletion of remote segment {} of {}", segmentId, tp);
    }
}
