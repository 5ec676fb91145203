package dev.strata.broker.it;

import static dev.strata.broker.it.GroupMemberThread.awaitBalanced;
import static dev.strata.broker.it.GroupMemberThread.classicMember;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.it.GroupMemberThread.RebalanceEvent;
import dev.strata.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves the classic consumer group protocol (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch) with real kafka-clients 4.x consumers that {@code subscribe()} with
 * {@code group.protocol=classic}, each polling on its own thread:
 *
 * <ul>
 *   <li>three members share six partitions, each partition owned by exactly one member, and in a stable group every
 *       record is consumed exactly once;
 *   <li>a member that leaves (LeaveGroup on close), hangs past {@code max.poll.interval.ms}, or dies without a word
 *       (its session times out on the broker) loses its partitions to the others, who resume at the committed offsets
 *       with nothing missed;
 *   <li>a member that is slow to rejoin a rebalance but keeps heartbeating stays in the group past its session timeout,
 *       up to its rebalance timeout ({@code max.poll.interval.ms}), as in Kafka;
 *   <li>cooperative-sticky revokes only the partitions that move when a second member joins;
 *   <li>the broker selects the assignor all members support, and range, roundrobin and sticky each assign everything;
 *   <li>a static member ({@code group.instance.id}), leader or follower, that restarts within its session gets its
 *       partitions back and the other members see no rebalance;
 *   <li>committed offsets, with their metadata and leader epoch, survive a broker restart.
 * </ul>
 */
class ConsumerGroupIT {

    private static final Duration REBALANCE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONSUME_TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final TestBroker broker = TestBroker.withConfig(Map.of(
            "group.initial.rebalance.delay.ms", "0",
            "group.min.session.timeout.ms", "1000",
            "auto.create.topics.enable", "false"));

    private final List<GroupMemberThread> members = new ArrayList<>();

    @AfterEach
    void closeMembers() {
        for (GroupMemberThread m : members) {
            m.close();
        }
    }

    @Test
    void threeMembersShareSixPartitionsAndConsumeEveryRecordExactlyOnce() {
        String topic = "share";
        broker.createTopic(topic, 6, Map.of());
        List<TopicPartition> partitions = ProduceConsumeIT.partitions(topic, 6);
        GroupMemberThread a = member("share", "a", Map.of(), topic);
        GroupMemberThread b = member("share", "b", Map.of(), topic);
        GroupMemberThread c = member("share", "c", Map.of(), topic);
        awaitBalanced(REBALANCE_TIMEOUT, partitions, a, b, c);
        Map<String, Integer> eventsWhenStable = eventCounts(a, b, c);

        produce(topic, 6, 0, 100);
        Map<String, Integer> counts = awaitValues(600, a, b, c);

        assertThat(counts)
                .as("times each value was consumed")
                .allSatisfy((value, n) -> assertThat(n).as(value).isEqualTo(1));
        for (GroupMemberThread m : List.of(a, b, c)) {
            assertThat(m.assignment()).as("partitions of %s", m.name()).hasSize(2);
            assertThat(m.records())
                    .as("records consumed by %s come from its own partitions", m.name())
                    .allSatisfy(r -> assertThat(m.assignment()).contains(partitionOf(r)));
            assertThat(m.commitFailures())
                    .as("commits refused for %s", m.name())
                    .isEmpty();
        }
        assertThat(eventCounts(a, b, c))
                .as("rebalance callbacks since the group was stable")
                .isEqualTo(eventsWhenStable);
        awaitCommitted("share", partitions, 100);
    }

    @Test
    void aMemberThatClosesLeavesTheGroupAndTheOthersResumeItsPartitionsAtTheCommittedOffsets() {
        String topic = "leave";
        GroupMemberThread[] group = threeMembersConsumedFirstBatch(topic, "leave", Map.of());
        GroupMemberThread leaver = group[2];
        Set<TopicPartition> moved = leaver.assignment();

        leaver.close();
        awaitBalanced(REBALANCE_TIMEOUT, ProduceConsumeIT.partitions(topic, 6), group[0], group[1]);

        assertSecondBatchConsumedOnceFromCommittedOffsets(topic, moved, group[0], group[1], leaver);
    }

