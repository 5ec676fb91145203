package dev.strata.broker.metadata.quorum;

import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.metadata.FileMetadataStore;
import dev.strata.broker.metadata.TopicMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The upgrade from the single-broker {@link FileMetadataStore}: its metadata goes into the quorum once. */
final class FileMetadataImport {
    /** The store's logger: what operators configure for the metadata quorum. */
    private static final Logger log = LoggerFactory.getLogger(QuorumMetadataStore.class);

    private FileMetadataImport() {}

    /**
     * Brings the topics and the producer-id mark of a broker that kept its metadata in files
     * ({@code <first log dir>/__strata_metadata/}) into the quorum, then renames that directory to
     * {@code __strata_metadata.imported}. Putting the same records again is harmless, so a crash before the rename
     * just imports again at the next start.
     */
    static void run(BrokerConfig config, QuorumMetadataStore store) {
        Path dir = config.logDirs().get(0).resolve(FileMetadataStore.DIR_NAME);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (FileMetadataStore files = FileMetadataStore.open(config.logDirs(), config.nodeId(), store.clusterId())) {
            for (TopicMetadata topic : files.topics()) {
                store.putTopic(topic);
            }
            long missing = files.nextProducerId() - store.image().nextProducerId();
            while (missing > 0) {
                int block = (int) Math.min(missing, Integer.MAX_VALUE);
                store.reserveProducerIds(block);
                missing -= block;
            }
            log.info(
                    "Imported {} topics and the producer-id mark {} from {} into the metadata quorum",
                    files.topics().size(),
                    files.nextProducerId(),
                    dir);
        }
        try {
            Files.move(dir, dir.resolveSibling(FileMetadataStore.DIR_NAME + ".imported"));
        } catch (IOException e) {
            throw new KafkaStorageException("Imported " + dir + " into the metadata quorum but cannot rename it", e);
        }
    }
}
