package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.api.BrokerConnector;
import dev.strata.broker.api.BrokerMarkerSender;
import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.txn.LeaderMarkerWriter;
import dev.strata.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceDataCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transaction markers written from outside the partitions' leaders, as a transaction coordinator on another broker
 * writes them: a {@link BrokerMarkerSender} and a {@link LeaderMarkerWriter} in the test JVM, looking brokers and
 * leaders up in the cluster's metadata (through Admin), end transactions whose records a raw producer (a producer id
 * from InitProducerId, transactional batches) wrote to a 3-broker cluster. A read_committed consumer then sees the
 * committed records and none of the aborted ones; a broker that does not lead a partition answers NOT_LEADER, one
 * that is not there a retriable NETWORK_EXCEPTION, and the markers of a deleted topic are skipped. A kafka-clients
 * transactional producer over partitions led by different brokers commits and aborts through the coordinator the
 * cluster elected for its id, which sends the markers to the other leaders (reconnecting to a restarted broker is proven on sockets in
 * {@code BrokerMarkerSenderTest}, sparing this class a broker restart). One cluster serves every test; it runs Strata's
 * ACL authorizer with the brokers' principal as super user, so all of this also proves that brokers with an authorizer
 * replicate and send each other markers, and an ACL made through one broker reaches all three.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@RunsAlone
class TransactionMarkersIT {

    private static final Duration TIMEOUT = TestCluster.TIMEOUT;
    private static final String TOPIC = "txn-markers";
    private static final int COORDINATOR_EPOCH = 0;

    @TempDir
    static Path dir;

    private TestCluster cluster;
    private Admin admin;
    private BrokerMarkerSender sender;
    private ScheduledExecutorService scheduler;
    private LeaderMarkerWriter writer;

    @BeforeAll
    void startCluster() throws Exception {
        // three transaction state partitions rather than fifty: created on the first transactional producer's call
        // with Strata's authorizer on: the brokers (User:ANONYMOUS on the PLAINTEXT inter-broker listener) are super
        // users, so replication, markers and verification between them go on as without it
        cluster = TestCluster.start(
                dir,
                3,
                Map.of(
                        "transaction.state.log.num.partitions", "3",
                        "authorizer.class.name", "dev.strata.broker.security.AclAuthorizer",
                        "super.users", "User:ANONYMOUS"));
        admin = cluster.admin();
        sender = new BrokerMarkerSender(0, this::broker, BrokerConnector.plaintext(5_000), 30_000);
        scheduler = Executors.newSingleThreadScheduledExecutor();
        writer = new LeaderMarkerWriter(this::partition, sender, scheduler);
        cluster.createTopic(TOPIC, 3, 3);
    }

