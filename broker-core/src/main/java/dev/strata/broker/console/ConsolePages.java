package dev.strata.broker.console;

import static dev.strata.broker.console.Html.bytes;
import static dev.strata.broker.console.Html.escape;
import static dev.strata.broker.console.Html.offset;

import dev.strata.broker.console.ConsoleState.BrokerRow;
import dev.strata.broker.console.ConsoleState.GroupRow;
import dev.strata.broker.console.ConsoleState.LagRow;
import dev.strata.broker.console.ConsoleState.Overview;
import dev.strata.broker.console.ConsoleState.PartitionRow;
import dev.strata.broker.console.ConsoleState.TopicRow;
import dev.strata.broker.metrics.TierStatusReport.PartitionTiers;
import dev.strata.broker.metrics.TierStatusReport.Snapshot;
import dev.strata.broker.metrics.TierStatusReport.TopicTiers;
import dev.strata.tiering.PartitionTierStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The console's HTML pages, rendered on the server from {@link ConsoleState}'s values: one self-contained document
 * each (inline CSS, a few lines of inline script for the auto-refresh, inline SVG charts; nothing fetched from
 * elsewhere, so it works offline). Every string from the broker's state is escaped with {@link Html#escape}.
 */
final class ConsolePages {

    /** The pages, in the navigation's order: path and title. */
    static final List<String[]> NAV = List.of(
            new String[] {"/", "Overview"},
            new String[] {"/topics", "Topics"},
            new String[] {"/uploads", "Uploads"},
            new String[] {"/groups", "Groups"});

