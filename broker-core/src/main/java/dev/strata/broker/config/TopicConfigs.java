package dev.strata.broker.config;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The topic-level configs Strata understands, with Kafka's names, types, defaults and validators, and the broker
 * config that supplies each one's default when a topic does not override it (for example {@code segment.bytes}
 * falls back to the broker's {@code log.segment.bytes}).
 */
public final class TopicConfigs {

    /** Topic config name to the broker config that provides its default. */
    public static final Map<String, String> BROKER_SYNONYMS;

    public static final ConfigDef DEF = new ConfigDef();

    /**
     * Kafka's coarser broker settings for a topic config's default, used when the fine-grained synonym (and any finer
     * coarse one before it in this list) is unset: {@code log.retention.minutes}, {@code log.retention.hours} and
     * {@code log.roll.hours}.
     */
    public static final List<CoarseSynonym> COARSE_SYNONYMS = List.of(
            new CoarseSynonym(TopicConfig.RETENTION_MS_CONFIG, "log.retention.minutes", "minutes", 60_000L),
            new CoarseSynonym(TopicConfig.RETENTION_MS_CONFIG, "log.retention.hours", "hours", 3_600_000L),
            new CoarseSynonym(TopicConfig.SEGMENT_MS_CONFIG, "log.roll.hours", "hours", 3_600_000L));

