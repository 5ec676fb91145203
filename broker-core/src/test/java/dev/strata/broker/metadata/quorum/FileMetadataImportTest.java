package dev.strata.broker.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.metadata.FileMetadataStore;
import dev.strata.broker.metadata.TopicMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upgrading a single broker: what it kept in files is in the quorum after the switch, once. */
class FileMetadataImportTest {
    @TempDir
    Path dir;

    @Test
    void topicsClusterIdAndProducerIdMarkOfTheFileStoreAreInTheQuorumAfterTheSwitch() {
        TopicMetadata orders = new TopicMetadata("orders", Uuid.randomUuid(), 3, Map.of("retention.ms", "1000"));
        String clusterId;
        long fileBlock;
        try (FileMetadataStore files = FileMetadataStore.open(List.of(dir), 1, null)) {
            files.putTopic(orders);
            fileBlock = files.reserveProducerIds(1000);
            clusterId = files.clusterId();
        }
        BrokerConfig config = BrokerConfig.of(Map.of("log.dirs", dir.toString()));
        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            assertThat(store.clusterId()).isEqualTo(clusterId);
            assertThat(store.topics()).containsExactly(orders);
            assertThat(store.reserveProducerIds(1000)).isEqualTo(fileBlock + 1000);
        }
        assertThat(dir.resolve("__strata_metadata")).doesNotExist();
        assertThat(dir.resolve("__strata_metadata.imported")).isDirectory();

        try (QuorumMetadataStore store = QuorumMetadataStore.open(config)) {
            assertThat(store.clusterId()).isEqualTo(clusterId);
            assertThat(store.topics()).containsExactly(orders);
            assertThat(store.reserveProducerIds(1000)).isEqualTo(fileBlock + 2000);
        }
        assertThat(dir.resolve("meta.properties")).exists();
        assertThat(Files.isDirectory(dir.resolve(QuorumConfig.RAFT_DIR_NAME))).isTrue();
    }
}
