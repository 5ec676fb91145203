package dev.strata.broker.console;

import static dev.strata.broker.metrics.TierStatusReport.quote;

import dev.strata.broker.console.ConsoleState.BrokerRow;
import dev.strata.broker.console.ConsoleState.GroupRow;
import dev.strata.broker.console.ConsoleState.LagRow;
import dev.strata.broker.console.ConsoleState.Overview;
import dev.strata.broker.console.ConsoleState.PartitionRow;
import dev.strata.broker.console.ConsoleState.TopicRow;
import java.util.List;

/**
 * The console's JSON documents ({@code /api/v1/cluster}, {@code /api/v1/topics}, {@code /api/v1/groups},
 * {@code /api/v1/history}), written from the same {@link ConsoleState} values the pages are rendered from; the tier
 * document is {@link dev.strata.broker.metrics.TierStatusReport}'s own. Strings are JSON-escaped, absent values are
 * {@code null} or {@code -1} as documented in the README.
 */
final class ConsoleJson {

    private ConsoleJson() {}

    static String cluster(Overview o) {
        StringBuilder out = new StringBuilder();
        out.append("{\"brokerId\":").append(o.brokerId());
        out.append(",\"clusterId\":").append(quote(o.clusterId()));
        out.append(",\"controllerId\":").append(o.controllerId());
        out.append(",\"brokers\":[");
        for (int i = 0; i < o.brokers().size(); i++) {
            BrokerRow b = o.brokers().get(i);
            out.append(i == 0 ? "" : ",")
                    .append("{\"id\":")
                    .append(b.id())
                    .append(",\"host\":")
                    .append(quote(b.host()))
                    .append(",\"port\":")
                    .append(b.port())
                    .append(",\"rack\":")
                    .append(b.rack() == null ? "null" : quote(b.rack()))
                    .append(",\"fenced\":")
                    .append(b.fenced())
                    .append(",\"controller\":")
                    .append(b.controller())
                    .append('}');
        }
        return out.append("]}\n").toString();
    }

    static String topics(List<TopicRow> topics) {
        StringBuilder out = new StringBuilder("{\"topics\":[");
        for (int t = 0; t < topics.size(); t++) {
            TopicRow topic = topics.get(t);
            out.append(t == 0 ? "" : ",")
                    .append("{\"topic\":")
                    .append(quote(topic.topic()))
                    .append(",\"topicId\":")
                    .append(quote(topic.topicId()))
                    .append(",\"internal\":")
                    .append(topic.internal())
                    .append(",\"partitions\":[");
            for (int i = 0; i < topic.partitions().size(); i++) {
                PartitionRow p = topic.partitions().get(i);
                out.append(i == 0 ? "" : ",")
                        .append("{\"partition\":")
                        .append(p.partition())
                        .append(",\"leader\":")
                        .append(p.leader())
                        .append(",\"replicas\":")
                        .append(ints(p.replicas()))
                        .append(",\"isr\":")
                        .append(ints(p.isr()))
                        .append('}');
            }
            out.append("]}");
        }
        return out.append("]}\n").toString();
    }

    private static String ints(List<Integer> values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            out.append(i == 0 ? "" : ",").append(values.get(i));
        }
        return out.append(']').toString();
    }

    static String groups(List<GroupRow> groups) {
        StringBuilder out = new StringBuilder("{\"groups\":[");
        for (int g = 0; g < groups.size(); g++) {
            GroupRow group = groups.get(g);
            out.append(g == 0 ? "" : ",")
                    .append("{\"group\":")
                    .append(quote(group.groupId()))
                    .append(",\"type\":")
                    .append(quote(group.type()))
                    .append(",\"state\":")
                    .append(quote(group.state()))
                    .append(",\"totalLag\":")
                    .append(group.totalLag())
                    .append(",\"offsets\":[");
            for (int i = 0; i < group.offsets().size(); i++) {
                LagRow r = group.offsets().get(i);
                out.append(i == 0 ? "" : ",")
                        .append("{\"topic\":")
                        .append(quote(r.topic()))
                        .append(",\"partition\":")
                        .append(r.partition())
                        .append(",\"committedOffset\":")
                        .append(r.committedOffset())
                        .append(",\"endOffset\":")
                        .append(r.endOffset())
                        .append(",\"lag\":")
                        .append(r.lag())
                        .append('}');
            }
            out.append("]}");
        }
        return out.append("]}\n").toString();
    }

    static String history(List<MetricHistory.Sample> samples) {
        StringBuilder out = new StringBuilder("{\"intervalMs\":")
                .append(MetricHistory.INTERVAL_MS)
                .append(",\"samples\":[");
        for (int i = 0; i < samples.size(); i++) {
            MetricHistory.Sample s = samples.get(i);
            out.append(i == 0 ? "" : ",")
                    .append("{\"timeMs\":")
                    .append(s.timeMs())
                    .append(",\"bytesIn\":")
                    .append((long) s.bytesIn())
                    .append(",\"bytesOut\":")
                    .append((long) s.bytesOut())
                    .append(",\"requests\":")
                    .append((long) s.requests())
                    .append(",\"copiedBytes\":")
                    .append(s.copiedBytes())
                    .append(",\"copyErrors\":")
                    .append(s.copyErrors())
                    .append(",\"copyLagBytes\":")
                    .append(s.copyLagBytes())
                    .append(",\"localBytes\":")
                    .append(s.localBytes())
                    .append(",\"remoteBytes\":")
                    .append(s.remoteBytes())
                    .append(",\"heapUsedBytes\":")
                    .append(s.heapUsedBytes())
                    .append('}');
        }
        return out.append("]}\n").toString();
    }
}
