package dev.strata.broker.metadata;

import dev.strata.broker.cluster.ClusterImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;

/**
 * Metadata of a single broker, kept as small properties files under {@code <first log dir>/__strata_metadata/}: one
 * {@code <topic>.topic} file per topic (id, partition count, {@code config.*} overrides) and {@code producer-ids}
 * holding the next unreserved producer id. Each file is replaced atomically (write to a temporary file, fsync, rename,
 * fsync the directory) so a crash leaves either the old or the new content. Each log dir also gets Kafka's
 * {@code meta.properties} with the cluster and node id.
 */
public final class FileMetadataStore implements MetadataStore {
    /** Under the first log dir. */
    public static final String DIR_NAME = "__strata_metadata";

    private static final String TOPIC_SUFFIX = ".topic";
    private static final String TMP_PREFIX = "write-";
    private static final String TMP_SUFFIX = ".tmp";

    private final Path dir;
    private final String clusterId;
    private final Map<String, TopicMetadata> byName = new ConcurrentHashMap<>();
    private final Map<Uuid, TopicMetadata> byId = new ConcurrentHashMap<>();
    private long nextProducerId;

    private FileMetadataStore(Path dir, String clusterId) {
        this.dir = dir;
        this.clusterId = clusterId;
    }

    /**
     * Opens (or creates) the store of a broker with these log dirs, writing their {@code meta.properties}.
     *
     * @param configuredClusterId the {@code cluster.id} setting, or null to keep the stored one or make one up
     */
    public static FileMetadataStore open(List<Path> logDirs, int nodeId, String configuredClusterId) {
        String clusterId = MetaProperties.settle(logDirs, nodeId, configuredClusterId);
        try {
            Path dir = logDirs.get(0).resolve(DIR_NAME);
            Files.createDirectories(dir);
            FileMetadataStore store = new FileMetadataStore(dir, clusterId);
            store.load();
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open metadata under " + logDirs.get(0), e);
        }
    }

    private void load() throws IOException {
        // a write the last run did not finish
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, TMP_PREFIX + "*" + TMP_SUFFIX)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TOPIC_SUFFIX)) {
            for (Path f : files) {
                Properties p = MetaProperties.read(f);
                String name = f.getFileName().toString();
                name = name.substring(0, name.length() - TOPIC_SUFFIX.length());
                Map<String, String> configs = new HashMap<>();
                for (String key : p.stringPropertyNames()) {
                    if (key.startsWith("config.")) {
                        configs.put(key.substring("config.".length()), p.getProperty(key));
                    }
                }
                TopicMetadata t = new TopicMetadata(
                        name,
                        Uuid.fromString(p.getProperty("topic.id")),
                        Integer.parseInt(p.getProperty("partitions")),
                        configs);
                byName.put(name, t);
                byId.put(t.topicId(), t);
            }
        }
        Path ids = dir.resolve("producer-ids");
        nextProducerId =
                Files.exists(ids) ? Long.parseLong(MetaProperties.read(ids).getProperty("next", "0")) : 0L;
    }

    @Override
    public String clusterId() {
        return clusterId;
    }

    @Override
    public Collection<TopicMetadata> topics() {
        return List.copyOf(byName.values());
    }

    @Override
    public Optional<TopicMetadata> topic(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public Optional<TopicMetadata> topic(Uuid topicId) {
        return Optional.ofNullable(byId.get(topicId));
    }

    @Override
    public synchronized void putTopic(TopicMetadata topic) {
        Properties p = new Properties();
        p.setProperty("topic.id", topic.topicId().toString());
        p.setProperty("partitions", Integer.toString(topic.partitions()));
        new TreeMap<>(topic.configs()).forEach((k, v) -> p.setProperty("config." + k, v));
        try {
            writeAtomically(dir.resolve(topic.name() + TOPIC_SUFFIX), p);
        } catch (IOException e) {
            throw new KafkaStorageException("Cannot persist metadata of topic " + topic.name(), e);
        }
        byName.put(topic.name(), topic);
        byId.put(topic.topicId(), topic);
    }

    @Override
    public synchronized void removeTopic(String name) {
        TopicMetadata t = byName.remove(name);
        if (t == null) {
            return;
        }
        byId.remove(t.topicId());
        try {
            Files.deleteIfExists(dir.resolve(name + TOPIC_SUFFIX));
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new KafkaStorageException("Cannot remove metadata of topic " + name, e);
        }
    }

    @Override
    public synchronized long reserveProducerIds(int count) {
        long first = nextProducerId;
        Properties p = new Properties();
        p.setProperty("next", Long.toString(first + count));
        try {
            writeAtomically(dir.resolve("producer-ids"), p);
        } catch (IOException e) {
            throw new KafkaStorageException("Cannot persist producer id block", e);
        }
        nextProducerId = first + count;
        return first;
    }

    /** The first producer id not yet handed out. */
    public synchronized long nextProducerId() {
        return nextProducerId;
    }

    /** @throws UnsupportedOperationException always: this store predates clusters and is only read to import */
    @Override
    public ClusterImage cluster() {
        throw new UnsupportedOperationException("The single-broker file store knows no cluster");
    }

    @Override
    public void close() {}

    static void writeAtomically(Path target, Properties p) throws IOException {
        // A short unique name: "<topic>.topic.tmp" would exceed the 255-byte file-name limit for the longest legal
        // topic names (249 characters).
        Path tmp = Files.createTempFile(target.getParent(), TMP_PREFIX, TMP_SUFFIX);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                Writer w = java.nio.channels.Channels.newWriter(ch, StandardCharsets.UTF_8)) {
            p.store(w, null);
            w.flush();
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(target.getParent());
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
