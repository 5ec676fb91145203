package dev.strata.broker.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.TimestampType;

/**
 * The effective configuration of one partition's log: topic overrides laid over the broker's defaults, parsed and
 * validated by {@link TopicConfigs}.
 */
public record LogConfig(
        int segmentBytes,
        long segmentMs,
        int maxIndexSize,
        int indexIntervalBytes,
        long retentionMs,
        long retentionBytes,
        int maxMessageBytes,
        TimestampType timestampType,
        long timestampBeforeMaxMs,
        long timestampAfterMaxMs,
        long flushMessages,
        long flushMs,
        long fileDeleteDelayMs,
        List<String> cleanupPolicy,
        String compressionType,
        int minInSyncReplicas,
        boolean remoteStorageEnable,
        long localRetentionMs,
        long localRetentionBytes,
        boolean remoteLogCopyDisable,
        boolean remoteLogDeleteOnDisable,
        long deleteRetentionMs,
        long minCompactionLagMs,
        long maxCompactionLagMs,
        double minCleanableDirtyRatio) {

    /** Kafka's defaults, as a topic with no overrides on a broker with no settings would have them. */
    public static LogConfig defaults() {
        return of(Map.of(), Map.of());
    }

    /**
     * @param brokerDefaults topic-named defaults from the broker (see {@link TopicConfigs#brokerDefaults})
     * @param overrides the topic's own configs
     */
    @SuppressWarnings("unchecked")
    public static LogConfig of(Map<String, String> brokerDefaults, Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(brokerDefaults);
        merged.putAll(overrides);
        Map<String, Object> v = TopicConfigs.DEF.parse(merged);
        return new LogConfig(
                (Integer) v.get(TopicConfig.SEGMENT_BYTES_CONFIG),
                (Long) v.get(TopicConfig.SEGMENT_MS_CONFIG),
                (Integer) v.get(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG),
                (Integer) v.get(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG),
                (Long) v.get(TopicConfig.RETENTION_MS_CONFIG),
                (Long) v.get(TopicConfig.RETENTION_BYTES_CONFIG),
                (Integer) v.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
                TimestampType.forName((String) v.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG)),
                (Long) v.get(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG),
                (Long) v.get(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG),
                (Long) v.get(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG),
                (Long) v.get(TopicConfig.FLUSH_MS_CONFIG),
                (Long) v.get(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG),
                List.copyOf((List<String>) v.get(TopicConfig.CLEANUP_POLICY_CONFIG)),
                (String) v.get(TopicConfig.COMPRESSION_TYPE_CONFIG),
                (Integer) v.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG),
                (Boolean) v.get(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG),
                (Long) v.get(TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG),
                (Long) v.get(TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG),
                (Boolean) v.get(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG),
                (Boolean) v.get(TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG),
                (Long) v.get(TopicConfig.DELETE_RETENTION_MS_CONFIG),
                (Long) v.get(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG),
                (Long) v.get(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG),
                (Double) v.get(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG));
    }

    public boolean compact() {
        return cleanupPolicy.contains(TopicConfig.CLEANUP_POLICY_COMPACT);
    }

    public boolean delete() {
        return cleanupPolicy.contains(TopicConfig.CLEANUP_POLICY_DELETE);
    }

    /**
     * Whether sealed segments are copied to the remote tier: the topic is tiered and {@code remote.log.copy.disable}
     * is false. Only then does local retention follow {@code local.retention.*} and wait for the remote copy; a tiered
     * topic with copying disabled keeps its remote data readable but retains its local log by {@code retention.*}, as
     * a topic without remote storage does (KIP-950).
     */
    public boolean remoteCopyEnabled() {
        return remoteStorageEnable && !remoteLogCopyDisable;
    }
}
