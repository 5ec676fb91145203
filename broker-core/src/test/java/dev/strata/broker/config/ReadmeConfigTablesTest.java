package dev.strata.broker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration tables are the definitions in {@link BrokerConfigs} and {@link TopicConfigs}, row for
 * row. When a setting is added or changed, this test fails and prints the table to paste into the README.
 */
class ReadmeConfigTablesTest {

    private static final Path README = Path.of("..", "README.md");

    @Test
    void theBrokerTableIsTheBrokerSettingsDefinition() throws IOException {
        assertThat(tableAfter("### Broker"))
                .as("README table under \"### Broker\"; expected:%n%s", String.join("\n", brokerTable()))
                .isEqualTo(brokerTable());
    }

    @Test
    void theTopicTableIsTheTopicConfigsDefinition() throws IOException {
        assertThat(tableAfter("### Topic defaults and topic configs"))
                .as(
                        "README table under \"### Topic defaults and topic configs\"; expected:%n%s",
                        String.join("\n", topicTable()))
                .isEqualTo(topicTable());
    }

    /** The broker settings, except the topic defaults' synonyms, which the topic table lists. */
    static List<String> brokerTable() {
        Set<String> topicDefaults = new HashSet<>(TopicConfigs.BROKER_SYNONYMS.values());
        TopicConfigs.COARSE_SYNONYMS.forEach(c -> topicDefaults.add(c.brokerName()));
        List<String> rows = new ArrayList<>(List.of("| key | default | meaning |", "| --- | --- | --- |"));
        for (ConfigDef.ConfigKey key : BrokerConfigs.DEF.configKeys().values()) {
            if (!topicDefaults.contains(key.name)) {
                rows.add("| `" + key.name + "` | " + defaultValue(key) + " | " + key.documentation + " |");
            }
        }
        return rows;
    }

    static List<String> topicTable() {
        List<String> rows = new ArrayList<>(
                List.of("| topic config | broker default key | default | meaning |", "| --- | --- | --- | --- |"));
        for (ConfigDef.ConfigKey key : TopicConfigs.DEF.configKeys().values()) {
            String brokerName = TopicConfigs.BROKER_SYNONYMS.get(key.name);
            String brokerKey = brokerName == null ? "—" : "`" + brokerName + "`";
            String coarse = TopicConfigs.COARSE_SYNONYMS.stream()
                    .filter(c -> c.topicName().equals(key.name))
                    .map(c -> "`" + c.brokerName() + "`")
                    .collect(Collectors.joining(", "));
            if (!coarse.isEmpty()) {
                brokerKey += " (or " + coarse + ")";
            }
            rows.add("| `" + key.name + "` | " + brokerKey + " | " + defaultValue(key) + " | " + key.documentation
                    + " |");
        }
        return rows;
    }

    private static String defaultValue(ConfigDef.ConfigKey key) {
        String value = key.defaultValue == null ? "" : ConfigDef.convertToString(key.defaultValue, key.type);
        return value.isEmpty() ? "—" : "`" + value + "`";
    }

    /** The lines of the first table after the heading line {@code heading}. */
    private static List<String> tableAfter(String heading) throws IOException {
        List<String> lines = Files.readAllLines(README);
        int at = lines.indexOf(heading);
        assertThat(at).as("README heading %s", heading).isNotNegative();
        while (at < lines.size() && !lines.get(at).startsWith("|")) {
            at++;
        }
        List<String> table = new ArrayList<>();
        while (at < lines.size() && lines.get(at).startsWith("|")) {
            table.add(lines.get(at++));
        }
        return table;
    }
}
