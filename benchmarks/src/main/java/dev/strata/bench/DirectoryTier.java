package dev.strata.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A benchmark broker tiering to a directory through Strata's filesystem backend ({@value #STORAGE_MANAGER}), the
 * embedded default of Strata. It implements Apache Kafka's {@code RemoteStorageManager}, so Apache Kafka loads it too
 * ({@link #pluginClasspath()}): both brokers then tier to the same kind of store.
 *
 * @param dir the directory that holds the remote tier
 */
record DirectoryTier(Path dir) {

    static final String STORAGE_MANAGER = "dev.strata.tiering.FileSystemRemoteStorageManager";

    /**
     * Classes of the jars the backend needs beyond Kafka's storage API and clients: the tiering module (the backend),
     * Strata's storage API (its manifest interfaces) and the index module (the manifest's value types).
     */
    private static final List<String> PLUGIN_CLASSES = List.of(
            STORAGE_MANAGER, "dev.strata.storage.api.SegmentManifestStorage", "dev.strata.index.SegmentManifest");

    /** The broker settings that turn tiering on and point the backend at the directory, the same for both brokers. */
    Map<String, String> brokerConfigs() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("remote.log.storage.system.enable", "true");
        c.put("remote.log.storage.manager.class.name", STORAGE_MANAGER);
        c.put("rsm.config.dir", dir.toString());
        c.put("remote.log.manager.task.interval.ms", S3Tier.TASK_INTERVAL_MS);
        c.put("log.retention.check.interval.ms", S3Tier.TASK_INTERVAL_MS);
        return c;
    }

    /**
     * The backend as Apache Kafka loads it ({@code remote.log.storage.manager.class.path}, Kafka's child-first plugin
     * class loader): the jars (or class directories) this JVM loads its classes from. Kafka's storage API,
     * kafka-clients and SLF4J come from the broker.
     */
    static String pluginClasspath() throws IOException {
        StringBuilder path = new StringBuilder();
        for (String className : PLUGIN_CLASSES) {
            if (!path.isEmpty()) {
                path.append(File.pathSeparator);
            }
            path.append(KafkaBroker.codeSource(className));
        }
        return path.toString();
    }
}