    @AfterAll
    void stopCluster() {
        if (sender != null) {
            sender.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void committedTransactionsAreReadAndAbortedOnesAreNot() throws Exception {
        TopicPartition tp0 = new TopicPartition(TOPIC, 0);
        TopicPartition tp1 = new TopicPartition(TOPIC, 1);
        TopicPartition tp2 = new TopicPartition(TOPIC, 2);
        int leader = TestCluster.leader(admin, tp0);
        RawProducer producer = RawProducer.init(cluster.port(leader));

        producer.produce(cluster, tp0, "committed-1", "committed-2");
        assertThat(send(leader, producer, true, tp0)).isEqualTo(Map.of(tp0, Errors.NONE));
        producer.produce(cluster, tp0, "aborted-1");
        assertThat(send(leader, producer, false, tp0)).isEqualTo(Map.of(tp0, Errors.NONE));
        // a transaction over partitions of every broker, its markers sent to each partition's leader
        producer.produce(cluster, tp0, "committed-3");
        producer.produce(cluster, tp1, "committed-4");
        producer.produce(cluster, tp2, "committed-5");
        writer.write(producer.id, producer.epoch, true, COORDINATOR_EPOCH, Set.of(tp0, tp1, tp2))
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        producer.produce(cluster, tp1, "aborted-2");
        producer.produce(cluster, tp2, "aborted-3");
        writer.write(producer.id, producer.epoch, false, COORDINATOR_EPOCH, Set.of(tp1, tp2))
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        assertThat(readCommitted(TOPIC))
                .containsExactlyInAnyOrder("committed-1", "committed-2", "committed-3", "committed-4", "committed-5");
        assertThat(read(TOPIC, "read_uncommitted")).contains("aborted-1", "aborted-2", "aborted-3");
    }

    @Test
    void aKafkaClientsTransactionOverPartitionsOfEveryBrokerCommitsAndAbortsThroughItsCoordinator() throws Exception {
        String topic = "txn-clients";
        cluster.createTopic(topic, 3, 3);
        Set<Integer> leaders = new java.util.HashSet<>();
        for (int p = 0; p < 3; p++) {
            leaders.add(TestCluster.leader(admin, new TopicPartition(topic, p)));
        }
        assertThat(leaders).as("the partitions' leaders").hasSizeGreaterThan(1);
        Map<String, Object> settings = Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "across-brokers",
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                60_000);
        try (var producer = cluster.producer(settings)) {
            producer.initTransactions();
            for (String outcome : List.of("committed-a", "aborted", "committed-b")) {
                producer.beginTransaction();
                for (int p = 0; p < 3; p++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                            topic, p, outcome + "-" + p, outcome + "-" + p));
                }
                if (outcome.equals("aborted")) {
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
            }
        }
        // EndTxn answers once the decision is durable, before the markers land: wait until every LSO has passed them
        Await.until(
                TIMEOUT,
                "the committed records of " + topic,
                () -> readCommitted(topic).size() >= 6);
        assertThat(readCommitted(topic))
                .containsExactlyInAnyOrder(
                        "committed-a-0",
                        "committed-a-1",
                        "committed-a-2",
                        "committed-b-0",
                        "committed-b-1",
                        "committed-b-2");
    }

    @Test
    void aTransactionalProduceIsVerifiedWithTheCoordinatorOnAnotherBroker() throws Exception {
        String topic = "txn-verified";
        cluster.createTopic(topic, 3, 3);
        String transactionalId = "verified-elsewhere";
        int coordinator = transactionCoordinator(transactionalId);
        TopicPartition tp = java.util.stream.IntStream.range(0, 3)
                .mapToObj(p -> new TopicPartition(topic, p))
                .filter(p -> TestCluster.leader(admin, p) != coordinator)
                .findFirst()
                .orElseThrow();
        RawProducer producer = RawProducer.init(cluster.port(coordinator), transactionalId);

        assertThat(producer.tryProduce(cluster, tp, "stray"))
                .as("a batch for a partition not in the transaction, from produce v12 (KIP-890)")
                .isEqualTo(Errors.TRANSACTION_ABORTABLE);
        try (KafkaWire wire = KafkaWire.connect(cluster.port(coordinator))) {
            var add = org.apache.kafka.common.requests.AddPartitionsToTxnRequest.Builder.forClient(
                    transactionalId, producer.id, producer.epoch, List.of(tp));
            var added = (org.apache.kafka.common.requests.AddPartitionsToTxnResponse) wire.send(add, (short) 3);
            assertThat(added.errors()
                            .get(org.apache.kafka.common.requests.AddPartitionsToTxnResponse.V3_AND_BELOW_TXN_ID))
                    .containsEntry(tp, Errors.NONE);
            producer.produce(cluster, tp, "in-the-transaction");

            var end = new org.apache.kafka.common.requests.EndTxnRequest.Builder(
                    new org.apache.kafka.common.message.EndTxnRequestData()
                            .setTransactionalId(transactionalId)
                            .setProducerId(producer.id)
                            .setProducerEpoch(producer.epoch)
                            .setCommitted(true),
                    false);
            var ended = (org.apache.kafka.common.requests.EndTxnResponse) wire.send(end, (short) 3);
            assertThat(ended.error()).isEqualTo(Errors.NONE);
        }
        Await.until(TIMEOUT, "the committed record of " + topic, () -> !readCommitted(topic)
                .isEmpty());
        assertThat(readCommitted(topic)).containsExactly("in-the-transaction");
    }

