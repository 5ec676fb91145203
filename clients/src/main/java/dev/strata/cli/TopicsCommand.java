package dev.strata.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata topics list|describe|create|delete|alter-config}. */
@Command(
        name = "topics",
        description = "List, describe, create, delete and configure topics.",
        mixinStandardHelpOptions = true,
        subcommands = {picocli.CommandLine.HelpCommand.class})
final class TopicsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(), "a subcommand is needed: list, describe, create, delete or alter-config");
    }

    @Command(name = "list", description = "The topics' names, one a line.")
    int list(
            @Mixin ClientOptions client,
            @Option(names = "--include-internal", description = "also internal topics (__consumer_offsets)")
                    boolean internal) {
        try (Admin admin = client.admin()) {
            Collection<String> names = Kafka.await(
                    admin.listTopics(new ListTopicsOptions().listInternal(internal))
                            .names(),
                    client,
                    "list the topics");
            PrintWriter out = spec.commandLine().getOut();
            new TreeSet<>(names).forEach(out::println);
        }
        return StrataCli.OK;
    }

    @Command(
            name = "describe",
            description = "Per partition: leader, replicas, ISR, log start, local start, tiered up to and end offsets,"
                    + " and local and remote bytes where the broker's HTTP listener (--http) tells them.")
    int describe(
            @Mixin ClientOptions client,
            @Mixin TierClient tiers,
            @Option(names = "--topic", paramLabel = "TOPIC", description = "one topic (default: every topic)")
                    String topic) {
        try (Admin admin = client.admin()) {
            List<String> names = topic != null
                    ? List.of(topic)
                    : new ArrayList<>(
                            new TreeSet<>(Kafka.await(admin.listTopics().names(), client, "list the topics")));
            Map<String, TopicDescription> descriptions = new HashMap<>();
            for (String name : names) {
                descriptions.put(name, Kafka.describeTopic(admin, client, name));
            }
            // one document for every topic described: an unreachable listener costs one timeout, not one a topic
            Optional<Map<String, Object>> status =
                    tiers.statusIfAvailable(topic, Duration.ofMillis(Math.min(client.timeoutMs, 3000)));
            PrintWriter out = spec.commandLine().getOut();
            for (String name : names) {
                TopicDescription d = descriptions.get(name);
                List<TopicPartition> partitions = Kafka.partitionsOf(d);
                Map<TopicPartition, Long> start = Kafka.offsetsIfAnswered(admin, partitions, OffsetSpec.earliest());
                Map<TopicPartition, Long> end = Kafka.offsetsIfAnswered(admin, partitions, OffsetSpec.latest());
                Map<TopicPartition, Long> localStart =
                        Kafka.offsetsIfAnswered(admin, partitions, OffsetSpec.earliestLocal());
                Map<TopicPartition, Long> tiered =
                        Kafka.offsetsIfAnswered(admin, partitions, OffsetSpec.latestTiered());
                out.println(topicLine(d, nonDefaultConfigs(admin, client, name)));
                describeTable(d, start, localStart, tiered, end, status).print(out);
                out.println();
            }
        }
        return StrataCli.OK;
    }

    static String topicLine(TopicDescription d, Map<String, String> configs) {
        int rf = d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size();
        String configText = configs.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
        return "Topic: " + d.name() + "  TopicId: " + d.topicId() + "  Partitions: "
                + d.partitions().size() + "  ReplicationFactor: " + rf
                + (configText.isEmpty() ? "" : "  Configs: " + configText);
    }

    /** One row per partition; offsets the broker did not answer and bytes it cannot tell are {@code -}. */
    static Text.Table describeTable(
            TopicDescription d,
            Map<TopicPartition, Long> start,
            Map<TopicPartition, Long> localStart,
            Map<TopicPartition, Long> tiered,
            Map<TopicPartition, Long> end,
            Optional<Map<String, Object>> status) {
        Map<Integer, Map<String, Object>> bytes = new HashMap<>();
        status.ifPresent(doc -> {
            long brokerId = TierClient.number(doc, "brokerId");
            for (Map<String, Object> p : TierClient.partitions(doc, d.name())) {
                bytes.put((int) TierClient.number(p, "partition"), p);
            }
            // only the partitions this broker leads: another broker's figures would be guesses
            for (TopicPartitionInfo info : d.partitions()) {
                if (info.leader() == null || info.leader().id() != brokerId) {
                    bytes.remove(info.partition());
                }
            }
        });
        Text.Table table = new Text.Table(
                "PARTITION",
                "LEADER",
                "REPLICAS",
                "ISR",
                "LOG-START",
                "LOCAL-START",
                "TIERED-UP-TO",
                "END",
                "LOCAL-BYTES",
                "REMOTE-BYTES");
        for (TopicPartitionInfo info : d.partitions()) {
            TopicPartition tp = new TopicPartition(d.name(), info.partition());
            Map<String, Object> b = bytes.get(info.partition());
            table.row(
                    info.partition(),
                    info.leader() == null || info.leader().id() < 0
                            ? "none"
                            : info.leader().id(),
                    ids(info.replicas()),
                    ids(info.isr()),
                    Text.offset(start.getOrDefault(tp, -1L)),
                    Text.offset(localStart.getOrDefault(tp, -1L)),
                    Text.offset(tiered.getOrDefault(tp, -1L)),
                    Text.offset(end.getOrDefault(tp, -1L)),
                    b == null ? "-" : Text.bytes(TierClient.number(b, "localBytes")),
                    b == null ? "-" : Text.bytes(TierClient.number(b, "remoteBytes")));
        }
        return table;
    }

    private static String ids(List<Node> nodes) {
        return nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(","));
    }

    private static Map<String, String> nonDefaultConfigs(Admin admin, ClientOptions client, String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = Kafka.await(
                        admin.describeConfigs(List.of(resource)).all(), client, "describe the configs of " + topic)
                .get(resource);
        Map<String, String> result = new java.util.TreeMap<>();
        for (ConfigEntry entry : config.entries()) {
            if (entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) {
                result.put(entry.name(), entry.isSensitive() ? "(sensitive)" : entry.value());
            }
        }
        return result;
    }

    @Command(name = "create", description = "Creates a topic.")
    int create(
            @Mixin ClientOptions client,
            @Option(names = "--topic", required = true, paramLabel = "TOPIC") String topic,
            @Option(names = "--partitions", paramLabel = "N", description = "default: the broker's num.partitions")
                    Integer partitions,
            @Option(
                            names = "--replication-factor",
                            paramLabel = "N",
                            description = "default: the broker's default.replication.factor")
                    Short replicationFactor,
            @Option(names = "--config", paramLabel = "KEY=VALUE", description = "a topic config; repeatable")
                    Map<String, String> configs,
            @Option(names = "--if-not-exists", description = "succeed when the topic exists already")
                    boolean ifNotExists) {
        NewTopic newTopic =
                new NewTopic(topic, Optional.ofNullable(partitions), Optional.ofNullable(replicationFactor));
        if (configs != null) {
            newTopic.configs(configs);
        }
        try (Admin admin = client.admin()) {
            try {
                Kafka.await(
                        admin.createTopics(List.of(newTopic), new CreateTopicsOptions())
                                .all(),
                        client,
                        "create topic " + topic);
            } catch (CliException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    if (ifNotExists) {
                        return StrataCli.OK;
                    }
                    throw new CliException("topic " + topic + " exists already");
                }
                throw e;
            }
        }
        spec.commandLine().getOut().println("Created topic " + topic + ".");
        return StrataCli.OK;
    }

    @Command(name = "delete", description = "Deletes a topic, with its data in both tiers.")
    int delete(
            @Mixin ClientOptions client,
            @Option(names = "--topic", required = true, paramLabel = "TOPIC") String topic,
            @Option(names = "--if-exists", description = "succeed when the topic does not exist") boolean ifExists) {
        try (Admin admin = client.admin()) {
            try {
                Kafka.awaitOnTopic(admin.deleteTopics(List.of(topic)).all(), client, "delete topic " + topic, topic);
            } catch (CliException e) {
                if (ifExists && e.getCause() instanceof UnknownTopicOrPartitionException) {
                    return StrataCli.OK;
                }
                throw e;
            }
        }
        spec.commandLine().getOut().println("Deleted topic " + topic + ".");
        return StrataCli.OK;
    }

    @Command(name = "alter-config", description = "Sets or removes topic configs (IncrementalAlterConfigs).")
    int alterConfig(
            @Mixin ClientOptions client,
            @Option(names = "--topic", required = true, paramLabel = "TOPIC") String topic,
            @Option(names = "--add-config", paramLabel = "KEY=VALUE", description = "sets a config; repeatable")
                    Map<String, String> set,
            @Option(names = "--delete-config", paramLabel = "KEY", description = "back to the default; repeatable")
                    List<String> remove) {
        List<AlterConfigOp> ops = new ArrayList<>();
        if (set != null) {
            set.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        }
        if (remove != null) {
            remove.forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE)));
        }
        if (ops.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "nothing to change: give --add-config or --delete-config");
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = client.admin()) {
            Kafka.awaitOnTopic(
                    admin.incrementalAlterConfigs(Map.of(resource, ops)).all(),
                    client,
                    "alter the configs of " + topic,
                    topic);
        }
        spec.commandLine().getOut().println("Altered the configs of topic " + topic + ".");
        return StrataCli.OK;
    }
}
