package dev.strata.bench;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Producers sending to one topic until the spec's duration or record count is reached, each producer on its own
 * thread. Latency is measured from just before {@code send()} to the acknowledgement callback, as Kafka's
 * {@code ProducerPerformance} does, so time spent blocked on a full buffer counts.
 */
final class ProduceRun {
    /** Distinct values each producer cycles through; letters, so that compression has something to do. */
    private static final int PAYLOADS = 64;

    private final String bootstrap;
    private final String topic;
    private final WorkloadSpec spec;
    private final boolean stampSendTime;
    private final Recorder latencyMicros = new Recorder(3);
    private final LongAdder acked = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private volatile boolean stopped;

    /**
     * @param stampSendTime write {@link System#nanoTime()} at send into the first 8 bytes of every value, for a
     *     consumer in this process to measure end-to-end latency
     */
    ProduceRun(String bootstrap, String topic, WorkloadSpec spec, boolean stampSendTime) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.spec = spec;
        this.stampSendTime = stampSendTime;
    }

    WorkloadResult run() {
        int n = spec.producers();
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> new Thread(r, "bench-producer"));
        long start = System.nanoTime();
        long deadline = start + spec.duration().toNanos();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                running.add(pool.submit(() -> produce(id, deadline)));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("producer failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (firstError.get() != null) {
            System.err.printf("warning: %d sends failed, first: %s%n", errors.sum(), firstError.get());
        }
        long records = acked.sum();
        return new WorkloadResult(
                spec,
                topic,
                records,
                records * spec.recordSize(),
                seconds,
                errors.sum(),
                Percentiles.of(latencyMicros.getIntervalHistogram()));
    }

    /** Ends a running {@link #run()} early: each producer sends nothing more and waits for what it sent. */
    void stop() {
        stopped = true;
    }

    private void produce(int id, long deadline) {
        long limit = share(spec.records(), id, spec.producers());
        double rate = spec.effectiveRate() / (double) spec.producers();
        byte[][] payloads = payloads(spec.recordSize(), id);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config(id))) {
            long start = System.nanoTime();
            long sent = 0;
            while (sent < limit) {
                long now = System.nanoTime();
                if (now >= deadline || stopped) {
                    break;
                }
                if (rate > 0) {
                    long due = start + (long) (sent * 1e9 / rate);
                    if (due > now) {
                        LockSupport.parkNanos(Math.min(due, deadline) - now);
                        continue;
                    }
                }
                byte[] value = stampSendTime ? new byte[spec.recordSize()] : payloads[(int) (sent % PAYLOADS)];
                long sentAt = System.nanoTime();
                if (stampSendTime) {
                    ByteBuffer.wrap(value).putLong(0, sentAt);
                }
                producer.send(new ProducerRecord<>(topic, value), (metadata, e) -> {
                    if (e == null) {
                        latencyMicros.recordValue((System.nanoTime() - sentAt) / 1000);
                        acked.increment();
                    } else {
                        errors.increment();
                        firstError.compareAndSet(null, e);
                    }
                });
                sent++;
            }
            producer.flush();
        }
    }

    /** Producer {@code id}'s part of {@code total} records; no limit when total is 0. */
    private static long share(long total, int id, int producers) {
        if (total == 0) {
            return Long.MAX_VALUE;
        }
        return total / producers + (id < total % producers ? 1 : 0);
    }

    /** {@value #PAYLOADS} values of {@code size} random capital letters, the same for the same seed. */
    static byte[][] payloads(int size, int seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[][] values = new byte[PAYLOADS][size];
        for (byte[] v : values) {
            for (int i = 0; i < size; i++) {
                v[i] = (byte) ('A' + random.nextInt(26));
            }
        }
        return values;
    }

    private Properties config(int id) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "strata-bench-producer-" + id);
        p.put(ProducerConfig.ACKS_CONFIG, spec.acks());
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, spec.compression());
        p.put(ProducerConfig.LINGER_MS_CONFIG, spec.lingerMs());
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, spec.batchSize());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }
}
