package dev.strata.broker.console;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.group.CommittedOffset;
import dev.strata.broker.group.GroupService;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.metrics.TierStatusReport;
import dev.strata.broker.partition.Partition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;

/**
 * What the web console shows, read from the broker's memory on the console's own thread: the cluster's brokers and
 * partitions from the metadata image, the two tiers of each hosted partition from {@link TierStatusReport} (the same
 * report {@code strata tier status} reads, which reads the remote index as the metrics endpoint does), the groups and
 * their committed offsets from the group coordinator, with their lag against the high watermark of the partitions this
 * broker hosts, and the {@link MetricHistory} of the last minutes.
 */
public final class ConsoleState {

    /** One broker of the cluster. */
    public record BrokerRow(int id, String host, int port, String rack, boolean fenced, boolean controller) {}

    /** What the overview shows: this broker, the cluster's brokers, and the newest sample. */
    public record Overview(
            int brokerId, String clusterId, int controllerId, List<BrokerRow> brokers, MetricHistory.Sample latest) {}

    /** One partition as the controller assigned it. */
    public record PartitionRow(int partition, int leader, List<Integer> replicas, List<Integer> isr) {}

    /** One topic of the cluster with its partitions, by index. */
    public record TopicRow(String topic, String topicId, boolean internal, List<PartitionRow> partitions) {}

    /**
     * One committed offset of a group and how far it trails.
     *
     * @param endOffset the partition's high watermark, or -1 when this broker does not host the partition
     * @param lag {@code endOffset - committedOffset}, or -1 when unknown
     */
    public record LagRow(String topic, int partition, long committedOffset, long endOffset, long lag) {}

    /** A group, its committed offsets and its total lag (over the partitions whose lag is known). */
    public record GroupRow(String groupId, String type, String state, List<LagRow> offsets, long totalLag) {}

    private final int brokerId;
    private final Supplier<String> clusterId;
    private final ClusterImage cluster;
    private final Supplier<Collection<TopicMetadata>> topics;
    private final Function<TopicPartition, Optional<Partition>> hosted;
    private final TierStatusReport tiers;
    private final GroupService groups;
    private final MetricHistory history;

    /**
     * @param hosted the partition this broker hosts, if any
     * @param groups the group coordinator, or null on a broker without one
     */
    public ConsoleState(
            int brokerId,
            Supplier<String> clusterId,
            ClusterImage cluster,
            Supplier<Collection<TopicMetadata>> topics,
            Function<TopicPartition, Optional<Partition>> hosted,
            TierStatusReport tiers,
            GroupService groups,
            MetricHistory history) {
        this.brokerId = brokerId;
        this.clusterId = clusterId;
        this.cluster = cluster;
        this.topics = topics;
        this.hosted = hosted;
        this.tiers = tiers;
        this.groups = groups;
        this.history = history;
    }

    public Overview overview() {
        int controller = cluster.controllerId();
        List<BrokerRow> brokers = cluster.brokers().stream()
                .sorted(Comparator.comparingInt(ClusterBroker::nodeId))
                .map(b -> new BrokerRow(
                        b.nodeId(), b.host(), b.port(), b.rack().orElse(null), b.fenced(), b.nodeId() == controller))
                .toList();
        return new Overview(brokerId, clusterId.get(), controller, brokers, history.latest());
    }

    /** Every topic of the cluster by name, internal ones included. */
    public List<TopicRow> topics() {
        List<TopicRow> out = new ArrayList<>();
        for (TopicMetadata t : topics.get()) {
            Map<Integer, PartitionState> states = cluster.partitions(t.topicId());
            List<PartitionRow> partitions = new ArrayList<>();
            states.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> partitions.add(new PartitionRow(
                            e.getKey(),
                            e.getValue().leader(),
                            e.getValue().replicas(),
                            e.getValue().isr())));
            out.add(new TopicRow(t.name(), t.topicId().toString(), Topic.isInternal(t.name()), partitions));
        }
        out.sort(Comparator.comparing(TopicRow::topic));
        return out;
    }

    /** The tiers of the partitions this broker hosts; see {@link TierStatusReport#snapshot}. */
    public Optional<TierStatusReport.Snapshot> tiers(String topic) {
        return tiers.snapshot(topic);
    }

    /** Every group the coordinators of this broker know, by id, with its committed offsets and their lag. */
    public List<GroupRow> groups() {
        if (groups == null) {
            return List.of();
        }
        List<GroupRow> out = new ArrayList<>();
        for (GroupService.ListedGroup g : groups.listGroups(null, null)) {
            List<LagRow> offsets = new ArrayList<>();
            long total = 0;
            for (Map.Entry<TopicPartition, CommittedOffset> e :
                    groups.committed(g.groupId(), null).entrySet()) {
                TopicPartition tp = e.getKey();
                long committed = e.getValue().offset();
                long end = hosted.apply(tp).map(p -> p.log().highWatermark()).orElse(-1L);
                long lag = end < 0 ? -1 : Math.max(0, end - committed);
                total += Math.max(0, lag);
                offsets.add(new LagRow(tp.topic(), tp.partition(), committed, end, lag));
            }
            offsets.sort(Comparator.comparing(LagRow::topic).thenComparingInt(LagRow::partition));
            out.add(new GroupRow(g.groupId(), g.groupType(), g.state(), offsets, total));
        }
        out.sort(Comparator.comparing(GroupRow::groupId));
        return out;
    }

    public MetricHistory history() {
        return history;
    }
}
