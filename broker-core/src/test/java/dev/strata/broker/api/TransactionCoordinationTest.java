package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.txn.TransactionCoordinator;
import dev.strata.broker.txn.TransactionLogRecords;
import dev.strata.broker.txn.TransactionMetadata;
import dev.strata.broker.txn.TransactionState;
import dev.strata.broker.txn.TransactionStateTopic;
import dev.strata.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code __transaction_state} and the coordinator on it, on a one-broker replica manager. */
class TransactionCoordinationTest {
    private static final int PARTITIONS = 2;

    @TempDir
    Path dir;

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    private final ExecutorService ioPool = Executors.newFixedThreadPool(1);
    private LogManager logManager;
    private ReplicaManager replicas;
    private TransactionStateTopic stateTopic;
    private TransactionCoordinator coordinator;
    private final List<String> markers = new CopyOnWriteArrayList<>();
    /** How many marker writes fail before they succeed. */
    private final java.util.concurrent.atomic.AtomicInteger markerFailures =
            new java.util.concurrent.atomic.AtomicInteger();

    /** How many tombstone writes fail before they succeed. */
    private final java.util.concurrent.atomic.AtomicInteger tombstoneFailures =
            new java.util.concurrent.atomic.AtomicInteger();

    /** When set, every marker write returns it: a write that never lands (its leaders keep answering retriably). */
    private volatile CompletableFuture<Void> hangingMarkers;

