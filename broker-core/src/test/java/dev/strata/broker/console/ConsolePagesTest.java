package dev.strata.broker.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.console.ConsoleState.BrokerRow;
import dev.strata.broker.console.ConsoleState.GroupRow;
import dev.strata.broker.console.ConsoleState.LagRow;
import dev.strata.broker.console.ConsoleState.Overview;
import dev.strata.broker.console.ConsoleState.PartitionRow;
import dev.strata.broker.console.ConsoleState.TopicRow;
import dev.strata.broker.metrics.TierStatusReport.PartitionTiers;
import dev.strata.broker.metrics.TierStatusReport.Snapshot;
import dev.strata.broker.metrics.TierStatusReport.TopicTiers;
import dev.strata.broker.metrics.TierStatusReport.Totals;
import dev.strata.tiering.PartitionTierStatus;
import dev.strata.tiering.RemoteLogManagerStats.CopyLag;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsolePagesTest {

    private static final String EVIL = "<script>alert('x')</script>";

    private static Snapshot tiers(String topic) {
        PartitionTierStatus remote = new PartitionTierStatus(
                15, 61_470, 0, 284, 1_796_457_600_000L, true, new CopyLag(2, 2048), 3, "<b>boom</b>", 1L);
        PartitionTiers p = new PartitionTiers(0, true, 0, 285, 300, 300, 4_390, 1, remote);
        Totals totals = new Totals(1, 4_390, 61_470, 15, 2048, 2, 3);
        return new Snapshot(1, true, totals, List.of(new TopicTiers(topic, true, totals, List.of(p))));
    }

    @Test
    void aTopicNamedLikeAScriptTagIsRenderedAsText() {
        String page = ConsolePages.topics(
                1,
                List.of(new TopicRow(EVIL, "id", false, List.of(new PartitionRow(0, 1, List.of(1), List.of(1))))),
                tiers(EVIL));

        assertThat(page).doesNotContain("<script>alert");
        assertThat(page).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        // the page's own script is the only one
        assertThat(page.split("<script>", -1)).hasSize(2);
    }

    @Test
    void theTopicsPageShowsBothTiersAndTheFourOffsets() {
        String page = ConsolePages.topics(
                1,
                List.of(new TopicRow("demo", "id", false, List.of(new PartitionRow(0, 1, List.of(1, 2), List.of(1))))),
                tiers("demo"));

        assertThat(page).contains("<td class=\"remote-bytes\">60.0 KiB <span class=\"muted\">(15 seg)");
        assertThat(page).contains("<td class=\"local-bytes\">4.3 KiB");
        assertThat(page)
                .contains("<td class=\"log-start\">0</td><td class=\"local-start\">285</td>"
                        + "<td class=\"tiered-up-to\">284</td><td class=\"end\">300</td>");
        assertThat(page).contains("<td>1, 2</td><td>1</td>");
        // both bars to one scale: remote 61470 of 65860 bytes
        assertThat(page).contains("class=\"remote\" style=\"width:93.3%\"");
    }

    @Test
    void aPartitionThisBrokerDoesNotHostSaysSo() {
        String page = ConsolePages.topics(
                1,
                List.of(new TopicRow("demo", "id", false, List.of(new PartitionRow(1, 2, List.of(2), List.of(2))))),
                tiers("demo"));

        assertThat(page).contains("not on this broker");
    }

    @Test
    void uploadsShowLagLastCopyAndTheEscapedError() {
        String page = ConsolePages.uploads(tiers("demo"), List.of());

        assertThat(page).contains("<td>2.0 KiB</td><td>2</td><td>15</td>");
        assertThat(page).contains("2026-12-05 08:00:00 UTC");
        assertThat(page).contains("&lt;b&gt;boom&lt;/b&gt;").doesNotContain("<b>boom");
    }

    @Test
    void groupsShowLagPerPartitionAndEscapeNames() {
        GroupRow group = new GroupRow(
                EVIL,
                "classic",
                "Empty",
                List.of(new LagRow(EVIL, 0, 100, 300, 200), new LagRow("t", 1, 5, -1, -1)),
                200);

        String page = ConsolePages.groups(1, List.of(group));

        assertThat(page).doesNotContain("<script>alert");
        assertThat(page).contains("<span class=\"total-lag\">200</span>");
        assertThat(page).contains("<td>100</td><td>300</td><td class=\"lag\">200</td>");
        assertThat(page).contains("<td>5</td><td>-</td><td class=\"lag\">-</td>");
    }

    @Test
    void theOverviewListsBrokersAndDrawsChartsOnceTwoSamplesExist() {
        MetricHistory.Sample first = new MetricHistory.Sample(0, 0, 0, 0, 0, 0, 0, 0, 0, 1 << 20);
        MetricHistory.Sample second = new MetricHistory.Sample(5_000, 5_120, 0, 10, 0, 0, 0, 0, 0, 1 << 20);
        MetricHistory.Sample third = new MetricHistory.Sample(10_000, 10_240, 0, 20, 0, 0, 0, 0, 0, 1 << 20);
        Overview o = new Overview(
                1,
                "cluster",
                1,
                List.of(
                        new BrokerRow(1, "127.0.0.1", 9092, null, false, true),
                        new BrokerRow(2, EVIL, 9093, "r", true, false)),
                third);

        String page = ConsolePages.overview(o, tiers("demo"), List.of(first, second, third));

        assertThat(page).contains("alive, controller").contains("fenced");
        assertThat(page).doesNotContain("<script>alert");
        assertThat(page).contains("<svg").contains("now 1.0 KiB/s");
        assertThat(ConsolePages.overview(o, tiers("demo"), List.of(first)))
                .doesNotContain("<svg")
                .contains("collecting samples");
    }

    @Test
    void ratesAreTheDifferenceOverTheTimeBetweenSamples() {
        MetricHistory.Sample a = new MetricHistory.Sample(0, 100, 0, 0, 0, 0, 0, 0, 0, 0);
        MetricHistory.Sample b = new MetricHistory.Sample(2_000, 300, 0, 0, 0, 0, 0, 0, 0, 0);

        assertThat(ConsolePages.rate(List.of(a, b), MetricHistory.Sample::bytesIn))
                .containsExactly(100.0);
    }
}
