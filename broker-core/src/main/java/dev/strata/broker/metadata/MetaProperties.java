package dev.strata.broker.metadata;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.Uuid;

/**
 * Kafka's {@code meta.properties} in each log dir: {@code version=1}, {@code cluster.id} and {@code node.id}. It ties a
 * log dir to its cluster, so that a dir of another cluster is refused rather than mixed in.
 */
public final class MetaProperties {
    private MetaProperties() {}

    /**
     * Settles the cluster id of a broker with these log dirs and (re)writes their {@code meta.properties}.
     *
     * @param configuredClusterId the {@code cluster.id} setting, or null to keep the stored one or make one up
     * @return the cluster id
     * @throws IllegalStateException if a log dir belongs to another cluster
     */
    public static String settle(List<Path> logDirs, int nodeId, String configuredClusterId) {
        try {
            String clusterId = configuredClusterId;
            for (Path logDir : logDirs) {
                Files.createDirectories(logDir);
                Path meta = logDir.resolve("meta.properties");
                if (Files.exists(meta)) {
                    String stored = read(meta).getProperty("cluster.id");
                    if (clusterId == null) {
                        clusterId = stored;
                    } else if (stored != null && !stored.equals(clusterId)) {
                        throw new IllegalStateException("Log dir " + logDir + " belongs to cluster " + stored
                                + ", not to cluster.id " + clusterId);
                    }
                }
            }
            if (clusterId == null) {
                clusterId = Uuid.randomUuid().toString();
            }
            for (Path logDir : logDirs) {
                Properties p = new Properties();
                p.setProperty("version", "1");
                p.setProperty("cluster.id", clusterId);
                p.setProperty("node.id", Integer.toString(nodeId));
                FileMetadataStore.writeAtomically(logDir.resolve("meta.properties"), p);
            }
            return clusterId;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write meta.properties under " + logDirs, e);
        }
    }

    static Properties read(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }
}
