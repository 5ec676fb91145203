package dev.strata.broker.it;

import static dev.strata.broker.it.Tiering.offset;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.it.TieredBucket.SegmentObjects;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.index.RemoteSegment;
import dev.strata.index.RemoteSegmentState;
import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import dev.strata.testing.S3ProxyEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker stopped in the middle of an upload to S3, by {@code kill -9} or by SIGTERM, and started again on the same
 * directories: the copy it left unfinished is rolled back and its objects removed from the bucket, the segment is
 * copied again, and every record is read exactly once. The broker runs in a JVM of its own, so that {@code kill -9}
 * leaves what a crash leaves; S3Proxy runs in this JVM and holds one upload, so that the stop provably lands while a
 * copy is in progress.
 */
class S3TieredRestartIT {

    private static final String BUCKET = "strata-restart";
    private static final String KEY_PREFIX = "restart/";
    private static final int SEGMENT_BYTES = 256 * 1024;
    private static final int VALUE_BYTES = 1024;
    /** About five segments. */
    private static final int RECORDS = 1200;

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final long BASE_TIMESTAMP = System.currentTimeMillis() - 3_600_000L;
    private static final String TOPIC = "copy-in-progress";
    private static final String FIRST_SEGMENT = "/" + "0".repeat(20) + "-";

    @TempDir
    Path dir;

    private final List<BrokerProcess> brokers = new ArrayList<>();
    private S3ProxyEndpoint proxy;
    private TieredBucket bucket;
    private Path logDir;
    private Path config;
    private int port;
    private Uuid topicId;
    private String prefix;
    /** The id of the segment whose copy is held. */
    private String cutShort;

