package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The authorization matrix, with the real kafka-clients over SASL_PLAINTEXT/PLAIN against one broker with Strata's
 * ACL authorizer: alice, bob, carol (who never gets an ACL) and dave are ordinary users, admin is a super user (and so is {@code User:ANONYMOUS}, the
 * PLAINTEXT inter-broker listener's principal, as a Kafka operator with a PLAINTEXT inter-broker listener sets it).
 * For each API: without the ACL Kafka's error, with it success. ACLs are made by admin through the Admin API and
 * through Apache Kafka's kafka-acls.sh (AclCommand, in this JVM). Topic and group names are unique per test.
 */
class AuthorizationIT {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " user_alice=\"alice-secret\" user_bob=\"bob-secret\" user_carol=\"carol-secret\" user_dave=\"dave-secret\""
            + " user_admin=\"admin-secret\";";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final TestBroker BROKER = TestBroker.withConfig(brokerConfig(false));

    static Map<String, String> brokerConfig(boolean allowEveryone) {
        Map<String, String> config = new HashMap<>();
        config.put("listeners", "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("sasl.enabled.mechanisms", "PLAIN");
        config.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", JAAS);
        config.put("authorizer.class.name", "dev.strata.broker.security.AclAuthorizer");
        config.put("super.users", "User:admin;User:ANONYMOUS");
        config.put("allow.everyone.if.no.acl.found", Boolean.toString(allowEveryone));
        return config;
    }

    static Map<String, Object> sasl(TestBroker broker, String user) {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + broker.port("SASL_PLAINTEXT"));
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        props.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
                        + user + "-secret\";");
        return props;
    }

    private static Admin admin(String user) {
        return admin(BROKER, user);
    }

    static Admin admin(TestBroker broker, String user) {
        Map<String, Object> props = sasl(broker, user);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(props);
    }

    private static KafkaProducer<String, String> producer(String user, Map<String, Object> extra) {
        Map<String, Object> props = sasl(BROKER, user);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        props.putAll(extra);
        return BROKER.producer(props);
    }

    private static KafkaConsumer<String, String> consumer(String user, String group) {
        Map<String, Object> props = sasl(BROKER, user);
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        return BROKER.consumer(props);
    }

    private static AclBinding acl(ResourceType type, String name, PatternType pattern, String user, AclOperation op) {
        return acl(type, name, pattern, user, op, AclPermissionType.ALLOW);
    }

    private static AclBinding acl(
            ResourceType type, String name, PatternType pattern, String user, AclOperation op, AclPermissionType p) {
        return new AclBinding(
                new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + user, "*", op, p));
    }

    private static void grant(AclBinding... bindings) throws Exception {
        try (Admin admin = admin("admin")) {
            admin.createAcls(List.of(bindings)).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void createTopic(String name) throws Exception {
        try (Admin admin = admin("admin")) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** The future fails with {@code type} as its cause. */
    private static void assertDenied(Future<?> future, Class<? extends Throwable> type) {
        assertThatThrownBy(() -> future.get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(type);
    }

    private static void produce(String user, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> producer = producer(user, Map.of())) {
            producer.send(new ProducerRecord<>(topic, value)).get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void produceNeedsWriteOnTheTopic() throws Exception {
        createTopic("produce-t");
        grant(acl(ResourceType.TOPIC, "produce-t", PatternType.LITERAL, "alice", AclOperation.DESCRIBE));
        try (KafkaProducer<String, String> producer =
                producer("alice", Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false))) {
            assertDenied(producer.send(new ProducerRecord<>("produce-t", "no")), TopicAuthorizationException.class);
        }
        // an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic for InitProducerId:
        // dave may describe the topic and write nowhere
        grant(acl(ResourceType.TOPIC, "produce-t", PatternType.LITERAL, "dave", AclOperation.DESCRIBE));
        try (KafkaProducer<String, String> producer = producer("dave", Map.of())) {
            assertDenied(producer.send(new ProducerRecord<>("produce-t", "no")), ClusterAuthorizationException.class);
        }
        grant(acl(ResourceType.TOPIC, "produce-t", PatternType.LITERAL, "alice", AclOperation.WRITE));
        // idempotent: WRITE on a topic is enough for InitProducerId, as in Kafka 3+
        produce("alice", "produce-t", "yes");
    }

    @Test
    void withoutAnyAclNothingIsAllowed() throws Exception {
        createTopic("carol-t");
        produce("admin", "carol-t", "x");
        try (KafkaProducer<String, String> producer = producer("carol", Map.of())) {
            assertDenied(producer.send(new ProducerRecord<>("carol-t", "no")), TopicAuthorizationException.class);
        }
        try (KafkaConsumer<String, String> consumer = consumer("carol", null)) {
            TopicPartition tp = new TopicPartition("carol-t", 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        try (Admin carol = admin("carol")) {
            // (other tests let everyone describe deny-*)
            assertThat(carol.listTopics().names().get(30, TimeUnit.SECONDS)).allMatch(name -> name.startsWith("deny-"));
            assertDenied(
                    carol.describeProducers(List.of(new TopicPartition("carol-t", 0)))
                            .all(),
                    TopicAuthorizationException.class);
            assertDenied(
                    carol.electLeaders(
                                    org.apache.kafka.common.ElectionType.PREFERRED,
                                    Set.of(new TopicPartition("carol-t", 0)))
                            .partitions(),
                    ClusterAuthorizationException.class);
            assertDenied(
                    carol.alterPartitionReassignments(
                                    Map.of(new TopicPartition("carol-t", 0), java.util.Optional.empty()))
                            .all(),
                    ClusterAuthorizationException.class);
        }
    }

    @Test
    void groupAdministrationNeedsDescribeAndDelete() throws Exception {
        createTopic("gadmin-t");
        produce("admin", "gadmin-t", "x");
        TopicPartition tp = new TopicPartition("gadmin-t", 0);
        try (KafkaConsumer<String, String> consumer = consumer("admin", "gadmin-g")) {
            consumer.assign(List.of(tp));
            consumer.commitSync(Map.of(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(1)));
        }
        try (Admin bob = admin("bob")) {
            assertThat(bob.listGroups().all().get(30, TimeUnit.SECONDS))
                    .extracting(org.apache.kafka.clients.admin.GroupListing::groupId)
                    .doesNotContain("gadmin-g");
            assertDenied(bob.describeConsumerGroups(List.of("gadmin-g")).all(), GroupAuthorizationException.class);
            assertDenied(
                    bob.listConsumerGroupOffsets("gadmin-g").partitionsToOffsetAndMetadata(),
                    GroupAuthorizationException.class);
            assertDenied(
                    bob.deleteConsumerGroupOffsets("gadmin-g", Set.of(tp)).all(), GroupAuthorizationException.class);

            grant(acl(ResourceType.GROUP, "gadmin-", PatternType.PREFIXED, "bob", AclOperation.DESCRIBE));
            assertThat(bob.listGroups().all().get(30, TimeUnit.SECONDS))
                    .extracting(org.apache.kafka.clients.admin.GroupListing::groupId)
                    .contains("gadmin-g");
            assertThat(bob.describeConsumerGroups(
                                    List.of("gadmin-g"),
                                    new org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions()
                                            .includeAuthorizedOperations(true))
                            .all()
                            .get(30, TimeUnit.SECONDS)
                            .get("gadmin-g")
                            .authorizedOperations())
                    .containsExactly(AclOperation.DESCRIBE);
            // the group's offsets of a topic bob may not describe are not shown
            assertThat(bob.listConsumerGroupOffsets("gadmin-g")
                            .partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS))
                    .isEmpty();

            grant(
                    acl(ResourceType.GROUP, "gadmin-g", PatternType.LITERAL, "bob", AclOperation.DELETE),
                    acl(ResourceType.TOPIC, "gadmin-t", PatternType.LITERAL, "bob", AclOperation.READ));
            bob.deleteConsumerGroupOffsets("gadmin-g", Set.of(tp)).all().get(30, TimeUnit.SECONDS);
            bob.deleteConsumerGroups(List.of("gadmin-g")).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void consumingNeedsReadOnTheGroupAndOnTheTopic() throws Exception {
        createTopic("consume-t");
        produce("admin", "consume-t", "hello");
        // bob may see the topic (its metadata), not read it yet
        grant(acl(ResourceType.TOPIC, "consume-t", PatternType.LITERAL, "bob", AclOperation.DESCRIBE));
        try (KafkaConsumer<String, String> consumer = consumer("bob", "consume-g")) {
            consumer.subscribe(List.of("consume-t"));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
                    .isInstanceOf(GroupAuthorizationException.class);
        }
        grant(acl(ResourceType.GROUP, "consume-g", PatternType.LITERAL, "bob", AclOperation.READ));
        try (KafkaConsumer<String, String> consumer = consumer("bob", "consume-g")) {
            consumer.subscribe(List.of("consume-t"));
            assertThatThrownBy(() -> {
                        for (int i = 0; i < 20; i++) {
                            consumer.poll(Duration.ofMillis(500));
                        }
                    })
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        grant(acl(ResourceType.TOPIC, "consume-t", PatternType.LITERAL, "bob", AclOperation.READ));
        try (KafkaConsumer<String, String> consumer = consumer("bob", "consume-g")) {
            consumer.subscribe(List.of("consume-t"));
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            Await.until(TIMEOUT, "bob's records", () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                return !got.isEmpty();
            });
            assertThat(got).extracting(ConsumerRecord::value).containsExactly("hello");
            consumer.commitSync();
        }
        try (Admin bob = admin("bob")) {
            assertThat(bob.listConsumerGroupOffsets("consume-g")
                            .partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS)
                            .get(new TopicPartition("consume-t", 0))
                            .offset())
                    .isEqualTo(1);
            assertDenied(bob.deleteConsumerGroups(List.of("consume-g")).all(), GroupAuthorizationException.class);
        }
    }

    @Test
    void metadataAndListOffsetsRevealOnlyDescribableTopics() throws Exception {
        createTopic("secret-t");
        createTopic("visible-t");
        grant(acl(ResourceType.TOPIC, "visible-t", PatternType.LITERAL, "alice", AclOperation.DESCRIBE));
        try (Admin alice = admin("alice")) {
            Set<String> names = alice.listTopics().names().get(30, TimeUnit.SECONDS);
            assertThat(names).contains("visible-t").doesNotContain("secret-t");
            assertDenied(alice.describeTopics(List.of("secret-t")).allTopicNames(), TopicAuthorizationException.class);
            assertDenied(
                    alice.describeTopics(List.of("no-such-topic")).allTopicNames(), TopicAuthorizationException.class);
            assertThat(alice.describeTopics(
                                    List.of("visible-t"),
                                    new org.apache.kafka.clients.admin.DescribeTopicsOptions()
                                            .includeAuthorizedOperations(true))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get("visible-t")
                            .authorizedOperations())
                    .containsExactly(AclOperation.DESCRIBE);
            assertDenied(
                    alice.listOffsets(Map.of(new TopicPartition("secret-t", 0), OffsetSpec.latest()))
                            .all(),
                    TopicAuthorizationException.class);
            assertThat(alice.listOffsets(Map.of(new TopicPartition("visible-t", 0), OffsetSpec.latest()))
                            .all()
                            .get(30, TimeUnit.SECONDS))
                    .hasSize(1);
        }
    }

    @Test
    void topicAdministrationNeedsCreateDeleteAndAlter() throws Exception {
        try (Admin alice = admin("alice")) {
            assertDenied(
                    alice.createTopics(List.of(new NewTopic("alice-1", 1, (short) 1)))
                            .all(),
                    TopicAuthorizationException.class);
            // a prefixed ACL: everything alice- is alice's
            grant(acl(ResourceType.TOPIC, "alice-", PatternType.PREFIXED, "alice", AclOperation.ALL));
            alice.createTopics(List.of(new NewTopic("alice-1", 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            assertDenied(
                    alice.createTopics(List.of(new NewTopic("bobs-1", 1, (short) 1)))
                            .all(),
                    TopicAuthorizationException.class);
            alice.createPartitions(Map.of("alice-1", NewPartitions.increaseTo(2)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            alice.deleteRecords(Map.of(new TopicPartition("alice-1", 0), RecordsToDelete.beforeOffset(0)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            alice.deleteTopics(List.of("alice-1")).all().get(30, TimeUnit.SECONDS);
        }
        createTopic("admin-owned");
        try (Admin bob = admin("bob")) {
            assertDenied(bob.deleteTopics(List.of("admin-owned")).all(), TopicAuthorizationException.class);
            assertDenied(
                    bob.createPartitions(Map.of("admin-owned", NewPartitions.increaseTo(3)))
                            .all(),
                    TopicAuthorizationException.class);
            assertDenied(
                    bob.deleteRecords(Map.of(new TopicPartition("admin-owned", 0), RecordsToDelete.beforeOffset(0)))
                            .all(),
                    TopicAuthorizationException.class);
        }
    }

    @Test
    void configsNeedDescribeConfigsAndAlterConfigs() throws Exception {
        createTopic("configs-t");
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "configs-t");
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
        AlterConfigOp retention =
                new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET);
        try (Admin alice = admin("alice")) {
            assertDenied(alice.describeConfigs(List.of(topic)).all(), TopicAuthorizationException.class);
            assertDenied(alice.describeConfigs(List.of(broker)).all(), ClusterAuthorizationException.class);
            assertDenied(
                    alice.incrementalAlterConfigs(Map.of(topic, List.of(retention)))
                            .all(),
                    TopicAuthorizationException.class);
            grant(acl(ResourceType.TOPIC, "configs-t", PatternType.LITERAL, "alice", AclOperation.ALTER_CONFIGS));
            alice.incrementalAlterConfigs(Map.of(topic, List.of(retention)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            // ALTER_CONFIGS implies DESCRIBE_CONFIGS
            assertThat(alice.describeConfigs(List.of(topic))
                            .all()
                            .get(30, TimeUnit.SECONDS)
                            .get(topic)
                            .get("retention.ms")
                            .value())
                    .isEqualTo("3600000");
        }
    }

    @Test
    void anAclForAnotherHostDoesNotApply() throws Exception {
        createTopic("hosted-t");
        AclBinding elsewhere = new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, "hosted-t", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "10.9.9.9", AclOperation.DESCRIBE, AclPermissionType.ALLOW));
        AclBinding here = new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, "hosted-t", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "127.0.0.1", AclOperation.DESCRIBE, AclPermissionType.ALLOW));
        grant(elsewhere);
        try (Admin alice = admin("alice")) {
            assertDenied(alice.describeTopics(List.of("hosted-t")).allTopicNames(), TopicAuthorizationException.class);
            grant(here);
            assertThat(alice.describeTopics(List.of("hosted-t")).allTopicNames().get(30, TimeUnit.SECONDS))
                    .containsKey("hosted-t");
        }
    }

    @Test
    void denyWinsOverAllow() throws Exception {
        createTopic("deny-t");
        produce("admin", "deny-t", "x");
        // everyone may describe deny-*, but bob is denied deny-t itself
        grant(
                acl(ResourceType.TOPIC, "deny-", PatternType.PREFIXED, "*", AclOperation.DESCRIBE),
                acl(
                        ResourceType.TOPIC,
                        "deny-t",
                        PatternType.LITERAL,
                        "bob",
                        AclOperation.DESCRIBE,
                        AclPermissionType.DENY));
        TopicPartition tp = new TopicPartition("deny-t", 0);
        try (Admin alice = admin("alice");
                Admin bob = admin("bob")) {
            assertThat(alice.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS))
                    .hasSize(1);
            assertDenied(bob.listOffsets(Map.of(tp, OffsetSpec.latest())).all(), TopicAuthorizationException.class);
        }
    }

    @Test
    void transactionsNeedWriteOnTheTransactionalId() throws Exception {
        createTopic("txn-t");
        grant(acl(ResourceType.TOPIC, "txn-t", PatternType.LITERAL, "bob", AclOperation.WRITE));
        try (KafkaProducer<String, String> producer =
                producer("bob", Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bob-tx"))) {
            assertThatThrownBy(producer::initTransactions).isInstanceOf(TransactionalIdAuthorizationException.class);
        }
        grant(acl(ResourceType.TRANSACTIONAL_ID, "bob-tx", PatternType.LITERAL, "bob", AclOperation.WRITE));
        try (KafkaProducer<String, String> producer =
                producer("bob", Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bob-tx"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("txn-t", "in a transaction")).get(30, TimeUnit.SECONDS);
            producer.commitTransaction();
        }
        try (Admin alice = admin("alice");
                Admin bob = admin("bob")) {
            assertDenied(
                    alice.describeTransactions(List.of("bob-tx")).all(), TransactionalIdAuthorizationException.class);
            assertThat(alice.listTransactions().all().get(30, TimeUnit.SECONDS))
                    .extracting(org.apache.kafka.clients.admin.TransactionListing::transactionalId)
                    .doesNotContain("bob-tx");
            // WRITE implies DESCRIBE
            assertThat(bob.describeTransactions(List.of("bob-tx")).all().get(30, TimeUnit.SECONDS))
                    .containsKey("bob-tx");
            assertThat(bob.listTransactions().all().get(30, TimeUnit.SECONDS))
                    .extracting(org.apache.kafka.clients.admin.TransactionListing::transactionalId)
                    .contains("bob-tx");
        }
    }

    @Test
    void clusterOperationsAndAclsNeedTheCluster() throws Exception {
        AclBinding some = acl(ResourceType.TOPIC, "whatever", PatternType.LITERAL, "bob", AclOperation.READ);
        try (Admin alice = admin("alice")) {
            assertDenied(alice.createAcls(List.of(some)).all(), ClusterAuthorizationException.class);
            assertDenied(alice.describeAcls(AclBindingFilter.ANY).values(), ClusterAuthorizationException.class);
            assertDenied(alice.deleteAcls(List.of(AclBindingFilter.ANY)).all(), ClusterAuthorizationException.class);
            assertDenied(alice.describeLogDirs(List.of(1)).allDescriptions(), ClusterAuthorizationException.class);
            assertDenied(alice.listPartitionReassignments().reassignments(), ClusterAuthorizationException.class);
            grant(acl(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, "alice", AclOperation.ALTER));
            // ALTER on the cluster implies DESCRIBE
            alice.createAcls(List.of(some)).all().get(30, TimeUnit.SECONDS);
            assertThat(alice.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS))
                    .contains(some);
            assertThat(alice.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS))
                    .isEmpty();
            assertThat(alice.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions()
                                    .includeAuthorizedOperations(true))
                            .authorizedOperations()
                            .get(30, TimeUnit.SECONDS))
                    .containsExactlyInAnyOrder(AclOperation.ALTER, AclOperation.DESCRIBE);
        }
    }

    @Test
    void quotasAndScramCredentialsNeedTheCluster() throws Exception {
        var entity = new org.apache.kafka.common.quota.ClientQuotaEntity(
                Map.of(org.apache.kafka.common.quota.ClientQuotaEntity.CLIENT_ID, "quota-acl"));
        var setQuota = List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration(
                entity,
                List.of(new org.apache.kafka.common.quota.ClientQuotaAlteration.Op("producer_byte_rate", 1e6))));
        var setCredential = List.<org.apache.kafka.clients.admin.UserScramCredentialAlteration>of(
                new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(
                        "quota-acl-user",
                        new org.apache.kafka.clients.admin.ScramCredentialInfo(
                                org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256, 4096),
                        "secret"));
        try (Admin carol = admin("carol")) {
            assertDenied(
                    carol.describeClientQuotas(org.apache.kafka.common.quota.ClientQuotaFilter.all())
                            .entities(),
                    ClusterAuthorizationException.class);
            assertDenied(carol.alterClientQuotas(setQuota).all(), ClusterAuthorizationException.class);
            assertDenied(carol.describeUserScramCredentials().all(), ClusterAuthorizationException.class);
            assertDenied(carol.alterUserScramCredentials(setCredential).all(), ClusterAuthorizationException.class);
        }
        try (Admin admin = admin("admin")) {
            admin.alterClientQuotas(setQuota).all().get(30, TimeUnit.SECONDS);
            assertThat(admin.describeClientQuotas(org.apache.kafka.common.quota.ClientQuotaFilter.all())
                            .entities()
                            .get(30, TimeUnit.SECONDS))
                    .containsKey(entity);
            admin.alterUserScramCredentials(setCredential).all().get(30, TimeUnit.SECONDS);
            assertThat(admin.describeUserScramCredentials().all().get(30, TimeUnit.SECONDS))
                    .containsKey("quota-acl-user");
        }
    }

    @Test
    void superUsersNeedNoAcl() throws Exception {
        try (Admin admin = admin("admin")) {
            admin.createTopics(List.of(new NewTopic("super-t", 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            assertThat(admin.describeLogDirs(List.of(1)).allDescriptions().get(30, TimeUnit.SECONDS))
                    .containsKey(1);
        }
        produce("admin", "super-t", "as admin");
    }

    @Test
    void aclsSurviveARestart() throws Exception {
        createTopic("restart-t");
        AclBinding describe = acl(ResourceType.TOPIC, "restart-t", PatternType.LITERAL, "alice", AclOperation.DESCRIBE);
        grant(describe);
        BROKER.restart();
        try (Admin admin = admin("admin");
                Admin alice = admin("alice")) {
            assertThat(admin.describeAcls(describe.toFilter()).values().get(30, TimeUnit.SECONDS))
                    .containsExactly(describe);
            assertThat(alice.describeTopics(List.of("restart-t"))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS))
                    .containsKey("restart-t");
        }
    }

    @Test
    void allowEveryoneIfNoAclFoundOpensOnlyResourcesWithoutAcls() throws Exception {
        try (TestBroker open = TestBroker.withConfig(brokerConfig(true))) {
            open.start();
            try (Admin admin = admin(open, "admin");
                    Admin bob = admin(open, "bob")) {
                admin.createTopics(
                                List.of(new NewTopic("open-t", 1, (short) 1), new NewTopic("closed-t", 1, (short) 1)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                admin.createAcls(List.of(acl(
                                ResourceType.TOPIC, "closed-t", PatternType.LITERAL, "alice", AclOperation.DESCRIBE)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                assertThat(bob.listTopics().names().get(30, TimeUnit.SECONDS))
                        .contains("open-t")
                        .doesNotContain("closed-t");
                // the literal wildcard: every topic now has an ACL, and it lets everyone describe them
                admin.createAcls(List.of(acl(ResourceType.TOPIC, "*", PatternType.LITERAL, "*", AclOperation.DESCRIBE)))
                        .all()
                        .get(30, TimeUnit.SECONDS);
                assertThat(bob.listTopics().names().get(30, TimeUnit.SECONDS)).contains("open-t", "closed-t");
            }
        }
    }

    @Test
    void kafkaAclsToolAddsListsAndRemoves() throws Exception {
        Path commandConfig = Files.createTempFile("strata-acls-", ".properties");
        try {
            Files.writeString(
                    commandConfig,
                    "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
                            + "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\""
                            + " password=\"admin-secret\";\n");
            String bootstrap = "127.0.0.1:" + BROKER.port("SASL_PLAINTEXT");
            List<String> common =
                    List.of("--bootstrap-server", bootstrap, "--command-config", commandConfig.toString());
            aclTool(
                    common,
                    "--add",
                    "--allow-principal",
                    "User:bob",
                    "--operation",
                    "Read",
                    "--operation",
                    "Describe",
                    "--topic",
                    "tool-",
                    "--resource-pattern-type",
                    "prefixed");
            aclTool(
                    common,
                    "--add",
                    "--deny-principal",
                    "User:bob",
                    "--allow-host",
                    "*",
                    "--operation",
                    "Write",
                    "--topic",
                    "tool-t");
            String listed = aclTool(common, "--list", "--topic", "tool-", "--resource-pattern-type", "prefixed");
            assertThat(listed)
                    .contains("name=tool-", "patternType=PREFIXED", "principal=User:bob", "operation=READ")
                    .contains("operation=DESCRIBE");
            try (Admin admin = admin("admin")) {
                assertThat(admin.describeAcls(new AclBindingFilter(
                                        new ResourcePattern(ResourceType.TOPIC, "tool-t", PatternType.LITERAL)
                                                .toFilter(),
                                        org.apache.kafka.common.acl.AccessControlEntryFilter.ANY))
                                .values()
                                .get(30, TimeUnit.SECONDS))
                        .singleElement()
                        .satisfies(b -> assertThat(b.entry().permissionType()).isEqualTo(AclPermissionType.DENY));
            }
            aclTool(common, "--remove", "--force", "--topic", "tool-", "--resource-pattern-type", "prefixed");
            aclTool(common, "--remove", "--force", "--topic", "tool-t");
            try (Admin admin = admin("admin")) {
                Collection<AclBinding> left =
                        admin.describeAcls(AclBindingFilter.ANY).values().get(30, TimeUnit.SECONDS);
                assertThat(left).noneMatch(b -> b.pattern().name().startsWith("tool-"));
            }
        } finally {
            Files.deleteIfExists(commandConfig);
        }
    }

    /** Runs Apache Kafka's kafka-acls.sh (its AclCommand) in this JVM; what it printed. */
    private static String aclTool(List<String> common, String... command) throws Exception {
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of(command));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        org.apache.kafka.common.utils.Exit.setExitProcedure((code, message) -> {
            throw new ToolExit(code, message);
        });
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(print);
            Class.forName("org.apache.kafka.tools.AclCommand")
                    .getMethod("main", String[].class)
                    .invoke(null, (Object) args.toArray(String[]::new));
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (!(e.getCause() instanceof ToolExit exit) || exit.code != 0) {
                throw new AssertionError("kafka-acls.sh " + String.join(" ", command) + " failed:\n" + out, e);
            }
        } finally {
            System.setOut(stdout);
            org.apache.kafka.common.utils.Exit.resetExitProcedure();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The tool's call to exit the JVM. */
    private static final class ToolExit extends RuntimeException {
        final int code;

        ToolExit(int code, String message) {
            super("exit " + code + ": " + message);
            this.code = code;
        }
    }
}
