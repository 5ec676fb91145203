package dev.strata.broker.config;

import static dev.strata.broker.config.BrokerConfig.*;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** The transaction coordinator's settings, with Kafka's names and defaults; part of {@link BrokerConfigs#DEF}. */
final class TransactionConfigs {
    private TransactionConfigs() {}

    static void define(ConfigDef def) {
        def.define(
                        TRANSACTION_STATE_LOG_NUM_PARTITIONS,
                        Type.INT,
                        50,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "partitions of `__transaction_state` (created on first use); a transactional id's coordinator"
                                + " is the leader of its partition")
                .define(
                        TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
                        Type.INT,
                        3,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "replication factor of `__transaction_state`, capped at the live brokers when the topic is"
                                + " created (on first use), as for `offsets.topic.replication.factor`")
                .define(
                        TRANSACTION_STATE_LOG_MIN_ISR,
                        Type.INT,
                        2,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "`min.insync.replicas` of `__transaction_state`")
                .define(
                        TRANSACTION_STATE_LOG_SEGMENT_BYTES,
                        Type.INT,
                        100 * 1024 * 1024,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "segment size of `__transaction_state`")
                .define(
                        TRANSACTION_MAX_TIMEOUT_MS,
                        Type.INT,
                        900_000,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "longest `transaction.timeout.ms` a producer may ask for; a longer one is refused with"
                                + " `INVALID_TRANSACTION_TIMEOUT`")
                .define(
                        TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS,
                        Type.INT,
                        10_000,
                        Range.atLeast(1),
                        Importance.LOW,
                        "how often the coordinator aborts transactions open longer than their timeout (and removes"
                                + " expired transactional ids)")
                .define(
                        TRANSACTIONAL_ID_EXPIRATION_MS,
                        Type.INT,
                        604_800_000,
                        Range.atLeast(1),
                        Importance.HIGH,
                        "a transactional id with no transaction for this long is forgotten (a tombstone in"
                                + " `__transaction_state`)")
                .define(
                        TRANSACTION_PARTITION_VERIFICATION_ENABLE,
                        Type.BOOLEAN,
                        true,
                        Importance.LOW,
                        "a transactional produce (and TxnOffsetCommit) is checked with the transaction coordinator:"
                                + " the partition must be in the producer's ongoing transaction (`INVALID_TXN_STATE`"
                                + " otherwise)");
    }
}
