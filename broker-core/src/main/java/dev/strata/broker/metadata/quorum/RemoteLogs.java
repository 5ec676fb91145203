package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

/**
 * The part of the {@link MetadataImage} that records each tiered partition's remote tier (KIP-405's segment records,
 * replicated): the segments each partition's leaders copied, which of them are being deleted, the highest end offset
 * ever recorded, and the ids of failed copies that may never be recorded. It validates and applies the commands
 * {@link MetadataCommand.CopySegmentFinished}, {@link MetadataCommand.DeleteSegmentStarted} and
 * {@link MetadataCommand.DeleteSegmentFinished}, asking its image whether the partition exists and who leads it.
 *
 * <p>Threads: only the state machine's apply thread changes it (through its image, one command at a time); any thread
 * reads it. Each partition's {@link RemoteLog} is immutable and replaced whole, so a reader sees a change all or
 * nothing.
 */
final class RemoteLogs {

    /** A partition by topic id, the key of its remote log. */
    record PartitionKey(Uuid topicId, int partition) implements Comparable<PartitionKey> {
        @Override
        public int compareTo(PartitionKey o) {
            int byTopic = topicId.compareTo(o.topicId);
            return byTopic != 0 ? byTopic : Integer.compare(partition, o.partition);
        }
    }

    /**
     * The record of one partition's remote tier: its segments by id, the highest end offset ever recorded finished
     * (a copy must extend it, so that a new leader cannot record a second copy of an offset range), and the ids of
     * segments whose deletion started before they were ever recorded (failed copies: never recordable afterwards).
     */
    record RemoteLog(long endOffset, Map<Uuid, RemoteSegmentRecord> segments, Set<Uuid> abandoned) {
        static final RemoteLog EMPTY = new RemoteLog(-1L, Map.of(), Set.of());

        RemoteLog {
            segments = Map.copyOf(segments);
            abandoned = Set.copyOf(abandoned);
        }

        List<RemoteSegmentRecord> byStartOffset() {
            return segments.values().stream()
                    .sorted(Comparator.comparingLong(RemoteSegmentRecord::startOffset)
                            .thenComparing(RemoteSegmentRecord::segmentId))
                    .toList();
        }
    }

    private final MetadataImage image;
    /** Each immutable, replaced whole. */
    private final Map<PartitionKey, RemoteLog> logs = new ConcurrentHashMap<>();

    RemoteLogs(MetadataImage image) {
        this.image = image;
    }

    /** The partition's recorded remote segments, deleting ones included, by start offset. */
    List<RemoteSegmentRecord> segments(Uuid topicId, int partition) {
        return logs.getOrDefault(new PartitionKey(topicId, partition), RemoteLog.EMPTY)
                .byStartOffset();
    }

    /** One recorded remote segment of the partition, empty once its deletion finished (or never recorded). */
    Optional<RemoteSegmentRecord> segment(Uuid topicId, int partition, Uuid segmentId) {
        RemoteLog log = logs.get(new PartitionKey(topicId, partition));
        return log == null
                ? Optional.empty()
                : Optional.ofNullable(log.segments().get(segmentId));
    }

    /** Every partition's remote log, by topic id and partition (a copy). */
    SortedMap<PartitionKey, RemoteLog> sorted() {
        return new TreeMap<>(logs);
    }

    /** Puts a partition's remote log as a snapshot holds it (loading only: no change is recorded). */
    void load(PartitionKey key, RemoteLog log) {
        logs.put(key, log);
    }

    /** Forgets the remote logs of a deleted or replaced topic. */
    void dropTopic(Uuid topicId) {
        logs.keySet().removeIf(k -> k.topicId().equals(topicId));
    }

