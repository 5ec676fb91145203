package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * An idempotent {@code acks=all} producer writing keys {@code k0, k1, ...} to one partition on a thread of its own
 * while a test changes the cluster under it, remembering which keys were acknowledged; {@link #readOnce} then reads the
 * partition back and checks that no key is stored twice.
 */
final class ProducerLoop implements AutoCloseable {
    private final Set<String> acknowledged = new ConcurrentSkipListSet<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong sent = new AtomicLong();
    private final Thread sender;

    private ProducerLoop(TestCluster cluster, TopicPartition tp) {
        sender = new Thread(() -> {
            try (KafkaProducer<String, String> producer = cluster.producer()) {
                while (!stop.get()) {
                    String key = "k" + sent.getAndIncrement();
                    producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), key, "v-" + key), (md, e) -> {
                        if (e == null) {
                            acknowledged.add(key);
                        }
                    });
                    if (sent.get() % 50 == 0) {
                        producer.flush();
                    }
                }
                producer.flush();
            }
        });
    }

    static ProducerLoop start(TestCluster cluster, TopicPartition tp) {
        ProducerLoop loop = new ProducerLoop(cluster, tp);
        loop.sender.start();
        return loop;
    }

    /** The keys acknowledged so far (a live view). */
    Set<String> acknowledged() {
        return acknowledged;
    }

    /** Waits until {@code more} records beyond those acknowledged now are acknowledged. */
    void awaitMore(int more, String what) {
        long before = acknowledged.size();
        Await.until(TestCluster.TIMEOUT, what, () -> acknowledged.size() >= before + more);
    }

    /** Stops producing and waits for the outstanding sends to be answered. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        sender.join(TestCluster.TIMEOUT.toMillis());
        assertThat(sender.isAlive()).as("the producer thread stopped").isFalse();
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
