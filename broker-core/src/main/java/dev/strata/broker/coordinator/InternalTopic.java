package dev.strata.broker.coordinator;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.log.FetchDataInfo;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogAppendInfo;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
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
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An internal compacted topic where a coordinator makes its state durable ({@code __consumer_offsets},
 * {@code __transaction_state}): what both share. A key (group id, transactional id) lives in partition
 * {@code abs(hash(key)) % partitions}, and its coordinator is that partition's leader. The topic is created on first
 * use, as Kafka does, with the configured replication factor capped at the live brokers (Kafka refuses instead; the cap
 * keeps a lone broker working without settings).
 *
 * <p>A write counts once every in-sync replica has it (the high watermark passed it), as Kafka's coordinators wait
 * for their appends: state answered to a client survives the loss of its coordinator. {@link #appendAsync} waits
 * without a thread; {@link #append} blocks the calling thread (an I/O thread, or a timer's) for at most the write
 * timeout. Errors are the coordinator's, as Kafka maps them: NOT_COORDINATOR once this broker no longer leads the
 * partition, COORDINATOR_NOT_AVAILABLE when the write cannot be replicated.
 */
public final class InternalTopic {
    private static final Logger log = LoggerFactory.getLogger(InternalTopic.class);
    private static final int READ_CHUNK = 1 << 20;

    /**
     * The topic's settings: partitions, replication factor, segment bytes, how long a write may wait for the in-sync
     * replicas, and the topic configs beyond compaction and segment size (say {@code min.insync.replicas}).
     */
    public record Settings(
            int numPartitions,
            int replicationFactor,
            int segmentBytes,
            int writeTimeoutMs,
            Map<String, String> extraConfigs) {}

    private final String name;
    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final Settings settings;

    public InternalTopic(String name, TopicManager topics, ReplicaManager replicas, Settings settings) {
        this.name = name;
        this.topics = topics;
        this.replicas = replicas;
        this.settings = settings;
    }

    public String name() {
        return name;
    }

    public Settings settings() {
        return settings;
    }

    public int partitionFor(String key) {
        return Utils.abs(key.hashCode()) % partitionCount();
    }

    private int partitionCount() {
        return topics.topic(name).map(t -> t.partitions()).orElse(settings.numPartitions());
    }

    /** The node id of the key's coordinator: the leader of its partition, or -1 while that has none (or no state). */
    public int coordinatorFor(String key) {
        return topics.store()
                .cluster()
                .partition(new TopicPartition(name, partitionFor(key)))
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
        if (topics.topic(name).isPresent()) {
            return;
        }
        long live = topics.store().cluster().brokers().stream()
                .filter(b -> !b.fenced())
                .count();
        int replicationFactor = (int) Math.max(1, Math.min(settings.replicationFactor(), live));
        if (replicationFactor < settings.replicationFactor()) {
            log.warn(
                    "Creating {} with replication factor {}: only {} broker(s) are live, fewer than the {} configured",
                    name,
                    replicationFactor,
                    live,
                    settings.replicationFactor());
        }
        Map<String, String> configs = new HashMap<>(settings.extraConfigs());
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        configs.put(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(settings.segmentBytes()));
        if (configs.containsKey(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG)) {
            // a min.insync.replicas above the capped replication factor would refuse every write
            int minIsr = Integer.parseInt(configs.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG));
            configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(Math.min(minIsr, replicationFactor)));
        }
        try {
            topics.createTopic(name, settings.numPartitions(), (short) replicationFactor, configs, false);
        } catch (TopicExistsException raced) {
            // created meanwhile: fine
        } catch (InvalidReplicationFactorException e) {
            throw new CoordinatorNotAvailableException("Cannot create " + name + " now: " + e.getMessage());
        }
    }

    /** The leader epoch of partition {@code p} when this broker leads it. */
    public OptionalInt leaderEpoch(int p) {
        return replicas.partition(new TopicPartition(name, p))
                .filter(Partition::isLeader)
                .map(x -> OptionalInt.of(x.leaderEpoch()))
                .orElse(OptionalInt.empty());
    }

    /**
     * Appends to the partition of {@code key} with acks=all and waits for the in-sync replicas (see
     * {@link #appendAsync}).
     *
     * @throws ApiException NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE
     */
    public void append(String key, List<SimpleRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        CompletableFuture<Long> write = appendAsync(key, records);
        try {
            // the replica manager answers REQUEST_TIMED_OUT at the timeout; the margin only guards against a stalled
            // timer
            write.get(settings.writeTimeoutMs() + 1_000L, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CoordinatorNotAvailableException("The write of " + key + " to " + name + " timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinatorNotAvailableException("Interrupted while writing " + key + " to " + name);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ApiException api
                    ? api
                    : new CoordinatorNotAvailableException(e.getCause().toString());
        }
    }

    /**
     * Appends to the partition of {@code key} with acks=all; the future completes with the log offset of the last
     * record once every in-sync replica has it, or exceptionally with NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE.
     *
     * @throws ApiException when the append itself is refused
     */
    public CompletableFuture<Long> appendAsync(String key, List<SimpleRecord> records) {
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(-1L);
        }
        return appendAsync(
                key,
                MemoryRecords.withRecords(Compression.NONE, records.toArray(new SimpleRecord[0])),
                false,
                offset -> {});
    }

    /**
     * Appends {@code records} as {@link #appendAsync(String, List)} does.
     *
     * @param transactional whether {@code records} is a producer's transactional batch, appended on its behalf by the
     *     coordinator (only its producer epoch is checked, as Kafka's coordinator appends)
     * @param appended told the log offset of the last record as soon as it is appended, before replication
     * @throws ApiException when the append itself is refused
     */
    public CompletableFuture<Long> appendAsync(
            String key, MemoryRecords records, boolean transactional, LongConsumer appended) {
        ensureExists();
        TopicPartition tp = new TopicPartition(name, partitionFor(key));
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
        long lastOffset = info.lastOffset();
        appended.accept(lastOffset);
        replicas.onAppend(tp);
        return replicas.awaitReplication(tp, lastOffset + 1, settings.writeTimeoutMs())
                .thenApply(error -> switch (error) {
                    case NONE -> lastOffset;
                    case NOT_LEADER_OR_FOLLOWER -> throw new NotCoordinatorException(
                            "This broker no longer leads " + tp);
                    default -> throw new CoordinatorNotAvailableException(
                            "The write to " + tp + " did not reach the in-sync replicas: " + error.name());
                });
    }

    /** What a partition's replay hands on: keyed records of data batches and transaction markers, in log order. */
    public interface Replay {
        /**
         * @param producerId the producer of the record's batch when that batch is transactional, else -1
         */
        void record(Record r, long producerId);

        /** A COMMIT ({@code commit}) or ABORT marker of the producer's transaction. */
        default void marker(long producerId, boolean commit) {}
    }

    /**
     * Reads partition {@code p} from its log start to its log end and hands every keyed record of its data batches to
     * {@code replay}, in log order. A corrupt batch (CRC mismatch, or records that do not parse) is skipped whole with
     * an ERROR naming its offsets, one record {@code replay} cannot read is skipped alone, and unreadable batch headers
     * end the read: none of them keeps the rest of the partition from loading.
     *
     * @return the records replayed
     */
    public long replay(int p, Consumer<Record> replay) {
        return replay(p, (Replay) (r, producerId) -> replay.accept(r));
    }

    /**
     * Reads partition {@code p} as {@link #replay(int, Consumer)} does, and also hands on the transaction markers and
     * which records are transactional.
     *
     * @return the records replayed
     */
    public long replay(int p, Replay replay) {
        LocalLog partitionLog = replicas.partition(new TopicPartition(name, p))
                .map(Partition::log)
                .orElse(null);
        if (partitionLog == null) {
            return 0;
        }
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
                log.error(
                        "Skipping {}-{} from offset {}: its record batches cannot be read ({}); state kept there is"
                                + " loaded without it",
                        name,
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
        return records;
    }

    private long replayBatch(RecordBatch batch, long from, int p, Replay replay) {
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
                    name,
                    p,
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
                    log.warn("Skipping unreadable record at offset {} of {}-{}: {}", r.offset(), name, p, e.toString());
                }
            }
        }
        return replayed;
    }
}
