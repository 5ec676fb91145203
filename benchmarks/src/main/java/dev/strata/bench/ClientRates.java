package dev.strata.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One kafka-clients producer or consumer on partition 0 of a topic, as fast as the broker lets it, for the benchmarks
 * that compare what a client reaches under some condition (a quota, TLS): {@link #produce} sends for a time or up to a
 * byte count, {@link #consume} reads from offset 0 for a time. The caller's properties carry the bootstrap address,
 * the client id and any security settings.
 */
final class ClientRates {
    private ClientRates() {}

    /** One client's phase: what it moved, over how long, and the longest throttle it was told. */
    record Phase(long bytes, double seconds, double throttleMsMax) {
        double megabytesPerSecond() {
            return bytes / seconds / 1e6;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bytes", bytes);
            m.put("seconds", seconds);
            m.put("mb_per_s", megabytesPerSecond());
            m.put("throttle_ms_max", throttleMsMax);
            return m;
        }
    }

    /**
     * Sends {@code recordSize}-byte records to partition 0 until {@code duration} has passed or {@code limitBytes}
     * were sent ({@code acks=1}); the figure is the bytes acknowledged within the time.
     */
    static Phase produce(Properties client, String topic, int recordSize, Duration duration, long limitBytes) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        byte[] value = new byte[recordSize];
        AtomicLong acked = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            long sent = 0;
            while (System.nanoTime() < end && sent < limitBytes) {
                producer.send(new ProducerRecord<>(topic, 0, null, value), (m, e) -> {
                    if (e == null) {
                        acked.addAndGet(recordSize);
                    }
                });
                sent += recordSize;
            }
            long bytes = acked.get();
            double elapsed = (System.nanoTime() - start) / 1e9;
            producer.flush();
            if (sent >= limitBytes) {
                bytes = acked.get();
                elapsed = (System.nanoTime() - start) / 1e9;
            }
            return new Phase(bytes, elapsed, max(producer.metrics(), "produce-throttle-time"));
        }
    }

    /** Reads partition 0 of {@code topic} from offset 0 for {@code duration}, or until {@code limitBytes}. */
    static Phase consume(Properties client, String topic, Duration duration, long limitBytes) {
        Properties props = new Properties();
        props.putAll(client);
        long bytes = 0;
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            while (System.nanoTime() < end && bytes < limitBytes) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    bytes += r.serializedValueSize();
                }
            }
            return new Phase(bytes, (System.nanoTime() - start) / 1e9, max(consumer.metrics(), "fetch-throttle-time"));
        }
    }

    /** Properties of a client of {@code bootstrap} named {@code clientId}. */
    static Properties client(String bootstrap, String clientId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return props;
    }

    /** The largest {@code <prefix>-max} metric of a client. */
    private static double max(Map<MetricName, ? extends Metric> metrics, String prefix) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().name().equals(prefix + "-max"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .filter(v -> !Double.isNaN(v))
                .max()
                .orElse(0);
    }
}
