package dev.strata.broker.metadata.quorum;

import dev.strata.broker.metadata.TopicMetadata;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Uuid;

/**
 * The metadata after the last applied Raft log entry: topics, the next unreserved producer id, registered brokers.
 * Only the state machine's apply thread changes it, one command at a time; other threads read it at any time and see
 * each record either before or after a change.
 *
 * <p>A snapshot is the whole image in one file, big-endian, records in the {@link MetadataCodec} encoding:
 *
 * <pre>
 *   int   format version (1)
 *   long  next producer id
 *   int   topic count, then the topics sorted by name
 *   int   broker count, then the brokers sorted by node id
 * </pre>
 *
 * A metadata image is small (a topic is tens of bytes), so writing it whole at every snapshot is cheaper than any
 * incremental scheme would be to read.
 */
public final class MetadataImage {
    private static final int FORMAT_VERSION = 1;

    private final Map<String, TopicMetadata> topicsByName = new ConcurrentHashMap<>();
    private final Map<Uuid, TopicMetadata> topicsById = new ConcurrentHashMap<>();
    private final Map<Integer, BrokerRegistration> brokers = new ConcurrentHashMap<>();
    private volatile long nextProducerId;

    public Collection<TopicMetadata> topics() {
        return List.copyOf(topicsByName.values());
    }

    public Optional<TopicMetadata> topic(String name) {
        return Optional.ofNullable(topicsByName.get(name));
    }

    public Optional<TopicMetadata> topic(Uuid topicId) {
        return Optional.ofNullable(topicsById.get(topicId));
    }

    public Collection<BrokerRegistration> brokers() {
        return List.copyOf(brokers.values());
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    void putTopic(TopicMetadata topic) {
        TopicMetadata previous = topicsByName.put(topic.name(), topic);
        if (previous != null && !previous.topicId().equals(topic.topicId())) {
            topicsById.remove(previous.topicId());
        }
        topicsById.put(topic.topicId(), topic);
    }

    void removeTopic(String name) {
        TopicMetadata removed = topicsByName.remove(name);
        if (removed != null) {
            topicsById.remove(removed.topicId());
        }
    }

    long reserveProducerIds(int count) {
        long first = nextProducerId;
        nextProducerId = first + count;
        return first;
    }

    void registerBroker(BrokerRegistration broker) {
        brokers.put(broker.nodeId(), broker);
    }

    void writeTo(DataOutputStream out) throws IOException {
        out.writeInt(FORMAT_VERSION);
        out.writeLong(nextProducerId);
        List<TopicMetadata> topics = topicsByName.values().stream()
                .sorted(Comparator.comparing(TopicMetadata::name))
                .toList();
        out.writeInt(topics.size());
        for (TopicMetadata t : topics) {
            MetadataCodec.writeTopic(out, t);
        }
        List<BrokerRegistration> registered = brokers.values().stream()
                .sorted(Comparator.comparingInt(BrokerRegistration::nodeId))
                .toList();
        out.writeInt(registered.size());
        for (BrokerRegistration b : registered) {
            MetadataCodec.writeBroker(out, b);
        }
    }

    static MetadataImage readFrom(DataInputStream in) throws IOException {
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException("Unknown metadata snapshot format version " + version);
        }
        MetadataImage image = new MetadataImage();
        image.nextProducerId = in.readLong();
        int topics = in.readInt();
        for (int i = 0; i < topics; i++) {
            image.putTopic(MetadataCodec.readTopic(in));
        }
        int brokers = in.readInt();
        for (int i = 0; i < brokers; i++) {
            image.registerBroker(MetadataCodec.readBroker(in));
        }
        if (in.read() != -1) {
            throw new IOException("Bytes left after the metadata snapshot");
        }
        return image;
    }
}
