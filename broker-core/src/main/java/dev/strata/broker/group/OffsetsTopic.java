package dev.strata.broker.group;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.log.FetchDataInfo;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogAppendInfo;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal compacted topic {@code __consumer_offsets}, where the group coordinator makes its state durable: one
 * record per committed offset and one per group (see {@link OffsetsTopicRecords}), appended through the partition
 * like any produce with acks=all, so it is replicated and compacted like any topic. A group lives in partition
 * {@code abs(hash(groupId)) % offsets.topic.num.partitions}, and its coordinator is that partition's leader. The topic
 * is created on first use, as Kafka does, with {@code offsets.topic.replication.factor} replicas, capped at the live
 * brokers (Kafka refuses instead; the cap keeps a lone broker working without settings).
 *
 * <p>A write counts once every in-sync replica has it (the high watermark passed it), as Kafka's coordinator waits
 * for its appends: an offset commit answered to a client survives the loss of its coordinator. An offset commit waits
 * without a thread (its future completes when the high watermark moves, or at {@code offsets.commit.timeout.ms});
 * the rarer group writes (membership snapshots, tombstones) block the calling thread (an I/O thread, or the scheduler
 * for a timer's write) for at most {@code offsets.commit.timeout.ms}.
 */
public final class OffsetsTopic implements GroupStore, ConsumerGroupCoordinator.StateStore {
    public static final String NAME = "__consumer_offsets";
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopic.class);
    private static final int READ_CHUNK = 1 << 20;

    /**
     * The topic's settings, with Kafka's names: {@code offsets.topic.num.partitions},
     * {@code offsets.topic.replication.factor}, {@code offsets.topic.segment.bytes}, {@code offsets.commit.timeout.ms}.
     */
    public record Settings(int numPartitions, int replicationFactor, int segmentBytes, int commitTimeoutMs) {
        public static Settings defaults() {
            return new Settings(50, 3, 100 * 1024 * 1024, 5_000);
        }
    }

    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final Settings settings;
    private final Time time;

    public OffsetsTopic(TopicManager topics, ReplicaManager replicas, Settings settings, Time time) {
        this.topics = topics;
        this.replicas = replicas;
        this.settings = settings;
        this.time = time;
    }

    public int partitionFor(String groupId) {
        return Utils.abs(groupId.hashCode()) % partitionCount();
    }

    private int partitionCount() {
        return topics.topic(NAME).map(t -> t.partitions()).orElse(settings.numPartitions());
    }

    /** The node id of the group's coordinator: the leader of its partition, or -1 while that has none (or no state). */
    public int coordinatorFor(String groupId) {
        return topics.store()
                .cluster()
                .partition(new TopicPartition(NAME, partitionFor(groupId)))
                .filter(PartitionState::hasLeader)
                .map(PartitionState::leader)
                .orElse(PartitionState.NO_LEADER);
    }

    /**
     * Creates the topic if it does not exist yet.
     *
     * @throws CoordinatorNotAvailableException if it cannot be created now (no live broker)
     */
    public synchronized void ensureExists() {
        if (topics.topic(NAME).isPresent()) {
            return;
        }
        long live = topics.store().cluster().brokers().stream()
                .filter(b -> !b.fenced())
                .count();
        int replicationFactor = (int) Math.max(1, Math.min(settings.replicationFactor(), live));
        if (replicationFactor < settings.replicationFactor()) {
            log.warn(
                    "Creating {} with replication factor {}: only {} broker(s) are live, fewer than"
                            + " offsets.topic.replication.factor={}",
                    NAME,
                    replicationFactor,
                    live,
                    settings.replicationFactor());
        }
        try {
            topics.createTopic(
                    NAME,
                    settings.numPartitions(),
                    (short) replicationFactor,
                    Map.of(
                            TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT,
                            TopicConfig.SEGMENT_BYTES_CONFIG,
                            Integer.toString(settings.segmentBytes())),
                    false);
        } catch (TopicExistsException raced) {
            // created meanwhile: fine
        } catch (InvalidReplicationFactorException e) {
            throw new CoordinatorNotAvailableException("Cannot create " + NAME + " now: " + e.getMessage());
        }
    }

    @Override
    public CompletableFuture<Long> storeOffsets(String groupId, Map<TopicPartition, CommittedOffset> offsets) {
        List<SimpleRecord> records = new ArrayList<>();
        long now = time.milliseconds();
        offsets.forEach((tp, o) -> records.add(
                new SimpleRecord(now, OffsetsTopicRecords.offsetKey(groupId, tp), OffsetsTopicRecords.offsetValue(o))));
        try {
            return appendAsync(groupId, records);
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
        return appendAsync(groupId, batch, true, appended);
    }

    @Override
    public void deleteOffsets(String groupId, Collection<TopicPartition> partitions) {
        List<SimpleRecord> records = new ArrayList<>();
        long now = time.milliseconds();
        partitions.forEach(tp -> records.add(new SimpleRecord(now, OffsetsTopicRecords.offsetKey(groupId, tp), null)));
        append(groupId, records);
    }

    @Override
    public void storeGroup(GroupSnapshot group) {
        append(
                group.groupId(),
                List.of(new SimpleRecord(
                        time.milliseconds(),
                        OffsetsTopicRecords.groupKey(group.groupId()),
                        OffsetsTopicRecords.groupValue(group))));
    }

    @Override
    public void deleteGroup(String groupId) {
        append(groupId, List.of(new SimpleRecord(time.milliseconds(), OffsetsTopicRecords.groupKey(groupId), null)));
    }

    @Override
    public void store(String groupId, byte[] state) {
        append(
                groupId,
                List.of(new SimpleRecord(time.milliseconds(), OffsetsTopicRecords.consumerGroupKey(groupId), state)));
    }

    @Override
    public void delete(String groupId) {
        append(
                groupId,
                List.of(new SimpleRecord(time.milliseconds(), OffsetsTopicRecords.consumerGroupKey(groupId), null)));
    }

    /**
     * Appends with acks=all and waits for the in-sync replicas (see {@link #appendAsync}).
     *
     * @throws ApiException NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE
     */
    private void append(String groupId, List<SimpleRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        long timeoutMs = settings.commitTimeoutMs();
        CompletableFuture<Long> write = appendAsync(groupId, records);
        try {
            // the replica manager answers REQUEST_TIMED_OUT at the timeout; the margin only guards against a stalled
            // timer
            write.get(timeoutMs + 1_000L, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CoordinatorNotAvailableException("The write of group " + groupId + " timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinatorNotAvailableException("Interrupted while writing group " + groupId);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ApiException api
                    ? api
                    : new CoordinatorNotAvailableException(e.getCause().toString());
        }
    }

    /**
     * Appends with acks=all; the future completes with the log offset of the last record once every in-sync replica
     * has it. Errors are mapped to the coordinator's as Kafka does: NOT_COORDINATOR once this broker no longer leads
     * the partition, COORDINATOR_NOT_AVAILABLE when the write cannot be replicated (too few in-sync replicas, or not
     * within {@code offsets.commit.timeout.ms}).
     *
     * @throws ApiException when the append itself is refused
     */
    private CompletableFuture<Long> appendAsync(String groupId, List<SimpleRecord> records) {
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(-1L);
        }
        return appendAsync(
                groupId,
                MemoryRecords.withRecords(Compression.NONE, records.toArray(new SimpleRecord[0])),
                false,
                offset -> {});
    }

    /**
     * @param transactional whether {@code records} is a producer's transactional batch, appended as the coordinator's
     * @param appended told the log offset of the last record as soon as it is appended
     */
    private CompletableFuture<Long> appendAsync(
            String groupId, MemoryRecords records, boolean transactional, LongConsumer appended) {
        ensureExists();
        TopicPartition tp = new TopicPartition(NAME, partitionFor(groupId));
        Partition partition = replicas.partition(tp)
                .orElseThrow(() -> new CoordinatorNotAvailableException("Partition " + tp + " is not available"));
        LogAppendInfo info;
        try {
            info = transactional
                    ? partition.appendAsCoordinator(records)
                    : partition.appendAsLeader(records, (short) -1);
        } catch (NotLeaderOrFollowerException e) {
            throw new NotCoordinatorException("This broker no longer leads " + tp);
        } catch (NotEnoughReplicasException e) {
            throw new CoordinatorNotAvailableException(e.getMessage());
        }
        appended.accept(info.lastOffset());
        replicas.onAppend(tp);
        long lastOffset = info.lastOffset();
        return replicas.awaitReplication(tp, lastOffset + 1, settings.commitTimeoutMs())
                .thenApply(error -> switch (error) {
                    case NONE -> lastOffset;
                    case NOT_LEADER_OR_FOLLOWER -> throw new NotCoordinatorException(
                            "This broker no longer leads " + tp);
                    default -> throw new CoordinatorNotAvailableException(
                            "The write to " + tp + " did not reach the in-sync replicas: " + error.name());
                });
    }

    /**
     * Replays one batch: a corrupt batch (CRC mismatch, or records that do not parse) is skipped whole with an ERROR
     * naming its offsets, and one unreadable record is skipped alone, so that neither keeps every group from loading.
     * A transaction marker ends its producer's pending transactional offsets.
     *
     * @return the records replayed
     */
    private static long replayBatch(RecordBatch batch, long from, int partition, OffsetsReplay replay) {
        List<Record> batchRecords = new ArrayList<>();
        try {
            batch.ensureValid();
            for (Record r : batch) {
                batchRecords.add(r);
            }
        } catch (RuntimeException e) {
            log.error(
                    "Skipping the corrupt record batch at offsets {}-{} of {}-{}: {}",
                    batch.baseOffset(),
                    batch.lastOffset(),
                    NAME,
                    partition,
                    e.toString());
            return 0;
        }
        if (batch.isControlBatch()) {
            if (batch.isTransactional() && !batchRecords.isEmpty() && batch.lastOffset() >= from) {
                ControlRecordType type =
                        ControlRecordType.parse(batchRecords.get(0).key());
                if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                    replay.marker(batch.producerId(), type == ControlRecordType.COMMIT);
                }
            }
            return 0;
        }
        long producerId = batch.isTransactional() ? batch.producerId() : -1L;
        long replayed = 0;
        for (Record r : batchRecords) {
            if (r.offset() >= from && r.hasKey()) {
                try {
                    replay.record(r, producerId);
                    replayed++;
                } catch (RuntimeException e) {
                    log.warn(
                            "Skipping unreadable record at offset {} of {}-{}: {}",
                            r.offset(),
                            NAME,
                            partition,
                            e.toString());
                }
            }
        }
        return replayed;
    }

    /**
     * Replays one partition of the topic, up to its log end, into the coordinators: the latest record per key wins.
     * The coordinators are expected to hold none of the partition's groups yet.
     */
    public void load(int p, GroupCoordinator coordinator, ConsumerGroupCoordinator consumerGroups) {
        LocalLog partitionLog = replicas.partition(new TopicPartition(NAME, p))
                .map(Partition::log)
                .orElse(null);
        if (partitionLog == null) {
            return;
        }
        OffsetsReplay replay = new OffsetsReplay();
        long records = 0;
        long offset = partitionLog.logStartOffset();
        long end = partitionLog.logEndOffset();
        while (offset < end) {
            FetchDataInfo chunk = partitionLog.read(offset, READ_CHUNK, end, true);
            long next = offset;
            try {
                for (RecordBatch batch : chunk.records().batches()) {
                    next = batch.nextOffset();
                    records += replayBatch(batch, offset, p, replay);
                }
            } catch (RuntimeException e) {
                // the batch headers themselves are unreadable: nothing after them can be trusted either
                log.error(
                        "Skipping {}-{} from offset {}: its record batches cannot be read ({}); groups whose"
                                + " state is there are loaded without it",
                        NAME,
                        p,
                        next,
                        e.toString());
                break;
            }
            if (next <= offset) {
                break;
            }
            offset = next;
        }
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
