package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.strata.broker.it.ClientMistakes.Scenario;
import dev.strata.testing.ApacheKafkaBroker;
import dev.strata.testing.ApacheKafkaJars;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * Strata answers client mistakes with the error codes Apache Kafka 4.3.1 answers them with. Every scenario of
 * {@link ClientMistakes} runs against one Apache Kafka (KRaft, one node, in a child JVM) and one Strata broker, both
 * started once for the class with the same relevant settings, and the two answers must be equal; a difference passes
 * only if {@code kafka-conformance-allow-list.md} (beside this class in the test resources) names the scenario with
 * both answers exactly and a reason. An entry whose answers now agree, or that names no scenario, fails too, so the
 * list only ever holds live differences.
 *
 * <p>Every answer is written to {@code target/kafka-conformance.md} as a table.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaConformanceIT {

    /**
     * Settings both brokers get: no topic appears because a scenario named it, groups form at once, and the offsets
     * topic (which Kafka creates on the first group lookup) has one partition, to start quickly.
     */
    private static final Map<String, String> COMMON_SETTINGS = Map.of(
            "auto.create.topics.enable", "false",
            "group.initial.rebalance.delay.ms", "0",
            "offsets.topic.num.partitions", "1");
    /** Kafka's transaction state topic, created on the first producer id, with one partition too. */
    private static final Map<String, String> KAFKA_SETTINGS = Map.of("transaction.state.log.num.partitions", "1");

    private static final List<String> KAFKA_JVM_OPTIONS = List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC");

    private static final String ALLOW_LIST = "kafka-conformance-allow-list.md";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, String[]> answers = new ConcurrentHashMap<>();
    private TestBroker strataBroker;
    private ApacheKafkaBroker kafkaBroker;
    private ConformanceTarget strata;
    private ConformanceTarget kafka;

    @BeforeAll
    void startBothBrokers() throws Exception {
        strataBroker = TestBroker.withConfig(COMMON_SETTINGS);
        strataBroker.start();
        Path work = Path.of(System.getProperty("strata.it.work.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(work);
        Map<String, String> kafkaSettings = new HashMap<>(COMMON_SETTINGS);
        kafkaSettings.putAll(KAFKA_SETTINGS);
        kafkaBroker = ApacheKafkaBroker.start(
                ApacheKafkaJars.classpath(),
                Files.createTempDirectory(work, "kafka-conformance-"),
                KAFKA_JVM_OPTIONS,
                kafkaSettings);

        int kafkaPort = Integer.parseInt(
                kafkaBroker.bootstrap().substring(kafkaBroker.bootstrap().lastIndexOf(':') + 1));
        Map<ApiKeys, Short> versions = commonVersions(strataBroker.port(), kafkaPort);
        // Kafka creates its internal topics on the first lookup and answers COORDINATOR_NOT_AVAILABLE meanwhile:
        // the scenarios compare settled brokers. Strata has no transaction coordinator, so waiting for one there
        // would only use up the deadline.
        kafka = prepare(new ConformanceTarget("Apache Kafka", kafkaPort, versions, Map.of(), null), true);
        strata = prepare(new ConformanceTarget("Strata", strataBroker.port(), versions, Map.of(), null), false);
    }

    @AfterAll
    void stopBothBrokers() throws IOException {
        try {
            writeTable();
        } finally {
            try {
                if (strataBroker != null) {
                    strataBroker.close();
                }
            } finally {
                if (kafkaBroker != null) {
                    kafkaBroker.close();
                }
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> strataAnswersEveryClientMistakeAsApacheKafkaDoes() throws IOException {
        Map<String, AllowedDifference> allowed = allowList();
        return ClientMistakes.all().stream().map(s -> dynamicTest(s.name(), () -> compare(s, allowed.get(s.name()))));
    }

    @Test
    void everyAllowListEntryNamesAScenario() throws IOException {
        Set<String> scenarios = new HashSet<>();
        ClientMistakes.all().forEach(s -> scenarios.add(s.name()));
        assertThat(allowList().keySet()).as("scenarios named in " + ALLOW_LIST).isSubsetOf(scenarios);
    }

    private void compare(Scenario scenario, AllowedDifference allowed) throws Exception {
        String expected = scenario.check().run(kafka);
        String actual = scenario.check().run(strata);
        answers.put(scenario.name(), new String[] {expected, actual, allowed == null ? "" : allowed.reason()});
        if (allowed == null) {
            assertThat(actual)
                    .as("%s: Strata's answer; Apache Kafka 4.3.1 answered %s", scenario, expected)
                    .isEqualTo(expected);
            return;
        }
        assertThat(actual)
                .as("%s is in %s, but Strata now answers as Apache Kafka does: remove the entry", scenario, ALLOW_LIST)
                .isNotEqualTo(expected);
        assertThat(new String[] {expected, actual})
                .as("%s: the answers (Apache Kafka, Strata) the entry in %s accepts", scenario, ALLOW_LIST)
                .containsExactly(allowed.kafka(), allowed.strata());
    }

    /** Topics created, filled and led, the group joined, coordinators settled. */
    private ConformanceTarget prepare(ConformanceTarget target, boolean awaitTransactionCoordinator) throws Exception {
        String bootstrap = "127.0.0.1:" + target.port();
        try (Admin admin = admin(bootstrap)) {
            List<NewTopic> topics = new ArrayList<>();
            ClientMistakes.PREPARED_TOPICS.forEach(
                    (name, configs) -> topics.add(new NewTopic(name, 1, (short) 1).configs(configs)));
            admin.createTopics(topics).all().get();
        }
        Map<String, Uuid> ids = new HashMap<>();
        awaitReady(target + ": the prepared topics to have leaders", () -> {
            Map<String, MetadataResponseTopic> metadata =
                    ClientMistakes.metadataOf(target, ClientMistakes.PREPARED_TOPICS.keySet());
            for (String name : ClientMistakes.PREPARED_TOPICS.keySet()) {
                MetadataResponseTopic topic = metadata.get(name);
                if (topic == null
                        || topic.errorCode() != Errors.NONE.code()
                        || topic.partitions().isEmpty()
                        || topic.partitions().stream().anyMatch(p -> p.leaderId() < 0)) {
                    return false;
                }
                ids.put(name, topic.topicId());
            }
            return true;
        });
        // Kafka's metadata names the leader a moment before its replica manager leads the partition
        awaitReady(target + ": the prepared partitions to answer", () -> {
            for (String name : ClientMistakes.PREPARED_TOPICS.keySet()) {
                if (!ClientMistakes.listOffsets(target, name, 0, -1L, -1).equals(Errors.NONE.name())) {
                    return false;
                }
            }
            return true;
        });
        String filled = ClientMistakes.fillPrepared(target);
        assertThat(filled).as(target + ": producing to " + ClientMistakes.TOPIC).isEqualTo("NONE,NONE,NONE");
        awaitReady(target + ": the group coordinator", () -> ClientMistakes.findCoordinator(
                        target, CoordinatorType.GROUP, ClientMistakes.GROUP)
                .equals(Errors.NONE.name()));
        if (awaitTransactionCoordinator) {
            awaitReady(target + ": the transaction coordinator", () -> ClientMistakes.findCoordinator(
                            target, CoordinatorType.TRANSACTION, "conform-warm-up")
                    .equals(Errors.NONE.name()));
        }
        // Kafka hands out producer ids through its transaction coordinator, COORDINATOR_LOAD_IN_PROGRESS until loaded
        awaitReady(target + ": producer ids", () -> ClientMistakes.initProducerId(target, null)
                .equals(Errors.NONE.name()));
        ConformanceTarget withIds = target.withTopicIds(ids);
        return withIds.withMember(ClientMistakes.joinPreparedGroup(withIds));
    }

    /** For each API Strata offers, the highest version both brokers and this client support. */
    private static Map<ApiKeys, Short> commonVersions(int strataPort, int kafkaPort) throws IOException {
        ApiVersionsResponseData strataApis;
        ApiVersionsResponseData kafkaApis;
        try (KafkaWire s = KafkaWire.connect(strataPort);
                KafkaWire k = KafkaWire.connect(kafkaPort)) {
            strataApis = s.apiVersions();
            kafkaApis = k.apiVersions();
        }
        Map<ApiKeys, Short> versions = new EnumMap<>(ApiKeys.class);
        for (ApiVersion strataRange : strataApis.apiKeys()) {
            ApiVersion kafkaRange = kafkaApis.apiKeys().find(strataRange.apiKey());
            if (kafkaRange == null || !ApiKeys.hasId(strataRange.apiKey())) {
                continue;
            }
            ApiKeys key = ApiKeys.forId(strataRange.apiKey());
            short max =
                    (short) Math.min(key.latestVersion(), Math.min(strataRange.maxVersion(), kafkaRange.maxVersion()));
            if (max >= Math.max(strataRange.minVersion(), kafkaRange.minVersion())) {
                versions.put(key, max);
            }
        }
        return versions;
    }

    @FunctionalInterface
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitReady(String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + READY_TIMEOUT + " waiting for " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    private static Admin admin(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(config);
    }

    /** A difference accepted for now: both answers exactly, and why. */
    private record AllowedDifference(String kafka, String strata, String reason) {}

    /** The rows of the allow-list's table: {@code | scenario | Apache Kafka | Strata | reason |}. */
    private static Map<String, AllowedDifference> allowList() throws IOException {
        String text;
        try (InputStream in = KafkaConformanceIT.class.getResourceAsStream(ALLOW_LIST)) {
            assertThat(in).as(ALLOW_LIST + " on the test classpath").isNotNull();
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, AllowedDifference> entries = new LinkedHashMap<>();
        for (String line : text.lines().toList()) {
            if (!line.startsWith("|") || line.startsWith("| scenario ") || line.startsWith("| ---")) {
                continue;
            }
            String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|", -1);
            assertThat(cells).as("a row of " + ALLOW_LIST + ": " + line).hasSize(4);
            String scenario = cells[0].strip();
            AllowedDifference entry = new AllowedDifference(unquote(cells[1]), unquote(cells[2]), cells[3].strip());
            assertThat(entry.reason()).as("the reason for " + scenario).isNotEmpty();
            assertThat(entries.put(scenario, entry))
                    .as("entries for " + scenario)
                    .isNull();
        }
        return entries;
    }

    /** A cell holds an answer in backquotes, so that its spaces are visible. */
    private static String unquote(String cell) {
        String s = cell.strip();
        return s.startsWith("`") && s.endsWith("`") && s.length() >= 2 ? s.substring(1, s.length() - 1) : s;
    }

    private void writeTable() throws IOException {
        if (answers.isEmpty()) {
            return;
        }
        StringBuilder table = new StringBuilder("| scenario | Apache Kafka 4.3.1 | Strata | allowed because |\n");
        table.append("| --- | --- | --- | --- |\n");
        for (Scenario s : ClientMistakes.all()) {
            String[] row = answers.get(s.name());
            if (row != null) {
                table.append("| ")
                        .append(s.name())
                        .append(" | `")
                        .append(row[0])
                        .append("` | `")
                        .append(row[1])
                        .append("` | ")
                        .append(row[2])
                        .append(" |\n");
            }
        }
        Path out = Path.of(System.getProperty("strata.it.work.dir", "target"), "kafka-conformance.md");
        Files.writeString(out, table);
    }
}
