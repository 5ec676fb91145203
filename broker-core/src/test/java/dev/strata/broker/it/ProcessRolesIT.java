package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import dev.strata.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.common.requests.CreateAclsResponse;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's KRaft roles, each node in a JVM of its own: node 1 is a broker and a voter ({@code broker,controller}), node
 * 2 a voter only ({@code controller}: no partitions, no client listener), node 3 a broker without a vote
 * ({@code broker}: it reads the metadata from the voters). Clients that know only the broker-only node create a
 * replicated topic, produce and consume through it; no Metadata answer names the controller-only node. Nodes whose
 * roles contradict their settings exit at once with a clear error. The nodes run Strata's ACL authorizer (the brokers'
 * principal a super user), and an ACL made through the voter reaches the broker without a vote. One cluster serves
 * every test of the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@RunsAlone
class ProcessRolesIT {

    private static final Duration TIMEOUT = TestCluster.TIMEOUT;

    @TempDir
    static Path dir;

    private final int combinedPort = Ports.free();
    private final int combinedControllerPort = Ports.free();
    private final int controllerPort = Ports.free();
    private final int brokerPort = Ports.free();
    private final int brokerSaslPort = Ports.free();
    private final List<BrokerProcess> nodes = new ArrayList<>();

    @BeforeAll
    void startNodes() throws Exception {
        try {
            nodes.add(launch(
                    1,
                    combinedPort,
                    Map.of(
                            "process.roles",
                            "broker,controller",
                            "listeners",
                            "PLAINTEXT://127.0.0.1:" + combinedPort + ",CONTROLLER://127.0.0.1:"
                                    + combinedControllerPort)));
            nodes.add(launch(
                    2,
                    controllerPort,
                    Map.of("process.roles", "controller", "listeners", "CONTROLLER://127.0.0.1:" + controllerPort)));
            nodes.get(0).awaitListening(combinedPort, TIMEOUT);
            nodes.get(1).awaitListening(controllerPort, TIMEOUT);
            nodes.add(launch(
                    3,
                    brokerPort,
                    Map.of(
                            "process.roles",
                            "broker",
                            "listeners",
                            "PLAINTEXT://127.0.0.1:" + brokerPort + ",SASL_PLAINTEXT://127.0.0.1:" + brokerSaslPort,
                            "sasl.enabled.mechanisms",
                            "SCRAM-SHA-256",
                            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
                            "org.apache.kafka.common.security.scram.ScramLoginModule required;")));
            nodes.get(2).awaitListening(brokerPort, TIMEOUT);
        } catch (Exception | Error e) {
            stopNodes();
            throw e;
        }
    }

    /** {@code kill -9}: stopped cleanly, the last node would wait 15 s for a quorum the voters took with them. */
    @AfterAll
    void stopNodes() throws InterruptedException {
        for (BrokerProcess node : nodes) {
            node.kill();
        }
    }

    @Test
    void theClusterListsItsBrokersOnlyAndNamesABrokerAsController() throws Exception {
        try (Admin admin = admin()) {
            Await.until(TIMEOUT, "brokers 1 and 3 live", () -> nodeIds(admin).equals(Set.of(1, 3)));
            assertThat(admin.describeCluster().controller().get().id()).isIn(1, 3);
        }
    }

