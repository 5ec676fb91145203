package dev.strata.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code strata groups list|describe|reset-offsets|delete}: consumer groups, their lag, and moving their offsets. */
@Command(
        name = "groups",
        description = "List, describe (with lag), reset the offsets of, and delete consumer groups.",
        mixinStandardHelpOptions = true,
        subcommands = {picocli.CommandLine.HelpCommand.class})
final class GroupsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(), "a subcommand is needed: list, describe, reset-offsets or delete");
    }

    @Command(name = "list", description = "Every group: id, type, state.")
    int list(@Mixin ClientOptions client) {
        try (Admin admin = client.admin()) {
            Collection<GroupListing> groups = Kafka.await(admin.listGroups().all(), client, "list the groups");
            Text.Table table = new Text.Table("GROUP", "TYPE", "STATE");
            groups.stream()
                    .sorted(Comparator.comparing(GroupListing::groupId))
                    .forEach(g -> table.row(
                            g.groupId(),
                            g.type()
                                    .map(t -> t.toString().toLowerCase(java.util.Locale.ROOT))
                                    .orElse("-"),
                            g.groupState().map(GroupState::toString).orElse("-")));
            table.print(spec.commandLine().getOut());
        }
        return StrataCli.OK;
    }

    /** One partition's row of {@code groups describe}. */
    record Lag(TopicPartition partition, long committed, long end, MemberDescription member) {
        /** The records between the committed offset and the end, or -1 when either is unknown. */
        long lag() {
            return committed < 0 || end < 0 ? -1 : Math.max(0, end - committed);
        }
    }

    @Command(name = "describe", description = "A group's state, members and per-partition lag.")
    int describe(
            @Mixin ClientOptions client,
            @Option(names = "--group", required = true, paramLabel = "GROUP") String group) {
        try (Admin admin = client.admin()) {
            ConsumerGroupDescription description = describeGroup(admin, client, group)
                    .filter(d -> d.groupState() != GroupState.DEAD)
                    .orElseThrow(() -> new CliException("group " + group + " does not exist"));
            Map<TopicPartition, OffsetAndMetadata> committed = committed(admin, client, group);
            Map<TopicPartition, MemberDescription> owners = new HashMap<>();
            for (MemberDescription m : description.members()) {
                m.assignment().topicPartitions().forEach(tp -> owners.put(tp, m));
            }
            Set<TopicPartition> partitions = new HashSet<>(committed.keySet());
            partitions.addAll(owners.keySet());
            Map<TopicPartition, Long> ends =
                    Kafka.offsets(admin, partitions, OffsetSpec.latest(), client, "list the end offsets");
            List<Lag> rows = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                rows.add(new Lag(tp, c == null ? -1 : c.offset(), ends.getOrDefault(tp, -1L), owners.get(tp)));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("Group: " + group + "  State: " + description.groupState() + "  Type: "
                    + description.type().toString().toLowerCase(java.util.Locale.ROOT) + "  Coordinator: "
                    + description.coordinator().id() + "  Members: "
                    + description.members().size());
            lagTable(rows).print(out);
        }
        return StrataCli.OK;
    }

    /** The lag rows ordered by topic and partition, with a total. */
    static Text.Table lagTable(List<Lag> rows) {
        Text.Table table = new Text.Table(
                "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
        long total = 0;
        List<Lag> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing((Lag l) -> l.partition().topic())
                .thenComparingInt(l -> l.partition().partition()));
        for (Lag l : sorted) {
            total += Math.max(0, l.lag());
            table.row(
                    l.partition().topic(),
                    l.partition().partition(),
                    Text.offset(l.committed()),
                    Text.offset(l.end()),
                    l.lag() < 0 ? "-" : l.lag(),
                    l.member() == null ? "-" : l.member().consumerId(),
                    l.member() == null ? "-" : l.member().host(),
                    l.member() == null ? "-" : l.member().clientId());
        }
        table.row("TOTAL", "", "", "", total, "", "", "");
        return table;
    }

    /** Where to move the offsets; exactly one. */
    static final class Target {
        @Option(names = "--to-earliest", description = "the log start offset")
        boolean earliest;

        @Option(names = "--to-latest", description = "the end offset")
        boolean latest;

        @Option(names = "--to-offset", paramLabel = "N", description = "offset N (kept within the log)")
        Long offset;

        @Option(names = "--to-datetime", paramLabel = "ISO8601", description = "the first record at or after it")
        String datetime;
    }

    /** Which partitions. */
    static final class Scope {
        @Option(names = "--topic", paramLabel = "TOPIC", description = "every partition of this topic")
        String topic;

        @Option(names = "--all-topics", description = "every partition the group has an offset for")
        boolean allTopics;
    }

    @Command(
            name = "reset-offsets",
            description = "Moves a group's committed offsets; prints the plan only, unless --execute."
                    + " The group must have no active members.")
    int resetOffsets(
            @Mixin ClientOptions client,
            @Option(names = "--group", required = true, paramLabel = "GROUP") String group,
            @ArgGroup(exclusive = true, multiplicity = "1") Scope scope,
            @ArgGroup(exclusive = true, multiplicity = "1") Target target,
            @Option(names = "--execute", description = "apply the plan (without it, only print it)") boolean execute,
            @Option(names = "--dry-run", description = "only print the plan (the default)") boolean dryRun) {
        if (execute && dryRun) {
            throw new ParameterException(spec.commandLine(), "--execute and --dry-run do not go together");
        }
        Long timeMs = null;
        if (target.datetime != null) {
            try {
                timeMs = ConsumeCommand.parseTime(target.datetime);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(
                        spec.commandLine(), e.getMessage().replace("--from-time", "--to-datetime"));
            }
        }
        try (Admin admin = client.admin()) {
            GroupState state = describeGroup(admin, client, group)
                    .map(ConsumerGroupDescription::groupState)
                    .orElse(GroupState.DEAD);
            if (execute && state != GroupState.EMPTY && state != GroupState.DEAD) {
                throw new CliException("the offsets of group " + group + " can only be reset while it has no active"
                        + " members; its state is " + state);
            }
            Map<TopicPartition, OffsetAndMetadata> committed = committed(admin, client, group);
            List<TopicPartition> partitions = scope.topic != null
                    ? Kafka.partitionsOf(Kafka.describeTopic(admin, client, scope.topic))
                    : new ArrayList<>(committed.keySet());
            if (partitions.isEmpty()) {
                throw new CliException("group " + group + " has no committed offsets to reset; name a --topic");
            }
            Map<TopicPartition, Long> earliest =
                    Kafka.offsets(admin, partitions, OffsetSpec.earliest(), client, "list the log start offsets");
            Map<TopicPartition, Long> latest =
                    Kafka.offsets(admin, partitions, OffsetSpec.latest(), client, "list the end offsets");
            Map<TopicPartition, Long> byTime = timeMs == null
                    ? Map.of()
                    : Kafka.offsets(
                            admin, partitions, OffsetSpec.forTimestamp(timeMs), client, "look up offsets by time");
            Map<TopicPartition, Long> plan = new TreeMap<>(
                    Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
            for (TopicPartition tp : partitions) {
                long low = earliest.get(tp);
                long high = latest.get(tp);
                long to;
                if (target.earliest) {
                    to = low;
                } else if (target.latest) {
                    to = high;
                } else if (target.offset != null) {
                    to = Math.max(low, Math.min(high, target.offset));
                } else {
                    long found = byTime.getOrDefault(tp, -1L);
                    to = found < 0 ? high : found;
                }
                plan.put(tp, to);
            }
            Text.Table table = new Text.Table("TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET");
            plan.forEach((tp, to) -> {
                OffsetAndMetadata c = committed.get(tp);
                table.row(tp.topic(), tp.partition(), c == null ? "-" : c.offset(), to);
            });
            PrintWriter out = spec.commandLine().getOut();
            table.print(out);
            if (!execute) {
                out.println("(dry run: nothing changed; add --execute to apply)");
                return StrataCli.OK;
            }
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            plan.forEach((tp, to) -> offsets.put(tp, new OffsetAndMetadata(to)));
            Kafka.await(admin.alterConsumerGroupOffsets(group, offsets).all(), client, "reset the offsets of " + group);
            out.println("Reset the offsets of group " + group + " on " + plan.size() + " partitions.");
        }
        return StrataCli.OK;
    }

    @Command(name = "delete", description = "Deletes a group that has no active members, with its offsets.")
    int delete(
            @Mixin ClientOptions client,
            @Option(names = "--group", required = true, paramLabel = "GROUP") String group) {
        try (Admin admin = client.admin()) {
            try {
                Kafka.await(admin.deleteConsumerGroups(List.of(group)).all(), client, "delete group " + group);
            } catch (CliException e) {
                if (e.getCause() instanceof GroupIdNotFoundException) {
                    throw new CliException("group " + group + " does not exist");
                }
                if (e.getCause() instanceof GroupNotEmptyException) {
                    throw new CliException("group " + group + " has active members; stop them first");
                }
                throw e;
            }
        }
        spec.commandLine().getOut().println("Deleted group " + group + ".");
        return StrataCli.OK;
    }

    /** The group, empty when the coordinator does not know it (GROUP_ID_NOT_FOUND). */
    private static Optional<ConsumerGroupDescription> describeGroup(Admin admin, ClientOptions client, String group) {
        try {
            return Optional.of(
                    Kafka.await(admin.describeConsumerGroups(List.of(group)).all(), client, "describe group " + group)
                            .get(group));
        } catch (CliException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin, ClientOptions client, String group) {
        Map<TopicPartition, OffsetAndMetadata> offsets = Kafka.await(
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(),
                client,
                "list the offsets of group " + group);
        Map<TopicPartition, OffsetAndMetadata> present = new HashMap<>();
        offsets.forEach((tp, o) -> {
            if (o != null) {
                present.put(tp, o);
            }
        });
        return present;
    }
}
