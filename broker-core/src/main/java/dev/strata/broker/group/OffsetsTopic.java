package dev.strata.broker.group;

import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.coordinator.InternalTopic;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.record.internal.MemoryRecords;
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
     * Told of the transaction markers written here: one in a partition of this topic ends the producer's
     * transactional offset commits of the groups there (applied on COMMIT, dropped on ABORT), once the partition's
     * groups are loaded (see {@link CoordinatedPartitions#whenLoaded}).
     */
    public TxnMarkerListener markerListener(CoordinatedPartitions coordinated, GroupCoordinator classic) {
        return (tp, producerId, commit, markerOffset) -> {
            if (!tp.topic().equals(NAME)) {
                return;
            }
            int p = tp.partition();
            coordinated.whenLoaded(p, () -> classic.offsets()
                    .completeTransaction(producerId, commit, markerOffset, groupId -> partitionFor(groupId) == p));
        };
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
    public CompletableFuture<Long> storeTxnOffsets(
            String groupId,
            long producerId,
            short producerEpoch,
            Map<TopicPartition, CommittedOffset> offsets,
            LongConsumer appended) {
        long now = time.milliseconds();
        SimpleRecord[] records = offsets.entrySet().stream()
                .map(e -> new SimpleRecord(
                        now,
                        OffsetsTopicRecords.offsetKey(groupId, e.getKey()),
                        OffsetsTopicRecords.offsetValue(e.getValue())))
                .toArray(SimpleRecord[]::new);
        // as Kafka's coordinator writes them: the producer's id and epoch, and base sequence 0, which nothing checks
        MemoryRecords batch =
                MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, producerEpoch, 0, records);
        return topic.appendAsync(groupId, batch, true, appended);
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
     * Replays one partition of the topic, up to its log end, into the coordinators: the latest record per key wins,
     * transactional offsets count from their COMMIT marker ({@link OffsetsReplay}). The coordinators are expected to
     * hold none of the partition's groups yet.
     */
    public void load(int p, GroupCoordinator coordinator, ConsumerGroupCoordinator consumerGroups) {
        OffsetsReplay replay = new OffsetsReplay();
        long records = topic.replay(p, replay);
        replay.restoreInto(coordinator, consumerGroups);
        log.info(
                "Loaded {} groups and the offsets of {} groups ({} open transactions) from {} records of {}-{}",
                replay.groupCount(),
                replay.offsetGroupCount(),
                replay.openTransactions(),
                records,
                NAME,
                p);
    }
}
