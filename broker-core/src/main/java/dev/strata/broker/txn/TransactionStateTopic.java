package dev.strata.broker.txn;

import dev.strata.broker.coordinator.InternalTopic;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.partition.ReplicaManager;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal compacted topic {@code __transaction_state}, where the transaction coordinator makes each transactional
 * id's state durable: one record per state change, keyed by the transactional id, in Kafka's layout
 * ({@link TransactionLogRecords}), written as version 0 as Kafka does for transaction version 1. A transactional id
 * lives in partition {@code abs(hash(id)) % transaction.state.log.num.partitions}, and its coordinator is that
 * partition's leader ({@link InternalTopic} places, creates, writes and replays it as it does
 * {@code __consumer_offsets}). A tombstone removes an expired id.
 *
 * <p>Not final: tests fail its writes.
 */
public class TransactionStateTopic {
    public static final String NAME = "__transaction_state";
    static final short VALUE_VERSION = 0;
    private static final Logger log = LoggerFactory.getLogger(TransactionStateTopic.class);

    /**
     * The topic's settings, with Kafka's names: {@code transaction.state.log.num.partitions},
     * {@code transaction.state.log.replication.factor}, {@code transaction.state.log.min.isr},
     * {@code transaction.state.log.segment.bytes}, and how long a write waits for the in-sync replicas.
     */
    public record Settings(int numPartitions, int replicationFactor, int minIsr, int segmentBytes, int writeTimeoutMs) {
        public static Settings defaults() {
            return new Settings(50, 3, 2, 100 * 1024 * 1024, 5_000);
        }
    }

    private final InternalTopic topic;
    private final Time time;

    public TransactionStateTopic(TopicManager topics, ReplicaManager replicas, Settings settings, Time time) {
        this.topic = new InternalTopic(
                NAME,
                topics,
                replicas,
                new InternalTopic.Settings(
                        settings.numPartitions(),
                        settings.replicationFactor(),
                        settings.segmentBytes(),
                        settings.writeTimeoutMs(),
                        Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(settings.minIsr()))));
        this.time = time;
    }

    public InternalTopic topic() {
        return topic;
    }

    public int partitionFor(String transactionalId) {
        return topic.partitionFor(transactionalId);
    }

    /**
     * Writes the state of {@code transactionalId}; the future completes once every in-sync replica has it, or
     * exceptionally with NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE.
     */
    public CompletableFuture<Long> write(String transactionalId, TransactionLogRecords.Value value) {
        return append(transactionalId, TransactionLogRecords.value(value, VALUE_VERSION));
    }

    /** Writes the tombstone of an expired transactional id. */
    public CompletableFuture<Long> remove(String transactionalId) {
        return append(transactionalId, null);
    }

    private CompletableFuture<Long> append(String transactionalId, byte[] value) {
        try {
            return topic.appendAsync(
                    transactionalId,
                    List.of(new SimpleRecord(time.milliseconds(), TransactionLogRecords.key(transactionalId), value)));
        } catch (ApiException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Replays partition {@code p} up to its log end: the last record of each transactional id wins, and an id whose
     * last record is a tombstone is gone.
     */
    public Map<String, TransactionMetadata> load(int p) {
        Map<String, TransactionLogRecords.Value> latest = new LinkedHashMap<>();
        long records = topic.replay(p, r -> apply(r, latest));
        Map<String, TransactionMetadata> loaded = new HashMap<>();
        latest.forEach((id, value) -> {
            if (value != null) {
                loaded.put(id, new TransactionMetadata(id, value));
            }
        });
        log.info("Loaded {} transactional ids from {} records of {}-{}", loaded.size(), records, NAME, p);
        return loaded;
    }

    private static void apply(Record r, Map<String, TransactionLogRecords.Value> latest) {
        String id = TransactionLogRecords.readKey(r.key().duplicate());
        if (id == null) {
            return;
        }
        latest.put(id, r.hasValue() ? TransactionLogRecords.readValue(r.value().duplicate()) : null);
    }
}