    /**
     * Starts a broker, writes about five segments and holds the copy of the second at its bundle: the first segment's
     * objects are all in the bucket, the second's log object is, and its copy is in progress. The third segment's
     * upload, which starts once the second's log is up, is held at its log: so exactly one copy is caught between its
     * two objects.
     */
    @BeforeEach
    void catchTheBrokerInTheMiddleOfACopy() throws Exception {
        proxy = S3ProxyEndpoint.onDisk(dir.resolve("blobs"));
        bucket = new TieredBucket(proxy.url(), S3ProxyEndpoint.ACCESS_KEY, S3ProxyEndpoint.SECRET_KEY, BUCKET);
        bucket.create();
        logDir = dir.resolve("data");
        port = Ports.free();
        Map<String, String> settings = new HashMap<>(bucket.brokerSettings(KEY_PREFIX));
        settings.put("remote.log.manager.task.interval.ms", "200");
        settings.put("log.retention.check.interval.ms", "200");
        config = BrokerProcess.writeConfig(dir.resolve("server.properties"), port, logDir, settings);
        startBroker();

        AtomicReference<String> secondLog = new AtomicReference<>();
        proxy.holdUploads(key -> !key.contains(FIRST_SEGMENT)
                && (key.endsWith(".indexes") || !(secondLog.compareAndSet(null, key) || key.equals(secondLog.get()))));
        // tiered only once every record is written: the first copy then finds every sealed segment waiting, and the
        // third segment's upload starts while the second's bundle is held, however fast this machine produces
        Map<String, String> topicConfigs = new HashMap<>(Tiering.tieredTopic(SEGMENT_BYTES));
        topicConfigs.put(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "false");
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(topicConfigs)))
                    .all()
                    .get();
            topicId = Tiering.topicId(admin, TOPIC);
            try (KafkaProducer<String, String> producer = producer()) {
                Tiering.produce(producer, TOPIC, 0, RECORDS, VALUE_BYTES, BASE_TIMESTAMP);
            }
            AlterConfigOp tier = new AlterConfigOp(
                    new ConfigEntry(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true"), AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC), List.of(tier)))
                    .all()
                    .get();
        }
        prefix = TieredBucket.partitionPrefix(KEY_PREFIX, TOPIC, topicId, 0);
        Await.until(
                TIMEOUT,
                "a copy to wait in its bundle's upload and the next in its log's",
                () -> proxy.heldUploads() == 2);
        List<SegmentObjects> uploaded = bucket.segments(prefix);
        assertThat(uploaded).hasSize(2);
        assertThat(uploaded.get(0).keys().keySet()).isEqualTo(TieredBucket.SEGMENT_SUFFIXES);
        assertThat(uploaded.get(1).keys().keySet()).as("a copy in progress").containsExactly("log");
        cutShort = uploaded.get(1).segmentId();
    }

    @AfterEach
    void stopBrokersAndStore() throws Exception {
        brokers.forEach(BrokerProcess::close);
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void aCopyCutShortByACrashIsRolledBackAndDoneAgain() throws Exception {
        brokers.get(0).kill();
        proxy.dropHeldUploads();

        // what the crash left: two copies started, one with a log object in the bucket that no reader may see
        List<RemoteSegment> crashed = remoteIndex();
        assertThat(crashed)
                .extracting(RemoteSegment::state)
                .containsExactly(
                        RemoteSegmentState.COPY_FINISHED,
                        RemoteSegmentState.COPY_STARTED,
                        RemoteSegmentState.COPY_STARTED);
        assertThat(kafkaId(crashed.get(1))).isEqualTo(cutShort);

        restartAndReadEveryRecordOnce();
    }

    @Test
    void aCopyInProgressAtACleanShutdownIsRolledBackAndDoneAgain() throws Exception {
        BrokerProcess first = brokers.get(0);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return first.terminate(TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CompletionException(e);
            }
        });
        Await.until(TIMEOUT, "the broker to begin its shutdown", () -> first.output()
                .contains("Shutting down broker"));
        // the upload fails under the shutting-down copy, as it would when its connection is closed
        proxy.dropHeldUploads();
        assertThat(exit.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("exit status after SIGTERM (128 + 15 once shutdown hooks finish)")
                .isEqualTo(143);

        restartAndReadEveryRecordOnce();
    }

    /**
     * Starts the broker again on the same directories; once it has tiered every sealed segment, reads every record
     * once, stops it cleanly, and checks that its remote index and the bucket agree: nothing is left of the copy cut
     * short.
     */
    private void restartAndReadEveryRecordOnce() throws Exception {
        BrokerProcess restarted = startBroker();
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (Admin admin = admin()) {
            Tiering.awaitTiered(admin, logDir, tp, TIMEOUT);
            assertThat(offset(admin, tp, OffsetSpec.latest())).isEqualTo(RECORDS);
        }
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            List<ConsumerRecord<String, String>> records = Await.records(consumer, RECORDS, TIMEOUT);
            assertThat(records).hasSize(RECORDS);
            Tiering.assertRecords(records, 0, VALUE_BYTES, BASE_TIMESTAMP);
        }
        assertThat(restarted.terminate(TIMEOUT))
                .as("exit status after SIGTERM (128 + 15 once shutdown hooks finish)")
                .isEqualTo(143);

        bucket.assertHoldsExactly(prefix, remoteIndex());
        assertThat(bucket.keys(prefix)).noneMatch(key -> key.contains(cutShort));
    }

    private BrokerProcess startBroker() throws Exception {
        BrokerProcess broker = BrokerProcess.start(dir.resolve("broker.out"), config.toString());
        brokers.add(broker);
        broker.awaitListening(port, TIMEOUT);
        return broker;
    }

    /** The partition's segments in the remote index of the broker, which must not be running. */
    private List<RemoteSegment> remoteIndex() throws Exception {
        try (RemoteIndexStore index = RemoteIndexStore.open(logDir.resolve(BrokerConfig.REMOTE_INDEX_DIR_NAME))) {
            return index.segments(
                    new PartitionKey(new UUID(topicId.getMostSignificantBits(), topicId.getLeastSignificantBits()), 0));
        }
    }

    /** The segment id as the object keys spell it. */
    private static String kafkaId(RemoteSegment segment) {
        UUID id = segment.id().segmentId();
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits()).toString();
    }

    private Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                "127.0.0.1:" + port,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                30_000));
    }

    private KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + port,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.LINGER_MS_CONFIG,
                        5),
                new StringSerializer(),
                new StringSerializer());
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        "127.0.0.1:" + port,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new StringDeserializer());
    }
}
