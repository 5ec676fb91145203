package dev.strata.broker.quota;

import dev.strata.broker.cluster.ClusterChangeListener;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.QuotaConfigs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Quota;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.metrics.stats.TokenBucket;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's client quotas: produce and fetch byte rates, request time (a percentage of one I/O thread) and controller
 * mutations (partitions created or deleted, {@link #mutationQuota}) per user, client id, or user and client id, with Kafka's precedence and its throttle time. The quotas come from the metadata quorum ({@link #update}, on the metadata
 * listener's thread); handlers record bytes and get the time to throttle the client for ({@link #recordAndThrottle},
 * on the I/O pool).
 *
 * <p>For each quota type the entity that applies to a request is the first of these with that quota set: user and
 * client id, user and default client id, user, default user and client id, default user and default client id,
 * default user, client id, default client id. Its rate is measured per the names the entity stands for: a quota of
 * {@code users/<default>} is measured per user, one of {@code clients/x} across every user of client id x. A rate is
 * measured over {@code quota.window.num} windows of {@code quota.window.size.seconds} (Kafka's {@link Rate}, at least
 * all but the current window long), and a client over its quota is throttled for {@code (rate - quota) / quota} times
 * that span: the time after which its rate is back at the quota, if it sends nothing meanwhile.
 */
public final class ClientQuotaManager {
    private static final Logger log = LoggerFactory.getLogger(ClientQuotaManager.class);
    private static final long IDLE_RATE_EXPIRY_MS = TimeUnit.HOURS.toMillis(1);
    private static final long SWEEP_INTERVAL_MS = TimeUnit.MINUTES.toMillis(1);

    /** What a quota limits, by its config key. */
    public enum Type {
        PRODUCE("producer_byte_rate"),
        FETCH("consumer_byte_rate"),
        /** Time on the broker's I/O threads, in percent of one thread: recorded in percent-seconds. */
        REQUEST("request_percentage"),
        /** Partitions created or deleted per second (KIP-599): a token bucket, see {@link MutationQuota}. */
        CONTROLLER_MUTATION("controller_mutation_rate");

        private final String configKey;

        Type(String configKey) {
            this.configKey = configKey;
        }

        public String configKey() {
            return configKey;
        }
    }

    /** The quota configs a user or client id entity may set. */
    public static final List<String> CONFIG_KEYS = List.of(
            Type.PRODUCE.configKey(),
            Type.FETCH.configKey(),
            Type.REQUEST.configKey(),
            Type.CONTROLLER_MUTATION.configKey());

    private final MetricConfig windows;
    private final int controllerWindowCount;
    private final int controllerWindowSeconds;
    private volatile Map<QuotaEntity, Map<String, Double>> quotas = Map.of();
    private final Map<RateKey, Measured> rates = new ConcurrentHashMap<>();
    private volatile long lastSweepMs;

    public ClientQuotaManager(int windowCount, int windowSeconds) {
        this(windowCount, windowSeconds, windowCount, windowSeconds);
    }

    /**
     * @param controllerWindowCount with {@code controllerWindowSeconds}, the windows of controller mutation quotas: a
     *     client's burst is their product times its rate
     */
    public ClientQuotaManager(
            int windowCount, int windowSeconds, int controllerWindowCount, int controllerWindowSeconds) {
        this.windows = new MetricConfig().samples(windowCount).timeWindow(windowSeconds, TimeUnit.SECONDS);
        this.controllerWindowCount = controllerWindowCount;
        this.controllerWindowSeconds = controllerWindowSeconds;
    }

    /**
     * A manager with the windows {@code config} sets ({@code quota.window.num}, {@code quota.window.size.seconds},
     * {@code controller.quota.window.num}, {@code controller.quota.window.size.seconds}).
     */
    public static ClientQuotaManager of(BrokerConfig config) {
        return new ClientQuotaManager(
                config.intValue(QuotaConfigs.QUOTA_WINDOW_NUM),
                config.intValue(QuotaConfigs.QUOTA_WINDOW_SIZE_SECONDS),
                config.intValue(QuotaConfigs.CONTROLLER_QUOTA_WINDOW_NUM),
                config.intValue(QuotaConfigs.CONTROLLER_QUOTA_WINDOW_SIZE_SECONDS));
    }

    /** Replaces an entity's quotas as the metadata quorum now holds them; empty removes them. */
    public synchronized void update(QuotaEntity entity, Map<String, String> configs) {
        Map<String, Double> values = new HashMap<>();
        configs.forEach((key, value) -> {
            try {
                values.put(key, Double.parseDouble(value));
            } catch (NumberFormatException e) {
                log.warn("Ignoring quota {}={} of {}: not a number", key, value, entity);
            }
        });
        Map<QuotaEntity, Map<String, Double>> next = new HashMap<>(quotas);
        if (values.isEmpty()) {
            next.remove(entity);
        } else {
            next.put(entity, Map.copyOf(values));
        }
        quotas = Map.copyOf(next);
    }

    /** Keeps this manager's quotas as the metadata quorum holds them, from every broker's alterations. */
    public ClusterChangeListener listener() {
        return new ClusterChangeListener() {
            @Override
            public void onBrokerConfigsChanged(String entity, Map<String, String> configs) {
                QuotaEntity.fromConfigEntity(entity).ifPresent(e -> update(e, configs));
            }
        };
    }

    /** Every entity's quotas. */
    public Map<QuotaEntity, Map<String, Double>> quotas() {
        return quotas;
    }

    /** The quota of {@code type} for requests of {@code user} with {@code clientId}, if any entity sets one. */
    public OptionalDouble quota(Type type, String user, String clientId) {
        Match match = match(type, user, clientId);
        return match == null ? OptionalDouble.empty() : OptionalDouble.of(match.quota);
    }

    /**
     * Records {@code value} (bytes) against the quota of {@code type} that applies, and returns how long the client
     * should be throttled for, in ms: 0 within its quota or without one.
     */
    public int recordAndThrottle(Type type, KafkaPrincipal principal, String clientId, double value, long nowMs) {
        Match match = match(type, principal.getName(), clientId);
        if (match == null) {
            return 0;
        }
        sweepIdleRates(nowMs);
        Measured rate = rates.computeIfAbsent(match.key, k -> new Measured(new Rate()));
        int throttleMs = rate.recordAndThrottle(windows, value, match.quota, nowMs);
        // a request quota holds a client back one window at most, as Kafka's does; a byte rate as long as it takes
        return type == Type.REQUEST ? (int) Math.min(throttleMs, windows.timeWindowMs()) : throttleMs;
    }

    /**
     * Takes back bytes recorded by {@link #recordAndThrottle}, for a fetch answered without them because it was
     * throttled, as Kafka does.
     */
    public void unrecord(Type type, KafkaPrincipal principal, String clientId, double value, long nowMs) {
        Match match = match(type, principal.getName(), clientId);
        if (match != null) {
            Measured rate = rates.get(match.key);
            if (rate != null) {
                rate.record(windows, -value, nowMs);
            }
        }
    }

    /**
     * The controller mutation quota ({@code controller_mutation_rate}) of one CreateTopics, DeleteTopics or
     * CreatePartitions request of {@code principal} with {@code clientId}, at {@code nowMs}: strict (it refuses
     * mutations once the client's token bucket is empty) for the versions whose clients understand
     * THROTTLING_QUOTA_EXCEEDED, else permissive (it only throttles). {@link MutationQuota#UNBOUNDED} without a quota.
     */
    public MutationQuota mutationQuota(KafkaPrincipal principal, String clientId, boolean strict, long nowMs) {
        Match match = match(Type.CONTROLLER_MUTATION, principal.getName(), clientId);
        if (match == null) {
            return MutationQuota.UNBOUNDED;
        }
        sweepIdleRates(nowMs);
        Measured bucket = rates.computeIfAbsent(match.key, k -> new Measured(new TokenBucket()));
        MetricConfig config = new MetricConfig()
                .samples(controllerWindowCount)
                .timeWindow(controllerWindowSeconds, TimeUnit.SECONDS)
                .quota(Quota.upperBound(match.quota));
        return new MutationQuota(bucket, config, strict, nowMs);
    }

    private Match match(Type type, String user, String clientId) {
        Map<QuotaEntity, Map<String, Double>> all = quotas;
        if (all.isEmpty()) {
            return null;
        }
        QuotaEntity.Part u = QuotaEntity.Part.named(user);
        QuotaEntity.Part c = QuotaEntity.Part.named(clientId);
        QuotaEntity.Part d = QuotaEntity.Part.DEFAULT;
        List<QuotaEntity> order = new ArrayList<>(8);
        order.add(new QuotaEntity(u, c));
        order.add(new QuotaEntity(u, d));
        order.add(new QuotaEntity(u, null));
        order.add(new QuotaEntity(d, c));
        order.add(new QuotaEntity(d, d));
        order.add(new QuotaEntity(d, null));
        order.add(new QuotaEntity(null, c));
        order.add(new QuotaEntity(null, d));
        for (QuotaEntity entity : order) {
            Double quota = all.getOrDefault(entity, Map.of()).get(type.configKey());
            if (quota != null) {
                // measured per the names the entity stands for: the user's name if it has a user part, and so on
                RateKey key = new RateKey(
                        type, entity.user() == null ? null : user, entity.clientId() == null ? null : clientId);
                return new Match(key, quota);
            }
        }
        return null;
    }

    private void sweepIdleRates(long nowMs) {
        if (nowMs - lastSweepMs < SWEEP_INTERVAL_MS) {
            return;
        }
        lastSweepMs = nowMs;
        rates.values().removeIf(r -> r.idleSince(nowMs) > IDLE_RATE_EXPIRY_MS);
    }

    private record RateKey(Type type, String user, String clientId) {}

    private record Match(RateKey key, double quota) {}

    /**
     * One measured quota of a client: Kafka's sampled {@link Rate} for byte rates and request time, its
     * {@link TokenBucket} for controller mutations; neither is thread-safe on its own, so every use holds this monitor.
     */
    static final class Measured {
        private final MeasurableStat stat;
        private long lastRecordMs;

        Measured(MeasurableStat stat) {
            this.stat = stat;
        }

        synchronized void record(MetricConfig config, double value, long nowMs) {
            stat.record(config, value, nowMs);
            lastRecordMs = nowMs;
        }

        synchronized double measure(MetricConfig config, long nowMs) {
            return stat.measure(config, nowMs);
        }

        synchronized int recordAndThrottle(MetricConfig config, double value, double quota, long nowMs) {
            record(config, value, nowMs);
            double observed = measure(config, nowMs);
            if (observed <= quota) {
                return 0;
            }
            double throttleMs = (observed - quota) / quota * ((Rate) stat).windowSize(config, nowMs);
            return (int) Math.min(Integer.MAX_VALUE, Math.round(throttleMs));
        }

        synchronized long idleSince(long nowMs) {
            return nowMs - lastRecordMs;
        }
    }
}
