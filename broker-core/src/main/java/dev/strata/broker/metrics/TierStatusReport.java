package dev.strata.broker.metrics;

import dev.strata.broker.log.LocalLog;
import dev.strata.broker.partition.Partition;
import dev.strata.tiering.PartitionTierStatus;
import dev.strata.tiering.RemoteLogManager;
import dev.strata.tiering.RemoteLogManagerStats.CopyLag;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicIdPartition;

/**
 * The two tiers of every partition this broker hosts, as JSON for {@code GET /api/v1/tiers} and
 * {@code /api/v1/tiers/<topic>} (what {@code strata tier status} reads; Kafka's protocol has no API for remote bytes).
 * The local figures come from the partition's {@link LocalLog}, the remote ones from the remote index through
 * {@link RemoteLogManager#tierStatus}, which reads RocksDB: the endpoint calls this on its own thread, never on a
 * network event loop.
 *
 * <p>The document: {@code {"brokerId", "remoteStorageSystemEnabled", "total": {...}, "topics": [{"topic",
 * "remoteStorageEnabled", "total": {...}, "partitions": [{...}]}]}}. A partition carries {@code partition, leader,
 * logStartOffset, localLogStartOffset, highestRemoteOffset, remoteLogStartOffset, highWatermark, logEndOffset,
 * localBytes, localSegments, remoteBytes, remoteSegments, copying, copyLagBytes, copyLagSegments, lastCopyTimeMs,
 * failedCopies, lastCopyError, lastCopyErrorTimeMs}; offsets and times are -1 where there is none, and
 * {@code lastCopyError} is null. A total carries {@code partitions, localBytes, remoteBytes, remoteSegments,
 * copyLagBytes, copyLagSegments, failedCopies}.
 */
public final class TierStatusReport {

    private final int brokerId;
    private final Supplier<Collection<Partition>> partitions;
    private final Optional<RemoteLogManager> manager;

    /**
     * @param brokerId this broker's id
     * @param partitions the partitions this broker hosts now
     * @param manager the remote log manager, when the broker tiers
     */
    public TierStatusReport(
            int brokerId, Supplier<Collection<Partition>> partitions, Optional<RemoteLogManager> manager) {
        this.brokerId = brokerId;
        this.partitions = partitions;
        this.manager = manager;
    }

    /** One partition's two tiers: its local log's figures beside what the remote tier holds of it. */
    public record PartitionTiers(
            int partition,
            boolean leader,
            long logStartOffset,
            long localLogStartOffset,
            long highWatermark,
            long logEndOffset,
            long localBytes,
            int localSegments,
            PartitionTierStatus remote) {

        static PartitionTiers of(Partition p, PartitionTierStatus remote) {
            LocalLog log = p.log();
            return new PartitionTiers(
                    p.topicPartition().partition(),
                    p.isLeader(),
                    log.logStartOffset(),
                    log.localLogStartOffset(),
                    log.highWatermark(),
                    log.logEndOffset(),
                    log.size(),
                    log.numberOfSegments(),
                    remote);
        }
    }

    /** Sums over partitions. */
    public record Totals(
            long partitions,
            long localBytes,
            long remoteBytes,
            long remoteSegments,
            long copyLagBytes,
            long copyLagSegments,
            long failedCopies) {

        static Totals of(Collection<PartitionTiers> partitions) {
            long local = 0, remote = 0, segments = 0, lagBytes = 0, lagSegments = 0, failed = 0;
            for (PartitionTiers p : partitions) {
                local += p.localBytes();
                remote += p.remote().remoteBytes();
                segments += p.remote().remoteSegments();
                lagBytes += p.remote().copyLag().bytes();
                lagSegments += p.remote().copyLag().segments();
                failed += p.remote().failedCopies();
            }
            return new Totals(partitions.size(), local, remote, segments, lagBytes, lagSegments, failed);
        }
    }

    /** One topic's partitions on this broker, by partition index. */
    public record TopicTiers(
            String topic, boolean remoteStorageEnabled, Totals total, List<PartitionTiers> partitions) {}

    /** The whole report: every hosted topic by name. */
    public record Snapshot(int brokerId, boolean remoteStorageSystemEnabled, Totals total, List<TopicTiers> topics) {}

