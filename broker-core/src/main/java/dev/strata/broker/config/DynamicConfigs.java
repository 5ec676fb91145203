package dev.strata.broker.config;

import dev.strata.tiering.ChunkCacheConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Which broker settings can change while the broker runs ({@link DynamicBrokerConfig}), and which settings are
 * synonyms of one another. As in Kafka, every broker default of a topic config is dynamic (a topic that does not set
 * the config follows the new default: {@code log.retention.ms}, {@code log.segment.bytes}, ...), except
 * {@code unclean.leader.election.enable}, which the active controller logs from its own static setting; so are the log
 * cleaner's thread count, backoff and buffers, the upload rate limit, the chunk cache's memory budget and, per broker,
 * the TLS listeners' key and trust stores ({@link SecurityConfigs#DYNAMIC_STORE_SETTINGS}, with or without a listener
 * prefix).
 */
public final class DynamicConfigs {

    /** The dynamic broker settings that give topic configs their defaults. */
    public static final Set<String> TOPIC_DEFAULTS;

    /** Every setting that can change dynamically. */
    public static final Set<String> NAMES;

    static {
        Set<String> topicDefaults = new TreeSet<>();
        TopicConfigs.BROKER_SYNONYMS.values().stream().filter(n -> n != null).forEach(topicDefaults::add);
        TopicConfigs.COARSE_SYNONYMS.forEach(c -> topicDefaults.add(c.brokerName()));
        topicDefaults.remove(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG);
        TOPIC_DEFAULTS = Set.copyOf(topicDefaults);
        Set<String> names = new TreeSet<>(topicDefaults);
        names.addAll(List.of(
                CleanerConfig.THREADS,
                CleanerConfig.BACKOFF_MS,
                CleanerConfig.DEDUPE_BUFFER_SIZE,
                CleanerConfig.IO_BUFFER_SIZE,
                BrokerConfig.REMOTE_LOG_MANAGER_COPY_MAX_BYTES_PER_SECOND,
                ChunkCacheConfig.MEMORY_BYTES_CONFIG));
        NAMES = Set.copyOf(names);
    }

    private DynamicConfigs() {}

    /** Whether the setting can change while the broker runs. */
    public static boolean isDynamic(String name) {
        return NAMES.contains(name) || SecurityConfigs.isDynamicStoreSetting(name);
    }

    /**
     * The setting and its synonyms, most precise first: the broker settings that give the same topic config's default
     * ({@code log.retention.ms}, {@code log.retention.minutes}, {@code log.retention.hours}); just the setting for
     * any other.
     */
    public static List<String> synonyms(String name) {
        for (TopicConfigs.CoarseSynonym coarse : TopicConfigs.COARSE_SYNONYMS) {
            String fine = TopicConfigs.BROKER_SYNONYMS.get(coarse.topicName());
            if (name.equals(fine) || name.equals(coarse.brokerName())) {
                List<String> group = new ArrayList<>();
                group.add(fine);
                TopicConfigs.COARSE_SYNONYMS.stream()
                        .filter(c -> c.topicName().equals(coarse.topicName()))
                        .forEach(c -> group.add(c.brokerName()));
                return group;
            }
        }
        return List.of(name);
    }
}