    /** The broker FindCoordinator names for a transactional id. */
    private int transactionCoordinator(String transactionalId) throws Exception {
        try (KafkaWire wire = KafkaWire.connect(cluster.port(1))) {
            var find = new org.apache.kafka.common.requests.FindCoordinatorRequest.Builder(
                    new org.apache.kafka.common.message.FindCoordinatorRequestData()
                            .setKeyType(
                                    org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType.TRANSACTION
                                            .id())
                            .setCoordinatorKeys(List.of(transactionalId)));
            Optional<Integer> node = Optional.empty();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (node.isEmpty() && System.nanoTime() < deadline) {
                var answer = (org.apache.kafka.common.requests.FindCoordinatorResponse) wire.send(find, (short) 4);
                var c = answer.data().coordinators().get(0);
                node = c.errorCode() == Errors.NONE.code() ? Optional.of(c.nodeId()) : Optional.empty();
                if (node.isEmpty()) {
                    Thread.sleep(100);
                }
            }
            return node.orElseThrow(() -> new AssertionError("no coordinator for " + transactionalId));
        }
    }

    @Test
    void partitionsTheBrokerDoesNotServeAnswerAsKafkaAndAMissingBrokerIsRetriable() throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        int leader = TestCluster.leader(admin, tp);
        int follower = leader % 3 + 1;
        TopicPartition unknown = new TopicPartition("no-such-topic", 0);