    private static final String STYLE = "body{font:14px system-ui,sans-serif;margin:0;color:#1a202c;background:#f7fafc}"
            + "header{background:#1a365d;color:#fff;padding:8px 16px;display:flex;gap:18px;align-items:center}"
            + "header a{color:#bee3f8;text-decoration:none}header a.on{color:#fff;font-weight:600}"
            + "header .right{margin-left:auto;font-size:12px}main{padding:12px 16px}"
            + "table{border-collapse:collapse;background:#fff;margin:6px 0 18px}"
            + "th,td{border:1px solid #e2e8f0;padding:3px 8px;text-align:right}th{background:#edf2f7}"
            + "td.l,th.l{text-align:left}.muted{color:#718096;font-size:12px}.err{color:#c53030}"
            + ".bar{display:flex;width:220px;height:12px;background:#edf2f7;border-radius:2px;overflow:hidden}"
            + ".remote{background:#805ad5}.local{background:#38a169}.key{display:inline-block;width:10px;height:10px}"
            + ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 14px}"
            + ".card{background:#fff;border:1px solid #e2e8f0;padding:8px 12px;min-width:120px}"
            + ".card b{display:block;font-size:18px}.charts{display:flex;flex-wrap:wrap;gap:10px}"
            + "figure.chart{background:#fff;border:1px solid #e2e8f0;margin:0;padding:6px}"
            + "figcaption{font-size:12px;font-weight:600}h2{font-size:16px;margin:14px 0 4px}";

    private static final String SCRIPT = "<script>(function(){var b=document.getElementById('auto');"
            + "b.checked=localStorage.getItem('strata.console.auto')!=='off';"
            + "b.onchange=function(){localStorage.setItem('strata.console.auto',b.checked?'on':'off')};"
            + "setInterval(function(){if(b.checked)location.reload()},5000)})();</script>";

    private ConsolePages() {}

    static String overview(Overview o, Snapshot tiers, List<MetricHistory.Sample> samples) {
        StringBuilder body = new StringBuilder();
        body.append("<h2>Brokers</h2><table><tr><th>id</th><th class=\"l\">address</th><th class=\"l\">rack</th>")
                .append("<th class=\"l\">state</th></tr>");
        for (BrokerRow b : o.brokers()) {
            body.append("<tr data-broker=\"")
                    .append(b.id())
                    .append("\"><td>")
                    .append(b.id())
                    .append(b.id() == o.brokerId() ? " (this)" : "")
                    .append("</td><td class=\"l\">")
                    .append(escape(b.host() + ":" + b.port()))
                    .append("</td><td class=\"l\">")
                    .append(b.rack() == null ? "-" : escape(b.rack()))
                    .append("</td><td class=\"l\">")
                    .append(b.fenced() ? "fenced" : "alive")
                    .append(b.controller() ? ", controller" : "")
                    .append("</td></tr>");
        }
        body.append("</table><h2>Broker ").append(o.brokerId()).append("</h2><div class=\"cards\">");
        card(body, "partitions hosted", Long.toString(tiers.total().partitions()));
        card(body, "local bytes", bytes(tiers.total().localBytes()));
        card(body, "remote bytes", bytes(tiers.total().remoteBytes()));
        card(body, "upload lag", bytes(tiers.total().copyLagBytes()));
        card(body, "failed copies", Long.toString(tiers.total().failedCopies()));
        MetricHistory.Sample latest = o.latest();
        if (latest != null) {
            card(body, "heap used", bytes(latest.heapUsedBytes()));
            card(body, "requests", Long.toString((long) latest.requests()));
        }
        body.append("</div><div class=\"charts\">")
                .append(SvgChart.render(
                        "bytes in /s", rate(samples, MetricHistory.Sample::bytesIn), ConsolePages::bytesPerSecond))
                .append(SvgChart.render(
                        "bytes out /s", rate(samples, MetricHistory.Sample::bytesOut), ConsolePages::bytesPerSecond))
                .append(SvgChart.render(
                        "requests /s", rate(samples, MetricHistory.Sample::requests), ConsolePages::perSecond))
                .append(SvgChart.render(
                        "uploaded /s", rate(samples, s -> s.copiedBytes()), ConsolePages::bytesPerSecond))
                .append(SvgChart.render("upload lag", gauge(samples, s -> s.copyLagBytes()), Html::bytes))
                .append(SvgChart.render("heap used", gauge(samples, s -> s.heapUsedBytes()), Html::bytes))
                .append("</div>");
        return page("Overview", "/", o.brokerId(), body.toString());
    }

    static String topics(int brokerId, List<TopicRow> topics, Snapshot tiers) {
        Map<String, TopicTiers> hosted = new HashMap<>();
        long widest = 1;
        for (TopicTiers t : tiers.topics()) {
            hosted.put(t.topic(), t);
            for (PartitionTiers p : t.partitions()) {
                widest = Math.max(widest, p.localBytes() + p.remote().remoteBytes());
            }
        }
        List<TopicRow> ordered = new ArrayList<>(topics);
        ordered.sort(Comparator.comparing(TopicRow::internal)); // stable: by name within each kind
        StringBuilder body = new StringBuilder("<p class=\"muted\">Bars: <span class=\"key remote\"></span> remote ")
                .append("tier, <span class=\"key local\"></span> local disk, to one scale. Tier figures for the ")
                .append("partitions this broker hosts.</p>");
        summary(body, ordered, hosted);
        for (TopicRow topic : ordered) {
            TopicTiers t = hosted.get(topic.topic());
            body.append(topic.internal() ? "<details><summary>" : "")
                    .append("<h2 data-topic=\"")
                    .append(escape(topic.topic()))
                    .append("\"")
                    .append(topic.internal() ? " style=\"display:inline\"" : "")
                    .append(">")
                    .append(escape(topic.topic()))
                    .append(topic.internal() ? " <span class=\"muted\">internal</span>" : "")
                    .append(t != null && t.remoteStorageEnabled() ? " <span class=\"muted\">tiered</span>" : "")
                    .append("</h2>")
                    .append(topic.internal() ? "</summary>" : "")
                    .append("<table><tr><th>partition</th><th>leader</th><th>replicas</th><th>ISR</th>")
                    .append("<th class=\"l\">tiers</th><th>remote</th><th>local</th><th>log start</th>")
                    .append("<th>local start</th><th>tiered up to</th><th>end</th></tr>");
            Map<Integer, PartitionTiers> byIndex = new HashMap<>();
            if (t != null) {
                t.partitions().forEach(p -> byIndex.put(p.partition(), p));
            }
            for (PartitionRow p : topic.partitions()) {
                body.append("<tr data-partition=\"")
                        .append(escape(topic.topic() + "-" + p.partition()))
                        .append("\"><td>")
                        .append(p.partition())
                        .append("</td><td>")
                        .append(p.leader() < 0 ? "none" : p.leader())
                        .append("</td><td>")
                        .append(Html.ids(p.replicas()))
                        .append("</td><td>")
                        .append(Html.ids(p.isr()))
                        .append("</td>");
                PartitionTiers tiered = byIndex.get(p.partition());
                if (tiered == null) {
                    body.append("<td class=\"l muted\" colspan=\"7\">not on this broker</td></tr>");
                    continue;
                }
                PartitionTierStatus remote = tiered.remote();
                body.append("<td class=\"l\">")
                        .append(bar(remote.remoteBytes(), tiered.localBytes(), widest))
                        .append("</td><td class=\"remote-bytes\">")
                        .append(bytes(remote.remoteBytes()))
                        .append(" <span class=\"muted\">(")
                        .append(remote.remoteSegments())
                        .append(" seg)</span></td><td class=\"local-bytes\">")
                        .append(bytes(tiered.localBytes()))
                        .append(" <span class=\"muted\">(")
                        .append(tiered.localSegments())
                        .append(" seg)</span></td><td class=\"log-start\">")
                        .append(offset(tiered.logStartOffset()))
                        .append("</td><td class=\"local-start\">")
                        .append(offset(tiered.localLogStartOffset()))
                        .append("</td><td class=\"tiered-up-to\">")
                        .append(offset(remote.highestRemoteOffset()))
                        .append("</td><td class=\"end\">")
                        .append(offset(tiered.logEndOffset()))
                        .append("</td></tr>");
            }
            body.append(topic.internal() ? "</table></details>" : "</table>");
        }
        if (topics.isEmpty()) {
            body.append("<p>No topics yet.</p>");
        }
        return page("Topics", "/topics", brokerId, body.toString());
    }

    static String uploads(Snapshot tiers, List<MetricHistory.Sample> samples) {
        StringBuilder body = new StringBuilder();
        if (!tiers.remoteStorageSystemEnabled()) {
            body.append("<p>This broker does not tier (<code>remote.log.storage.system.enable=false</code>).</p>");
        }
        body.append("<div class=\"charts\">")
                .append(SvgChart.render(
                        "uploaded /s", rate(samples, s -> s.copiedBytes()), ConsolePages::bytesPerSecond))
                .append(SvgChart.render("upload lag", gauge(samples, s -> s.copyLagBytes()), Html::bytes))
                .append(SvgChart.render("remote bytes", gauge(samples, s -> s.remoteBytes()), Html::bytes))
                .append(SvgChart.render("local bytes", gauge(samples, s -> s.localBytes()), Html::bytes))
                .append("</div><h2>Partitions this broker tiers</h2><table><tr><th class=\"l\">partition</th>")
                .append("<th>not yet copied</th><th>segments</th><th>remote segments</th>")
                .append("<th class=\"l\">last copy</th><th>failed in a row</th><th class=\"l\">last error</th></tr>");
        int rows = 0;
        for (TopicTiers t : tiers.topics()) {
            for (PartitionTiers p : t.partitions()) {
                PartitionTierStatus r = p.remote();
                if (!r.copying() && r.remoteSegments() == 0) {
                    continue;
                }
                rows++;
                body.append("<tr data-upload=\"")
                        .append(escape(t.topic() + "-" + p.partition()))
                        .append("\"><td class=\"l\">")
                        .append(escape(t.topic() + "-" + p.partition()))
                        .append("</td><td>")
                        .append(bytes(r.copyLag().bytes()))
                        .append("</td><td>")
                        .append(r.copyLag().segments())
                        .append("</td><td>")
                        .append(r.remoteSegments())
                        .append("</td><td class=\"l\">")
                        .append(Html.time(r.lastCopyMs()))
                        .append("</td><td>")
                        .append(r.failedCopies())
                        .append("</td><td class=\"l err\">")
                        .append(
                                r.lastCopyError() == null
                                        ? ""
                                        : escape(r.lastCopyError()) + " <span class=\"muted\">"
                                                + Html.time(r.lastCopyErrorMs()) + "</span>")
                        .append("</td></tr>");
            }
        }
        body.append("</table>");
        if (rows == 0) {
            body.append("<p class=\"muted\">No tiered partitions on this broker.</p>");
        }
        return page("Uploads", "/uploads", tiers.brokerId(), body.toString());
    }

    static String groups(int brokerId, List<GroupRow> groups) {
        StringBuilder body = new StringBuilder("<p class=\"muted\">Groups this broker coordinates; lag is the high ")
                .append("watermark minus the committed offset, for the partitions this broker hosts.</p>");
        for (GroupRow g : groups) {
            body.append("<h2 data-group=\"")
                    .append(escape(g.groupId()))
                    .append("\">")
                    .append(escape(g.groupId()))
                    .append(" <span class=\"muted\">")
                    .append(escape(g.type()))
                    .append(", ")
                    .append(escape(g.state()))
                    .append(", total lag </span><span class=\"total-lag\">")
                    .append(g.totalLag())
                    .append("</span></h2><table><tr><th class=\"l\">topic</th><th>partition</th>")
                    .append("<th>committed</th><th>end</th><th>lag</th></tr>");
            for (LagRow r : g.offsets()) {
                body.append("<tr data-lag=\"")
                        .append(escape(r.topic() + "-" + r.partition()))
                        .append("\"><td class=\"l\">")
                        .append(escape(r.topic()))
                        .append("</td><td>")
                        .append(r.partition())
                        .append("</td><td>")
                        .append(offset(r.committedOffset()))
                        .append("</td><td>")
                        .append(offset(r.endOffset()))
                        .append("</td><td class=\"lag\">")
                        .append(offset(r.lag()))
                        .append("</td></tr>");
            }
            body.append("</table>");
        }
        if (groups.isEmpty()) {
            body.append("<p>No groups on this broker.</p>");
        }
        return page("Groups", "/groups", brokerId, body.toString());
    }

    private static String page(String title, String path, int brokerId, String body) {
        StringBuilder out = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Strata · ")
                .append(escape(title))
                .append("</title><style>")
                .append(STYLE)
                .append("</style></head><body><header><b>Strata</b>");
        for (String[] nav : NAV) {
            out.append("<a href=\"")
                    .append(nav[0])
                    .append('"')
                    .append(nav[0].equals(path) ? " class=\"on\"" : "")
                    .append('>')
                    .append(nav[1])
                    .append("</a>");
        }
        return out.append("<span class=\"right\">broker ")
                .append(brokerId)
                .append(" · <label><input type=\"checkbox\" id=\"auto\" checked> refresh every 5 s</label>")
                .append(" · <a href=\"/api/v1/\">JSON</a></span></header><main><h1 style=\"font-size:18px\">")
                .append(escape(title))
                .append("</h1>")
                .append(body)
                .append("</main>")
                .append(SCRIPT)
                .append("</body></html>\n")
                .toString();
    }

    /** One line per topic: its partitions and, over those this broker hosts, both tiers and the upload lag. */
    private static void summary(StringBuilder out, List<TopicRow> topics, Map<String, TopicTiers> hosted) {
        long widest = 1;
        for (TopicTiers t : hosted.values()) {
            widest = Math.max(widest, t.total().localBytes() + t.total().remoteBytes());
        }
        out.append("<table><tr><th class=\"l\">topic</th><th>partitions</th><th class=\"l\">tiers</th>")
                .append("<th>remote</th><th>local</th><th>upload lag</th></tr>");
        for (TopicRow topic : topics) {
            TopicTiers t = hosted.get(topic.topic());
            out.append("<tr data-topic-total=\"")
                    .append(escape(topic.topic()))
                    .append("\"><td class=\"l\">")
                    .append(escape(topic.topic()))
                    .append("</td><td>")
                    .append(topic.partitions().size());
            if (t == null) {
                out.append("</td><td class=\"l muted\" colspan=\"4\">not on this broker</td></tr>");
                continue;
            }
            out.append("</td><td class=\"l\">")
                    .append(bar(t.total().remoteBytes(), t.total().localBytes(), widest))
                    .append("</td><td>")
                    .append(bytes(t.total().remoteBytes()))
                    .append("</td><td>")
                    .append(bytes(t.total().localBytes()))
                    .append("</td><td>")
                    .append(bytes(t.total().copyLagBytes()))
                    .append("</td></tr>");
        }
        out.append("</table>");
    }

    /** The two tiers side by side as one bar, both parts to the scale of {@code widest} bytes. */
    private static String bar(long remoteBytes, long localBytes, long widest) {
        return "<div class=\"bar\" title=\"remote " + bytes(remoteBytes) + ", local " + bytes(localBytes)
                + "\"><div class=\"remote\" style=\"width:" + percent(remoteBytes, widest)
                + "\"></div><div class=\"local\" style=\"width:" + percent(localBytes, widest) + "\"></div></div>";
    }

    private static void card(StringBuilder out, String label, String value) {
        out.append("<div class=\"card\"><b>")
                .append(escape(value))
                .append("</b><span class=\"muted\">")
                .append(escape(label))
                .append("</span></div>");
    }

    private static String percent(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    /** Per-second rates between successive samples of a counter. */
    static List<Double> rate(List<MetricHistory.Sample> samples, ToDoubleFunction<MetricHistory.Sample> counter) {
        List<Double> out = new ArrayList<>();
        for (int i = 1; i < samples.size(); i++) {
            double seconds = (samples.get(i).timeMs() - samples.get(i - 1).timeMs()) / 1000.0;
            double delta = counter.applyAsDouble(samples.get(i)) - counter.applyAsDouble(samples.get(i - 1));
            out.add(seconds <= 0 ? 0 : Math.max(0, delta) / seconds);
        }
        return out;
    }

    private static List<Double> gauge(
            List<MetricHistory.Sample> samples, ToDoubleFunction<MetricHistory.Sample> gauge) {
        return samples.stream().map(s -> gauge.applyAsDouble(s)).toList();
    }

    private static String bytesPerSecond(double bytesPerSecond) {
        return bytes(bytesPerSecond) + "/s";
    }

    private static String perSecond(double perSecond) {
        return String.format(Locale.ROOT, "%.1f/s", perSecond);
    }
}
