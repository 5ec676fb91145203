package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConfigEntry.ConfigSource;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.security.authorizer.AclEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves the topic and config administration APIs with the real kafka-clients 4.x Admin: CreateTopics (configs,
 * validate-only, and the errors for an existing topic, an invalid config, a bad partition count and a replication
 * factor the cluster cannot meet), Metadata-based describe and list with topic ids, DescribeConfigs for topics and the
 * broker, AlterConfigs (over the wire, since Admin 4.x dropped it) and IncrementalAlterConfigs, CreatePartitions,
 * DeleteRecords, DeleteTopics and DescribeCluster. The broker runs with {@code auto.create.topics.enable=false}, and a
 * Metadata request for an unknown topic answers UNKNOWN_TOPIC_OR_PARTITION without creating it.
 */
class AdminIT {

    private static final int NODE_ID = 1;

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "auto.create.topics.enable", "false",
            "num.partitions", "2",
            "node.id", Integer.toString(NODE_ID)));

    private static Admin admin;

    @BeforeAll
    static void connect() {
        admin = broker.admin();
    }

    @AfterAll
    static void disconnect() {
        admin.close();
    }

    @Test
    void createTopicsStoresTheRequestedPartitionsAndConfigs() throws Exception {
        admin.createTopics(List.of(new NewTopic("with-configs", 3, (short) 1)
                        .configs(Map.of("retention.ms", "3600000", "cleanup.policy", "delete"))))
                .all()
                .get();

        assertThat(describe("with-configs").partitions()).hasSize(3);
        Map<String, ConfigEntry> configs = topicConfigs("with-configs");
        assertThat(configs.get("retention.ms").value()).isEqualTo("3600000");
        assertThat(configs.get("retention.ms").source()).isEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void describeProducersShowsAnIdempotentProducersEpochSequenceAndNoOpenTransaction() throws Exception {
        admin.createTopics(List.of(new NewTopic("producers", 1, (short) 1)))
                .all()
                .get();
        TopicPartition tp = new TopicPartition("producers", 0);
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("enable.idempotence", "true"))) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>("producers", 0, null, "v" + i))
                        .get();
            }
        }
        List<ProducerState> states =
                admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
        assertThat(states).hasSize(1);
        ProducerState state = states.get(0);
        assertThat(state.producerEpoch()).isZero();
        assertThat(state.lastSequence()).isEqualTo(2);
        assertThat(state.currentTransactionStartOffset()).isEmpty();
        assertThat(state.lastTimestamp()).isPositive();
    }

    @Test
    void createTopicsWithNumPartitionsUnsetUsesTheBrokerDefault() throws Exception {
        admin.createTopics(List.of(
                        new NewTopic("default-partitions", java.util.Optional.empty(), java.util.Optional.empty())))
                .all()
                .get();
        assertThat(describe("default-partitions").partitions()).hasSize(2);
    }

    @Test
    void validateOnlyCreateTopicsCreatesNothing() throws Exception {
        admin.createTopics(
                        List.of(new NewTopic("validate-only", 4, (short) 1)),
                        new CreateTopicsOptions().validateOnly(true))
                .all()
                .get();
        assertThat(admin.listTopics().names().get()).doesNotContain("validate-only");
    }

    @Test
    void creatingAnExistingTopicFailsWithTopicExists() throws Exception {
        admin.createTopics(List.of(new NewTopic("twice", 1, (short) 1))).all().get();
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("twice", 1, (short) 1)))
                        .all()
                        .get())
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(TopicExistsException.class);
    }

    @Test
    void remoteStorageOnABrokerThatDoesNotTierFailsWithInvalidConfiguration() {
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("no-tiering", 1, (short) 1)
                                .configs(Map.of("remote.storage.enable", "true"))))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("remote.log.storage.system.enable");
    }

    @Test
    void invalidTopicConfigsFailWithInvalidConfigurationAndCreateNothing() throws Exception {
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad-value", 1, (short) 1)
                                .configs(Map.of("retention.ms", "not-a-number"))))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("retention.ms");
        assertThatThrownBy(() -> admin.createTopics(
                                List.of(new NewTopic("bad-name", 1, (short) 1).configs(Map.of("no.such.config", "1"))))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("no.such.config");
        assertThat(admin.listTopics().names().get()).doesNotContain("bad-value", "bad-name");
    }

    @Test
    void nonPositivePartitionCountFailsWithInvalidPartitions() throws Exception {
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("zero-partitions", 0, (short) 1)))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidPartitionsException.class);
        assertThat(admin.listTopics().names().get()).doesNotContain("zero-partitions");
    }

    @Test
    void replicationFactorAboveTheBrokerCountFailsWithInvalidReplicationFactor() {
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("three-replicas", 1, (short) 3)))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidReplicationFactorException.class);
    }

    @Test
    void describeTopicsReturnsTheTopicIdPartitionsAndThisBrokerAsLeader() throws Exception {
        admin.createTopics(List.of(new NewTopic("described", 4, (short) 1)))
                .all()
                .get();

        TopicDescription description = describe("described");
        assertThat(description.topicId()).isNotNull().isNotEqualTo(Uuid.ZERO_UUID);
        assertThat(description.isInternal()).isFalse();
        assertThat(description.partitions()).hasSize(4).allSatisfy(p -> {
            assertThat(p.leader().id()).isEqualTo(NODE_ID);
            assertThat(p.replicas()).extracting(Node::id).containsExactly(NODE_ID);
            assertThat(p.isr()).extracting(Node::id).containsExactly(NODE_ID);
        });
        TopicDescription byId = admin.describeTopics(
                        org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(description.topicId())))
                .allTopicIds()
                .get()
                .get(description.topicId());
        assertThat(byId.name()).isEqualTo("described");
    }

    @Test
    void listTopicsListsCreatedTopics() throws Exception {
        admin.createTopics(List.of(new NewTopic("listed-a", 1, (short) 1), new NewTopic("listed-b", 1, (short) 1)))
                .all()
                .get();
        assertThat(admin.listTopics().names().get()).contains("listed-a", "listed-b");
    }

    @Test
    void describeConfigsShowsTopicOverridesAndBrokerDefaults() throws Exception {
        admin.createTopics(List.of(new NewTopic("configs", 1, (short) 1).configs(Map.of("segment.bytes", "1048576"))))
                .all()
                .get();

        Map<String, ConfigEntry> topic = topicConfigs("configs");
        assertThat(topic.get("segment.bytes").value()).isEqualTo("1048576");
        assertThat(topic.get("segment.bytes").source()).isEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(topic.get("cleanup.policy").value()).isEqualTo("delete");
        assertThat(topic.get("cleanup.policy").isDefault()).isTrue();
        assertThat(topic).containsKeys("retention.ms", "max.message.bytes", "message.timestamp.type");
    }

    @Test
    void describeConfigsOfTheBrokerShowsItsSettings() throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(NODE_ID));
        Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        Map<String, ConfigEntry> entries = byName(config);
        assertThat(entries.get("num.partitions").value()).isEqualTo("2");
        assertThat(entries.get("auto.create.topics.enable").value()).isEqualTo("false");
        assertThat(entries.get("log.dirs").value()).isEqualTo(broker.logDir().toString());
    }

    @Test
    void alterConfigsReplacesAllOverridesOfTheTopic() throws Exception {
        admin.createTopics(List.of(new NewTopic("legacy-alter", 1, (short) 1)
                        .configs(Map.of("segment.bytes", "1048576", "retention.ms", "3600000"))))
                .all()
                .get();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "legacy-alter");

        // Admin 4.x no longer offers the legacy AlterConfigs API (key 33); older clients and tools still send it.
        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            short version = wire.negotiatedVersion(ApiKeys.ALTER_CONFIGS);
            AlterConfigsRequest.Builder request = new AlterConfigsRequest.Builder(
                    Map.of(
                            resource,
                            new AlterConfigsRequest.Config(
                                    List.of(new AlterConfigsRequest.ConfigEntry("retention.ms", "7200000")))),
                    false);
            AlterConfigsResponse response = (AlterConfigsResponse) wire.send(request, version);
            assertThat(response.errors()).containsOnlyKeys(resource);
            assertThat(response.errors().get(resource).error()).isEqualTo(Errors.NONE);
        }

        Map<String, ConfigEntry> configs = topicConfigs("legacy-alter");
        assertThat(configs.get("retention.ms").value()).isEqualTo("7200000");
        assertThat(configs.get("retention.ms").source()).isEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(configs.get("segment.bytes").source())
                .as("AlterConfigs replaces the whole set, so the segment.bytes override is gone")
                .isNotEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void incrementalAlterConfigsSetsAndDeletesSingleOverrides() throws Exception {
        admin.createTopics(List.of(new NewTopic("incremental", 1, (short) 1)
                        .configs(Map.of("segment.bytes", "1048576", "retention.ms", "3600000"))))
                .all()
                .get();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "incremental");

        admin.incrementalAlterConfigs(Map.of(
                        resource,
                        List.of(
                                new AlterConfigOp(
                                        new ConfigEntry("max.message.bytes", "2097152"), AlterConfigOp.OpType.SET),
                                new AlterConfigOp(new ConfigEntry("segment.bytes", ""), AlterConfigOp.OpType.DELETE))))
                .all()
                .get();

        Map<String, ConfigEntry> configs = topicConfigs("incremental");
        assertThat(configs.get("max.message.bytes").value()).isEqualTo("2097152");
        assertThat(configs.get("max.message.bytes").source()).isEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(configs.get("retention.ms").value()).as("untouched override").isEqualTo("3600000");
        assertThat(configs.get("segment.bytes").source()).isNotEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void incrementalAlterConfigsRejectsAnInvalidValueAndChangesNothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("incremental-bad", 1, (short) 1)))
                .all()
                .get();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "incremental-bad");

        assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(
                                resource,
                                List.of(new AlterConfigOp(
                                        new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET))))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidConfigurationException.class);
        assertThat(topicConfigs("incremental-bad").get("retention.ms").source())
                .isNotEqualTo(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void createPartitionsAddsPartitionsThatAcceptRecords() throws Exception {
        admin.createTopics(List.of(new NewTopic("grows", 2, (short) 1))).all().get();

        admin.createPartitions(Map.of("grows", NewPartitions.increaseTo(5)))
                .all()
                .get();

        assertThat(describe("grows").partitions()).hasSize(5);
        try (KafkaProducer<String, String> producer = broker.producer()) {
            assertThat(producer.send(new ProducerRecord<>("grows", 4, "k", "v"))
                            .get()
                            .offset())
                    .isEqualTo(0L);
        }
        assertThatThrownBy(() -> admin.createPartitions(Map.of("grows", NewPartitions.increaseTo(3)))
                        .all()
                        .get())
                .as("shrinking is not allowed")
                .cause()
                .isInstanceOf(InvalidPartitionsException.class);
    }

    @Test
    void deleteRecordsMovesTheEarliestOffset() throws Exception {
        admin.createTopics(List.of(new NewTopic("truncated", 1, (short) 1)))
                .all()
                .get();
        TopicPartition tp = new TopicPartition("truncated", 0);
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("truncated", 0, "k" + i, "v" + i));
            }
            producer.flush();
        }

        long lowWatermark = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(7)))
                .lowWatermarks()
                .get(tp)
                .get()
                .lowWatermark();

        assertThat(lowWatermark).isEqualTo(7L);
        assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.earliest()))
                        .partitionResult(tp)
                        .get()
                        .offset())
                .isEqualTo(7L);
        try (KafkaConsumer<String, String> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            assertThat(consumer.position(tp)).isEqualTo(7L);
            var first = Await.records(consumer, 1, Duration.ofSeconds(30)).get(0);
            assertThat(first.offset()).isEqualTo(7L);
            assertThat(first.value()).isEqualTo("v7");
        }
    }

    @Test
    void deleteTopicsRemovesTheTopic() throws Exception {
        admin.createTopics(List.of(new NewTopic("doomed", 2, (short) 1))).all().get();

        admin.deleteTopics(List.of("doomed")).all().get();

        Await.until(Duration.ofSeconds(30), "doomed to leave listTopics", () -> {
            try {
                return !admin.listTopics().names().get().contains("doomed");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThatThrownBy(() -> describe("doomed")).cause().isInstanceOf(UnknownTopicOrPartitionException.class);
        assertThatThrownBy(() -> admin.deleteTopics(List.of("doomed")).all().get())
                .cause()
                .isInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void internalTopicsRefuseDeletionAndDeleteRecords() throws Exception {
        // a group lookup creates __consumer_offsets
        admin.listConsumerGroupOffsets("internal-topic-check")
                .partitionsToOffsetAndMetadata()
                .get();
        Await.until(Duration.ofSeconds(30), "__consumer_offsets to exist", () -> {
            try {
                return admin.listTopics(new ListTopicsOptions().listInternal(true))
                        .names()
                        .get()
                        .contains("__consumer_offsets");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });

        assertThatThrownBy(() ->
                        admin.deleteTopics(List.of("__consumer_offsets")).all().get())
                .cause()
                .isInstanceOf(InvalidTopicException.class)
                .hasMessageContaining("internal topic");
        assertThatThrownBy(() -> admin.deleteRecords(
                                Map.of(new TopicPartition("__consumer_offsets", 0), RecordsToDelete.beforeOffset(0)))
                        .all()
                        .get())
                .cause()
                .isInstanceOf(InvalidTopicException.class);
        assertThat(admin.listTopics(new ListTopicsOptions().listInternal(true))
                        .names()
                        .get())
                .contains("__consumer_offsets");
    }

    @Test
    void describeClusterShowsThisBrokerAndAClusterId() throws Exception {
        DescribeClusterResult cluster = admin.describeCluster();
        assertThat(cluster.clusterId().get()).isNotBlank();
        assertThat(cluster.nodes().get()).singleElement().satisfies(node -> {
            assertThat(node.id()).isEqualTo(NODE_ID);
            assertThat(node.host()).isEqualTo("127.0.0.1");
            assertThat(node.port()).isEqualTo(broker.port());
        });
    }

    /** As Kafka: without {@code authorizer.class.name}, every operation the resource type supports. */
    @Test
    void withoutAnAuthorizerTheAuthorizedOperationsAreEveryOperationOfTheType() throws Exception {
        admin.createTopics(List.of(new NewTopic("operations", 1, (short) 1)))
                .all()
                .get();
        // Kafka's own list of what each resource type supports
        Set<AclOperation> topicOps = AclEntry.supportedOperations(ResourceType.TOPIC);
        TopicDescription byName = admin.describeTopics(
                        List.of("operations"), new DescribeTopicsOptions().includeAuthorizedOperations(true))
                .allTopicNames()
                .get()
                .get("operations");
        assertThat(byName.authorizedOperations()).isEqualTo(topicOps);
        // by id, the Admin asks Metadata rather than DescribeTopicPartitions
        TopicDescription byId = admin.describeTopics(
                        TopicCollection.ofTopicIds(List.of(byName.topicId())),
                        new DescribeTopicsOptions().includeAuthorizedOperations(true))
                .allTopicIds()
                .get()
                .get(byName.topicId());
        assertThat(byId.authorizedOperations()).isEqualTo(topicOps);

        assertThat(admin.describeCluster(new DescribeClusterOptions().includeAuthorizedOperations(true))
                        .authorizedOperations()
                        .get())
                .isEqualTo(AclEntry.supportedOperations(ResourceType.CLUSTER));

        Set<AclOperation> groupOps = AclEntry.supportedOperations(ResourceType.GROUP);
        // a classic group (DescribeGroups) and a KIP-848 one (ConsumerGroupDescribe), each with a member
        for (String protocol : List.of("classic", "consumer")) {
            String group = "operations-" + protocol;
            try (KafkaConsumer<String, String> consumer = broker.consumer(
                    Map.of(ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol))) {
                consumer.subscribe(List.of("operations"));
                Await.until(Duration.ofSeconds(60), group + " to assign the partition", () -> {
                    consumer.poll(Duration.ofMillis(100));
                    return !consumer.assignment().isEmpty();
                });
                ConsumerGroupDescription described = admin.describeConsumerGroups(
                                List.of(group), new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true))
                        .describedGroups()
                        .get(group)
                        .get();
                assertThat(described.authorizedOperations()).as(protocol).isEqualTo(groupOps);
            }
        }
    }

    @Test
    void metadataForAnUnknownTopicIsUnknownTopicOrPartitionWhenAutoCreateIsOff() throws Exception {
        assertThatThrownBy(() -> describe("missing")).cause().isInstanceOf(UnknownTopicOrPartitionException.class);

        try (KafkaWire wire = KafkaWire.connect(broker.port())) {
            short version = wire.negotiatedVersion(ApiKeys.METADATA);
            MetadataRequest.Builder request = new MetadataRequest.Builder(new MetadataRequestData()
                    .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("missing")))
                    .setAllowAutoTopicCreation(true));
            MetadataResponse response = (MetadataResponse) wire.send(request, version);
            MetadataResponseTopic topic = response.data().topics().find("missing");
            assertThat(topic).isNotNull();
            assertThat(Errors.forCode(topic.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        assertThat(admin.listTopics().names().get()).as("not auto-created").doesNotContain("missing");
    }

    private static TopicDescription describe(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    }

    private static Map<String, ConfigEntry> topicConfigs(String topic) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return byName(admin.describeConfigs(List.of(resource)).all().get().get(resource));
    }

    private static Map<String, ConfigEntry> byName(Config config) {
        return config.entries().stream().collect(Collectors.toMap(ConfigEntry::name, Function.identity()));
    }
}
