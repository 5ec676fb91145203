package dev.strata.broker.group;

import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.coordinator.InternalTopic;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.ReplicaManager;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal compacted topic {@code __consumer_offsets}, where the group coordinator makes its state durable: one
 * record per committed offset and one per group (see {@link OffsetsTopicRecords}), appended through the partition
 * like any produce with acks=all, so it is replicated and compacted like any topic ({@link InternalTopic} has what it
 * shares with {@code __transaction_state}: placement, creation, durable writes, replay). A group lives in partition
 * {@code abs(hash(groupId)) % offsets.topic.num.partitions}, and its coordinator is that partition's leader.
 *
 * <p>An offset commit waits without a thread (its future completes when the high watermark moves, or at
 * {@code offsets.commit.timeout.ms}); the rarer group writes (membership snapshots, tombstones) block the calling
 * thread (an I/O thread, or the scheduler for a timer's write) for at most {@code offsets.commit.timeout.ms}.
 */
public final class OffsetsTopic implements GroupStore, ConsumerGroupCoordinator.StateStore {
    public static final String NAME = "__consumer_offsets";
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopic.class);

    /**
     * The topic's settings, with Kafka's names: {@code offsets.topic.num.partitions},
     * {@code offsets.topic.replication.factor}, {@code offsets.topic.segment.bytes}, {@code offsets.commit.timeout.ms}.
     */
    public record Settings(int numPartitions, int replicationFactor, int segmentBytes, int commitTimeoutMs) {
        public static Settings defaults() {
            return new Settings(50, 3, 100 * 1024 * 1024, 5_000);
        }
    }

    private final InternalTopic topic;
    private final Time time;

    public OffsetsTopic(TopicManager topics, ReplicaManager replicas, Settings settings, Time time) {
        this.topic = new InternalTopic(
                NAME,
                topics,
                replicas,
                new InternalTopic.Settings(
                        settings.numPartitions(),
                        settings.replicationFactor(),
                        settings.segmentBytes(),
                        settings.commitTimeoutMs(),
                        Map.of()));
        this.time = time;
    }

    public int partitionFor(String groupId) {
        return topic.partitionFor(groupId);
    }

    /** The node id of the group's coordinator: the leader of its partition, or -1 while that has none (or no state). */
    public int coordinatorFor(String groupId) {
        return topic.coordinatorFor(groupId);
    }

    /**
     * The partitions of this topic that the broker coordinates, their groups loaded into and unloaded from both
     * coordinators; loads and unloads run one at a time on {@code executor}.
     */
    public CoordinatedPartitions coordination(
            GroupCoordinator classic, ConsumerGroupCoordinator consumerGroups, Executor executor) {
        return new CoordinatedPartitions(
                NAME,
                this::partitionFor,
                new CoordinatedPartitions.Loader() {
                    @Override
                    public void load(int p) {
                        OffsetsTopic.this.load(p, classic, consumerGroups);
                    }

                    @Override
                    public void unload(int p) {
                        classic.unload(groupId -> partitionFor(groupId) == p);
                        consumerGroups.unload(groupId -> partitionFor(groupId) == p);
                    }
                },
                executor);
    }

    /**
     * Creates the topic if it does not exist yet.
     *
     * @throws CoordinatorNotAvailableException if it cannot be created now (no live broker)
     */
    public void ensureExists() {
        topic.ensureExists();
    }

    @Override
    public CompletableFuture<Long> storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        List<SimpleRecord> records = new ArrayList<>();
        long now = time.milliseconds();
        offsets.forEach((tp, o) -> records.add(
                new SimpleRecord(now, OffsetsTopicRecords.offsetKey(groupId, tp), OffsetsTopicRecords.offsetValue(o))));
        try {
            return topic.appendAsync(groupId, records);
        } catch (ApiException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void deleteOffsets(String groupId, Collection<TopicPartition> partitions) {
        List<SimpleRecord> records = new ArrayList<>();
        long now = time.milliseconds();
        partitions.forEach(tp -> records.add(new SimpleRecord(now, OffsetsTopicRecords.offsetKey(groupId, tp), null)));
        topic.append(groupId, records);
    }

    @Override
    public void storeGroup(GroupSnapshot group) {
        topic.append(
                group.groupId(),
                List.of(new SimpleRecord(
                        time.milliseconds(),
                        OffsetsTopicRecords.groupKey(group.groupId()),
                        OffsetsTopicRecords.groupValue(group))));
    }

    @Override
    public void deleteGroup(String groupId) {
        topic.append(
                groupId, List.of(new SimpleRecord(time.milliseconds(), OffsetsTopicRecords.groupKey(groupId), null)));
    }

    @Override
    public void store(String groupId, byte[] state) {
        topic.append(
                groupId,
                List.of(new SimpleRecord(time.milliseconds(), OffsetsTopicRecords.consumerGroupKey(groupId), state)));
    }

    @Override
    public void delete(String groupId) {
        topic.append(
                groupId,
                List.of(new SimpleRecord(time.milliseconds(), OffsetsTopicRecords.consumerGroupKey(groupId), null)));
    }

    /**
     * Replays one partition of the topic, up to its log end, into the coordinators: the latest record per key wins.
     * The coordinators are expected to hold none of the partition's groups yet.
     */
    public void load(int p, GroupCoordinator coordinator, ConsumerGroupCoordinator consumerGroups) {
        Map<String, GroupSnapshot> groups = new LinkedHashMap<>();
        Map<String, Map<TopicPartition, CommittedOffset>> offsets = new LinkedHashMap<>();
        Map<String, byte[]> consumerGroupStates = new LinkedHashMap<>();
        long records = topic.replay(p, r -> apply(r, groups, offsets, consumerGroupStates));
        groups.forEach((id, g) -> {
            if (g != null) {
                coordinator.restoreGroup(g);
            }
        });
        consumerGroupStates.forEach((id, state) -> {
            if (state != null) {
                try {
                    consumerGroups.restore(state);
                } catch (IllegalArgumentException e) {
                    log.warn("Skipping unreadable state of consumer group {}: {}", id, e.getMessage());
                }
            }
        });
        offsets.forEach((group, committed) -> {
            Map<TopicPartition, CommittedOffset> live = new HashMap<>();
            committed.forEach((tp, o) -> {
                if (o != null) {
                    live.put(tp, o);
                }
            });
            if (!live.isEmpty()) {
                coordinator.offsets().restore(group, live);
            }
        });
        log.info(
                "Loaded {} groups and the offsets of {} groups from {} records of {}-{}",
                groups.values().stream().filter(g -> g != null).count(),
                offsets.size(),
                records,
                NAME,
                p);
    }

    private static void apply(
            Record r,
            Map<String, GroupSnapshot> groups,
            Map<String, Map<TopicPartition, CommittedOffset>> offsets,
            Map<String, byte[]> consumerGroupStates) {
        OffsetsTopicRecords.Key key = OffsetsTopicRecords.readKey(r.key().duplicate());
        ByteBuffer value = r.hasValue() ? r.value().duplicate() : null;
        if (key instanceof OffsetsTopicRecords.OffsetKey k) {
            offsets.computeIfAbsent(k.group(), g -> new LinkedHashMap<>())
                    .put(k.partition(), value == null ? null : OffsetsTopicRecords.readOffsetValue(value));
        } else if (key instanceof OffsetsTopicRecords.ConsumerGroupKey k) {
            byte[] state = null;
            if (value != null) {
                state = new byte[value.remaining()];
                value.get(state);
            }
            consumerGroupStates.put(k.group(), state);
        } else if (key instanceof OffsetsTopicRecords.GroupKey k) {
            groups.put(k.group(), value == null ? null : OffsetsTopicRecords.readGroupValue(k.group(), value));
        }
    }
}
