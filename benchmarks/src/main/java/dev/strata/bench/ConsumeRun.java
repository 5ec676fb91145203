package dev.strata.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One consumer reading a topic with {@code assign()} from the log start offset to the end offsets it found when it
 * began, or until the spec's duration runs out. No consumer group, no commits: the broker's fetch path and nothing
 * else.
 */
final class ConsumeRun {
    private static final Duration POLL = Duration.ofMillis(100);

    private final String bootstrap;
    private final BenchTopic topic;
    private final WorkloadSpec spec;
    private final boolean catchUp;
    private final boolean readCommitted;

    /**
     * @param catchUp fetch sizes of a consumer catching up on history (replay) rather than the client's defaults
     */
    ConsumeRun(String bootstrap, BenchTopic topic, WorkloadSpec spec, boolean catchUp) {
        this(bootstrap, topic, spec, catchUp, false);
    }

    /**
     * @param catchUp fetch sizes of a consumer catching up on history (replay) rather than the client's defaults
     * @param readCommitted {@code isolation.level=read_committed}: reads up to the last stable offset, which is also
     *     where the end offsets are taken, and skips aborted records and transaction markers
     */
    ConsumeRun(String bootstrap, BenchTopic topic, WorkloadSpec spec, boolean catchUp, boolean readCommitted) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.spec = spec;
        this.catchUp = catchUp;
        this.readCommitted = readCommitted;
    }

    WorkloadResult run() {
        return run(topic.partitions());
    }

    /** Reads {@code parts} only, of the topic's partitions. */
    WorkloadResult run(List<TopicPartition> parts) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config())) {
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
            Map<TopicPartition, Long> pending = new HashMap<>();
            for (TopicPartition tp : parts) {
                if (consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp)) {
                    pending.put(tp, end.get(tp));
                }
            }
            long records = 0;
            long bytes = 0;
            long start = System.nanoTime();
            long deadline = start + spec.duration().toNanos();
            while (!pending.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    records++;
                    bytes += Math.max(0, r.serializedValueSize()) + Math.max(0, r.serializedKeySize());
                }
                pending.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.err.println(fetchFigures(consumer));
            if (!pending.isEmpty()) {
                System.err.printf(
                        "note: %s stopped at the duration limit with %d partitions not read to the end%n",
                        spec.workload().label(), pending.size());
            }
            return new WorkloadResult(spec, topic.name(), records, bytes, seconds, 0, null);
        }
    }

    /**
     * What the consumer's own fetch metrics say about the run, for telling where a replay waits: how many fetch
     * requests, their mean and largest latency and their mean size.
     */
    static String fetchFigures(KafkaConsumer<?, ?> consumer) {
        Map<String, Double> m = new HashMap<>();
        consumer.metrics().forEach((name, metric) -> {
            if (name.group().equals("consumer-fetch-manager-metrics")
                    && name.tags().size() == 1
                    && metric.metricValue() instanceof Double d) {
                m.put(name.name(), d);
            }
        });
        return String.format(
                Locale.ROOT,
                "consumer fetches: %.0f requests, latency mean %.1f ms max %.1f ms, %.0f KB mean size",
                m.getOrDefault("fetch-total", Double.NaN),
                m.getOrDefault("fetch-latency-avg", Double.NaN),
                m.getOrDefault("fetch-latency-max", Double.NaN),
                m.getOrDefault("fetch-size-avg", Double.NaN) / 1024);
    }

    /**
     * The cold first fetch: a fresh consumer positioned at offset 0 of every partition polls until it has records;
     * the time from its first poll to those records, in milliseconds.
     */
    double firstRecordsMs() {
        List<TopicPartition> parts = topic.partitions();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config())) {
            consumer.assign(parts);
            parts.forEach(tp -> consumer.seek(tp, 0));
            long start = System.nanoTime();
            long deadline = start + spec.duration().toNanos();
            while (consumer.poll(POLL).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "no records from offset 0 of " + topic.name() + " within " + spec.duration());
                }
            }
            return (System.nanoTime() - start) / 1e6;
        }
    }

    private Properties config() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-bench-" + spec.workload().label());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        if (catchUp) {
            p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
            p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
            p.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 1 << 20);
        }
        return p;
    }
}