        assertThat(sender.send(follower, 1, (short) 0, true, COORDINATOR_EPOCH, Set.of(tp, unknown))
                        .get())
                .isEqualTo(Map.of(tp, Errors.NOT_LEADER_OR_FOLLOWER, unknown, Errors.UNKNOWN_TOPIC_OR_PARTITION));
        assertThat(sender.send(42, 1, (short) 0, true, COORDINATOR_EPOCH, Set.of(tp))
                        .get())
                .isEqualTo(Map.of(tp, Errors.NETWORK_EXCEPTION));
    }

    @Test
    void aclsMadeThroughOneBrokerReachEveryBroker() throws Exception {
        AclBinding acl = new AclBinding(
                new ResourcePattern(ResourceType.TOPIC, "acl-everywhere", PatternType.LITERAL),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
        admin.createAcls(List.of(acl)).all().get();
        for (int node = 1; node <= 3; node++) {
            int port = cluster.port(node);
            Await.until(TIMEOUT, "the ACL on broker " + node, () -> {
                try (KafkaWire wire = KafkaWire.connect(port)) {
                    DescribeAclsResponse described = (DescribeAclsResponse)
                            wire.send(new DescribeAclsRequest.Builder(acl.toFilter()), (short) 3);
                    return DescribeAclsResponse.aclBindings(described.acls()).contains(acl);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
    }

    @Test
    void theMarkersOfADeletedTopicAreSkipped() throws Exception {
        String topic = "txn-markers-deleted";
        cluster.createTopic(topic, 1, 3);
        TopicPartition tp = new TopicPartition(topic, 0);
        RawProducer producer = RawProducer.init(cluster.port(TestCluster.leader(admin, tp)));
        producer.produce(cluster, tp, "deleted");

        admin.deleteTopics(List.of(topic)).all().get();

        // as Kafka: a marker for a partition that is gone is dropped, the transaction still completes
        writer.write(producer.id, producer.epoch, true, COORDINATOR_EPOCH, Set.of(tp))
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private Map<?, ?> send(int broker, RawProducer producer, boolean commit, TopicPartition tp) throws Exception {
        return sender.send(broker, producer.id, producer.epoch, commit, COORDINATOR_EPOCH, Set.of(tp))
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The cluster's brokers as the coordinator's metadata would list them. */
    private Optional<ClusterBroker> broker(int node) {
        return node >= 1 && node <= cluster.size()
                ? Optional.of(new ClusterBroker(node, "127.0.0.1", cluster.port(node), Optional.empty(), false))
                : Optional.empty();
    }

    /** A partition's state from the cluster's metadata; empty once its topic is gone. */
    private Optional<PartitionState> partition(TopicPartition tp) {
        try {
            TopicPartitionInfo info = admin.describeTopics(List.of(tp.topic()))
                    .allTopicNames()
                    .get()
                    .get(tp.topic())
                    .partitions()
                    .get(tp.partition());
            List<Integer> replicas = info.replicas().stream().map(Node::id).toList();
            List<Integer> isr = info.isr().stream().map(Node::id).toList();
            int leader = info.leader() == null
                    ? PartitionState.NO_LEADER
                    : info.leader().id();
            return Optional.of(new PartitionState(replicas, isr, leader, 0, 0));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private List<String> readCommitted(String topic) {
        return read(topic, "read_committed");
    }

    /** Every value a consumer at {@code isolation} reads from the topic, up to its end offsets of now. */
    private List<String> read(String topic, String isolation) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> stable = consumer.endOffsets(tps);
            List<String> values = new ArrayList<>();
            Await.until(TIMEOUT, "the committed records of " + topic, () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return tps.stream().allMatch(tp -> consumer.position(tp) >= stable.get(tp));
            });
            return values;
        }
    }

    /** An idempotent producer id (InitProducerId without a transactional id) that writes transactional batches. */
    private static final class RawProducer {
        private final String transactionalId;
        private final long id;
        private final short epoch;
        private final Map<TopicPartition, Integer> sequences = new HashMap<>();

        private RawProducer(String transactionalId, long id, short epoch) {
            this.transactionalId = transactionalId;
            this.id = id;
            this.epoch = epoch;
        }

        static RawProducer init(int port) throws Exception {
            return init(port, null);
        }

        /**
         * A producer id from InitProducerId at the broker on {@code port}, for {@code transactionalId} (which that
         * broker must coordinate) or none; its produce requests carry the transactional id.
         */
        static RawProducer init(int port, String transactionalId) throws Exception {
            try (KafkaWire wire = KafkaWire.connect(port)) {
                InitProducerIdRequest.Builder init = new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                        .setTransactionalId(transactionalId)
                        .setTransactionTimeoutMs(60_000)
                        .setProducerId(-1)
                        .setProducerEpoch((short) -1));
                InitProducerIdResponse response =
                        (InitProducerIdResponse) wire.send(init, wire.negotiatedVersion(init.apiKey()));
                // a coordinator still loading its state answers with a retriable error, as to any producer
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (response.error().exception() instanceof org.apache.kafka.common.errors.RetriableException
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    response = (InitProducerIdResponse) wire.send(init, wire.negotiatedVersion(init.apiKey()));
                }
                assertThat(response.error()).isEqualTo(Errors.NONE);
                return new RawProducer(
                        transactionalId,
                        response.data().producerId(),
                        response.data().producerEpoch());
            }
        }

        /** Writes one transactional batch of {@code values} to the partition's leader, acks=all. */
        void produce(TestCluster cluster, TopicPartition tp, String... values) throws Exception {
            assertThat(tryProduce(cluster, tp, values)).isEqualTo(Errors.NONE);
        }

        /** As {@link #produce}; the leader's answer (the sequence moves on only on success). */
        Errors tryProduce(TestCluster cluster, TopicPartition tp, String... values) throws Exception {
            int sequence = sequences.getOrDefault(tp, 0);
            SimpleRecord[] records = new SimpleRecord[values.length];
            for (int i = 0; i < values.length; i++) {
                records[i] = new SimpleRecord(values[i].getBytes(StandardCharsets.UTF_8));
            }
            MemoryRecords batch =
                    MemoryRecords.withTransactionalRecords(Compression.NONE, id, epoch, sequence, records);
            ProduceRequestData data = new ProduceRequestData()
                    .setTransactionalId(transactionalId)
                    .setAcks((short) -1)
                    .setTimeoutMs(30_000)
                    .setTopicData(new TopicProduceDataCollection(List.of(new TopicProduceData()
                                    .setName(tp.topic())
                                    .setPartitionData(List.of(new PartitionProduceData()
                                            .setIndex(tp.partition())
                                            .setRecords(batch))))
                            .iterator()));
            try (Admin admin = cluster.admin();
                    KafkaWire wire = KafkaWire.connect(cluster.port(TestCluster.leader(admin, tp)))) {
                ProduceResponse response = (ProduceResponse) wire.send(ProduceRequest.builder(data), (short) 12);
                Errors error = Errors.forCode(response.data()
                        .responses()
                        .iterator()
                        .next()
                        .partitionResponses()
                        .get(0)
                        .errorCode());
                if (error == Errors.NONE) {
                    sequences.put(tp, sequence + values.length);
                }
                return error;
            }
        }
    }
}