    @Test
    void clientsThatKnowOnlyTheBrokerOnlyNodeCreateProduceAndConsume() throws Exception {
        String topic = "through-the-broker-only-node";
        try (Admin admin = admin()) {
            Await.until(TIMEOUT, "brokers 1 and 3 live", () -> nodeIds(admin).equals(Set.of(1, 3)));
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 2))).all().get();
            // the description that showed them in sync: asked again, a broker whose metadata is a moment behind (the
            // broker-only node polls the quorum's image) may not know the topic yet
            AtomicReference<TopicDescription> inSync = new AtomicReference<>();
            Await.until(TIMEOUT, "both replicas of every partition in sync", () -> {
                TopicDescription d = describe(admin, topic);
                if (d != null
                        && d.partitions().stream()
                                .allMatch(p -> p.leader() != null && p.isr().size() == 2)) {
                    inSync.set(d);
                }
                return inSync.get() != null;
            });
            for (TopicPartitionInfo p : inSync.get().partitions()) {
                assertThat(p.replicas()).extracting(Node::id).containsExactlyInAnyOrder(1, 3);
            }
        }

        int count = 200;
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + brokerPort);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            producer.flush();
            producer.send(new ProducerRecord<>(topic, "last", "last")).get();
        }

        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + brokerPort);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "roles-it");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Set<String> values = new HashSet<>();
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            Await.until(TIMEOUT, "every record consumed", () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
                return values.size() == count + 1;
            });
            consumer.commitSync();
        }
        assertThat(values).contains("v0", "v" + (count - 1), "last");

        try (Admin admin = admin()) {
            // the group's offsets topic too lives on the brokers only
            for (TopicDescription d : admin.describeTopics(List.of(topic, "__consumer_offsets"))
                    .allTopicNames()
                    .get()
                    .values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    assertThat(p.replicas()).extracting(Node::id).doesNotContain(2);
                }
            }
        }
    }

    @Test
    void anAclMadeThroughTheVoterReachesTheBrokerWithoutAVote() throws Exception {
        AclBinding acl = new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, "roles-", PatternType.PREFIXED),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
        try (KafkaWire voter = KafkaWire.connect(combinedPort)) {
            CreateAclsResponse created = (CreateAclsResponse) voter.send(
                    new CreateAclsRequest.Builder(
                            new CreateAclsRequestData().setCreations(List.of(CreateAclsRequest.aclCreation(acl)))),
                    (short) 3);
            assertThat(created.results()).singleElement().satisfies(r -> assertThat(r.errorCode())
                    .isZero());
        }
        // the broker-only node reads the metadata image from the voters
        Await.until(TIMEOUT, "the ACL on the broker without a vote", () -> {
            try (KafkaWire broker = KafkaWire.connect(brokerPort)) {
                DescribeAclsResponse described =
                        (DescribeAclsResponse) broker.send(new DescribeAclsRequest.Builder(acl.toFilter()), (short) 3);
                return DescribeAclsResponse.aclBindings(described.acls()).contains(acl);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void nodesWhoseRolesContradictTheirSettingsExitWithAClearError() throws Exception {
        String voters = voters();
        BrokerProcess controllerNotAVoter = launch(
                9,
                Ports.free(),
                Map.of(
                        "process.roles",
                        "controller",
                        "listeners",
                        "CONTROLLER://127.0.0.1:" + Ports.free(),
                        "controller.quorum.voters",
                        voters));
        try {
            assertThat(controllerNotAVoter.awaitExit(TIMEOUT)).isNotZero();
            assertThat(controllerNotAVoter.output())
                    .contains("configuration error")
                    .contains("not one of the voters")
                    .contains("process.roles=controller");
        } finally {
            controllerNotAVoter.close();
        }
        BrokerProcess brokerThatIsAVoter = launch(2, Ports.free(), Map.of("process.roles", "broker"));
        try {
            assertThat(brokerThatIsAVoter.awaitExit(TIMEOUT)).isNotZero();
            assertThat(brokerThatIsAVoter.output())
                    .contains("configuration error")
                    .contains("process.roles=broker the node id 2 must not be one of the voters");
        } finally {
            brokerThatIsAVoter.close();
        }
    }

    /**
     * A SCRAM user added through the broker-and-voter node logs in on the broker-only node, which reads the credentials
     * with the rest of the metadata from the voters; deleted through the broker-only node, it is gone everywhere.
     */
    @Test
    void aScramUserAddedThroughOneNodeLogsInOnTheBrokerOnlyNode() throws Exception {
        Properties combined = new Properties();
        combined.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + combinedPort);
        try (Admin admin = Admin.create(combined)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(
                            "roles-user", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), "roles-secret")))
                    .all()
                    .get();
        }
        Properties scram = new Properties();
        scram.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + brokerSaslPort);
        scram.put(AdminClientConfig.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        scram.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-256");
        scram.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"roles-user\""
                        + " password=\"roles-secret\";");
        // the broker-only node polls the voters' image: until it has the user, a login is refused
        Await.until(TIMEOUT, "roles-user logs in on the broker-only node", () -> {
            try (Admin admin = Admin.create(scram)) {
                return !TestCluster.call(() -> admin.describeCluster().nodes().get())
                        .isEmpty();
            } catch (AssertionError refused) {
                return false;
            }
        });
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(
                            List.of(new UserScramCredentialDeletion("roles-user", ScramMechanism.SCRAM_SHA_256)))
                    .all()
                    .get();
        }
        try (Admin admin = Admin.create(combined)) {
            Await.until(TIMEOUT, "roles-user gone on the voter", () -> !TestCluster.call(
                            () -> admin.describeUserScramCredentials().users().get())
                    .contains("roles-user"));
        }
    }

    private BrokerProcess launch(int node, int port, Map<String, String> roleSettings) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put("node.id", Integer.toString(node));
        config.put("controller.listener.names", "CONTROLLER");
        config.put("controller.quorum.voters", voters());
        config.put("cluster.id", "strata-roles-cluster");
        config.put("default.replication.factor", "2");
        config.put("offsets.topic.replication.factor", "2");
        config.put("offsets.topic.num.partitions", "4");
        config.put("min.insync.replicas", "1");
        config.put("broker.heartbeat.interval.ms", "500");
        config.put("broker.session.timeout.ms", "6000");
        config.put("group.initial.rebalance.delay.ms", "0");
        config.put("log.dir.free.bytes.min", "0");
        // Strata's authorizer on, with the brokers' principal on the PLAINTEXT listeners as super user
        config.put("authorizer.class.name", "dev.strata.broker.security.AclAuthorizer");
        config.put("super.users", "User:ANONYMOUS");
        config.putAll(roleSettings);
        String name = "node" + node + "-" + roleSettings.get("process.roles").replace(',', '-');
        Path file = BrokerProcess.writeConfig(
                dir.resolve(name + ".properties"), port, dir.resolve("data-" + name + "-" + port), config);
        return BrokerProcess.startWithHeap(dir.resolve(name + "-" + port + ".out"), "384m", file.toString());
    }

    private String voters() {
        return "1@127.0.0.1:" + combinedControllerPort + ",2@127.0.0.1:" + controllerPort;
    }

    private Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + brokerPort);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(props);
    }

    private static Set<Integer> nodeIds(Admin admin) {
        try {
            Set<Integer> ids = new HashSet<>();
            admin.describeCluster().nodes().get().forEach(n -> ids.add(n.id()));
            return ids;
        } catch (Exception e) {
            return Set.of();
        }
    }

    private static TopicDescription describe(Admin admin, String topic) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        } catch (Exception e) {
            return null;
        }
    }
}
