package dev.strata.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Rebalance time: N consumers subscribe to a P-partition topic in one group at the same moment; the time measured is
 * from the first subscribe until every partition is owned by exactly one consumer and every consumer owns at least
 * one (when P >= N). Runs against any bootstrap server, with the classic or the KIP-848 consumer protocol.
 *
 * <pre>
 * bin/strata bench rebalance --consumers 10 --partitions 60 --protocol classic
 * bin/strata bench rebalance --consumers 10 --partitions 60 --protocol consumer
 * </pre>
 */
@Command(
        name = "strata-rebalance",
        mixinStandardHelpOptions = true,
        description = "Time for N consumers joining one group to share a P-partition topic.")
public final class RebalanceBench implements Callable<Integer> {
    @Option(
            names = "--bootstrap-server",
            defaultValue = "127.0.0.1:9092",
            description = "Broker (default: ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(names = "--consumers", defaultValue = "10", description = "Consumers (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--partitions", defaultValue = "60", description = "Partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--protocol",
            defaultValue = "classic",
            description = "classic or consumer (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(
            names = "--runs",
            defaultValue = "3",
            description = "Repetitions, each with a fresh group (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--timeout-s",
            defaultValue = "120",
            description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RebalanceBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!protocol.equals("classic") && !protocol.equals("consumer")) {
            System.err.println("--protocol must be classic or consumer");
            return 2;
        }
        String topic = "strata-rebalance-" + UUID.randomUUID().toString().substring(0, 8);
        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(adminProps)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            List<Long> millis = new ArrayList<>();
            for (int run = 0; run < runs; run++) {
                long ms = once(topic, "strata-rebalance-" + UUID.randomUUID());
                millis.add(ms);
                System.out.printf(
                        "run %d: %d consumers, %d partitions, protocol %s: %d ms%n",
                        run + 1, consumers, partitions, protocol, ms);
            }
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            millis.sort(null);
            System.out.printf(
                    "rebalance %s: min %d ms, median %d ms, max %d ms over %d runs%n",
                    protocol,
                    millis.get(0),
                    millis.get(millis.size() / 2),
                    millis.get(millis.size() - 1),
                    millis.size());
        }
        return 0;
    }

    private long once(String topic, String group) throws Exception {
        Map<Integer, Set<TopicPartition>> owned = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(consumers);
        long start;
        try {
            for (int i = 0; i < consumers; i++) {
                int id = i;
                pool.execute(() -> {
                    Properties p = new Properties();
                    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
                    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
                    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
                    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
                    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
                        started.await();
                        c.subscribe(List.of(topic));
                        while (!stop.get()) {
                            c.poll(Duration.ofMillis(50));
                            owned.put(id, new HashSet<>(c.assignment()));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            start = System.nanoTime();
            started.countDown();
            long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (!settled(owned)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the group did not settle within " + timeoutSeconds + " s");
                }
                Thread.sleep(5); // polling a condition in a benchmark driver, not in a test
            }
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        } finally {
            stop.set(true);
            pool.shutdown();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    private boolean settled(Map<Integer, Set<TopicPartition>> owned) {
        if (owned.size() < consumers) {
            return false;
        }
        Set<TopicPartition> all = new HashSet<>();
        int sum = 0;
        for (Set<TopicPartition> s : owned.values()) {
            if (s.isEmpty() && partitions >= consumers) {
                return false;
            }
            all.addAll(s);
            sum += s.size();
        }
        return all.size() == partitions && sum == partitions;
    }
}
