package dev.strata.broker.it;

import static dev.strata.broker.it.GroupMemberThread.awaitBalanced;
import static dev.strata.broker.it.GroupMemberThread.classicMember;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListConsumerGroupsOptions;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves the consumer group administration APIs (ListGroups, DescribeGroups, OffsetFetch, OffsetCommit, OffsetDelete,
 * DeleteGroups) with the real kafka-clients 4.x Admin against classic groups whose members are real consumers:
 * listing with a state filter, describing members with their assignments, the state and the coordinator, reading,
 * setting (on an empty group only: UNKNOWN_MEMBER_ID while it has members) and deleting committed offsets
 * (GROUP_SUBSCRIBED_TO_TOPIC for a topic a member is subscribed to), and deleting groups (NON_EMPTY_GROUP while it has
 * members, GROUP_ID_NOT_FOUND once deleted).
 */
class GroupAdminIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "group.initial.rebalance.delay.ms", "0",
            "group.min.session.timeout.ms", "1000",
            "auto.create.topics.enable", "false"));

    private static Admin admin;
    private final List<GroupMemberThread> members = new ArrayList<>();

    @BeforeAll
    static void connect() {
        admin = broker.admin();
    }

    @AfterAll
    static void disconnect() {
        admin.close();
    }

    @AfterEach
    void closeMembers() {
        for (GroupMemberThread m : members) {
            m.close();
        }
    }

    @Test
    @SuppressWarnings({"deprecation", "removal"
    }) // listConsumerGroups is what many tools still call; listGroups replaces it
    void listConsumerGroupsReportsEveryGroupWithItsStateAndFiltersByState() throws Exception {
        broker.createTopic("list", 2, Map.of());
        member("list-active", "a", Map.of(), "list").awaitAssignment();
        admin.alterConsumerGroupOffsets("list-empty", Map.of(new TopicPartition("list", 0), new OffsetAndMetadata(0)))
                .all()
                .get();

        Map<String, ConsumerGroupListing> all =
                byKey(admin.listConsumerGroups().all().get(), ConsumerGroupListing::groupId);
        assertThat(all).containsKeys("list-active", "list-empty");
        assertThat(all.get("list-active").groupState()).contains(GroupState.STABLE);
        assertThat(all.get("list-active").isSimpleConsumerGroup()).isFalse();
        assertThat(all.get("list-empty").groupState()).contains(GroupState.EMPTY);
        assertThat(all.get("list-empty").isSimpleConsumerGroup())
                .as("a group that only ever had offsets committed to it has no protocol type")
                .isTrue();

        Collection<ConsumerGroupListing> stable = admin.listConsumerGroups(
                        new ListConsumerGroupsOptions().inGroupStates(Set.of(GroupState.STABLE)))
                .all()
                .get();
        assertThat(byKey(stable, ConsumerGroupListing::groupId))
                .containsKey("list-active")
                .doesNotContainKey("list-empty");
        Collection<ConsumerGroupListing> empty = admin.listConsumerGroups(
                        new ListConsumerGroupsOptions().inGroupStates(Set.of(GroupState.EMPTY)))
                .all()
                .get();
        assertThat(byKey(empty, ConsumerGroupListing::groupId))
                .containsKey("list-empty")
                .doesNotContainKey("list-active");

        Map<String, GroupListing> listed = byKey(
                admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get(), GroupListing::groupId);
        assertThat(listed).containsKeys("list-active", "list-empty");
        assertThat(listed.get("list-active").type()).contains(GroupType.CLASSIC);
        assertThat(listed.get("list-active").protocol()).isEqualTo("consumer");
    }

    @Test
    void describeConsumerGroupsShowsTheMembersTheirAssignmentsTheStateAndTheCoordinator() throws Exception {
        broker.createTopic("describe", 4, Map.of());
        Map<String, Object> range =
                Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        GroupMemberThread dynamic = member("describe", "dynamic", range, "describe");
        GroupMemberThread fixed = member(
                "describe",
                "static",
                Map.of(
                        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        RangeAssignor.class.getName(),
                        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
                        "instance-1"),
                "describe");
        awaitBalanced(TIMEOUT, ProduceConsumeIT.partitions("describe", 4), dynamic, fixed);

        ConsumerGroupDescription description =
                admin.describeConsumerGroups(List.of("describe")).all().get().get("describe");

        assertThat(description.groupId()).isEqualTo("describe");
        assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
        assertThat(description.type()).isEqualTo(GroupType.CLASSIC);
        assertThat(description.isSimpleConsumerGroup()).isFalse();
        assertThat(description.partitionAssignor()).isEqualTo("range");
        assertThat(description.coordinator().id()).isEqualTo(1);
        assertThat(description.coordinator().port()).isEqualTo(broker.port());
        // Compared as a whole, so that one run shows every field the broker gets wrong.
        Map<String, DescribedMember> described = description.members().stream()
                .collect(Collectors.toMap(MemberDescription::consumerId, DescribedMember::of));
        assertThat(described)
                .as("members by member id")
                .isEqualTo(Map.of(
                        dynamic.memberId(),
                        new DescribedMember("describe-dynamic", "/127.0.0.1", Optional.empty(), dynamic.assignment()),
                        fixed.memberId(),
                        new DescribedMember(
                                "describe-static", "/127.0.0.1", Optional.of("instance-1"), fixed.assignment())));
    }

    /** What DescribeGroups tells about one member. */
    private record DescribedMember(
            String clientId, String host, Optional<String> groupInstanceId, Set<TopicPartition> assignment) {
        static DescribedMember of(MemberDescription m) {
            return new DescribedMember(
                    m.clientId(), m.host(), m.groupInstanceId(), m.assignment().topicPartitions());
        }
    }

    @Test
    void listConsumerGroupOffsetsReturnsTheCommittedOffsetsWithTheirMetadata() throws Exception {
        broker.createTopic("offsets", 3, Map.of());
        produce("offsets", 3, 10);
        TopicPartition p0 = new TopicPartition("offsets", 0);
        TopicPartition p1 = new TopicPartition("offsets", 1);
        Map<TopicPartition, OffsetAndMetadata> commits = Map.of(
                p0, new OffsetAndMetadata(4, Optional.of(0), "four"),
                p1, new OffsetAndMetadata(9, Optional.empty(), ""));
        try (KafkaConsumer<String, String> consumer = broker.consumer(classicMember("offsets", "offsets-committer"))) {
            consumer.subscribe(List.of("offsets"));
            Await.records(consumer, 30, TIMEOUT);
            consumer.commitSync(commits);
        }

        assertThat(admin.listConsumerGroupOffsets("offsets")
                        .partitionsToOffsetAndMetadata()
                        .get())
                .as("all committed offsets of the group")
                .isEqualTo(commits);
        assertThat(admin.listConsumerGroupOffsets(
                                Map.of("offsets", new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(p1))))
                        .partitionsToOffsetAndMetadata("offsets")
                        .get())
                .as("the committed offset of one partition")
                .isEqualTo(Map.of(p1, commits.get(p1)));
        assertThat(admin.listConsumerGroupOffsets("never-seen")
                        .partitionsToOffsetAndMetadata()
                        .get())
                .as("offsets of a group that does not exist")
                .isEmpty();
    }

    @Test
    void alterConsumerGroupOffsetsOnAnEmptyGroupSetsWhereANewMemberStartsAndIsRefusedWhileTheGroupHasMembers()
            throws Exception {
        broker.createTopic("alter", 2, Map.of());
        produce("alter", 2, 40);
        TopicPartition p0 = new TopicPartition("alter", 0);
        TopicPartition p1 = new TopicPartition("alter", 1);

        admin.alterConsumerGroupOffsets(
                        "alter", Map.of(p0, new OffsetAndMetadata(30, "set by admin"), p1, new OffsetAndMetadata(10)))
                .all()
                .get();
        assertThat(admin.listConsumerGroupOffsets("alter")
                        .partitionsToOffsetAndMetadata()
                        .get())
                .isEqualTo(Map.of(p0, new OffsetAndMetadata(30, "set by admin"), p1, new OffsetAndMetadata(10)));

        GroupMemberThread member = member("alter", "a", Map.of(), "alter");
        Await.until(TIMEOUT, "40 records consumed", () -> member.records().size() >= 40);
        assertThat(offsetsOf(member.records(), p0)).containsExactlyElementsOf(ProduceConsumeIT.range(30, 40));
        assertThat(offsetsOf(member.records(), p1)).containsExactlyElementsOf(ProduceConsumeIT.range(10, 40));

        assertThat(failure(admin.alterConsumerGroupOffsets("alter", Map.of(p0, new OffsetAndMetadata(0)))
                        .partitionResult(p0)))
                .as("alterConsumerGroupOffsets while the group has a member")
                .isInstanceOf(UnknownMemberIdException.class);
    }

    @Test
    void deleteConsumerGroupOffsetsRemovesOffsetsExceptOfTopicsAMemberIsSubscribedTo() throws Exception {
        broker.createTopic("subscribed", 1, Map.of());
        broker.createTopic("unsubscribed", 1, Map.of());
        TopicPartition subscribed = new TopicPartition("subscribed", 0);
        TopicPartition unsubscribed = new TopicPartition("unsubscribed", 0);
        admin.alterConsumerGroupOffsets(
                        "delete-offsets",
                        Map.of(subscribed, new OffsetAndMetadata(0), unsubscribed, new OffsetAndMetadata(0)))
                .all()
                .get();
        GroupMemberThread member =
                member("delete-offsets", "a", Map.of(), "subscribed").awaitAssignment();

        admin.deleteConsumerGroupOffsets("delete-offsets", Set.of(unsubscribed))
                .all()
                .get();
        assertThat(failure(admin.deleteConsumerGroupOffsets("delete-offsets", Set.of(subscribed))
                        .partitionResult(subscribed)))
                .as("deleting the offset of a topic the member is subscribed to")
                .isInstanceOf(GroupSubscribedToTopicException.class);
        assertThat(committedPartitions("delete-offsets")).containsExactly(subscribed);

        member.close();
        admin.deleteConsumerGroupOffsets("delete-offsets", Set.of(subscribed))
                .all()
                .get();
        assertThat(committedPartitions("delete-offsets")).isEmpty();
    }

    @Test
    void deleteConsumerGroupsRefusesAGroupWithMembersDeletesAnEmptyOneAndThenReportsItNotFound() throws Exception {
        broker.createTopic("delete-group", 2, Map.of());
        produce("delete-group", 2, 5);
        GroupMemberThread member = member("doomed", "a", Map.of(), "delete-group");
        Await.until(TIMEOUT, "10 records consumed", () -> member.records().size() >= 10);

        assertThat(failure(admin.deleteConsumerGroups(List.of("doomed")).all()))
                .as("deleting a group that has a member")
                .isInstanceOf(GroupNotEmptyException.class);

        member.close();
        assertThat(admin.describeConsumerGroups(List.of("doomed"))
                        .all()
                        .get()
                        .get("doomed")
                        .groupState())
                .isEqualTo(GroupState.EMPTY);
        admin.deleteConsumerGroups(List.of("doomed")).all().get();

        assertThat(groupIds(admin.listGroups(ListGroupsOptions.forConsumerGroups())
                        .all()
                        .get()))
                .doesNotContain("doomed");
        assertThat(committedPartitions("doomed"))
                .as("offsets of the deleted group")
                .isEmpty();
        assertThat(failure(admin.deleteConsumerGroups(List.of("doomed")).all()))
                .as("deleting the group again")
                .isInstanceOf(GroupIdNotFoundException.class);
    }

    private GroupMemberThread member(String groupId, String name, Map<String, Object> overrides, String topic) {
        Map<String, Object> config = classicMember(groupId, groupId + "-" + name);
        config.putAll(overrides);
        GroupMemberThread m = GroupMemberThread.start(name, broker.consumer(config), List.of(topic));
        members.add(m);
        return m;
    }

    private static Set<TopicPartition> committedPartitions(String groupId) throws Exception {
        return admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata()
                .get()
                .keySet();
    }

    private static void produce(String topic, int partitions, int perPartition) {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = 0; i < perPartition; i++) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(new ProducerRecord<>(topic, p, "k" + i, "p" + p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    /** The exception {@code future} failed with; fails the test if it succeeded. */
    private static Throwable failure(KafkaFuture<?> future) throws InterruptedException {
        try {
            future.get();
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected the request to fail, but it succeeded");
    }

    private static <T> Map<String, T> byKey(Collection<T> items, Function<T, String> key) {
        return items.stream().collect(Collectors.toMap(key, Function.identity()));
    }

    private static Set<String> groupIds(Collection<GroupListing> listings) {
        return byKey(listings, GroupListing::groupId).keySet();
    }

    private static List<Long> offsetsOf(List<ConsumerRecord<String, String>> records, TopicPartition tp) {
        return records.stream()
                .filter(r -> r.topic().equals(tp.topic()) && r.partition() == tp.partition())
                .map(ConsumerRecord::offset)
                .toList();
    }
}