    static {
        Map<String, String> synonyms = new LinkedHashMap<>();
        define(
                synonyms,
                TopicConfig.SEGMENT_BYTES_CONFIG,
                "log.segment.bytes",
                Type.INT,
                1024 * 1024 * 1024,
                Range.atLeast(14),
                "roll the active segment at this size");
        define(
                synonyms,
                TopicConfig.SEGMENT_MS_CONFIG,
                "log.roll.ms",
                Type.LONG,
                7L * 24 * 60 * 60 * 1000,
                Range.atLeast(1),
                "roll the active segment at this age (7 days by default)");
        define(
                synonyms,
                TopicConfig.SEGMENT_INDEX_BYTES_CONFIG,
                "log.index.size.max.bytes",
                Type.INT,
                10 * 1024 * 1024,
                Range.atLeast(4),
                "maximum size of a segment's offset and time index");
        define(
                synonyms,
                TopicConfig.INDEX_INTERVAL_BYTES_CONFIG,
                "log.index.interval.bytes",
                Type.INT,
                4096,
                Range.atLeast(0),
                "bytes of log between two index entries");
        define(
                synonyms,
                TopicConfig.RETENTION_MS_CONFIG,
                "log.retention.ms",
                Type.LONG,
                7L * 24 * 60 * 60 * 1000,
                Range.atLeast(-1),
                "delete segments older than this (7 days by default); `-1` keeps them");
        define(
                synonyms,
                TopicConfig.RETENTION_BYTES_CONFIG,
                "log.retention.bytes",
                Type.LONG,
                -1L,
                null,
                "delete the oldest segments above this partition size; `-1` means no limit");
        define(
                synonyms,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                "message.max.bytes",
                Type.INT,
                1024 * 1024 + 12,
                Range.atLeast(0),
                "largest record batch accepted");
        define(
                synonyms,
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                "log.message.timestamp.type",
                Type.STRING,
                "CreateTime",
                ValidString.in("CreateTime", "LogAppendTime"),
                "`CreateTime` keeps the producer's timestamp, `LogAppendTime` stamps the broker's");
        define(
                synonyms,
                TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
                "log.message.timestamp.before.max.ms",
                Type.LONG,
                Long.MAX_VALUE,
                Range.atLeast(0),
                "reject timestamps further in the past than this");
        define(
                synonyms,
                TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
                "log.message.timestamp.after.max.ms",
                Type.LONG,
                60L * 60 * 1000,
                Range.atLeast(0),
                "reject timestamps further in the future than this");
        define(
                synonyms,
                TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG,
                "log.flush.interval.messages",
                Type.LONG,
                Long.MAX_VALUE,
                Range.atLeast(1),
                "fsync after this many messages (default: leave it to the OS)");
        define(
                synonyms,
                TopicConfig.FLUSH_MS_CONFIG,
                "log.flush.interval.ms",
                Type.LONG,
                Long.MAX_VALUE,
                Range.atLeast(0),
                "fsync after this many milliseconds (default: leave it to the OS)");
        define(
                synonyms,
                TopicConfig.FILE_DELETE_DELAY_MS_CONFIG,
                "log.segment.delete.delay.ms",
                Type.LONG,
                60000L,
                Range.atLeast(0),
                "delay before a deleted segment's files are removed");
        define(
                synonyms,
                TopicConfig.CLEANUP_POLICY_CONFIG,
                "log.cleanup.policy",
                Type.LIST,
                "delete",
                ConfigDef.ValidList.in(TopicConfig.CLEANUP_POLICY_DELETE, TopicConfig.CLEANUP_POLICY_COMPACT),
                "`delete`, `compact`, or `compact,delete`");
        define(
                synonyms,
                TopicConfig.COMPRESSION_TYPE_CONFIG,
                "compression.type",
                Type.STRING,
                "producer",
                ValidString.in("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
                "`producer` keeps batches as sent; or `uncompressed`, `gzip`, `snappy`, `lz4`, `zstd`");
        define(
                synonyms,
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                "min.insync.replicas",
                Type.INT,
                1,
                Range.atLeast(1),
                "replicas that must have a record before acks=all completes");
        define(
                synonyms,
                TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG,
                "unclean.leader.election.enable",
                Type.BOOLEAN,
                false,
                null,
                "when no in-sync replica is alive, let a live out-of-sync replica lead (it may lack acknowledged"
                        + " records); the active controller's broker setting is the default");
        define(
                synonyms,
                TopicConfig.DELETE_RETENTION_MS_CONFIG,
                "log.cleaner.delete.retention.ms",
                Type.LONG,
                24L * 60 * 60 * 1000,
                Range.atLeast(0),
                "how long the cleaner keeps a tombstone of a compacted topic");
        define(
                synonyms,
                TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                "log.cleaner.min.compaction.lag.ms",
                Type.LONG,
                0L,
                Range.atLeast(0),
                "a record stays uncompacted at least this long");
        define(
                synonyms,
                TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG,
                "log.cleaner.max.compaction.lag.ms",
                Type.LONG,
                Long.MAX_VALUE,
                Range.atLeast(1),
                "a log is compacted once its oldest uncompacted record is this old, whatever its dirty ratio");
        define(
                synonyms,
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                "log.cleaner.min.cleanable.ratio",
                Type.DOUBLE,
                0.5,
                Range.between(0, 1),
                "the share of a log's bytes not yet compacted above which the cleaner compacts it");
        define(
                synonyms,
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG,
                null,
                Type.BOOLEAN,
                false,
                null,
                "tier this topic (needs `remote.log.storage.system.enable=true` on the broker)");
        define(
                synonyms,
                TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG,
                "log.local.retention.ms",
                Type.LONG,
                -2L,
                Range.atLeast(-2),
                "how long a tiered segment stays on local disk once copied; `-2` follows `retention.ms`");
        define(
                synonyms,
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG,
                "log.local.retention.bytes",
                Type.LONG,
                -2L,
                Range.atLeast(-2),
                "local size of a tiered partition above which copied segments are deleted locally; `-2` follows `retention.bytes`");
        define(
                synonyms,
                TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG,
                null,
                Type.BOOLEAN,
                false,
                null,
                "stop copying to the remote tier; remote data stays readable and expires by retention, and the local log is retained by `retention.ms`/`retention.bytes` (which then raise the log start offset), not `local.retention.*`");
        define(
                synonyms,
                TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG,
                null,
                Type.BOOLEAN,
                false,
                null,
                "required (in the same configs) to turn `remote.storage.enable` from `true` to `false`; the remote data is then deleted and the log starts at its local log start offset");
        define(
                synonyms,
                TopicConfig.PREALLOCATE_CONFIG,
                "log.preallocate",
                Type.BOOLEAN,
                false,
                null,
                "preallocate segment files");
        BROKER_SYNONYMS = Collections.unmodifiableMap(synonyms);
    }

    private TopicConfigs() {}

    private static void define(
            Map<String, String> synonyms,
            String name,
            String brokerName,
            Type type,
            Object defaultValue,
            ConfigDef.Validator validator,
            String documentation) {
        DEF.define(name, type, defaultValue, validator, Importance.MEDIUM, documentation);
        synonyms.put(name, brokerName);
    }

    public static Set<String> names() {
        return BROKER_SYNONYMS.keySet();
    }

    public static boolean isKnown(String name) {
        return BROKER_SYNONYMS.containsKey(name);
    }

    /**
     * Validates topic overrides: every key must be a known topic config and every value must parse and pass its
     * validator.
     *
     * @throws ConfigException with a message naming the offending config
     */
    public static void validate(Map<String, String> overrides) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (!isKnown(e.getKey())) {
                throw new ConfigException("Unknown topic config name: " + e.getKey());
            }
            if (e.getValue() == null) {
                throw new ConfigException(e.getKey(), null, "Null value not supported for topic configs");
            }
        }
        DEF.parse(overrides);
    }

    /**
     * Kafka's checks of the tiering settings of a topic being created or changed, made on its configs laid over the
     * broker's topic defaults. A tiered topic ({@code remote.storage.enable=true}) needs a broker that tiers and
     * {@code cleanup.policy=delete}; its {@code local.retention.*} may not exceed {@code retention.*} (nor be -1, keep
     * forever, under a finite {@code retention.*}); with {@code remote.log.copy.disable=true} the two must be equal,
     * as nothing more is copied. Turning {@code remote.storage.enable} from true to false is refused unless the same
     * configs set {@code remote.log.delete.on.disable=true} (KIP-950).
     *
     * @param current the topic's overrides before the change; empty for a new topic
     * @param merged the topic's new overrides over the broker's topic defaults
     * @param remoteLogStorageSystemEnable whether the broker tiers ({@code remote.log.storage.system.enable})
     * @throws ConfigException naming the broken rule
     */
    public static void validateTiering(
            Map<String, String> current, Map<String, String> merged, boolean remoteLogStorageSystemEnable) {
        Map<String, Object> parsed = DEF.parse(merged);
        if (!(Boolean) parsed.get(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG)) {
            boolean wasTiered = Boolean.parseBoolean(current.get(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG));
            if (wasTiered && !(Boolean) parsed.get(TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG)) {
                throw new ConfigException("It is invalid to disable remote storage without deleting remote data. If you"
                        + " want to keep the remote data and turn to read only, please set"
                        + " `remote.storage.enable=true,remote.log.copy.disable=true`. If you want to disable remote"
                        + " storage and delete all remote data, please set"
                        + " `remote.storage.enable=false,remote.log.delete.on.disable=true`.");
            }
            return;
        }
        if (!remoteLogStorageSystemEnable) {
            throw new ConfigException("Tiered Storage functionality is disabled in the broker. Topic cannot be"
                    + " configured with remote log storage: set remote.log.storage.system.enable=true on the broker to"
                    + " use remote.storage.enable=true.");
        }
        @SuppressWarnings("unchecked")
        List<String> cleanupPolicy = (List<String>) parsed.get(TopicConfig.CLEANUP_POLICY_CONFIG);
        if (!cleanupPolicy.isEmpty() && !cleanupPolicy.equals(List.of(TopicConfig.CLEANUP_POLICY_DELETE))) {
            throw new ConfigException("Remote log storage only supports topics with cleanup.policy=delete or"
                    + " cleanup.policy being an empty list.");
        }
        validateLocalRetention(parsed);
        if ((Boolean) parsed.get(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG)) {
            requireEqualWhenCopyDisabled(
                    parsed, TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, TopicConfig.RETENTION_BYTES_CONFIG);
            requireEqualWhenCopyDisabled(
                    parsed, TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, TopicConfig.RETENTION_MS_CONFIG);
        }
    }

    /**
     * Kafka's check of the broker's own {@code log.local.retention.*} against {@code log.retention.*}, made when the
     * broker tiers: the rules of {@link #validateTiering} for the retention settings.
     *
     * @param brokerDefaults the broker's topic defaults, by topic config name ({@link #brokerDefaults})
     * @throws ConfigException naming the broken rule
     */
    public static void validateBrokerLocalRetention(Map<String, String> brokerDefaults) {
        validateLocalRetention(DEF.parse(brokerDefaults));
    }

    private static void validateLocalRetention(Map<String, Object> parsed) {
        checkLocalRetention(parsed, TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, TopicConfig.RETENTION_BYTES_CONFIG);
        checkLocalRetention(parsed, TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, TopicConfig.RETENTION_MS_CONFIG);
    }

    /** A local retention other than -2 (follow the total) must be set and within the total retention. */
    private static void checkLocalRetention(Map<String, Object> parsed, String localName, String totalName) {
        long local = (Long) parsed.get(localName);
        long total = (Long) parsed.get(totalName);
        if (total < 0 || local == -2) {
            return;
        }
        if (local == -1) {
            throw new ConfigException(
                    localName, local, "Value must not be -1 as " + totalName + " value is set as " + total + ".");
        }
        if (local > total) {
            throw new ConfigException(
                    localName, local, "Value must not be more than " + totalName + " property value: " + total);
        }
    }

    private static void requireEqualWhenCopyDisabled(Map<String, Object> parsed, String localName, String totalName) {
        long local = (Long) parsed.get(localName);
        if (local != -2 && local != (Long) parsed.get(totalName)) {
            throw new ConfigException("When `remote.log.copy.disable` is set to true, the `" + localName + "` and `"
                    + totalName + "` must be set to the identical value because there will be no more logs copied to"
                    + " the remote storage.");
        }
    }

    /**
     * The defaults a topic gets from the broker: every topic config whose broker synonym is set in {@code broker}
     * takes that value.
     */
    public static Map<String, String> brokerDefaults(Map<String, String> broker) {
        Map<String, String> defaults = new HashMap<>();
        BROKER_SYNONYMS.forEach((topicName, brokerName) -> {
            if (brokerName != null && broker.containsKey(brokerName)) {
                defaults.put(topicName, broker.get(brokerName));
            }
        });
        for (CoarseSynonym coarse : COARSE_SYNONYMS) {
            String value = broker.get(coarse.brokerName());
            if (!defaults.containsKey(coarse.topicName()) && value != null) {
                defaults.put(coarse.topicName(), Long.toString(Long.parseLong(value.trim()) * coarse.unitMs()));
            }
        }
        return defaults;
    }

    /**
     * A broker setting that gives a topic config's default in a coarser unit.
     *
     * @param unitName the unit's name, for documentation
     * @param unitMs milliseconds per unit
     */
    public record CoarseSynonym(String topicName, String brokerName, String unitName, long unitMs) {}
}
