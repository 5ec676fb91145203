package dev.strata.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.config.LogConfig;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.txn.TransactionLogRecords;
import dev.strata.broker.txn.TransactionMetadata;
import dev.strata.broker.txn.TransactionState;
import dev.strata.broker.txn.TransactionStateTopic;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransactionStateTopicTest {
    private static final int PARTITIONS = 2;

    @TempDir
    Path dir;

    private final InMemoryMetadataStore store = new InMemoryMetadataStore();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    private final ExecutorService ioPool = Executors.newFixedThreadPool(1);
    private LogManager logManager;
    private ReplicaManager replicas;
    private TransactionStateTopic stateTopic;

    @BeforeEach
    void start() throws Exception {
        store.register(1, 19092, false);
        BrokerConfig config = BrokerConfig.of(Map.of("node.id", "1", "log.dirs", dir.toString()));
        logManager = new LogManager(
                List.of(dir), tp -> LogConfig.of(Map.of(), Map.of()), Time.SYSTEM, scheduler, 300_000, 60_000);
        replicas = new ReplicaManager(1, logManager, ioPool, scheduler);
        TopicManager topics = new TopicManager(config, store, replicas);
        stateTopic = new TransactionStateTopic(
                topics, replicas, new TransactionStateTopic.Settings(PARTITIONS, 3, 2, 1 << 20, 1_000), Time.SYSTEM);
        stateTopic.topic().ensureExists();
        TopicMetadata topic = store.topic(TransactionStateTopic.NAME).orElseThrow();
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = new TopicPartition(TransactionStateTopic.NAME, p);
            PartitionState state = new PartitionState(List.of(1), List.of(1), 1, 1, 1);
            store.setPartition(tp, state);
            replicas.applyPartitionState(topic.topicId(), tp, state, LogConfig.of(Map.of(), Map.of()));
        }
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
}
