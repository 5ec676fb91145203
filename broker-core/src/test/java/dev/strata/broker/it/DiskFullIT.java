package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log directory on a small file system that fills up (a tmpfs of a few MiB, mounted by the test; it needs root and
 * skips itself otherwise). With {@code log.dir.free.bytes.min} the broker refuses produce with the retriable
 * KAFKA_STORAGE_ERROR before the disk is full, and takes produce again once space is freed, without a restart. Without
 * that margin the disk fills mid-write: the directory goes offline (KAFKA_STORAGE_ERROR, nothing acknowledged after the
 * torn write), and after the file system is grown and the broker restarted every acknowledged record is there exactly
 * once.
 */
@RunsAlone
class DiskFullIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String TOPIC = "filling";
    private static final int VALUE_BYTES = 4_000;
    /** The partition on the small file system; partition 0 is on an ordinary disk. */
    private static final TopicPartition SMALL = new TopicPartition("filling", 1);

    private static final TopicPartition ORDINARY = new TopicPartition("filling", 0);

    @TempDir
    Path dir;

    private SmallDisk disk;
    private Path mount;
    private BrokerProcess broker;

    @BeforeEach
    void mountASmallFileSystem() throws Exception {
        disk = SmallDisk.mount(dir.resolve("small-disk"), "6m");
        mount = disk.path();
    }

    @AfterEach
    void unmount() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void belowTheFreeSpaceMarginProduceIsRefusedUntilSpaceIsFreed() throws Exception {
        int port = start(Map.of("log.dir.free.bytes.min", Integer.toString(3 * 1024 * 1024)));
        try (KafkaProducer<String, String> producer = producer(port, false)) {
            KafkaStorageException refused = null;
            for (int i = 0; i < 2_000 && refused == null; i++) {
                try {
                    producer.send(new ProducerRecord<>(TOPIC, SMALL.partition(), "k" + i, value(i)))
                            .get();
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(KafkaStorageException.class);
                    refused = (KafkaStorageException) e.getCause();
                }
            }
            assertThat(refused).as("refused before the disk filled").isNotNull();
            assertThat(refused.getMessage()).contains("log.dir.free.bytes.min");

            assertThat(disk.resize("64m")).isTrue();
            Await.until(TIMEOUT, "produce to be taken again once space is freed", () -> {
                try {
                    producer.send(new ProducerRecord<>(TOPIC, SMALL.partition(), "k", "after"))
                            .get();
                    return true;
                } catch (ExecutionException e) {
                    return false;
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    @Test
    void aFullDiskTakesTheDirectoryOfflineAndARestartAfterFreeingItKeepsEveryAcknowledgedRecord() throws Exception {
        int port = start(Map.of("log.dir.free.bytes.min", "0"));
        Set<Long> acknowledged = new ConcurrentSkipListSet<>();
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        boolean storageError = false;
        try (KafkaProducer<String, String> producer = producer(port, true)) {
            for (int i = 0; i < 3_000; i++) {
                int n = i;
                sends.add(producer.send(new ProducerRecord<>(TOPIC, SMALL.partition(), "k" + n, value(n)), (md, e) -> {
                    if (e == null) {
                        acknowledged.add(md.offset());
                    }
                }));
            }
            producer.flush();
            for (Future<RecordMetadata> send : sends) {
                try {
                    send.get();
                } catch (ExecutionException e) {
                    storageError |= e.getCause() instanceof KafkaStorageException
                            || String.valueOf(e.getCause()).contains("KAFKA_STORAGE_ERROR")
                            || e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException;
                }
            }
        }
        assertThat(storageError).as("some sends failed once the disk was full").isTrue();
        assertThat(acknowledged).as("some sends were acknowledged before").isNotEmpty();
        assertThat(broker.output()).contains("is OFFLINE after an I/O error");
        try (KafkaProducer<String, String> producer = producer(port, true)) {
            assertThat(producer.send(new ProducerRecord<>(TOPIC, ORDINARY.partition(), "k", "elsewhere"))
                            .get()
                            .offset())
                    .as("the other log directory keeps serving")
                    .isZero();
        }

        broker.close();
        assertThat(disk.resize("64m")).isTrue();
        port = start(Map.of("log.dir.free.bytes.min", "0"));

        Map<Long, String> read = new HashMap<>();
        Set<String> keys = new java.util.HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + port,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition tp = SMALL;
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            consumer.seekToBeginning(List.of(tp));
            for (ConsumerRecord<String, String> r : Await.records(consumer, (int) end, TIMEOUT)) {
                assertThat(read.put(r.offset(), r.value()))
                        .as("offset %d read once", r.offset())
                        .isNull();
                assertThat(keys.add(r.key()))
                        .as("record %s stored once", r.key())
                        .isTrue();
            }
        }
        TreeSet<Long> missing = new TreeSet<>(acknowledged);
        missing.removeAll(read.keySet());
        assertThat(missing).as("acknowledged offsets missing after the restart").isEmpty();
    }

    private int start(Map<String, String> extra) throws Exception {
        int port = Ports.free();
        Map<String, String> settings = new HashMap<>(extra);
        settings.put("log.dir.free.bytes.min", extra.get("log.dir.free.bytes.min"));
        // two log dirs: the broker's metadata and the topic's first partition on an ordinary disk, the second
        // partition (SMALL) on the small one
        settings.put("log.dirs", dir.resolve("data") + "," + mount.resolve("data"));
        Path config = BrokerProcess.writeConfig(dir.resolve("server.properties"), port, dir.resolve("data"), settings);
        broker = BrokerProcess.start(dir.resolve("broker-" + port + ".out"), config.toString());
        broker.awaitListening(port, TIMEOUT);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port))) {
            if (!admin.listTopics().names().get().contains(TOPIC)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1)
                                // small index files: a full-size preallocated index would not fit the disk
                                .configs(Map.of("segment.bytes", "1048576", "segment.index.bytes", "65536"))))
                        .all()
                        .get();
            }
        }
        assertThat(mount.resolve("data").resolve(TOPIC + "-" + SMALL.partition()))
                .as("the partition on the small disk")
                .isDirectory();
        return port;
    }

    private static KafkaProducer<String, String> producer(int port, boolean idempotent) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotent);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        if (!idempotent) {
            props.put(ProducerConfig.RETRIES_CONFIG, 0); // see the broker's error itself
        }
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static String value(long i) {
        return i + ":" + "v".repeat(VALUE_BYTES);
    }
}
