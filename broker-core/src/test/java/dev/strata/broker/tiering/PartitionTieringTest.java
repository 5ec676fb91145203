package dev.strata.broker.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.log.LocalLog;
import dev.strata.broker.partition.Partition;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteIndexStore;
import dev.strata.tiering.FileSystemRemoteStorageManager;
import dev.strata.tiering.RemoteLogManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * History is sacred: a replica reassigned away from this broker stops tiering here and leaves the partition's remote
 * data alone; only the deletion of the topic hands the remote data to the manager for deletion.
 */
class PartitionTieringTest {
    private static final TopicPartition TP = new TopicPartition("tiered", 0);

    @TempDir
    Path root;

    private LocalLog log;
    private FileSystemRemoteStorageManager storage;
    private RemoteIndexStore index;
    private RemoteLogManager manager;
    private Partition partition;
    private TopicIdPartition tip;

    @BeforeEach
    void setUp() throws Exception {
        log = TieredLogs.open(root.resolve("tiered-0"), TP);
        TieredLogs.fill(log, 30, i -> 0);
        tip = new TopicIdPartition(log.topicId(), TP);
        storage = new FileSystemRemoteStorageManager();
        storage.configure(Map.of(
                FileSystemRemoteStorageManager.DIR_CONFIG,
                root.resolve("remote").toString()));
        index = RemoteIndexStore.open(root.resolve("index"));
        manager = new RemoteLogManager(
                1, storage, index, RemoteLogManager.newTaskPool(1), Time.SYSTEM, OptionalLong.empty());
        partition = new Partition(TP, log.topicId(), log, 1, 0);
    }

    @AfterEach
    void tearDown() throws Exception {
        manager.close();
        index.close();
        storage.close();
        log.close();
    }

    @Test
    void aReplicaMovedAwayKeepsTheRemoteDataAndOnlyATopicDeletionDeletesIt() throws Exception {
        PartitionTiering tiering = new PartitionTiering(manager);
        tiering.onPartitionCreated(partition);
        manager.runCopyOnce(tip);
        long copied = remoteFiles();
        assertThat(copied).isPositive();
        PartitionKey key = new PartitionKey(
                new UUID(tip.topicId().getMostSignificantBits(), tip.topicId().getLeastSignificantBits()),
                TP.partition());
        int segments = index.segments(key).size();
        assertThat(segments).isPositive();

        tiering.onReplicaRemoved(partition);
        manager.runDeletionsOnce();
        assertThat(manager.pendingDeletions()).isEmpty();
        assertThat(manager.highestRemoteOffset(tip)).isPresent();
        assertThat(index.segments(key)).hasSize(segments);
        assertThat(remoteFiles()).isEqualTo(copied);

        tiering.onPartitionDeleted(partition);
        assertThat(manager.pendingDeletions()).containsExactly(tip);
    }

    private long remoteFiles() throws Exception {
        try (Stream<Path> files = Files.walk(root.resolve("remote"))) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