    /**
     * Records a segment the partition's leader copied: refused (FENCED_LEADER_EPOCH) unless {@code leaderId} leads the
     * partition in {@code leaderEpoch} now, so a copy an ex-leader finishes is never recorded and its copier cleans it
     * up; refused (INVALID_REQUEST) if the segment was abandoned or does not end above every segment recorded so far,
     * so that a new leader continuing the remote tier can neither re-record an offset range nor leave a hole behind
     * the old one's. Recording the same segment twice changes nothing.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long copySegmentFinished(Uuid topicId, int partition, int leaderId, int leaderEpoch, RemoteSegmentRecord segment) {
        PartitionState s = image.stateOf(topicId, partition);
        PartitionKey key = new PartitionKey(topicId, partition);
        RemoteLog log = logs.getOrDefault(key, RemoteLog.EMPTY);
        if (s == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        if (segment.equals(log.segments().get(segment.segmentId()))) {
            return 0;
        }
        if (s.leader() != leaderId || s.leaderEpoch() != leaderEpoch) {
            return -Errors.FENCED_LEADER_EPOCH.code();
        }
        if (log.abandoned().contains(segment.segmentId())
                || log.segments().containsKey(segment.segmentId())
                || segment.endOffset() <= log.endOffset()) {
            return -Errors.INVALID_REQUEST.code();
        }
        Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>(log.segments());
        segments.put(segment.segmentId(), segment);
        put(key, new RemoteLog(segment.endOffset(), segments, log.abandoned()), segment.segmentId());
        return 0;
    }

    /**
     * Marks a recorded segment as being deleted, refused (FENCED_LEADER_EPOCH) unless {@code leaderId} leads the
     * partition in {@code leaderEpoch}. A segment never recorded is abandoned instead, from any broker: its copier is
     * cleaning up a failed copy, which must then never be recorded.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long deleteSegmentStarted(Uuid topicId, int partition, int leaderId, int leaderEpoch, Uuid segmentId) {
        PartitionState s = image.stateOf(topicId, partition);
        PartitionKey key = new PartitionKey(topicId, partition);
        RemoteLog log = logs.getOrDefault(key, RemoteLog.EMPTY);
        if (s == null) {
            return -Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        }
        RemoteSegmentRecord segment = log.segments().get(segmentId);
        if (segment == null) {
            if (!log.abandoned().contains(segmentId)) {
                Set<Uuid> abandoned = new HashSet<>(log.abandoned());
                abandoned.add(segmentId);
                logs.put(key, new RemoteLog(log.endOffset(), log.segments(), abandoned));
            }
            return 0;
        }
        if (segment.deleting()) {
            return 0;
        }
        if (s.leader() != leaderId || s.leaderEpoch() != leaderEpoch) {
            return -Errors.FENCED_LEADER_EPOCH.code();
        }
        Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>(log.segments());
        segments.put(segmentId, segment.asDeleting());
        put(key, new RemoteLog(log.endOffset(), segments, log.abandoned()), segmentId);
        return 0;
    }

    /**
     * Forgets a segment whose data is gone; refused (INVALID_REQUEST) for a segment whose deletion never started.
     *
     * @return 0, or the negated Kafka error code of the refusal
     */
    long deleteSegmentFinished(Uuid topicId, int partition, Uuid segmentId) {
        Optional<TopicMetadata> topic = image.topic(topicId);
        PartitionKey key = new PartitionKey(topicId, partition);
        RemoteLog log = logs.get(key);
        RemoteSegmentRecord segment = log == null ? null : log.segments().get(segmentId);
        if (topic.isEmpty() || segment == null) {
            return 0;
        }
        if (!segment.deleting()) {
            return -Errors.INVALID_REQUEST.code();
        }
        Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>(log.segments());
        segments.remove(segmentId);
        put(key, new RemoteLog(log.endOffset(), segments, log.abandoned()), segmentId);
        return 0;
    }

    /** Replaces the partition's remote log and tells the image's listeners what happened to segment {@code changed}. */
    private void put(PartitionKey key, RemoteLog log, Uuid changed) {
        TopicMetadata topic = image.topic(key.topicId()).orElseThrow();
        logs.put(key, log);
        image.recordChange(new ClusterChange.RemoteSegmentChanged(
                key.topicId(),
                new TopicPartition(topic.name(), key.partition()),
                changed,
                Optional.ofNullable(log.segments().get(changed))));
    }
}
