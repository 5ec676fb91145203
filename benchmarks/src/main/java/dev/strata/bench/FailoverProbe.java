package dev.strata.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A steady trickle of records through one partition, to time how long a cluster event interrupts it: an idempotent
 * {@code acks=all} producer sends a record every {@value #SEND_INTERVAL_MS} ms with {@link System#nanoTime()} at send
 * in its first 8 bytes, and a consumer in this JVM ({@code assign()}, no group, so no coordinator is involved) reads
 * them. After {@link #mark()}, {@link #await} reports the time from the mark to the first acknowledgement of a record
 * sent after the mark, and to the consumer's first record sent after the mark. Records sent before the mark and
 * acknowledged after it do not count: they prove nothing about the cluster after the event. Both clients keep Kafka's
 * defaults otherwise (retries, backoff, {@code delivery.timeout.ms} of 2 minutes), so both systems see the same client.
 */
final class FailoverProbe implements AutoCloseable {
    private static final long SEND_INTERVAL_MS = 2;
    private static final int RECORD_SIZE = 100;

    /** How long a cluster event interrupted the trickle. */
    record Recovery(Duration produce, Duration consume) {}

    private final TopicPartition partition;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AtomicLong mark = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstAck = new AtomicLong();
    private final AtomicLong firstRead = new AtomicLong();
    private final LongAdder failedSends = new LongAdder();
    private final Thread sender;
    private final Thread reader;
    private volatile boolean running = true;

    FailoverProbe(String bootstrap, String topic) {
        this.partition = new TopicPartition(topic, 0);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-bench-failover-producer");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "strata-bench-failover-consumer");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.assign(List.of(partition));
        consumer.seekToEnd(List.of(partition));
        this.sender = new Thread(this::send, "failover-probe-producer");
        this.reader = new Thread(this::read, "failover-probe-consumer");
        sender.start();
        reader.start();
    }

    /** Starts timing from now; call it just before the event. */
    void mark() {
        firstAck.set(0);
        firstRead.set(0);
        mark.set(System.nanoTime());
    }

    /** Waits until a record sent after the {@link #mark()} was acknowledged and read; null after {@code timeout}. */
    Recovery await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (firstAck.get() == 0 || firstRead.get() == 0) {
            if (System.nanoTime() > deadline) {
                return null;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        long from = mark.get();
        return new Recovery(Duration.ofNanos(firstAck.get() - from), Duration.ofNanos(firstRead.get() - from));
    }

    /** Sends that failed for good (after the producer's retries), since the start. */
    long failedSends() {
        return failedSends.sum();
    }

    private void send() {
        byte[] padding = new byte[RECORD_SIZE - Long.BYTES];
        long next = System.nanoTime();
        while (running) {
            long sentAt = System.nanoTime();
            byte[] value = ByteBuffer.allocate(RECORD_SIZE)
                    .putLong(sentAt)
                    .put(padding)
                    .array();
            try {
                producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), null, value), (md, e) -> {
                    if (e != null) {
                        failedSends.increment();
                    } else if (sentAt >= mark.get()) {
                        firstAck.compareAndSet(0, System.nanoTime());
                    }
                });
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                failedSends.increment();
            }
            next += TimeUnit.MILLISECONDS.toNanos(SEND_INTERVAL_MS);
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            } else {
                next = System.nanoTime();
            }
        }
    }

    private void read() {
        while (running) {
            try {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    long sentAt = ByteBuffer.wrap(r.value()).getLong();
                    if (sentAt >= mark.get()) {
                        firstRead.compareAndSet(0, System.nanoTime());
                    }
                }
            } catch (RuntimeException e) {
                // a failover the consumer does not ride out by itself: say so, and read on
                System.err.println("failover probe: consumer: " + e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            sender.join(TimeUnit.SECONDS.toMillis(10));
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(5));
    }
}
