package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two admin APIs of Kafka 4 on one tiering broker (filesystem backend), with the real Admin client: describeTopics goes
 * over DescribeTopicPartitions (the broker advertises it, and counts the requests), page by page when the client asks
 * for small pages; listOffsets with {@code OffsetSpec.earliestPendingUpload()} (ListOffsets v11) answers the first
 * offset not yet in the remote tier, the log start while nothing is copied, and -1 for a topic without tiering.
 */
class TopicDescribeAndPendingUploadIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Path REMOTE_DIR = Tiering.tempDir();
    private static final String DESCRIBE_TOPIC_PARTITIONS_REQUESTS =
            "strata_requests_total{request=\"DescribeTopicPartitions\"}";

    @RegisterExtension
    static final TestBroker broker =
            TestBroker.withConfig(Tiering.tieringBroker(REMOTE_DIR, "metrics.prometheus.listener", "127.0.0.1:0"));

    @AfterAll
    static void deleteRemoteDir() {
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void theBrokerAdvertisesDescribeTopicPartitionsAndListOffsetsV11() throws Exception {
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            ApiVersion describe = wire.apiVersions().apiKeys().find(ApiKeys.DESCRIBE_TOPIC_PARTITIONS.id);
            assertThat(describe).isNotNull();
            assertThat(describe.maxVersion()).isZero();
            ApiVersion listOffsets = wire.apiVersions().apiKeys().find(ApiKeys.LIST_OFFSETS.id);
            assertThat(listOffsets.maxVersion()).isEqualTo((short) 11);
        }
    }

    @Test
    void adminDescribeTopicsPagesThroughDescribeTopicPartitions() throws Exception {
        broker.createTopic("described-a", 3, Map.of());
        broker.createTopic("described-b", 2, Map.of());
        double before =
                PrometheusScrape.samples(broker.metricsPort()).getOrDefault(DESCRIBE_TOPIC_PARTITIONS_REQUESTS, 0.0);
        int node = Integer.parseInt(broker.config().getOrDefault("node.id", "1"));
        try (Admin admin = broker.admin()) {
            Map<String, TopicDescription> described = admin.describeTopics(
                            List.of("described-a", "described-b"),
                            new DescribeTopicsOptions().partitionSizeLimitPerResponse(2))
                    .allTopicNames()
                    .get();

            assertThat(described.get("described-a").partitions()).hasSize(3);
            assertThat(described.get("described-b").partitions()).hasSize(2);
            for (TopicDescription d : described.values()) {
                assertThat(d.topicId()).isNotNull();
                assertThat(d.isInternal()).isFalse();
                for (TopicPartitionInfo p : d.partitions()) {
                    assertThat(p.leader().id()).isEqualTo(node);
                    assertThat(p.replicas()).extracting(n -> n.id()).containsExactly(node);
                    assertThat(p.isr()).extracting(n -> n.id()).containsExactly(node);
                }
            }
            assertThat(described.get("described-a").partitions())
                    .extracting(TopicPartitionInfo::partition)
                    .containsExactly(0, 1, 2);

            assertThatThrownBy(() -> admin.describeTopics(List.of("never-created"))
                            .allTopicNames()
                            .get())
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
        }
        // five partitions in pages of two: three requests, and one more for the unknown topic
        assertThat(PrometheusScrape.samples(broker.metricsPort()).get(DESCRIBE_TOPIC_PARTITIONS_REQUESTS))
                .isGreaterThanOrEqualTo(before + 4);
    }

    @Test
    void earliestPendingUploadIsTheFirstOffsetNotYetInTheRemoteTier() throws Exception {
        String topic = "pending-upload";
        broker.createTopic(topic, 1, Tiering.tieredTopic(16_384));
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin()) {
            assertThat(Tiering.offset(admin, tp, OffsetSpec.earliestPendingUpload()))
                    .as("an empty log: its start is not below the high watermark")
                    .isEqualTo(-1);
            produce(topic, 1_000);
            Await.until(
                    TIMEOUT,
                    "sealed segments copied and deleted locally",
                    () -> Tiering.offset(admin, tp, OffsetSpec.earliestLocal()) > 0
                            && Tiering.localLogFiles(broker.logDir(), tp) == 1);
            long tiered = Tiering.offset(admin, tp, OffsetSpec.latestTiered());
            assertThat(tiered).isPositive();
            assertThat(Tiering.offset(admin, tp, OffsetSpec.earliestPendingUpload()))
                    .isEqualTo(tiered + 1)
                    .isEqualTo(Tiering.offset(admin, tp, OffsetSpec.earliestLocal()));
            assertThat(Tiering.listOffset(admin, tp, OffsetSpec.earliestPendingUpload())
                            .leaderEpoch())
                    .hasValue(0);
        }
    }

    @Test
    void earliestPendingUploadIsTheLogStartWhileNothingIsCopied() throws Exception {
        String topic = "pending-nothing-copied";
        // segments larger than what is written: nothing is sealed, so nothing can be copied
        broker.createTopic(
                topic,
                1,
                Map.of(
                        TopicConfig.REMOTE_LOG_STORAGE_ENABLE_CONFIG,
                        "true",
                        TopicConfig.SEGMENT_BYTES_CONFIG,
                        "10485760"));
        TopicPartition tp = new TopicPartition(topic, 0);
        produce(topic, 10);
        try (Admin admin = broker.admin()) {
            assertThat(Tiering.offset(admin, tp, OffsetSpec.latestTiered())).isEqualTo(-1);
            assertThat(Tiering.offset(admin, tp, OffsetSpec.earliestPendingUpload()))
                    .isZero();
        }
    }

    @Test
    void aTopicWithoutTieringHasNoPendingUploadOffset() throws Exception {
        String topic = "pending-not-tiered";
        broker.createTopic(topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        produce(topic, 10);
        try (Admin admin = broker.admin()) {
            assertThat(Tiering.offset(admin, tp, OffsetSpec.earliestPendingUpload()))
                    .isEqualTo(-1);
        }
    }

    private static void produce(String topic, int records) {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, Tiering.key(i), Tiering.value(i, 200)));
            }
            producer.flush();
        }
    }
}