    @BeforeEach
    void start() throws Exception {
        store.register(1, 19092, false);
        BrokerConfig config = BrokerConfig.of(Map.of("node.id", "1", "log.dirs", dir.toString()));
        logManager = new LogManager(
                List.of(dir), tp -> LogConfig.of(Map.of(), Map.of()), Time.SYSTEM, scheduler, 300_000, 60_000);
        replicas = new ReplicaManager(1, logManager, ioPool, scheduler);
        TopicManager topics = new TopicManager(config, store, replicas);
        stateTopic =
                new TransactionStateTopic(
                        topics,
                        replicas,
                        new TransactionStateTopic.Settings(PARTITIONS, 3, 2, 1 << 20, 1_000),
                        Time.SYSTEM) {
                    @Override
                    public CompletableFuture<Long> remove(String transactionalId) {
                        if (tombstoneFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                            return CompletableFuture.failedFuture(new NotEnoughReplicasException("no followers"));
                        }
                        return super.remove(transactionalId);
                    }
                };
        AtomicLong producerIds = new AtomicLong(1000);
        coordinator = new TransactionCoordinator(
                stateTopic,
                (pid, epoch, commit, coordinatorEpoch, partitions) -> {
                    if (hangingMarkers != null) {
                        return hangingMarkers;
                    }
                    if (markerFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        return CompletableFuture.failedFuture(new IllegalStateException("broker 2 unreachable"));
                    }
                    markers.add((commit ? "COMMIT " : "ABORT ") + pid + "/" + epoch + " " + partitions);
                    return CompletableFuture.completedFuture(null);
                },
                producerIds::getAndIncrement,
                900_000,
                Time.SYSTEM,
                ioPool,
                scheduler);
        replicas.addListener(coordinator.coordinated());
        stateTopic.topic().ensureExists();
        TopicMetadata topic = store.topic(TransactionStateTopic.NAME).orElseThrow();
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition(TransactionStateTopic.NAME, p);
            PartitionState state = new PartitionState(List.of(1), List.of(1), 1, 1, 1);
            store.setPartition(tp, state);
            replicas.applyPartitionState(topic.topicId(), tp, state, LogConfig.of(Map.of(), Map.of()));
        }
        Await.until(Duration.ofSeconds(15), "the state partitions to load", () -> !coordinator
                .coordinated()
                .loading());
    }

    @AfterEach
    void stop() {
        replicas.shutdown();
        logManager.close();
        scheduler.shutdownNow();
        ioPool.shutdownNow();
    }

    private static TransactionLogRecords.Value state(TransactionState s, short epoch, Set<TopicPartition> partitions) {
        return new TransactionLogRecords.Value(7L, -1, -1, epoch, 60_000, s, partitions, 5L, 4L, (short) 0);
    }

    @Test
    void theTopicIsCompactedWithTheConfiguredMinIsrCappedAtItsReplicas() {
        TopicMetadata topic = store.topic(TransactionStateTopic.NAME).orElseThrow();
        assertThat(topic.partitions()).isEqualTo(PARTITIONS);
        assertThat(topic.configs())
                .containsEntry("cleanup.policy", "compact")
                .containsEntry("min.insync.replicas", "1");
    }

    @Test
    void loadingAPartitionKeepsTheLastStateOfEachIdAndDropsTombstones() throws Exception {
        String open = "open";
        String gone = "gone";
        Set<TopicPartition> partitions = Set.of(new TopicPartition("orders", 0));
        stateTopic
                .write(open, state(TransactionState.EMPTY, (short) 0, Set.of()))
                .get(10, TimeUnit.SECONDS);
        stateTopic
                .write(open, state(TransactionState.ONGOING, (short) 0, partitions))
                .get(10, TimeUnit.SECONDS);
        stateTopic
                .write(gone, state(TransactionState.COMPLETE_COMMIT, (short) 3, Set.of()))
                .get(10, TimeUnit.SECONDS);
        stateTopic.remove(gone).get(10, TimeUnit.SECONDS);

        Map<String, TransactionMetadata> loaded = new java.util.HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            loaded.putAll(stateTopic.load(p));
        }
        assertThat(loaded).containsOnlyKeys(open);
        assertThat(loaded.get(open).current()).isEqualTo(state(TransactionState.ONGOING, (short) 0, partitions));
        assertThat(stateTopic.load(stateTopic.partitionFor(open))).containsKey(open);
    }

    @Test
    void aTransactionCommitsThroughPrepareMarkersAndComplete() throws Exception {
        TransactionCoordinator.InitResult init =
                coordinator.initProducerId("tx", 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        assertThat(init).isEqualTo(new TransactionCoordinator.InitResult(Errors.NONE, 1000L, (short) 0));
        TopicPartition orders = new TopicPartition("orders", 0);
        assertThat(coordinator.verify("tx", 1000L, (short) 0, orders).get()).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(coordinator
                        .addPartitions("tx", 1000L, (short) 0, Set.of(orders))
                        .get(10, TimeUnit.SECONDS))
                .isEqualTo(Errors.NONE);
        assertThat(coordinator.verify("tx", 1000L, (short) 0, orders).get()).isEqualTo(Errors.NONE);
        assertThat(coordinator.endTxn("tx", 1000L, (short) 0, true).get(10, TimeUnit.SECONDS))
                .isEqualTo(Errors.NONE);
        Await.until(
                Duration.ofSeconds(10),
                "the transaction to complete",
                () -> stateTopic
                                .load(stateTopic.partitionFor("tx"))
                                .get("tx")
                                .current()
                                .state()
                        == TransactionState.COMPLETE_COMMIT);
        assertThat(markers).containsExactly("COMMIT 1000/0 [orders-0]");
    }

    @Test
    void markersThatFailAreWrittenAgainUntilTheTransactionCompletes() throws Exception {
        markerFailures.set(2);
        coordinator.initProducerId("tx", 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        TopicPartition orders = new TopicPartition("orders", 0);
        coordinator.addPartitions("tx", 1000L, (short) 0, Set.of(orders)).get(10, TimeUnit.SECONDS);
        assertThat(coordinator.endTxn("tx", 1000L, (short) 0, false).get(10, TimeUnit.SECONDS))
                .isEqualTo(Errors.NONE);
        Await.until(
                Duration.ofSeconds(10),
                "the transaction to complete after two failed marker writes",
                () -> coordinator.describe("tx").state().state() == TransactionState.COMPLETE_ABORT);
        assertThat(markerFailures.get()).isZero();
        assertThat(markers).containsExactly("ABORT 1000/0 [orders-0]");
    }

    @Test
    void markersStillBeingWrittenAreDroppedWhenThisBrokerStopsCoordinating() throws Exception {
        hangingMarkers = new CompletableFuture<>();
        coordinator.initProducerId("tx", 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        TopicPartition orders = new TopicPartition("orders", 0);
        coordinator.addPartitions("tx", 1000L, (short) 0, Set.of(orders)).get(10, TimeUnit.SECONDS);
        assertThat(coordinator.endTxn("tx", 1000L, (short) 0, true).get(10, TimeUnit.SECONDS))
                .isEqualTo(Errors.NONE);
        assertThat(hangingMarkers).isNotDone();

        // broker 2 now leads the id's partition of __transaction_state: it coordinates the id and writes the markers
        TopicPartition state = new TopicPartition(TransactionStateTopic.NAME, stateTopic.partitionFor("tx"));
        TopicMetadata topic = store.topic(TransactionStateTopic.NAME).orElseThrow();
        PartitionState moved = new PartitionState(List.of(2, 1), List.of(2, 1), 2, 2, 2);
        store.setPartition(state, moved);
        replicas.applyPartitionState(topic.topicId(), state, moved, LogConfig.of(Map.of(), Map.of()));

        Await.until(Duration.ofSeconds(10), "this broker's marker writes to stop", hangingMarkers::isCancelled);
    }

    @Test
    void anIdleIdExpiresAndATombstoneThatFailsIsWrittenAgain() throws Exception {
        tombstoneFailures.set(2);
        long first = coordinator
                .initProducerId("idle", 60_000, -1, (short) -1)
                .get(10, TimeUnit.SECONDS)
                .producerId();
        coordinator.expireIds(-1);
        Await.until(
                Duration.ofSeconds(10),
                "the tombstone, after two that failed",
                () -> tombstoneFailures.get() == 0
                        && !stateTopic.load(stateTopic.partitionFor("idle")).containsKey("idle"));
        // forgotten, not stuck Dead: the id starts again with a new producer id
        Await.until(
                Duration.ofSeconds(10),
                "the id to be usable again",
                () -> coordinator
                                .initProducerId("idle", 60_000, -1, (short) -1)
                                .orTimeout(10, TimeUnit.SECONDS)
                                .join()
                                .error()
                        == Errors.NONE);
        assertThat(coordinator.describe("idle").state().producerId()).isNotEqualTo(first);
    }

    @Test
    void describeAndListShowTheCoordinatorsTransactionsWithKafkasFilters() throws Exception {
        coordinator.initProducerId("orders-tx", 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        coordinator.initProducerId("idle-tx", 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        TopicPartition orders = new TopicPartition("orders", 0);
        TopicPartition refunds = new TopicPartition("refunds", 2);
        coordinator
                .addPartitions("orders-tx", 1000L, (short) 0, Set.of(orders, refunds))
                .get(10, TimeUnit.SECONDS);
        TransactionAdminHandler admin = new TransactionAdminHandler(coordinator, Time.SYSTEM);

        DescribeTransactionsResponseData described =
                admin.describeTransactions(new DescribeTransactionsRequest.Builder(new DescribeTransactionsRequestData()
                                .setTransactionalIds(List.of("orders-tx", "unknown-tx", "")))
                        .build());
        DescribeTransactionsResponseData.TransactionState ongoing =
                described.transactionStates().get(0);
        assertThat(ongoing.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(ongoing.transactionState()).isEqualTo("Ongoing");
        assertThat(ongoing.producerId()).isEqualTo(1000L);
        assertThat(ongoing.transactionTimeoutMs()).isEqualTo(60_000);
        assertThat(ongoing.transactionStartTimeMs()).isPositive();
        assertThat(ongoing.topics().find("orders").partitions()).containsExactly(0);
        assertThat(ongoing.topics().find("refunds").partitions()).containsExactly(2);
        assertThat(described.transactionStates().get(1).errorCode())
                .isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND.code());
        assertThat(described.transactionStates().get(2).errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());

        assertThat(listed(admin, List.of(), List.of(), -1, null)).containsExactly("idle-tx Empty", "orders-tx Ongoing");
        assertThat(listed(admin, List.of("Ongoing"), List.of(), -1, null)).containsExactly("orders-tx Ongoing");
        assertThat(listed(admin, List.of(), List.of(1001L), -1, null)).containsExactly("idle-tx Empty");
        assertThat(listed(admin, List.of(), List.of(), -1, "orders-.*")).containsExactly("orders-tx Ongoing");
        assertThat(listed(admin, List.of(), List.of(), -1, "orders"))
                .as("the whole id must match")
                .isEmpty();
        assertThat(listed(admin, List.of(), List.of(), 3_600_000, null))
                .as("the ongoing one started less than an hour ago; an Empty id has no start time (-1), and Kafka lists"
                        + " it under any duration")
                .containsExactly("idle-tx Empty");
        ListTransactionsResponseData unknownState = admin.listTransactions(new ListTransactionsRequest.Builder(
                        new ListTransactionsRequestData().setStateFilters(List.of("Ongoing", "Sleeping")))
                .build());
        assertThat(unknownState.unknownStateFilters()).containsExactly("Sleeping");
        assertThat(admin.listTransactions(new ListTransactionsRequest.Builder(
                                        new ListTransactionsRequestData().setTransactionalIdPattern("(unclosed"))
                                .build())
                        .errorCode())
                .isEqualTo(Errors.INVALID_REGULAR_EXPRESSION.code());
    }

    private static List<String> listed(
            TransactionAdminHandler admin, List<String> states, List<Long> producerIds, long durationMs, String regex) {
        ListTransactionsResponseData response =
                admin.listTransactions(new ListTransactionsRequest.Builder(new ListTransactionsRequestData()
                                .setStateFilters(states)
                                .setProducerIdFilters(producerIds)
                                .setDurationFilter(durationMs)
                                .setTransactionalIdPattern(regex))
                        .build());
        assertThat(response.errorCode()).isEqualTo(Errors.NONE.code());
        return response.transactionStates().stream()
                .map(t -> t.transactionalId() + " " + t.transactionState())
                .sorted()
                .toList();
    }

    @Test
    void badRequestsGetKafkasErrors() throws Exception {
        assertThat(coordinator.endTxn("never-initialized", 1L, (short) 0, true).get())
                .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(coordinator
                        .initProducerId("tx", 900_001, -1, (short) -1)
                        .get()
                        .error())
                .isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(coordinator
                        .addPartitions("unknown", 1L, (short) 0, Set.of(new TopicPartition("orders", 0)))
                        .get())
                .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
    }

    @Test
    void aSecondProducerFencesTheFirstAndAbortsItsTransaction() throws Exception {
        coordinator.initProducerId("tx", 60_000, -1, (short) -1).get(10, TimeUnit.SECONDS);
        TopicPartition orders = new TopicPartition("orders", 0);
        coordinator.addPartitions("tx", 1000L, (short) 0, Set.of(orders)).get(10, TimeUnit.SECONDS);
        assertThat(coordinator
                        .initProducerId("tx", 60_000, -1, (short) -1)
                        .get(10, TimeUnit.SECONDS)
                        .error())
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        Await.until(
                Duration.ofSeconds(10),
                "the fenced transaction's abort to complete",
                () -> coordinator
                                .initProducerId("tx", 60_000, -1, (short) -1)
                                .join()
                                .error()
                        == Errors.NONE);
        assertThat(markers).containsExactly("ABORT 1000/1 [orders-0]");
        assertThat(coordinator.endTxn("tx", 1000L, (short) 0, true).get()).isEqualTo(Errors.PRODUCER_FENCED);
    }
}