    @Test
    void aMemberThatStopsPollingIsRemovedAfterMaxPollIntervalAndItsPartitionsMove() {
        String topic = "hang";
        GroupMemberThread[] group = threeMembersConsumedFirstBatch(
                topic,
                "hang",
                Map.of(
                        ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 5_000,
                        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000));
        GroupMemberThread hung = group[2];
        Set<TopicPartition> moved = hung.assignment();

        hung.stopPolling();
        awaitBalanced(REBALANCE_TIMEOUT, ProduceConsumeIT.partitions(topic, 6), group[0], group[1]);

        assertSecondBatchConsumedOnceFromCommittedOffsets(topic, moved, group[0], group[1], hung);
    }

    @Test
    void aMemberWhoseSessionTimesOutIsRemovedByTheBrokerAndItsPartitionsMove() {
        String topic = "crash";
        int sessionTimeoutMs = 6_000;
        GroupMemberThread[] group = threeMembersConsumedFirstBatch(
                topic,
                "crash",
                Map.of(
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                        sessionTimeoutMs,
                        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                        1_000));
        GroupMemberThread crashed = group[2];
        Set<TopicPartition> moved = crashed.assignment();

        long crashedAt = System.nanoTime();
        crashed.crash(); // no LeaveGroup, no more heartbeats: only the broker's session timer can remove it
        awaitBalanced(REBALANCE_TIMEOUT, ProduceConsumeIT.partitions(topic, 6), group[0], group[1]);
        Duration untilMoved = Duration.ofNanos(System.nanoTime() - crashedAt);

        assertThat(untilMoved)
                .as("time until the crashed member's partitions moved (its last heartbeat was at most 1 s before)")
                .isGreaterThanOrEqualTo(Duration.ofMillis(sessionTimeoutMs - 2_000));
        assertSecondBatchConsumedOnceFromCommittedOffsets(topic, moved, group[0], group[1], crashed);
    }

