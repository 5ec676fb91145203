package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.strata.testing.Await;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Dynamic broker configs through the real Admin client, as {@code kafka-configs.sh --entity-type brokers} sends them
 * ({@code --entity-default} is the BROKER resource with the empty name, {@code --entity-name 1} this broker): they take
 * effect without a restart, survive one, and DescribeConfigs names their layer. One tiering broker for the class.
 */
class DynamicBrokerConfigIT {
    private static final ConfigResource CLUSTER_DEFAULT = new ConfigResource(ConfigResource.Type.BROKER, "");
    private static final ConfigResource THIS_BROKER = new ConfigResource(ConfigResource.Type.BROKER, "1");
    private static final ConfigResource LOGGERS = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, "1");

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "remote.log.storage.system.enable", "true",
            "metrics.prometheus.listener", "127.0.0.1:0",
            "log.retention.check.interval.ms", "200"));

    @Test
    void aClusterDefaultRetentionReachesTopicsThatDoNotOverrideIt() throws Exception {
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(
                            new NewTopic("follows-default", 1, (short) 1).configs(Map.of("segment.bytes", "1024")),
                            new NewTopic("overrides-default", 1, (short) 1)
                                    .configs(Map.of("segment.bytes", "1024", "retention.bytes", "-1"))))
                    .all()
                    .get();
            // one record a batch, so that the 1 KiB segments roll
            try (KafkaProducer<String, String> producer =
                    broker.producer(Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 1, ProducerConfig.LINGER_MS_CONFIG, 0))) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("follows-default", "k" + i, "v".repeat(100)));
                    producer.send(new ProducerRecord<>("overrides-default", "k" + i, "v".repeat(100)));
                }
                producer.flush();
            }

            alter(admin, CLUSTER_DEFAULT, set("log.retention.bytes", "4096"));

            Await.until(
                    Duration.ofSeconds(30),
                    "retention deletes the oldest segments",
                    () -> earliest(admin, "follows-default") > 0);
            assertThat(earliest(admin, "overrides-default")).isZero();
            ConfigEntry retention = describe(admin, new ConfigResource(ConfigResource.Type.TOPIC, "follows-default"))
                    .get("retention.bytes");
            assertThat(retention.value()).isEqualTo("4096");
            assertThat(retention.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);

            alter(admin, CLUSTER_DEFAULT, delete("log.retention.bytes"));
            assertThat(describe(admin, CLUSTER_DEFAULT).entries()).isEmpty();
        }
    }

    @Test
    void thisBrokersConfigsReachTheUploadsAndTheCacheAtOnceAndSurviveARestart() throws Exception {
        try (Admin admin = broker.admin()) {
            alter(
                    admin,
                    THIS_BROKER,
                    set("remote.log.manager.copy.max.bytes.per.second", "1048576"),
                    set("remote.log.chunk.cache.memory.bytes", "8388608"),
                    set("log.cleaner.threads", "2"));
            assertInEffect(1048576, 8388608);
            Config described = describe(admin, THIS_BROKER);
            ConfigEntry threads = described.get("log.cleaner.threads");
            assertThat(threads.value()).isEqualTo("2");
            assertThat(threads.isReadOnly()).isFalse();
            assertThat(threads.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG);
            assertThat(threads.synonyms())
                    .extracting(ConfigEntry.ConfigSynonym::source)
                    .containsExactly(
                            ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(described.get("log.dirs").isReadOnly()).isTrue();
        }

        broker.restart();

        try (Admin admin = broker.admin()) {
            assertInEffect(1048576, 8388608);
            assertThat(describe(admin, THIS_BROKER).get("log.cleaner.threads").value())
                    .isEqualTo("2");
            alter(
                    admin,
                    THIS_BROKER,
                    delete("remote.log.manager.copy.max.bytes.per.second"),
                    delete("remote.log.chunk.cache.memory.bytes"),
                    delete("log.cleaner.threads"));
            assertInEffect(Long.MAX_VALUE, 134217728);
            assertThat(describe(admin, THIS_BROKER).get("log.cleaner.threads").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        }
    }

    @Test
    void readOnlySettingsAndBadValuesAreRefusedAsKafkaRefusesThem() throws Exception {
        try (Admin admin = broker.admin()) {
            assertThatThrownBy(() -> alter(admin, CLUSTER_DEFAULT, set("log.dirs", "/elsewhere")))
                    .hasCauseInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("Cannot update these configs dynamically");
            assertThatThrownBy(() -> alter(admin, THIS_BROKER, set("log.retention.ms", "soon")))
                    .hasCauseInstanceOf(InvalidRequestException.class);
            assertThat(describe(admin, CLUSTER_DEFAULT).entries()).isEmpty();
        }
    }

    @Test
    void loggerLevelsAreListedAndChangeAtRuntime() throws Exception {
        String name = "dev.strata.broker.log.LogCleaner";
        Logger logger = (Logger) LoggerFactory.getLogger(name);
        try (Admin admin = broker.admin()) {
            assertThat(describe(admin, LOGGERS).get("root")).isNotNull();

            alter(admin, LOGGERS, set(name, "TRACE"));
            assertThat(logger.getLevel()).isEqualTo(Level.TRACE);
            assertThat(describe(admin, LOGGERS).get(name).value()).isEqualTo("TRACE");

            alter(admin, LOGGERS, delete(name));
            assertThat(logger.getLevel()).isNull();
            assertThatThrownBy(() -> alter(admin, LOGGERS, set(name, "LOUD")))
                    .hasCauseInstanceOf(InvalidConfigurationException.class);
        }
    }

    private static void assertInEffect(long copyBytesPerSecond, long cacheBytes) {
        Await.until(Duration.ofSeconds(10), "the new values in the components", () -> {
            Map<String, Double> samples = PrometheusScrape.samples(broker.metricsPort());
            return samples.get("strata_remote_copy_max_bytes_per_second") == (double) copyBytesPerSecond
                    && samples.get("strata_remote_cache_capacity_bytes{tier=\"memory\"}") == (double) cacheBytes;
        });
    }

    private static long earliest(Admin admin, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try {
            return admin.listOffsets(Map.of(tp, OffsetSpec.earliest()))
                    .partitionResult(tp)
                    .get()
                    .offset();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    private static AlterConfigOp delete(String name) {
        return new AlterConfigOp(new ConfigEntry(name, null), AlterConfigOp.OpType.DELETE);
    }

    private static void alter(Admin admin, ConfigResource resource, AlterConfigOp... ops)
            throws InterruptedException, ExecutionException {
        Map<ConfigResource, Collection<AlterConfigOp>> configs = Map.of(resource, List.of(ops));
        admin.incrementalAlterConfigs(configs).all().get();
    }

    private static Config describe(Admin admin, ConfigResource resource) throws Exception {
        return admin.describeConfigs(List.of(resource), new DescribeConfigsOptions().includeSynonyms(true))
                .all()
                .get()
                .get(resource);
    }
}
