package dev.strata.broker.api;

import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * The APIs and version ranges this broker implements, which is exactly what ApiVersions advertises. A range is never
 * wider than what the pinned kafka-clients message classes can parse, and never wider than what the handler really
 * does: a client picks the highest version both sides know and relies on every field of it.
 */
public final class SupportedApis {
    private static final Map<ApiKeys, short[]> RANGES = new EnumMap<>(ApiKeys.class);

    static {
        range(ApiKeys.PRODUCE, 3, 13);
        range(ApiKeys.FETCH, 4, 18);
        range(ApiKeys.LIST_OFFSETS, 1, 11);
        range(ApiKeys.METADATA, 0, 13);
        range(ApiKeys.API_VERSIONS, 0, 4);
        // Answered by the connection's authenticator in the network layer, never dispatched (see KafkaApis).
        range(ApiKeys.SASL_HANDSHAKE, 0, 1);
        range(ApiKeys.SASL_AUTHENTICATE, 0, 2);
        range(ApiKeys.CREATE_TOPICS, 2, 7);
        range(ApiKeys.DELETE_TOPICS, 1, 6);
        range(ApiKeys.DELETE_RECORDS, 0, 2);
        range(ApiKeys.INIT_PRODUCER_ID, 0, 6);
        range(ApiKeys.DESCRIBE_CONFIGS, 1, 4);
        range(ApiKeys.ALTER_CONFIGS, 0, 2);
        range(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, 1);
        range(ApiKeys.CREATE_PARTITIONS, 0, 3);
        range(ApiKeys.DESCRIBE_CLUSTER, 0, 2);
        range(ApiKeys.DESCRIBE_TOPIC_PARTITIONS, 0, 0);
        range(ApiKeys.OFFSET_FOR_LEADER_EPOCH, 2, 4);
        // Cluster administration: leader election, reassignment, log dirs (v5 adds isCordoned: never, here).
        range(ApiKeys.ELECT_LEADERS, 0, 2);
        range(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, 0, 1);
        range(ApiKeys.LIST_PARTITION_REASSIGNMENTS, 0, 0);
        range(ApiKeys.DESCRIBE_LOG_DIRS, 1, 5);
        range(ApiKeys.WRITE_TXN_MARKERS, 1, 2);
        // The producer state of a partition (kafka-transactions.sh describe-producers).
        range(ApiKeys.DESCRIBE_PRODUCERS, 0, 0);
        // Client quotas of users and client ids (kafka-configs.sh --entity-type users|clients).
        range(ApiKeys.DESCRIBE_CLIENT_QUOTAS, 0, 1);
        range(ApiKeys.ALTER_CLIENT_QUOTAS, 0, 1);
        // Classic consumer groups. OffsetCommit v9+ and OffsetFetch v9+ belong to KIP-848 (member epochs, topic ids).
        range(ApiKeys.FIND_COORDINATOR, 0, 6);
        range(ApiKeys.JOIN_GROUP, 0, 9);
        range(ApiKeys.SYNC_GROUP, 0, 5);
        range(ApiKeys.HEARTBEAT, 0, 4);
        range(ApiKeys.LEAVE_GROUP, 0, 5);
        range(ApiKeys.OFFSET_COMMIT, 2, 8);
        range(ApiKeys.OFFSET_FETCH, 1, 8);
        range(ApiKeys.OFFSET_DELETE, 0, 0);
        range(ApiKeys.LIST_GROUPS, 0, 5);
        range(ApiKeys.DESCRIBE_GROUPS, 0, 5);
        range(ApiKeys.DELETE_GROUPS, 0, 2);
        // Offsets in a producer's transaction (sendOffsetsToTransaction), pending until the transaction's marker.
        range(ApiKeys.TXN_OFFSET_COMMIT, 0, 5);
        // The transaction coordinator, transaction version 1 (no transaction.version feature is advertised, so clients
        // add partitions and offsets themselves): AddPartitionsToTxn v4+ is the brokers' batched (verify-only) form,
        // EndTxn v5 belongs to transaction version 2.
        range(ApiKeys.ADD_PARTITIONS_TO_TXN, 0, 5);
        range(ApiKeys.ADD_OFFSETS_TO_TXN, 0, 4);
        range(ApiKeys.END_TXN, 0, 4);
        range(ApiKeys.DESCRIBE_TRANSACTIONS, 0, 0);
        range(ApiKeys.LIST_TRANSACTIONS, 0, 2);
        // SCRAM users (kafka-configs.sh --entity-type users), kept in the metadata quorum.
        range(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, 0, 0);
        range(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, 0, 0);
        // KIP-848 consumer groups (group.protocol=consumer) with server-side assignors.
        range(ApiKeys.CONSUMER_GROUP_HEARTBEAT, 0, 1);
        range(ApiKeys.CONSUMER_GROUP_DESCRIBE, 0, 1);
        // ACLs in the cluster's metadata (kafka-acls.sh); SECURITY_DISABLED without an authorizer.
        range(ApiKeys.DESCRIBE_ACLS, 1, 3);
        range(ApiKeys.CREATE_ACLS, 1, 3);
        range(ApiKeys.DELETE_ACLS, 1, 3);
    }

    private SupportedApis() {}

    private static void range(ApiKeys key, int min, int max) {
        if (min < key.oldestVersion() || max > key.latestVersion()) {
            throw new IllegalStateException(key + " " + min + ".." + max + " is outside what kafka-clients knows");
        }
        RANGES.put(key, new short[] {(short) min, (short) max});
    }

    public static boolean supports(ApiKeys key, short version) {
        short[] r = RANGES.get(key);
        return r != null && version >= r[0] && version <= r[1];
    }

    public static ApiVersionsResponseData apiVersions(Errors error) {
        ApiVersionCollection keys = new ApiVersionCollection();
        RANGES.forEach((key, r) ->
                keys.add(new ApiVersion().setApiKey(key.id).setMinVersion(r[0]).setMaxVersion(r[1])));
        return new ApiVersionsResponseData().setErrorCode(error.code()).setApiKeys(keys);
    }
}
