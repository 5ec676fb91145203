package dev.strata.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * End-to-end latency: a paced producer stamps {@link System#nanoTime()} into each value and a consumer in the same
 * JVM (so the clock is the same) subtracts it on receipt. The time includes the producer's linger, the broker's
 * append and acknowledgement (the consumer sees a record only below the high watermark) and the consumer's fetch.
 */
final class EndToEndRun {
    private static final Duration POLL = Duration.ofMillis(20);
    private static final long GRACE_NS = TimeUnit.SECONDS.toNanos(10);

    private final String bootstrap;
    private final BenchTopic topic;
    private final WorkloadSpec spec;
    private final Histogram latencyMicros = Percentiles.newHistogram();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean producerDone = new AtomicBoolean();
    private final AtomicLong expected = new AtomicLong(Long.MAX_VALUE);
    private final CountDownLatch assigned = new CountDownLatch(1);
    private volatile long firstReceipt;
    private volatile long lastReceipt;

    EndToEndRun(String bootstrap, BenchTopic topic, WorkloadSpec spec) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.spec = spec;
    }

    WorkloadResult run() {
        Thread consumer = new Thread(this::consume, "bench-e2e-consumer");
        consumer.start();
        try {
            if (!assigned.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the e2e consumer did not find its start offsets within 30 s");
            }
            WorkloadResult produced = new ProduceRun(bootstrap, topic.name(), spec, true).run();
            expected.set(produced.records());
            producerDone.set(true);
            consumer.join(TimeUnit.NANOSECONDS.toMillis(GRACE_NS) + 5_000);
            double seconds = firstReceipt == 0 ? 0 : (lastReceipt - firstReceipt) / 1e9;
            if (received.get() < produced.records()) {
                System.err.printf(
                        "note: e2e received %d of %d acknowledged records%n", received.get(), produced.records());
            }
            synchronized (latencyMicros) {
                return new WorkloadResult(
                        spec,
                        topic.name(),
                        received.get(),
                        bytes.get(),
                        seconds,
                        produced.errors(),
                        Percentiles.of(latencyMicros));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            producerDone.set(true);
            expected.set(0);
        }
    }

    private void consume() {
        List<TopicPartition> parts = topic.partitions();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config())) {
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            for (TopicPartition tp : parts) {
                consumer.position(tp, Duration.ofSeconds(30));
            }
            assigned.countDown();
            long graceEnd = Long.MAX_VALUE;
            while (received.get() < expected.get() && System.nanoTime() < graceEnd) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    long now = System.nanoTime();
                    long sentAt = ByteBuffer.wrap(r.value()).getLong(0);
                    synchronized (latencyMicros) {
                        latencyMicros.recordValue(Math.max(0, now - sentAt) / 1000);
                    }
                    if (firstReceipt == 0) {
                        firstReceipt = now;
                    }
                    lastReceipt = now;
                    received.incrementAndGet();
                    bytes.addAndGet(r.serializedValueSize());
                }
                if (producerDone.get() && graceEnd == Long.MAX_VALUE) {
                    graceEnd = System.nanoTime() + GRACE_NS;
                }
            }
        }
    }

    private Properties config() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-bench-e2e");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }
}
