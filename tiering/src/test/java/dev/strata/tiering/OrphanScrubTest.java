package dev.strata.tiering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.index.RemoteIndexStore;
import dev.strata.storage.api.RemoteObjectStorage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrphanScrubTest {

    @TempDir
    Path tmp;

    @Test
    void anOrphanedSegmentLosesTheObjectHoldingItsManifestFirstInEitherLayout() throws Exception {
        String partition = "orders-" + Uuid.randomUuid() + "/0/";
        String layoutTwo = partition + "00000000000000000000-" + Uuid.randomUuid();
        String layoutOne = partition + "00000000000000001000-" + Uuid.randomUuid();
        Objects objects = new Objects(
                layoutTwo + ".log",
                layoutTwo + ".indexes",
                layoutOne + ".index",
                layoutOne + ".log",
                layoutOne + ".manifest",
                layoutOne + ".timeindex");

        try (RemoteIndexStore index = RemoteIndexStore.open(tmp.resolve("index"))) {
            OrphanScrub scrub = new OrphanScrub(objects, index);
            OrphanScrub.Report report = scrub.scan();
            assertThat(report.orphanObjects()).isEqualTo(6);

            assertThat(scrub.delete(report)).isEqualTo(6);
        }

        assertThat(objects.deleted)
                .as("a rebuild never finds a manifest whose data is gone")
                .containsExactly(
                        layoutTwo + ".indexes",
                        layoutTwo + ".log",
                        layoutOne + ".manifest",
                        layoutOne + ".index",
                        layoutOne + ".log",
                        layoutOne + ".timeindex");
    }

    /** Objects in memory, in key order, as a store lists them; records deletions. */
    private static final class Objects implements RemoteObjectStorage {
        private final ConcurrentSkipListMap<String, Long> stored = new ConcurrentSkipListMap<>();
        private final List<String> deleted = new CopyOnWriteArrayList<>();

        Objects(String... keys) {
            for (String key : keys) {
                stored.put(key, 10L);
            }
        }

        @Override
        public Stream<StoredObject> listObjects(String prefix) {
            return stored.entrySet().stream()
                    .filter(e -> e.getKey().startsWith(prefix))
                    .map(e -> new StoredObject(e.getKey(), e.getValue()))
                    .toList()
                    .stream();
        }

        @Override
        public void deleteObject(String key) {
            deleted.add(key);
            stored.remove(key);
        }
    }
}
