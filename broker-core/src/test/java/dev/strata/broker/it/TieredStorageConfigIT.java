package dev.strata.broker.it;

import static dev.strata.broker.it.Tiering.listOffset;
import static dev.strata.broker.it.Tiering.offset;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The tiered-storage topic configs as Kafka 4.x has them, through the real admin client and consumer against one
 * broker with the filesystem backend: {@code remote.log.copy.disable} stops copying while the remote tier stays
 * readable; turning {@code remote.storage.enable} off is refused without {@code remote.log.delete.on.disable}, and with
 * it deletes the remote data and starts the log at its local start, after which tiering can be turned on again; the
 * configs Kafka refuses for tiered topics are refused with INVALID_CONFIG; ListOffsets max timestamp finds a record
 * that only the remote tier holds.
 */
class TieredStorageConfigIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int VALUE_BYTES = 1_000;
    private static final Path REMOTE_DIR = Tiering.tempDir();

    @RegisterExtension
    static final TestBroker broker =
            TestBroker.withConfig(Tiering.tieringBroker(REMOTE_DIR, "remote.log.chunk.size", "65536"));

    @AfterAll
    static void deleteRemoteDir() {
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void copyDisabledStopsCopyingWhileTheRemoteTierStaysReadableAndRetentionThenEndsTheLog() throws Exception {
        String topic = "read-only";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, tieredConfigs());
        produce(topic, 0, 300);
        try (Admin admin = broker.admin()) {
            awaitAllSealedSegmentsTiered(admin, tp);
            long tiered = offset(admin, tp, OffsetSpec.latestTiered());
            long remoteFiles = remoteLogFiles(topic);

            // Kafka's rule: with copying disabled, local retention must be retention's
            assertThat(failureOf(() -> alter(admin, topic, set(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, "true"))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("local.retention.bytes");
            alter(
                    admin,
                    topic,
                    set(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, "true"),
                    delete(TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG));
            assertThat(describe(admin, topic)
                            .get(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG)
                            .value())
                    .isEqualTo("true");
            produce(topic, 300, 300);
            // another tiered topic written now is copied by the same tasks' later runs
            TopicPartition clock = new TopicPartition("copied-meanwhile", 0);
            broker.createTopic(clock.topic(), 1, tieredConfigs());
            produce(clock.topic(), 0, 100);
            awaitAllSealedSegmentsTiered(admin, clock);

            assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(tiered);
            assertThat(remoteLogFiles(topic)).isEqualTo(remoteFiles);
            assertThat(localLogFiles(tp)).as("sealed segments stay local").isGreaterThan(1);
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isZero();
            List<ConsumerRecord<String, String>> records = consumeFrom(tp, 0, 600);
            assertThat(records)
                    .extracting(ConsumerRecord::offset)
                    .startsWith(0L, 1L)
                    .endsWith(599L);
            assertThat(records.get(0).value()).isEqualTo(Tiering.value(0, VALUE_BYTES));

            // retention.bytes, not local.retention.bytes, now trims the local log; the remote data below it goes
            alter(admin, topic, set(TopicConfig.RETENTION_BYTES_CONFIG, "100000"));
            Await.until(
                    TIMEOUT,
                    "local retention to raise the log start offset and remote retention to follow",
                    () -> offset(admin, tp, OffsetSpec.earliest()) > tiered
                            && offset(admin, tp, OffsetSpec.earliest()) == offset(admin, tp, OffsetSpec.earliestLocal())
                            && remoteLogFiles(topic) == 0);
            assertThat(localLogFiles(tp)).isGreaterThan(1);
        }
    }

    @Test
    void turningRemoteStorageOffNeedsDeleteOnDisableThenDeletesTheRemoteDataAndCanBeTurnedOnAgain() throws Exception {
        String topic = "turned-off";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, tieredConfigs());
        produce(topic, 0, 300);
        try (Admin admin = broker.admin()) {
            awaitAllSealedSegmentsTiered(admin, tp);
            long localStart = offset(admin, tp, OffsetSpec.earliestLocal());
            assertThat(localStart).isPositive();
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isZero();

            assertThat(failureOf(() -> alter(admin, topic, set(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "false"))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageStartingWith("It is invalid to disable remote storage without deleting remote data.");
            assertThat(remoteLogFiles(topic)).isPositive();

            alter(
                    admin,
                    topic,
                    set(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "false"),
                    set(TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG, "true"));
            Await.until(TIMEOUT, "the remote data of " + topic + " to be deleted", () -> remoteLogFiles(topic) == 0);
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isEqualTo(localStart);
            assertThat(offset(admin, tp, OffsetSpec.earliestLocal())).isEqualTo(localStart);
            assertThat(offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(-1);
            try (KafkaConsumer<String, String> consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                List<ConsumerRecord<String, String>> records =
                        Await.records(consumer, (int) (300 - localStart), TIMEOUT);
                assertThat(records.get(0).offset()).isEqualTo(localStart);
            }

            alter(admin, topic, set(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true"));
            produce(topic, 300, 300);
            awaitAllSealedSegmentsTiered(admin, tp);
            assertThat(offset(admin, tp, OffsetSpec.earliest())).isEqualTo(localStart);
            assertThat(offset(admin, tp, OffsetSpec.earliestLocal())).isGreaterThan(300);
            List<ConsumerRecord<String, String>> records = consumeFrom(tp, localStart, (int) (600 - localStart));
            assertThat(records.get(0).offset()).isEqualTo(localStart);
            assertThat(records.get(records.size() - 1).value()).isEqualTo(Tiering.value(599, VALUE_BYTES));
        }
    }

    @Test
    void refusesTheTieredTopicConfigsKafkaRefusesWithInvalidConfig() throws Exception {
        try (Admin admin = broker.admin()) {
            assertThat(failureOf(
                            () -> create(admin, "compacted", Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("cleanup.policy=delete");
            assertThat(failureOf(() -> create(
                            admin,
                            "local-above-total",
                            Map.of(
                                    TopicConfig.RETENTION_MS_CONFIG, "60000",
                                    TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, "120000"))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("local.retention.ms")
                    .hasMessageContaining("must not be more than retention.ms");
            assertThat(failureOf(() -> create(
                            admin,
                            "read-only-unequal",
                            Map.of(
                                    TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG, "true",
                                    TopicConfig.LOCAL_LOG_RETENTION_MS_CONFIG, "1000"))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("remote.log.copy.disable");
            assertThat(admin.listTopics().names().get())
                    .doesNotContain("compacted", "local-above-total", "read-only-unequal");

            Config created = admin.createTopics(List.of(new NewTopic("tiered-defaults", 1, (short) 1)
                            .configs(Map.of(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true"))))
                    .config("tiered-defaults")
                    .get();
            assertThat(created.get(TopicConfig.REMOTE_LOG_COPY_DISABLE_CONFIG).value())
                    .isEqualTo("false");
            ConfigEntry deleteOnDisable =
                    describe(admin, "tiered-defaults").get(TopicConfig.REMOTE_LOG_DELETE_ON_DISABLE_CONFIG);
            assertThat(deleteOnDisable.value()).isEqualTo("false");
            assertThat(deleteOnDisable.source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(failureOf(() ->
                            alter(admin, "tiered-defaults", set(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete"))))
                    .isInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("cleanup.policy=delete");
        }
    }

    @Test
    void maxTimestampFindsTheRecordInTheRemoteTierAndThenALaterLocalOne() throws Exception {
        String topic = "max-timestamp";
        TopicPartition tp = new TopicPartition(topic, 0);
        broker.createTopic(topic, 1, tieredConfigs());
        long now = System.currentTimeMillis();
        long base = now - 3_600_000L;
        long newest = now - 600_000L;
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 300; i++) {
                long timestamp = i == 42 ? newest : base + i;
                producer.send(new ProducerRecord<>(topic, null, timestamp, "key-" + i, Tiering.value(i, VALUE_BYTES)));
            }
            producer.flush();
        }
        try (Admin admin = broker.admin()) {
            awaitAllSealedSegmentsTiered(admin, tp);
            assertThat(offset(admin, tp, OffsetSpec.earliestLocal())).isGreaterThan(42);

            ListOffsetsResultInfo max = listOffset(admin, tp, OffsetSpec.maxTimestamp());
            assertThat(max.offset()).isEqualTo(42);
            assertThat(max.timestamp()).isEqualTo(newest);
            // by timestamp too: the time index points at the end of record 42's batch, the search covers all of it
            assertThat(offset(admin, tp, OffsetSpec.forTimestamp(newest))).isEqualTo(42);

            produce(topic, 300, 1);
            ListOffsetsResultInfo local = listOffset(admin, tp, OffsetSpec.maxTimestamp());
            assertThat(local.offset()).isEqualTo(300);
            assertThat(local.timestamp()).isGreaterThanOrEqualTo(now);
        }
    }

    private static Map<String, String> tieredConfigs() {
        return Map.of(
                TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true",
                TopicConfig.SEGMENT_BYTES_CONFIG, "16384",
                TopicConfig.LOCAL_LOG_RETENTION_BYTES_CONFIG, "1");
    }

    /** Produces records {@code from} to {@code from + count - 1}, timestamped now. */
    private static void produce(String topic, int from, int count) {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, Tiering.value(i, VALUE_BYTES)));
            }
            producer.flush();
        }
    }

    /** Creates a tiered topic with {@code configs} on top of {@code remote.storage.enable=true}. */
    private static void create(Admin admin, String topic, Map<String, String> configs) throws Exception {
        Map<String, String> all = new HashMap<>(configs);
        all.put(TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG, "true");
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(all)))
                .all()
                .get();
    }

    /** Waits until every sealed segment of the partition is copied and deleted locally: only the active one is left. */
    private static void awaitAllSealedSegmentsTiered(Admin admin, TopicPartition tp) {
        Await.until(
                TIMEOUT,
                "every sealed segment of " + tp + " in the remote tier and deleted locally",
                () -> localLogFiles(tp) == 1
                        && remoteLogFiles(tp.topic()) > 0
                        && offset(admin, tp, OffsetSpec.latestTiered())
                                == offset(admin, tp, OffsetSpec.earliestLocal()) - 1);
    }

    private static List<ConsumerRecord<String, String>> consumeFrom(TopicPartition tp, long offset, int count) {
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            return Await.records(consumer, count, TIMEOUT);
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    private static AlterConfigOp delete(String name) {
        return new AlterConfigOp(new ConfigEntry(name, ""), AlterConfigOp.OpType.DELETE);
    }

    private static void alter(Admin admin, String topic, AlterConfigOp... ops) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(ops))).all().get();
    }

    private static Config describe(Admin admin, String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource)).all().get().get(resource);
    }

    /** The cause of the {@link ExecutionException} that {@code call} throws. */
    private static Throwable failureOf(ThrowingCall call) {
        try {
            call.run();
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("expected an ExecutionException", e);
        }
        throw new AssertionError("expected the call to fail");
    }

    private interface ThrowingCall {
        void run() throws Exception;
    }

    private static long remoteLogFiles(String topic) {
        return Tiering.remoteLogFiles(REMOTE_DIR, topic);
    }

    private static long localLogFiles(TopicPartition tp) {
        return Tiering.localLogFiles(broker.logDir(), tp);
    }
}