    @Test
    void aSlowMemberThatKeepsHeartbeatingKeepsItsPlaceWhileARebalanceWaitsForIt() {
        String topic = "slow";
        broker.createTopic(topic, 2, Map.of());
        List<TopicPartition> partitions = ProduceConsumeIT.partitions(topic, 2);
        int sessionTimeoutMs = 6_000;
        Map<String, Object> config = classicMember("slow", "slow-a");
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 20_000); // the rebalance timeout
        try (KafkaConsumer<String, String> slow = broker.consumer(config);
                Admin admin = broker.admin()) {
            List<String> lost = new ArrayList<>();
            slow.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {}

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> assigned) {}

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitionsLost) {
                    lost.add(partitionsLost.toString());
                }
            });
            Await.until(REBALANCE_TIMEOUT, "the slow member to own both partitions", () -> {
                slow.poll(Duration.ofMillis(100));
                return slow.assignment().size() == 2;
            });
            String slowId = slow.groupMetadata().memberId();
            int generation = slow.groupMetadata().generationId();

            // a second member starts a rebalance while the slow one "processes" its last poll for longer than its
            // session, heartbeating all along (the consumer's heartbeat thread) but not rejoining
            GroupMemberThread other = member("slow", "b", Map.of(), topic);
            Await.until(REBALANCE_TIMEOUT, "the rebalance to start", () -> groupState(admin, "slow")
                    .equals(GroupState.PREPARING_REBALANCE));
            long rebalanceSeen = System.nanoTime();
            Await.until(Duration.ofSeconds(20), "twice the session timeout into the rebalance", () -> {
                assertThat(memberIds(admin, "slow"))
                        .as("members while the slow one has not rejoined yet")
                        .contains(slowId);
                return System.nanoTime() - rebalanceSeen
                        > Duration.ofMillis(2L * sessionTimeoutMs).toNanos();
            });

            Await.until(REBALANCE_TIMEOUT, "the slow member to rejoin", () -> {
                slow.poll(Duration.ofMillis(100));
                return slow.assignment().size() == 1 && other.assignment().size() == 1;
            });
            assertThat(slow.groupMetadata().memberId())
                    .as("the slow member's id")
                    .isEqualTo(slowId);
            assertThat(slow.groupMetadata().generationId())
                    .as("generation: one rebalance, not a second for a member removed and joining again")
                    .isEqualTo(generation + 1);
            assertThat(lost).as("partitions lost by the slow member").isEmpty();
            assertThat(Set.of(slow.assignment(), other.assignment()))
                    .as("the two members' partitions")
                    .containsExactlyInAnyOrder(Set.of(partitions.get(0)), Set.of(partitions.get(1)));
        }
    }

    private static ConsumerGroupDescription describe(Admin admin, String groupId) {
        try {
            return admin.describeConsumerGroups(List.of(groupId)).all().get().get(groupId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("DescribeGroups " + groupId, e);
        }
    }

    private static GroupState groupState(Admin admin, String groupId) {
        return describe(admin, groupId).groupState();
    }

    private static Set<String> memberIds(Admin admin, String groupId) {
        return describe(admin, groupId).members().stream()
                .map(MemberDescription::consumerId)
                .collect(Collectors.toSet());
    }

    @Test
    void cooperativeStickyRevokesOnlyThePartitionsThatMoveWhenASecondMemberJoins() {
        String topic = "cooperative";
        broker.createTopic(topic, 6, Map.of());
        List<TopicPartition> partitions = ProduceConsumeIT.partitions(topic, 6);
        Map<String, Object> cooperative =
                Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        GroupMemberThread first = member("cooperative", "first", cooperative, topic);
        awaitBalanced(REBALANCE_TIMEOUT, partitions, first);
        int firstEventsBefore = first.events().size();

        GroupMemberThread second = member("cooperative", "second", cooperative, topic);
        awaitBalanced(REBALANCE_TIMEOUT, partitions, first, second);

        Set<TopicPartition> kept = first.assignment();
        Set<TopicPartition> given = second.assignment();
        assertThat(kept).hasSize(3);
        assertThat(given).hasSize(3);
        List<RebalanceEvent> firstEvents =
                first.events().subList(firstEventsBefore, first.events().size());
        Set<TopicPartition> revoked = partitionsOf(firstEvents, RebalanceEvent.Kind.REVOKED);
        assertThat(revoked)
                .as("partitions revoked from the first member; its events: %s", firstEvents)
                .isEqualTo(given);
        assertThat(partitionsOf(firstEvents, RebalanceEvent.Kind.ASSIGNED))
                .as("partitions newly assigned to the first member")
                .isEmpty();
        assertThat(partitionsOf(firstEvents, RebalanceEvent.Kind.LOST)).isEmpty();
        assertThat(second.events())
                .as("the second member is never handed a partition the first still owns")
                .allSatisfy(e -> assertThat(e.partitions()).doesNotContainAnyElementsOf(kept));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(classes = {RangeAssignor.class, RoundRobinAssignor.class, StickyAssignor.class})
    void eachEagerAssignorAssignsEveryPartitionOfEverySubscribedTopic(Class<?> assignor) {
        String name = assignor.getSimpleName().toLowerCase(Locale.ROOT);
        String topicA = name + "-a";
        String topicB = name + "-b";
        broker.createTopic(topicA, 3, Map.of());
        broker.createTopic(topicB, 3, Map.of());
        Map<String, Object> strategy = Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getName());
        GroupMemberThread m1 = member(name, "m1", strategy, topicA, topicB);
        GroupMemberThread m2 = member(name, "m2", strategy, topicA, topicB);

        awaitBalanced(REBALANCE_TIMEOUT, twoTopics(topicA, topicB), m1, m2);

        Set<Set<TopicPartition>> assignments = Set.of(m1.assignment(), m2.assignment());
        if (assignor == RangeAssignor.class) {
            // range works per topic: the first member (by member id) gets partitions 0 and 1 of each topic
            assertThat(assignments)
                    .containsExactlyInAnyOrder(
                            Set.of(tp(topicA, 0), tp(topicA, 1), tp(topicB, 0), tp(topicB, 1)),
                            Set.of(tp(topicA, 2), tp(topicB, 2)));
        } else if (assignor == RoundRobinAssignor.class) {
            // roundrobin deals a-0, a-1, a-2, b-0, b-1, b-2 to the members in turn
            assertThat(assignments)
                    .containsExactlyInAnyOrder(
                            Set.of(tp(topicA, 0), tp(topicA, 2), tp(topicB, 1)),
                            Set.of(tp(topicA, 1), tp(topicB, 0), tp(topicB, 2)));
        } else {
            assertThat(m1.assignment()).hasSize(3);
            assertThat(m2.assignment()).hasSize(3);
        }
    }

    @Test
    void theGroupUsesTheAssignorThatEveryMemberSupports() {
        String topicA = "select-a";
        String topicB = "select-b";
        broker.createTopic(topicA, 3, Map.of());
        broker.createTopic(topicB, 3, Map.of());
        // The first member prefers range, but only roundrobin is common to both.
        GroupMemberThread m1 = member(
                "select",
                "m1",
                Map.of(
                        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        RangeAssignor.class.getName() + "," + RoundRobinAssignor.class.getName()),
                topicA,
                topicB);
        m1.awaitAssignment();
        GroupMemberThread m2 = member(
                "select",
                "m2",
                Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RoundRobinAssignor.class.getName()),
                topicA,
                topicB);

        awaitBalanced(REBALANCE_TIMEOUT, twoTopics(topicA, topicB), m1, m2);

        assertThat(Set.of(m1.assignment(), m2.assignment()))
                .as("a roundrobin assignment (range would give one member 4 partitions)")
                .containsExactlyInAnyOrder(
                        Set.of(tp(topicA, 0), tp(topicA, 2), tp(topicB, 1)),
                        Set.of(tp(topicA, 1), tp(topicB, 0), tp(topicB, 2)));
    }

    @Test
    void aRestartedStaticLeaderGetsItsPartitionsBackWithoutARebalanceOfTheOtherMembers() {
        GroupMemberThread[] group = staticGroup("static-leader");
        GroupMemberThread restarted = restartStaticMember("static-leader", group[0], group[1], group[2]);
        assertEachConsumesItsOwnPartitions("static-leader", restarted, group[1], group[2]);
    }

    @Test
    void aRestartedStaticFollowerGetsItsPartitionsBackWithoutARebalanceOfTheOtherMembers() {
        GroupMemberThread[] group = staticGroup("static-follower");
        // The second member, like most members of a long-lived group, has rejoined in a rebalance since it first
        // joined.
        GroupMemberThread restarted = restartStaticMember("static-follower", group[1], group[0], group[2]);
        assertEachConsumesItsOwnPartitions("static-follower", group[0], restarted, group[2]);
    }

    @Test
    void committedOffsetsWithMetadataSurviveABrokerRestartAndANewMemberResumesThere() throws Exception {
        String topic = "durable";
        broker.createTopic(topic, 2, Map.of());
        produce(topic, 2, 0, 20);
        TopicPartition p0 = tp(topic, 0);
        TopicPartition p1 = tp(topic, 1);
        Map<TopicPartition, OffsetAndMetadata> commits = Map.of(
                p0, new OffsetAndMetadata(7, Optional.of(0), "checkpoint-0"),
                p1, new OffsetAndMetadata(13, Optional.empty(), "checkpoint-1"));
        try (KafkaConsumer<String, String> consumer = broker.consumer(classicMember("durable", "before"))) {
            consumer.subscribe(List.of(topic));
            Await.records(consumer, 40, CONSUME_TIMEOUT);
            consumer.commitSync(commits);
        }

        broker.restart();

        try (KafkaConsumer<String, String> consumer = broker.consumer(classicMember("durable", "after"))) {
            assertThat(consumer.committed(Set.of(p0, p1)))
                    .as("committed offsets after the restart")
                    .isEqualTo(commits);
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = Await.records(consumer, 20, CONSUME_TIMEOUT);
            assertThat(offsetsOf(records, p0)).containsExactlyElementsOf(ProduceConsumeIT.range(7, 20));
            assertThat(offsetsOf(records, p1)).containsExactlyElementsOf(ProduceConsumeIT.range(13, 20));
        }
    }

    /**
     * Starts three static members of group {@code groupId} (also the topic's name, 6 partitions) one after the other:
     * the first is the group's leader, the first and the second rejoin in the rebalances their successors cause.
     * Returns them in that order once the group is balanced.
     */
    private GroupMemberThread[] staticGroup(String groupId) {
        broker.createTopic(groupId, 6, Map.of());
        List<TopicPartition> partitions = ProduceConsumeIT.partitions(groupId, 6);
        GroupMemberThread first = staticMember(groupId, "first");
        awaitBalanced(REBALANCE_TIMEOUT, partitions, first);
        GroupMemberThread second = staticMember(groupId, "second");
        awaitBalanced(REBALANCE_TIMEOUT, partitions, first, second);
        GroupMemberThread third = staticMember(groupId, "third");
        awaitBalanced(REBALANCE_TIMEOUT, partitions, first, second, third);
        return new GroupMemberThread[] {first, second, third};
    }

    /**
     * Closes the static {@code member} (which sends no LeaveGroup), starts a new consumer with the same
     * {@code group.instance.id}, and checks that it gets the same partitions while the {@code others} keep heartbeating
     * through it all without a single rebalance callback.
     */
    private GroupMemberThread restartStaticMember(
            String groupId, GroupMemberThread member, GroupMemberThread... others) {
        Set<TopicPartition> before = member.assignment();
        Map<String, List<RebalanceEvent>> othersEvents =
                Stream.of(others).collect(Collectors.toMap(GroupMemberThread::name, GroupMemberThread::events));
        Map<String, Set<TopicPartition>> othersAssignments =
                Stream.of(others).collect(Collectors.toMap(GroupMemberThread::name, GroupMemberThread::assignment));
        String memberIdBefore = member.memberId();

        member.close();
        GroupMemberThread restarted = staticMember(groupId, member.name()).awaitAssignment();
        for (GroupMemberThread other : others) {
            long heartbeatsAfterRejoin = other.heartbeats();
            Await.until(
                    REBALANCE_TIMEOUT,
                    other.name() + " to heartbeat 4 more times after " + member.name() + " rejoined",
                    () -> other.heartbeats() >= heartbeatsAfterRejoin + 4);
        }

        assertThat(Stream.of(others).collect(Collectors.toMap(GroupMemberThread::name, GroupMemberThread::events)))
                .as("rebalance callbacks of the other members while %s restarted", member.name())
                .isEqualTo(othersEvents);
        assertThat(Stream.of(others).collect(Collectors.toMap(GroupMemberThread::name, GroupMemberThread::assignment)))
                .isEqualTo(othersAssignments);
        assertThat(restarted.assignment())
                .as("partitions of the restarted static member %s", member.name())
                .isEqualTo(before);
        assertThat(restarted.memberId())
                .as("a new member id for the new consumer instance")
                .isNotEqualTo(memberIdBefore);
        return restarted;
    }

    private void assertEachConsumesItsOwnPartitions(String topic, GroupMemberThread... group) {
        produce(topic, 6, 0, 10);
        awaitValues(60, group);
        for (GroupMemberThread m : group) {
            assertThat(m.records())
                    .as("records consumed by %s come from its own partitions", m.name())
                    .allSatisfy(r -> assertThat(m.assignment()).contains(partitionOf(r)));
        }
    }

    /**
     * Starts three members of {@code groupId} on a new 6-partition topic, the third with {@code thirdOverrides}, and
     * returns them once they have consumed and committed a first batch of 50 records per partition.
     */
    private GroupMemberThread[] threeMembersConsumedFirstBatch(
            String topic, String groupId, Map<String, Object> thirdOverrides) {
        broker.createTopic(topic, 6, Map.of());
        List<TopicPartition> partitions = ProduceConsumeIT.partitions(topic, 6);
        GroupMemberThread a = member(groupId, "a", Map.of(), topic);
        GroupMemberThread b = member(groupId, "b", Map.of(), topic);
        GroupMemberThread c = member(groupId, "c", thirdOverrides, topic);
        awaitBalanced(REBALANCE_TIMEOUT, partitions, a, b, c);
        produce(topic, 6, 0, 50);
        awaitValues(300, a, b, c);
        awaitCommitted(groupId, partitions, 50);
        return new GroupMemberThread[] {a, b, c};
    }

    /**
     * Produces a second batch of 50 records per partition and checks that the survivors consume it completely, each
     * record once, and that on every partition that moved from {@code gone} they start at offset 50, right after what
     * {@code gone} had committed.
     */
    private void assertSecondBatchConsumedOnceFromCommittedOffsets(
            String topic, Set<TopicPartition> moved, GroupMemberThread a, GroupMemberThread b, GroupMemberThread gone) {
        assertThat(moved).isNotEmpty();
        int goneConsumed = gone.records().size();
        produce(topic, 6, 50, 100);

        Map<String, Integer> counts = awaitValues(600, a, b, gone);

        assertThat(counts)
                .as("times each value was consumed")
                .allSatisfy((value, n) -> assertThat(n).as(value).isEqualTo(1));
        assertThat(gone.records())
                .as("records consumed by %s after it was gone", gone.name())
                .hasSize(goneConsumed);
        for (TopicPartition tp : moved) {
            Optional<Long> firstAfterMove = Stream.concat(a.records().stream(), b.records().stream())
                    .filter(r -> partitionOf(r).equals(tp))
                    .map(ConsumerRecord::offset)
                    .min(Long::compare);
            assertThat(firstAfterMove)
                    .as("first offset of %s read by its new owner", tp)
                    .contains(50L);
        }
    }

    private GroupMemberThread member(String groupId, String name, Map<String, Object> overrides, String... topics) {
        Map<String, Object> config = classicMember(groupId, groupId + "-" + name);
        config.putAll(overrides);
        GroupMemberThread m = GroupMemberThread.start(name, broker.consumer(config), List.of(topics));
        members.add(m);
        return m;
    }

    /** A static member of {@code groupId} subscribed to the topic of the same name, with a 20 s session. */
    private GroupMemberThread staticMember(String groupId, String name) {
        return member(
                groupId,
                name,
                Map.of(
                        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
                        "instance-" + name,
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                        20_000),
                groupId);
    }

    /** Produces values {@code p<partition>-<i>} for i in [from, to) to each of {@code partitions} partitions. */
    private static void produce(String topic, int partitions, int from, int to) {
        try (KafkaProducer<String, String> producer = broker.producer()) {
            for (int i = from; i < to; i++) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(new ProducerRecord<>(topic, p, "k" + i, "p" + p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    /** Waits until {@code members} have consumed {@code distinct} different values; returns how often each was seen. */
    private static Map<String, Integer> awaitValues(int distinct, GroupMemberThread... members) {
        Function<GroupMemberThread[], Map<String, Integer>> count = ms -> Stream.of(ms)
                .flatMap(m -> m.records().stream())
                .collect(Collectors.toMap(ConsumerRecord::value, r -> 1, Integer::sum));
        Await.until(CONSUME_TIMEOUT, distinct + " distinct values consumed", () -> {
            for (GroupMemberThread m : members) {
                m.checkAlive();
            }
            return count.apply(members).size() >= distinct;
        });
        Map<String, Integer> counts = count.apply(members);
        assertThat(counts).hasSize(distinct);
        return counts;
    }

    /** Waits until the group's committed offset of every partition is {@code offset}, read as a non-member would. */
    private static void awaitCommitted(String groupId, Collection<TopicPartition> partitions, long offset) {
        Map<String, Object> config = classicMember(groupId, groupId + "-observer");
        try (KafkaConsumer<String, String> observer = broker.consumer(config)) {
            Await.until(CONSUME_TIMEOUT, "offset " + offset + " committed on " + partitions, () -> {
                Map<TopicPartition, OffsetAndMetadata> committed = observer.committed(new HashSet<>(partitions));
                return partitions.stream()
                        .allMatch(tp ->
                                committed.get(tp) != null && committed.get(tp).offset() == offset);
            });
        }
    }

    private static Map<String, Integer> eventCounts(GroupMemberThread... members) {
        return Stream.of(members).collect(Collectors.toMap(GroupMemberThread::name, m -> m.events()
                .size()));
    }

    private static Set<TopicPartition> partitionsOf(List<RebalanceEvent> events, RebalanceEvent.Kind kind) {
        return events.stream()
                .filter(e -> e.kind() == kind)
                .flatMap(e -> e.partitions().stream())
                .collect(Collectors.toSet());
    }

    private static List<Long> offsetsOf(List<ConsumerRecord<String, String>> records, TopicPartition tp) {
        return records.stream()
                .filter(r -> partitionOf(r).equals(tp))
                .map(ConsumerRecord::offset)
                .toList();
    }

    private static List<TopicPartition> twoTopics(String topicA, String topicB) {
        return IntStream.range(0, 6)
                .mapToObj(i -> tp(i < 3 ? topicA : topicB, i % 3))
                .toList();
    }

    private static TopicPartition partitionOf(ConsumerRecord<?, ?> r) {
        return new TopicPartition(r.topic(), r.partition());
    }

    private static TopicPartition tp(String topic, int partition) {
        return new TopicPartition(topic, partition);
    }
}
