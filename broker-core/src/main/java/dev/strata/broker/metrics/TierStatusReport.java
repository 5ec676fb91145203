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

    /** Every hosted topic; {@code topic} non-null keeps only that one, empty when this broker hosts none of it. */
    public Optional<String> render(String topic) {
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
        Totals broker = new Totals();
        StringBuilder topics = new StringBuilder();
        for (Map.Entry<String, List<Partition>> entry : byTopic.entrySet()) {
            List<Partition> list = entry.getValue();
            list.sort(Comparator.comparingInt(p -> p.topicPartition().partition()));
            Totals totals = new Totals();
            StringBuilder rows = new StringBuilder();
            boolean tiered = false;
            for (Partition p : list) {
                LocalLog log = p.log();
                tiered |= log.remoteStorageEnabled();
                PartitionTierStatus remote = manager.map(
                                m -> m.tierStatus(new TopicIdPartition(p.topicId(), p.topicPartition())))
                        .orElse(NONE);
                totals.add(log, remote);
                broker.add(log, remote);
                if (!rows.isEmpty()) {
                    rows.append(',');
                }
                partition(rows, p, log, remote);
            }
            if (!topics.isEmpty()) {
                topics.append(',');
            }
            topics.append("{\"topic\":")
                    .append(quote(entry.getKey()))
                    .append(",\"remoteStorageEnabled\":")
                    .append(tiered)
                    .append(",\"total\":");
            totals.appendTo(topics);
            topics.append(",\"partitions\":[").append(rows).append("]}");
        }
        StringBuilder json = new StringBuilder();
        json.append("{\"brokerId\":")
                .append(brokerId)
                .append(",\"remoteStorageSystemEnabled\":")
                .append(manager.isPresent())
                .append(",\"total\":");
        broker.appendTo(json);
        json.append(",\"topics\":[").append(topics).append("]}\n");
        return Optional.of(json.toString());
    }

    private static final PartitionTierStatus NONE =
            new PartitionTierStatus(0, 0, -1L, -1L, -1L, false, CopyLag.NONE, 0, null, -1L);

    private static void partition(StringBuilder out, Partition p, LocalLog log, PartitionTierStatus remote) {
        out.append("{\"partition\":").append(p.topicPartition().partition());
        out.append(",\"leader\":").append(p.isLeader());
        field(out, "logStartOffset", log.logStartOffset());
        field(out, "localLogStartOffset", log.localLogStartOffset());
        field(out, "highestRemoteOffset", remote.highestRemoteOffset());
        field(out, "remoteLogStartOffset", remote.remoteLogStartOffset());
        field(out, "highWatermark", log.highWatermark());
        field(out, "logEndOffset", log.logEndOffset());
        field(out, "localBytes", log.size());
        field(out, "localSegments", log.numberOfSegments());
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

    private static void field(StringBuilder out, String name, long value) {
        out.append(",\"").append(name).append("\":").append(value);
    }

    /** A JSON string literal. */
    static String quote(String s) {
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

    /** Sums over partitions. */
    private static final class Totals {
        private long partitions;
        private long localBytes;
        private long remoteBytes;
        private long remoteSegments;
        private long copyLagBytes;
        private long copyLagSegments;
        private long failedCopies;

        void add(LocalLog log, PartitionTierStatus remote) {
            partitions++;
            localBytes += log.size();
            remoteBytes += remote.remoteBytes();
            remoteSegments += remote.remoteSegments();
            copyLagBytes += remote.copyLag().bytes();
            copyLagSegments += remote.copyLag().segments();
            failedCopies += remote.failedCopies();
        }

        void appendTo(StringBuilder out) {
            out.append("{\"partitions\":").append(partitions);
            field(out, "localBytes", localBytes);
            field(out, "remoteBytes", remoteBytes);
            field(out, "remoteSegments", remoteSegments);
            field(out, "copyLagBytes", copyLagBytes);
            field(out, "copyLagSegments", copyLagSegments);
            field(out, "failedCopies", failedCopies);
            out.append('}');
        }
    }
}
