package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.ApacheKafkaBroker;
import dev.strata.testing.ApacheKafkaJars;
import dev.strata.testing.Await;
import dev.strata.testing.MinioClients;
import dev.strata.testing.S3ProxyEndpoint;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.messages.Item;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@link S3RemoteStorageManager} as the {@code RemoteStorageManager} of a real Apache Kafka 4.3.1 broker (KRaft, one
 * node, in a child JVM) with Kafka's default {@code TopicBasedRemoteLogMetadataManager}, against S3Proxy in this JVM.
 *
 * <p>The plugin is installed as the README tells users to: its jar and runtime dependencies in one directory, named
 * by {@code remote.log.storage.manager.class.path}, so Kafka loads it child-first beside its own SPI, kafka-clients and
 * SLF4J. A topic with {@code remote.storage.enable=true}, 1 MiB segments and a local retention of 1 byte is written with
 * the real producer; Kafka copies its sealed segments through the plugin and deletes them locally; an independent S3
 * client (MinIO's) finds one object per segment file in the bucket; a fresh consumer from offset 0 then reads every
 * record byte for byte, the first ones only reachable through the plugin's fetches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApacheKafkaPluginIT {

    private static final String BUCKET = "kafka-tier";
    private static final String KEY_PREFIX = "apache-kafka/";
    private static final String TOPIC = "tiered";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);
    private static final int SEGMENT_BYTES = 1024 * 1024;
    private static final int RECORDS = 5_000;
    private static final int VALUE_BYTES = 1_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final List<String> KAFKA_JVM_OPTIONS =
            List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true");
    /**
     * The objects of every segment, by object key suffix (layout 2): the log, and one holding the indexes, snapshot
     * and checkpoint Kafka hands the plugin, which it reads back through fetchIndex.
     */
    private static final List<String> SEGMENT_OBJECTS = List.of("log", "indexes");

    private S3ProxyEndpoint s3;
    private MinioClient minio;
    private ApacheKafkaBroker kafka;

    @BeforeAll
    void startS3AndKafka() throws Exception {
        Path work = Files.createTempDirectory(Path.of(property("strata.it.work.dir")), "apache-kafka-plugin-");
        s3 = S3ProxyEndpoint.inMemory();
        minio = MinioClients.of(s3);
        minio.makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
        Path pluginDir = pluginDirectory(work.resolve("strata-s3"));
        kafka = ApacheKafkaBroker.start(ApacheKafkaJars.classpath(), work, KAFKA_JVM_OPTIONS, tieredStorage(pluginDir));
    }

    @AfterAll
    void stopKafkaThenS3() throws Exception {
        try {
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            if (s3 != null) {
                s3.close();
            }
        }
    }

    /** The broker settings the module's README documents, pointed at this S3Proxy. */
    private Map<String, String> tieredStorage(Path pluginDir) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("remote.log.storage.system.enable", "true");
        settings.put("remote.log.storage.manager.class.name", S3RemoteStorageManager.class.getName());
        settings.put("remote.log.storage.manager.class.path", pluginDir + File.separator + "*");
        settings.put("remote.log.metadata.manager.listener.name", "PLAINTEXT");
        settings.put("rlmm.config.remote.log.metadata.topic.replication.factor", "1");
        settings.put("rsm.config.s3.bucket.name", BUCKET);
        settings.put("rsm.config.s3.region", "us-east-1");
        settings.put("rsm.config.s3.endpoint.url", s3.url());
        settings.put("rsm.config.s3.path.style.access.enabled", "true");
        settings.put("rsm.config.aws.access.key.id", S3ProxyEndpoint.ACCESS_KEY);
        settings.put("rsm.config.aws.secret.access.key", S3ProxyEndpoint.SECRET_KEY);
        settings.put("rsm.config.key.prefix", KEY_PREFIX);
        // look for segments to copy and local segments to delete often, from the start (Kafka's internal
        // log.initial.task.delay.ms, 30 s by default, delays the first retention check), so the test need not wait
        settings.put("remote.log.manager.task.interval.ms", "500");
        settings.put("log.retention.check.interval.ms", "500");
        settings.put("log.initial.task.delay.ms", "100");
        return settings;
    }

    @Test
    void kafkaTiersSegmentsToS3ThroughThePluginAndReadsThemBack() throws Exception {
        List<byte[]> values = values();
        try (Admin admin = admin()) {
            NewTopic topic = new NewTopic(TOPIC, 1, (short) 1)
                    .configs(Map.of(
                            TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                            TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(SEGMENT_BYTES),
                            TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1"));
            // the id from the controller's answer: a describe right after the create may reach a broker whose
            // metadata does not have the topic yet
            Uuid topicId = admin.createTopics(List.of(topic)).topicId(TOPIC).get();
            produce(values);

            await(
                    "Kafka to tier segments and delete them locally",
                    () -> offset(admin, OffsetSpec.earliestLocal()) > 0);
            long earliestLocal = offset(admin, OffsetSpec.earliestLocal());
            assertThat(earliestLocal)
                    .as("the active segment stays local, so the consumer crosses from the remote tier to the local log")
                    .isLessThan(RECORDS);
            assertThat(offset(admin, OffsetSpec.earliest())).isZero();
            assertThat(offset(admin, OffsetSpec.latestTiered()))
                    .as("everything below the local log start offset is in the remote tier")
                    .isGreaterThanOrEqualTo(earliestLocal - 1);
            assertThat(offset(admin, OffsetSpec.latest())).isEqualTo(RECORDS);

            // segments below the local log start offset are deleted locally, so their copy finished; a later one may
            // be half uploaded right now
            Map<String, List<String>> segments = remoteSegmentsBelow(topicId, earliestLocal);
            assertThat(segments).isNotEmpty();
            assertThat(segments.keySet()).first().asString().startsWith("00000000000000000000-");
            segments.forEach((segment, files) -> assertThat(files)
                    .as("objects of remote segment %s", segment)
                    .containsExactlyInAnyOrderElementsOf(SEGMENT_OBJECTS));
            assertLogObjectMatchesItsDigest(
                    topicId, segments.keySet().iterator().next());
        }

        List<ConsumerRecord<byte[], byte[]>> records = consumeFromOffsetZero();
        assertThat(records).hasSize(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            ConsumerRecord<byte[], byte[]> record = records.get(i);
            assertThat(record.offset()).isEqualTo(i);
            assertThat(record.key()).as("key at offset %d", i).isEqualTo(key(i));
            assertThat(record.value()).as("value at offset %d", i).isEqualTo(values.get(i));
        }
    }

    private static List<byte[]> values() {
        Random random = new Random(405);
        List<byte[]> values = new ArrayList<>(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            byte[] value = new byte[VALUE_BYTES];
            random.nextBytes(value);
            values.add(value);
        }
        return values;
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private void produce(List<byte[]> values) throws Exception {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>(values.size());
            for (int i = 0; i < values.size(); i++) {
                sent.add(producer.send(new ProducerRecord<>(TOPIC, 0, key(i), values.get(i))));
            }
            producer.flush();
            for (int i = 0; i < sent.size(); i++) {
                assertThat(sent.get(i).get().offset()).isEqualTo(i);
            }
        }
    }

    /** Reads the partition from offset 0; {@code auto.offset.reset=none} makes a missing offset 0 an error. */
    private List<ConsumerRecord<byte[], byte[]>> consumeFromOffsetZero() throws Exception {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(PARTITION));
            consumer.seek(PARTITION, 0);
            await("all " + RECORDS + " records from offset 0", () -> {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                return records.size() >= RECORDS;
            });
        }
        return records;
    }

    /**
     * The partition's objects in the bucket of segments that start below {@code offset}, as segment (start offset and
     * id) to file suffixes, in offset order.
     */
    private Map<String, List<String>> remoteSegmentsBelow(Uuid topicId, long offset) throws Exception {
        String prefix = partitionPrefix(topicId);
        Map<String, List<String>> segments = new TreeMap<>();
        for (Result<Item> item : minio.listObjects(ListObjectsArgs.builder()
                .bucket(BUCKET)
                .prefix(prefix)
                .recursive(true)
                .build())) {
            String name = item.get().objectName().substring(prefix.length());
            int dot = name.indexOf('.');
            if (Long.parseLong(name.substring(0, name.indexOf('-'))) < offset) {
                segments.computeIfAbsent(name.substring(0, dot), s -> new ArrayList<>())
                        .add(name.substring(dot + 1));
            }
        }
        return segments;
    }

    /** The log object's bytes, read with MinIO's client, hash to the SHA-256 the plugin stored beside them. */
    private void assertLogObjectMatchesItsDigest(Uuid topicId, String segment) throws Exception {
        String key = partitionPrefix(topicId) + segment + ".log";
        byte[] bytes;
        try (InputStream in = minio.getObject(
                GetObjectArgs.builder().bucket(BUCKET).object(key).build())) {
            bytes = in.readAllBytes();
        }
        assertThat(bytes.length).isPositive().isLessThanOrEqualTo(SEGMENT_BYTES);
        String stored = minio.statObject(
                        StatObjectArgs.builder().bucket(BUCKET).object(key).build())
                .userMetadata()
                .getFirst(Sha256.METADATA_KEY);
        assertThat(stored).isEqualTo(Sha256.of(bytes));
    }

    private static String partitionPrefix(Uuid topicId) {
        return KEY_PREFIX + TOPIC + "-" + topicId + "/0/";
    }

    private long offset(Admin admin, OffsetSpec spec) throws InterruptedException {
        try {
            return admin.listOffsets(Map.of(PARTITION, spec))
                    .partitionResult(PARTITION)
                    .get()
                    .offset();
        } catch (ExecutionException e) {
            throw new AssertionError("ListOffsets " + spec + " failed; Kafka log:\n" + kafka.logTail(), e.getCause());
        }
    }

    private Admin admin() {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        return Admin.create(config);
    }

    /** Polls {@code condition} until it holds; fails with the end of Kafka's log after {@link #TIMEOUT}. */
    private void await(String what, Callable<Boolean> condition) {
        Await.until(
                TIMEOUT,
                what,
                () -> {
                    try {
                        return condition.call();
                    } catch (Exception e) {
                        throw new AssertionError("Failed while waiting for " + what, e);
                    }
                },
                () -> "; Kafka log " + kafka.log() + ":\n" + kafka.logTail());
    }

    /** The plugin installed as a user would: our jar and its runtime dependencies copied into one directory. */
    private static Path pluginDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> jars = new ArrayList<>();
        jars.add(Path.of(property("strata.plugin.jar")));
        for (String jar : Files.readString(Path.of(property("strata.plugin.classpath.file")))
                .trim()
                .split(File.pathSeparator)) {
            jars.add(Path.of(jar));
        }
        for (Path jar : jars) {
            Files.copy(jar, dir.resolve(jar.getFileName()));
        }
        return dir;
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("System property " + name + " is not set; run this test through Maven"
                    + " (`mvn -B verify -pl remote-storage-s3 -am -Dit.test=ApacheKafkaPluginIT`)");
        }
        return value;
    }
}
