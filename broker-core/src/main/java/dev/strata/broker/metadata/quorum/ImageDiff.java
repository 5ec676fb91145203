package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * A {@link MetadataImage} as {@link ClusterChange}s for the listeners: the whole image (for a listener that registers),
 * or what differs between two images (after a snapshot or an image from the leader replaced this node's image
 * whole). In a fixed order (brokers by node id, broker configs by entity, partitions by topic name and index, remote segments by partition and
 * start offset), so that every node tells its listeners the same story. Stateless; the caller's thread.
 */
final class ImageDiff {
    private ImageDiff() {}

    /** Everything in the image as changes. */
    static List<ClusterChange> all(MetadataImage image) {
        List<ClusterChange> all = new ArrayList<>();
        image.sortedBrokers().forEach(b -> all.add(new ClusterChange.BrokerChanged(b.toClusterBroker())));
        image.allBrokerConfigs()
                .forEach((entity, configs) -> all.add(new ClusterChange.BrokerConfigsChanged(entity, configs)));
        for (TopicMetadata t : image.sortedTopics()) {
            new TreeMap<>(image.partitions(t.topicId()))
                    .forEach((p, s) -> all.add(
                            new ClusterChange.PartitionChanged(t.topicId(), new TopicPartition(t.name(), p), s)));
        }
        image.remoteLogs().sorted().forEach((key, log) -> {
            Optional<TopicMetadata> t = image.topic(key.topicId());
            if (t.isPresent()) {
                for (RemoteSegmentRecord segment : log.byStartOffset()) {
                    all.add(new ClusterChange.RemoteSegmentChanged(
                            key.topicId(),
                            new TopicPartition(t.get().name(), key.partition()),
                            segment.segmentId(),
                            Optional.of(segment)));
                }
            }
        });
        return all;
    }

    /** What changed from {@code before} to {@code after}: remote segments and partitions gone, then all that differs. */
    static List<ClusterChange> between(MetadataImage before, MetadataImage after) {
        List<ClusterChange> diff = new ArrayList<>();
        before.remoteLogs().sorted().forEach((key, log) -> {
            Optional<TopicMetadata> t = after.topic(key.topicId());
            for (RemoteSegmentRecord segment : log.byStartOffset()) {
                if (t.isPresent()
                        && after.remoteSegment(key.topicId(), key.partition(), segment.segmentId())
                                .isEmpty()) {
                    diff.add(new ClusterChange.RemoteSegmentChanged(
                            key.topicId(),
                            new TopicPartition(t.get().name(), key.partition()),
                            segment.segmentId(),
                            Optional.empty()));
                }
            }
        });
        for (TopicMetadata t : before.sortedTopics()) {
            Optional<TopicMetadata> now = after.topic(t.topicId());
            for (int p : new TreeMap<>(before.partitions(t.topicId())).keySet()) {
                if (now.isEmpty() || !after.partitions(t.topicId()).containsKey(p)) {
                    diff.add(new ClusterChange.PartitionDeleted(t.topicId(), new TopicPartition(t.name(), p)));
                }
            }
        }
        for (String entity : before.allBrokerConfigs().keySet()) {
            if (after.brokerConfigs(entity).isEmpty()) {
                diff.add(new ClusterChange.BrokerConfigsChanged(entity, Map.of()));
            }
        }
        for (ClusterChange c : all(after)) {
            if (!unchanged(before, c)) {
                diff.add(c);
            }
        }
        return diff;
    }

    /** Whether {@code before} already says what {@code change} says. */
    private static boolean unchanged(MetadataImage before, ClusterChange change) {
        if (change instanceof ClusterChange.BrokerChanged b) {
            return before.clusterBroker(b.broker().nodeId()).equals(Optional.of(b.broker()));
        } else if (change instanceof ClusterChange.PartitionChanged p) {
            return before.topic(p.topicId()).isPresent()
                    && before.partition(p.tp()).equals(Optional.of(p.state()));
        } else if (change instanceof ClusterChange.BrokerConfigsChanged c) {
            return before.brokerConfigs(c.entity()).equals(c.configs());
        } else if (change instanceof ClusterChange.RemoteSegmentChanged r) {
            return before.remoteSegment(r.topicId(), r.tp().partition(), r.segmentId())
                    .equals(r.segment());
        }
        return false;
    }
}
