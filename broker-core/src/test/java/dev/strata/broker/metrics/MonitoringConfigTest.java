package dev.strata.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.broker.config.BrokerConfig;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogDirectory;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.tiering.LogTieredPartition;
import dev.strata.broker.tiering.RemoteTier;
import dev.strata.broker.tiering.TieredLogs;
import dev.strata.testing.Await;
import dev.strata.tiering.RemoteSegmentPublisher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard ({@code config/grafana/strata-dashboard.json}) and the example Prometheus alert rules
 * ({@code config/prometheus/strata-alerts.yml}) query only metrics the broker exports. The exported names come from a
 * scrape of a {@link BrokerMetrics} populated the way the server populates it (JVM and process binders, log
 * directories, a remote tier tiering one partition, requests of two APIs), so a renamed meter fails this test.
 */
class MonitoringConfigTest {

    private static final Path DASHBOARD = Path.of("..", "config", "grafana", "strata-dashboard.json");
    private static final Path ALERTS = Path.of("..", "config", "prometheus", "strata-alerts.yml");
    /** Series Prometheus writes itself for every scrape target, not the broker. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    @TempDir
    static Path root;

    private static LocalLog log;
    private static RemoteTier tier;
    private static BrokerMetrics metrics;
    private static Set<String> exported;

    @BeforeAll
    static void scrapeTheBrokersRegistry() throws IOException {
        Path logDir = root.resolve("logs");
        Files.createDirectories(logDir);
        BrokerConfig config = BrokerConfig.of(Map.of(
                "log.dirs", logDir.toString(),
                "remote.log.storage.system.enable", "true",
                "metrics.prometheus.listener", "127.0.0.1:0"));
        tier = RemoteTier.open(config, RemoteSegmentPublisher.LOCAL);
        metrics = new BrokerMetrics(config.logDirs(), Optional.of(tier));
        metrics.bindLogDirectories(List.of(new LogDirectory(logDir, 0)));

        // a tiered partition, so that the per-partition gauges have a row
        TopicPartition tp = new TopicPartition("tiered", 0);
        log = TieredLogs.open(logDir.resolve("tiered-0"), tp);
        TieredLogs.fill(log, 10, i -> 0);
        tier.manager().register(new LogTieredPartition(new Partition(tp, log.topicId(), log, 1, 0)));
        // an API's meters appear with its first request
        for (ApiKeys api : List.of(ApiKeys.PRODUCE, ApiKeys.FETCH)) {
            metrics.requests().requestReceived(api, 100);
            metrics.requests().responseSent(api, 100, TimeUnit.MILLISECONDS.toNanos(2));
        }
        // the GC pause timer appears with the first collection the binder is told of
        Await.until(Duration.ofSeconds(60), "a GC pause in the scrape", () -> {
            System.gc();
            return metrics.scrape().contains("jvm_gc_pause_seconds_count");
        });
        exported = exportedNames(metrics.scrape());
    }

    @AfterAll
    static void close() {
        if (metrics != null) {
            metrics.close();
        }
        if (tier != null) {
            tier.close();
        }
        if (log != null) {
            log.close();
        }
    }

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Map<String, String> queries = dashboardQueries(dashboard);

        assertThat(queries).hasSizeGreaterThan(30);
        assertThat(unexported(queries))
                .as("metric names not in the broker's scrape")
                .isEmpty();
    }

    @Test
    void theDashboardAsksForItsPrometheusDataSourceOnImport() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());

        assertThat(dashboard.path("__inputs").findValuesAsText("name")).containsExactly("DS_PROMETHEUS");
        List<String> dataSources = new ArrayList<>();
        for (JsonNode ds : dashboard.findValues("datasource")) {
            dataSources.add(ds.isTextual() ? ds.asText() : ds.path("uid").asText());
        }
        assertThat(dataSources)
                .as("every panel, query and variable uses the imported data source")
                .isNotEmpty()
                .allMatch(uid -> uid.equals("${DS_PROMETHEUS}") || uid.equals("-- Grafana --"));
    }

    @Test
    void everyMetricTheAlertRulesQueryIsExported() throws IOException {
        Map<String, String> queries = alertQueries(Files.readAllLines(ALERTS));

        assertThat(queries.keySet())
                .contains(
                        "StrataBrokerDown",
                        "StrataUploadLagGrowing",
                        "StrataCopyErrors",
                        "StrataCopyStalled",
                        "StrataRemoteReadErrors",
                        "StrataLogDirSpaceLow",
                        "StrataLogDirOffline");
        assertThat(unexported(queries))
                .as("metric names not in the broker's scrape")
                .isEmpty();
    }

    @Test
    void histogramAndSummarySeriesAreExportedUnderTheirSuffixes() {
        assertThat(exported)
                .contains(
                        "strata_request_latency_seconds_count",
                        "strata_request_latency_seconds_sum",
                        "strata_request_latency_seconds_max",
                        "jvm_gc_pause_seconds_count",
                        "strata_remote_copy_lag_bytes",
                        "strata_log_dir_offline")
                .doesNotContain("strata_request_latency_seconds_bucket");

        Set<String> families = exportedNames(
                """
                # TYPE lat_seconds histogram
                # TYPE size_bytes summary
                size_bytes{quantile="0.5"} 3
                """);
        assertThat(families)
                .contains(
                        "lat_seconds_bucket",
                        "lat_seconds_count",
                        "lat_seconds_sum",
                        "size_bytes",
                        "size_bytes_count",
                        "size_bytes_sum")
                .doesNotContain("lat_seconds");
    }

    @Test
    void findsTheMetricNamesOfAQuery() {
        assertThat(metricNames(
                        "sum by (instance, topic) (rate(strata_remote_copy_bytes_total{topic=~\"$topic\",job=\"a_b\"}"
                                + "[$__rate_interval])) / on(instance) group_left max without (x) "
                                + "(strata_log_dir_free_bytes offset 5m) > 1e9 and deriv(x_total[30m:1m]) > bool 0"))
                .containsExactlyInAnyOrder("strata_remote_copy_bytes_total", "strata_log_dir_free_bytes", "x_total");
        assertThat(metricNames("label_values(strata_network_received_bytes_total{instance=~\"$i\"}, instance)"))
                .containsExactly("strata_network_received_bytes_total");
    }

    private static Map<String, Set<String>> unexported(Map<String, String> queries) {
        Map<String, Set<String>> missing = new TreeMap<>();
        queries.forEach((where, query) -> {
            Set<String> names = metricNames(query);
            assertThat(names).as("metric names in %s: %s", where, query).isNotEmpty();
            names.removeIf(name -> exported.contains(name) || PROMETHEUS_SERIES.contains(name));
            if (!names.isEmpty()) {
                missing.put(where, names);
            }
        });
        return missing;
    }

    /**
     * The names of a Prometheus text scrape's series, and for each histogram or summary family the series Prometheus
     * defines for it ({@code _bucket}, {@code _count}, {@code _sum}), whether or not it has samples yet.
     */
    static Set<String> exportedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (line.startsWith("# TYPE ") && words.length == 4) {
                String family = words[2];
                switch (words[3]) {
                    case "histogram" -> names.addAll(List.of(family + "_bucket", family + "_count", family + "_sum"));
                    case "summary" -> names.addAll(List.of(family, family + "_count", family + "_sum"));
                    default -> {}
                }
            } else if (!line.startsWith("#") && !line.isBlank()) {
                names.add(words[0].replaceFirst("\\{.*", ""));
            }
        }
        return names;
    }

    /** Every PromQL query of the dashboard's panels (rows' panels too) and variables, by where it is. */
    private static Map<String, String> dashboardQueries(JsonNode dashboard) {
        Map<String, String> queries = new TreeMap<>();
        List<JsonNode> panels = new ArrayList<>();
        dashboard.path("panels").forEach(panels::add);
        dashboard.path("panels").forEach(p -> p.path("panels").forEach(panels::add));
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(
                        "panel \"" + panel.path("title").asText() + "\" "
                                + target.path("refId").asText(),
                        target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode query = variable.path("query");
                queries.put(
                        "variable " + variable.path("name").asText(),
                        query.isTextual() ? query.asText() : query.path("query").asText());
            }
        }
        return queries;
    }

    private static final Pattern ALERT = Pattern.compile("^\\s*-\\s*alert:\\s*(\\S+)\\s*$");
    private static final Pattern EXPR = Pattern.compile("^(\\s*)expr:\\s*(.*)$");

    /**
     * The {@code expr} of each alerting rule, by the rule's name: a plain, quoted or block ({@code |}, {@code >})
     * scalar. Read line by line, not with a YAML parser, which the broker does not depend on.
     */
    static Map<String, String> alertQueries(List<String> lines) {
        Map<String, String> queries = new TreeMap<>();
        String alert = null;
        for (int i = 0; i < lines.size(); i++) {
            Matcher name = ALERT.matcher(lines.get(i));
            if (name.matches()) {
                alert = name.group(1);
            }
            Matcher expr = EXPR.matcher(lines.get(i));
            if (!expr.matches()) {
                continue;
            }
            String value = expr.group(2).trim();
            if (value.startsWith("|") || value.startsWith(">")) {
                StringBuilder block = new StringBuilder();
                int indent = expr.group(1).length();
                while (i + 1 < lines.size() && (lines.get(i + 1).isBlank() || indentOf(lines.get(i + 1)) > indent)) {
                    block.append(lines.get(++i).trim()).append(' ');
                }
                value = block.toString().trim();
            } else if (value.startsWith("'")) {
                value = value.substring(1, value.length() - 1).replace("''", "'");
            } else if (value.startsWith("\"")) {
                value = value.substring(1, value.length() - 1).replace("\\\"", "\"");
            }
            queries.put(alert == null ? "line " + (i + 1) : alert, value);
        }
        return queries;
    }

    private static int indentOf(String line) {
        return line.length() - line.stripLeading().length();
    }

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern GROUPING =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern TOKEN = Pattern.compile("(\\$\\{?\\w+}?)|([0-9][0-9A-Za-z_.]*)|([A-Za-z_:][\\w:]*)");
    private static final Set<String> KEYWORDS = Set.of(
            "and",
            "or",
            "unless",
            "bool",
            "offset",
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "inf",
            "nan");

    /**
     * The metric names a PromQL expression (or a Grafana {@code label_values(metric, label)} variable query) reads:
     * its identifiers outside strings, label matchers, ranges and grouping clauses that are neither functions,
     * keywords nor Grafana variables.
     */
    static Set<String> metricNames(String query) {
        String q = query.trim();
        Matcher labelValues =
                Pattern.compile("^label_values\\((.*),\\s*\\w+\\s*\\)$").matcher(q);
        if (labelValues.matches()) {
            q = labelValues.group(1);
        }
        q = STRING.matcher(q).replaceAll(" ");
        q = q.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
        q = GROUPING.matcher(q).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher token = TOKEN.matcher(q);
        while (token.find()) {
            String id = token.group(3);
            if (id == null || KEYWORDS.contains(id.toLowerCase())) {
                continue;
            }
            boolean call = q.substring(token.end()).stripLeading().startsWith("(");
            if (!call) {
                names.add(id);
            }
        }
        return names;
    }
}
