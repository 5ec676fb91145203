package dev.strata.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Topic records, cluster id and producer-id blocks survive a reopen; a dir of another cluster is refused. */
class FileMetadataStoreTest {
    @TempDir
    Path dir;

    @Test
    void topicsAndTheirConfigsSurviveAReopen() {
        TopicMetadata t = new TopicMetadata("orders", Uuid.randomUuid(), 3, Map.of("retention.ms", "1000"));
        String clusterId;
        try (FileMetadataStore store = FileMetadataStore.open(List.of(dir), 1, null)) {
            store.putTopic(t);
            store.putTopic(new TopicMetadata("gone", Uuid.randomUuid(), 1, Map.of()));
            store.removeTopic("gone");
            clusterId = store.clusterId();
        }
        try (FileMetadataStore store = FileMetadataStore.open(List.of(dir), 1, null)) {
            assertThat(store.clusterId()).isEqualTo(clusterId);
            assertThat(store.topics()).containsExactly(t);
            assertThat(store.topic(t.topicId())).contains(t);
            assertThat(store.topic("gone")).isEmpty();
        }
        assertThat(dir.resolve("meta.properties")).exists();
    }

    @Test
    void producerIdsAreNeverReservedTwiceAcrossReopens() {
        long first;
        try (FileMetadataStore store = FileMetadataStore.open(List.of(dir), 1, null)) {
            first = store.reserveProducerIds(1000);
            assertThat(store.reserveProducerIds(1000)).isEqualTo(first + 1000);
        }
        try (FileMetadataStore store = FileMetadataStore.open(List.of(dir), 1, null)) {
            assertThat(store.reserveProducerIds(10)).isEqualTo(first + 2000);
        }
    }

    @Test
    void refusesALogDirOfAnotherCluster() throws Exception {
        FileMetadataStore.open(List.of(dir), 1, "cluster-a").close();
        assertThatThrownBy(() -> FileMetadataStore.open(List.of(dir), 1, "cluster-b"))
                .hasMessageContaining("cluster-a");
        assertThat(Files.readString(dir.resolve("meta.properties"))).contains("cluster.id=cluster-a");
    }
}