    /**
     * Every hosted topic; {@code topic} non-null keeps only that one, empty when this broker hosts none of it. Reads the
     * remote index: call it off the network event loops.
     */
    public Optional<Snapshot> snapshot(String topic) {
        Map<String, List<Partition>> byTopic = new TreeMap<>();
        for (Partition p : partitions.get()) {
            if (topic == null || topic.equals(p.topicPartition().topic())) {
                byTopic.computeIfAbsent(p.topicPartition().topic(), t -> new ArrayList<>())
                        .add(p);
            }
        }
        if (topic != null && byTopic.isEmpty()) {
            return Optional.empty();
        }
        List<TopicTiers> topics = new ArrayList<>();
        List<PartitionTiers> all = new ArrayList<>();
        for (Map.Entry<String, List<Partition>> entry : byTopic.entrySet()) {
            List<Partition> list = entry.getValue();
            list.sort(Comparator.comparingInt(p -> p.topicPartition().partition()));
            List<PartitionTiers> rows = new ArrayList<>();
            boolean tiered = false;
            for (Partition p : list) {
                tiered |= p.log().remoteStorageEnabled();
                PartitionTierStatus remote = manager.map(
                                m -> m.tierStatus(new TopicIdPartition(p.topicId(), p.topicPartition())))
                        .orElse(NONE);
                rows.add(PartitionTiers.of(p, remote));
            }
            all.addAll(rows);
            topics.add(new TopicTiers(entry.getKey(), tiered, Totals.of(rows), List.copyOf(rows)));
        }
        return Optional.of(new Snapshot(brokerId, manager.isPresent(), Totals.of(all), List.copyOf(topics)));
    }

    /** {@link #snapshot} as the JSON document of {@code GET /api/v1/tiers[/<topic>]}. */
    public Optional<String> render(String topic) {
        return snapshot(topic).map(TierStatusReport::json);
    }

    /** The JSON document of a snapshot. */
    public static String json(Snapshot snapshot) {
        StringBuilder json = new StringBuilder();
        json.append("{\"brokerId\":")
                .append(snapshot.brokerId())
                .append(",\"remoteStorageSystemEnabled\":")
                .append(snapshot.remoteStorageSystemEnabled())
                .append(",\"total\":");
        totals(json, snapshot.total());
        json.append(",\"topics\":[");
        for (int t = 0; t < snapshot.topics().size(); t++) {
            TopicTiers topic = snapshot.topics().get(t);
            json.append(t == 0 ? "" : ",")
                    .append("{\"topic\":")
                    .append(quote(topic.topic()))
                    .append(",\"remoteStorageEnabled\":")
                    .append(topic.remoteStorageEnabled())
                    .append(",\"total\":");
            totals(json, topic.total());
            json.append(",\"partitions\":[");
            for (int i = 0; i < topic.partitions().size(); i++) {
                json.append(i == 0 ? "" : ",");
                partition(json, topic.partitions().get(i));
            }
            json.append("]}");
        }
        return json.append("]}\n").toString();
    }

    private static final PartitionTierStatus NONE =
            new PartitionTierStatus(0, 0, -1L, -1L, -1L, false, CopyLag.NONE, 0, null, -1L);

    private static void partition(StringBuilder out, PartitionTiers p) {
        PartitionTierStatus remote = p.remote();
        out.append("{\"partition\":").append(p.partition());
        out.append(",\"leader\":").append(p.leader());
        field(out, "logStartOffset", p.logStartOffset());
        field(out, "localLogStartOffset", p.localLogStartOffset());
        field(out, "highestRemoteOffset", remote.highestRemoteOffset());
        field(out, "remoteLogStartOffset", remote.remoteLogStartOffset());
        field(out, "highWatermark", p.highWatermark());
        field(out, "logEndOffset", p.logEndOffset());
        field(out, "localBytes", p.localBytes());
        field(out, "localSegments", p.localSegments());
        field(out, "remoteBytes", remote.remoteBytes());
        field(out, "remoteSegments", remote.remoteSegments());
        out.append(",\"copying\":").append(remote.copying());
        field(out, "copyLagBytes", remote.copyLag().bytes());
        field(out, "copyLagSegments", remote.copyLag().segments());
        field(out, "lastCopyTimeMs", remote.lastCopyMs());
        field(out, "failedCopies", remote.failedCopies());
        out.append(",\"lastCopyError\":")
                .append(remote.lastCopyError() == null ? "null" : quote(remote.lastCopyError()));
        field(out, "lastCopyErrorTimeMs", remote.lastCopyErrorMs());
        out.append('}');
    }

    private static void totals(StringBuilder out, Totals t) {
        out.append("{\"partitions\":").append(t.partitions());
        field(out, "localBytes", t.localBytes());
        field(out, "remoteBytes", t.remoteBytes());
        field(out, "remoteSegments", t.remoteSegments());
        field(out, "copyLagBytes", t.copyLagBytes());
        field(out, "copyLagSegments", t.copyLagSegments());
        field(out, "failedCopies", t.failedCopies());
        out.append('}');
    }

    private static void field(StringBuilder out, String name, long value) {
        out.append(",\"").append(name).append("\":").append(value);
    }

    /** A JSON string literal. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
