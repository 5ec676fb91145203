package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.testing.Await;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The classic group protocol as the coordinator runs it, without a network or a log. */
class GroupCoordinatorTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final GroupCoordinator coordinator =
            new GroupCoordinator(new GroupCoordinator.Settings(1_000, 600_000, 0, 10), GroupStore.NONE, timer);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** A JoinGroup v9 from client "c" on host "/h". */
    private static JoinRequest join(String memberId, String instanceId, String... protocols) {
        Map<String, byte[]> ps = new LinkedHashMap<>();
        for (String p : protocols) {
            ps.put(p, p.getBytes());
        }
        return new JoinRequest("g", memberId, instanceId, "consumer", ps, 60_000, 60_000, true, true, "c", "/h");
    }

    /** A new dynamic member: first MEMBER_ID_REQUIRED, then the real join. */
    private CompletableFuture<JoinResult> joinNew(String... protocols) {
        JoinResult first = coordinator.join(join("", null, protocols)).join();
        assertThat(first.error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        return coordinator.join(join(first.memberId(), null, protocols));
    }

    private static SyncRequest syncRequest(String memberId, String instanceId, int generationId) {
        return new SyncRequest("g", memberId, instanceId, generationId, null, null, Map.of());
    }

    private SyncResult sync(JoinResult joined, Map<String, byte[]> assignments) {
        return coordinator
                .sync(new SyncRequest("g", joined.memberId(), null, joined.generationId(), null, null, assignments))
                .join();
    }

    @Test
    void aLoneMemberJoinsLeadsAndGetsItsAssignment() {
        JoinResult joined = joinNew("range").join();
        assertThat(joined.error()).isEqualTo(Errors.NONE);
        assertThat(joined.generationId()).isEqualTo(1);
        assertThat(joined.leaderId()).isEqualTo(joined.memberId());
        assertThat(joined.protocolName()).isEqualTo("range");
        assertThat(joined.members()).hasSize(1);
        SyncResult synced = sync(joined, Map.of(joined.memberId(), new byte[] {42}));
        assertThat(synced.assignment()).containsExactly(42);
        assertThat(coordinator.describe("g").orElseThrow().state()).isEqualTo("Stable");
        assertThat(coordinator.heartbeat("g", joined.memberId(), null, 1)).isEqualTo(Errors.NONE);
        assertThat(coordinator.heartbeat("g", joined.memberId(), null, 7)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(coordinator.heartbeat("g", "stranger", null, 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aSecondMemberTriggersARebalanceThatWaitsForTheFirstToRejoin() {
        JoinResult first = joinNew("range", "roundrobin").join();
        sync(first, Map.of(first.memberId(), new byte[0]));

        CompletableFuture<JoinResult> second = joinNew("roundrobin", "range");
        assertThat(second).isNotDone();
        assertThat(coordinator.heartbeat("g", first.memberId(), null, 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);

        JoinResult firstAgain = coordinator
                .join(join(first.memberId(), null, "range", "roundrobin"))
                .join();
        JoinResult secondJoined = second.join();
        assertThat(firstAgain.generationId()).isEqualTo(2).isEqualTo(secondJoined.generationId());
        assertThat(firstAgain.leaderId()).isEqualTo(first.memberId());
        assertThat(firstAgain.members()).hasSize(2);
        assertThat(secondJoined.members()).isEmpty();
        // one vote each for range and roundrobin: either is a common protocol
        assertThat(firstAgain.protocolName()).isIn("range", "roundrobin");

        CompletableFuture<SyncResult> followerSync = coordinator.sync(syncRequest(secondJoined.memberId(), null, 2));
        assertThat(followerSync).isNotDone();
        sync(firstAgain, Map.of(first.memberId(), new byte[] {1}, secondJoined.memberId(), new byte[] {2}));
        assertThat(followerSync.join().assignment()).containsExactly(2);
    }

    @Test
    void aMemberThatKeepsHeartbeatingIsWaitedForUntilTheRebalanceTimeout() {
        // session 1 s (the minimum here), rebalance timeout 60 s
        JoinResult first = coordinator.join(shortSession("")).join();
        first = coordinator.join(shortSession(first.memberId())).join();
        sync(first, Map.of(first.memberId(), new byte[0]));
        String firstId = first.memberId();

        CompletableFuture<JoinResult> second = joinNew("range");
        long start = System.nanoTime();
        // three session timeouts of heartbeats without rejoining: the member stays, as in Kafka
        Await.until(Duration.ofSeconds(10), "three session timeouts of heartbeats during the rebalance", () -> {
            assertThat(coordinator.heartbeat("g", firstId, null, 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
            return System.nanoTime() - start > Duration.ofSeconds(3).toNanos();
        });
        assertThat(second).isNotDone();

        JoinResult firstAgain = coordinator.join(shortSession(firstId)).join();
        assertThat(firstAgain.error()).isEqualTo(Errors.NONE);
        assertThat(firstAgain.generationId()).isEqualTo(2);
        assertThat(firstAgain.members()).hasSize(2);
        assertThat(second.join().generationId()).isEqualTo(2);
    }

    /** A JoinGroup with a session timeout of 1 s and a rebalance timeout of 60 s. */
    private static JoinRequest shortSession(String memberId) {
        return new JoinRequest(
                "g", memberId, null, "consumer", Map.of("range", new byte[0]), 1_000, 60_000, true, true, "c", "/h");
    }

    @Test
    void aMemberWithNoCommonProtocolIsRejected() {
        joinNew("range").join();
        JoinResult other = coordinator.join(join("", null, "sticky")).join();
        assertThat(other.error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
    }

    @Test
    void leavingRebalancesTheRestAndTheLastLeaveEmptiesTheGroup() {
        JoinResult a = joinNew("range").join();
        sync(a, Map.of());
        assertThat(coordinator.leave("g", List.of(new GroupCoordinator.Leaver(a.memberId(), null))))
                .containsExactly(Errors.NONE);
        assertThat(coordinator.describe("g").orElseThrow().state()).isEqualTo("Empty");
        assertThat(coordinator.leave("g", List.of(new GroupCoordinator.Leaver(a.memberId(), null))))
                .containsExactly(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aRestartedStaticMemberGetsItsAssignmentBackWithoutARebalance() {
        JoinResult first = coordinator.join(join("", "instance-1", "range")).join();
        sync(first, Map.of(first.memberId(), new byte[] {7}));

        JoinResult again = coordinator.join(join("", "instance-1", "range")).join();
        assertThat(again.error()).isEqualTo(Errors.NONE);
        assertThat(again.memberId()).isNotEqualTo(first.memberId());
        assertThat(again.generationId()).isEqualTo(first.generationId());
        assertThat(coordinator.describe("g").orElseThrow().state()).isEqualTo("Stable");
        SyncResult synced = coordinator
                .sync(syncRequest(again.memberId(), "instance-1", again.generationId()))
                .join();
        assertThat(synced.assignment()).containsExactly(7);
        // the old incarnation is fenced
        assertThat(coordinator.heartbeat("g", first.memberId(), "instance-1", first.generationId()))
                .isEqualTo(Errors.FENCED_INSTANCE_ID);
    }

    @Test
    void offsetsCommittedOutsideAGroupOnlyWhileItHasNoMembers() {
        TopicPartition tp = new TopicPartition("t", 0);
        CommittedOffset o = new CommittedOffset(5, 0, "m", 1L);
        assertThat(coordinator.commitOffsets("g", "", null, -1, Map.of(tp, o)).join())
                .isEqualTo(Errors.NONE);
        assertThat(coordinator.offsets().committed("g", List.of(tp))).containsEntry(tp, o);

        JoinResult member = joinNew("range").join();
        assertThat(coordinator.commitOffsets("g", "", null, -1, Map.of(tp, o)).join())
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(coordinator
                        .commitOffsets("g", member.memberId(), null, 99, Map.of(tp, o))
                        .join())
                .isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(coordinator
                        .commitOffsets("g", member.memberId(), null, member.generationId(), Map.of(tp, o))
                        .join())
                .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        sync(member, Map.of());
        assertThat(coordinator
                        .commitOffsets("g", member.memberId(), null, member.generationId(), Map.of(tp, o))
                        .join())
                .isEqualTo(Errors.NONE);
        assertThat(coordinator.deleteGroup("g")).isEqualTo(Errors.NON_EMPTY_GROUP);
    }

    @Test
    void transactionalCommitsAreCheckedAsKafkaChecksThem() {
        TopicPartition tp = new TopicPartition("t", 0);
        Map<TopicPartition, CommittedOffset> o = Map.of(tp, new CommittedOffset(5, 0, "m", 1L));
        assertThat(coordinator
                        .commitTransactionalOffsets("nope", "m", null, 3, 1L, (short) 0, o)
                        .join())
                .as("a generation of a group that does not exist")
                .isEqualTo(Errors.ILLEGAL_GENERATION);

        JoinResult member = joinNew("range").join();
        assertThat(coordinator
                        .commitTransactionalOffsets("g", "stranger", null, 1, 1L, (short) 0, o)
                        .join())
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(coordinator
                        .commitTransactionalOffsets("g", member.memberId(), null, 99, 1L, (short) 0, o)
                        .join())
                .isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(coordinator
                        .commitTransactionalOffsets(
                                "g", member.memberId(), null, member.generationId(), 1L, (short) 0, o)
                        .join())
                .as("unlike OffsetCommit, also while the group completes its rebalance")
                .isEqualTo(Errors.NONE);
        assertThat(coordinator
                        .commitTransactionalOffsets("g", "", null, -1, 2L, (short) 0, o)
                        .join())
                .as("a request before v3 names no member: accepted in a group with members")
                .isEqualTo(Errors.NONE);
        assertThat(coordinator.offsets().committed("g", List.of(tp)))
                .as("pending until the transaction ends")
                .isEmpty();
        assertThat(coordinator.offsets().isPending("g", tp)).isTrue();
    }

    @Test
    void emptyGroupsLoseTheirOffsetsAfterTheRetentionTime() {
        TopicPartition tp = new TopicPartition("t", 0);
        coordinator
                .commitOffsets("g", "", null, -1, Map.of(tp, new CommittedOffset(5, 0, "", 1_000L)))
                .join();
        coordinator.expireOffsets(1_500L, 1_000L);
        assertThat(coordinator.offsets().committed("g", null)).hasSize(1);
        coordinator.expireOffsets(Long.MAX_VALUE / 2, 1_000L);
        assertThat(coordinator.offsets().committed("g", null)).isEmpty();
    }

    @Test
    void recordsRoundTripInKafkasLayout() {
        TopicPartition tp = new TopicPartition("orders", 3);
        var key = OffsetsTopicRecords.readKey(java.nio.ByteBuffer.wrap(OffsetsTopicRecords.offsetKey("g", tp)));
        assertThat(key).isEqualTo(new OffsetsTopicRecords.OffsetKey("g", tp));
        CommittedOffset o = new CommittedOffset(12, 4, "meta", 99L);
        assertThat(OffsetsTopicRecords.readOffsetValue(java.nio.ByteBuffer.wrap(OffsetsTopicRecords.offsetValue(o))))
                .isEqualTo(o);
        GroupSnapshot g = new GroupSnapshot(
                "g",
                "consumer",
                3,
                "range",
                "m1",
                5L,
                List.of(new GroupSnapshot.Member("m1", "i1", "c", "/h", 100, 200, new byte[] {1}, new byte[] {2})));
        GroupSnapshot back =
                OffsetsTopicRecords.readGroupValue("g", java.nio.ByteBuffer.wrap(OffsetsTopicRecords.groupValue(g)));
        assertThat(back.generationId()).isEqualTo(3);
        assertThat(back.members().get(0).groupInstanceId()).isEqualTo("i1");
        assertThat(back.members().get(0).assignment()).containsExactly(2);
    }
}
