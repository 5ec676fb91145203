package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The cluster's idempotent {@code acks=all} producer ({@link TestCluster#producer()}) sending records keyed
 * {@code k0, k1, ...} to one partition, on a thread of its own, until closed: what a fault test runs while it kills,
 * stops or cuts brokers. It keeps the keys acknowledged and the errors reported; {@link #readOnce} then reads the
 * partition back and checks that no key is stored twice.
 */
final class ProducerLoop implements AutoCloseable {

    private final Set<String> acknowledged = new ConcurrentSkipListSet<>();
    private final ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    private ProducerLoop(TestCluster cluster, String topic, int partition, Map<String, Object> overrides) {
        this.thread = new Thread(
                () -> {
                    try (KafkaProducer<String, String> producer = cluster.producer(overrides)) {
                        for (long i = 0; !stop.get(); i++) {
                            String key = "k" + i;
                            producer.send(new ProducerRecord<>(topic, partition, key, "v-" + key), (md, e) -> {
                                if (e == null) {
                                    acknowledged.add(key);
                                } else {
                                    errors.add(e);
                                }
                            });
                            if (i % 50 == 0) {
                                producer.flush();
                            }
                        }
                        producer.flush();
                    }
                },
                "producer-loop-" + topic);
    }

    static ProducerLoop start(TestCluster cluster, String topic, int partition) {
        return start(cluster, topic, partition, Map.of());
    }

    /** As {@link #start(TestCluster, String, int)}, with producer settings {@code overrides}. */
    static ProducerLoop start(TestCluster cluster, String topic, int partition, Map<String, Object> overrides) {
        ProducerLoop loop = new ProducerLoop(cluster, topic, partition, overrides);
        loop.thread.start();
        return loop;
    }

    /** Waits until {@code more} records beyond those acknowledged so far are acknowledged. */
    void awaitMoreAcknowledged(int more, String what) {
        long before = acknowledged.size();
        Await.until(TestCluster.TIMEOUT, what, () -> acknowledged.size() >= before + more);
    }

    /** The keys acknowledged so far; complete once closed. */
    Set<String> acknowledged() {
        return acknowledged;
    }

    /** The errors the producer reported so far; complete once closed. */
    List<Exception> errors() {
        return new ArrayList<>(errors);
    }

    /** Stops sending, waits for every record sent to be acknowledged or failed. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(TestCluster.TIMEOUT.toMillis());
    }

    /** Every record of {@code tp} up to its end offset, key to offset; fails if a key is stored twice. */
    static Map<String, Long> readOnce(TestCluster cluster, TopicPartition tp, Duration timeout) {
        Map<String, Long> read = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = cluster.consumer()) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            consumer.seekToBeginning(List.of(tp));
            for (ConsumerRecord<String, String> r : Await.records(consumer, (int) end, timeout)) {
                assertThat(read.put(r.key(), r.offset()))
                        .as("%s stored once (again at offset %d)", r.key(), r.offset())
                        .isNull();
            }
        }
        return read;
    }
}
