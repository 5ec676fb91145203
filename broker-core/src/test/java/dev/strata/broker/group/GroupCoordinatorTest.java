package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
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

    private static JoinGroupRequestData join(String memberId, String instanceId, String... protocols) {
        JoinGroupRequestProtocolCollection ps = new JoinGroupRequestProtocolCollection();
        for (String p : protocols) {
            ps.add(new JoinGroupRequestProtocol().setName(p).setMetadata(p.getBytes()));
        }
        return new JoinGroupRequestData()
                .setGroupId("g")
                .setMemberId(memberId)
                .setGroupInstanceId(instanceId)
                .setSessionTimeoutMs(60_000)
                .setRebalanceTimeoutMs(60_000)
                .setProtocolType("consumer")
                .setProtocols(ps);
    }

    /** A new dynamic member: first MEMBER_ID_REQUIRED, then the real join. */
    private CompletableFuture<JoinGroupResponseData> joinNew(String... protocols) {
        JoinGroupResponseData first = coordinator
                .join(join("", null, protocols), (short) 9, "c", "/h")
                .join();
        assertThat(first.errorCode()).isEqualTo(Errors.MEMBER_ID_REQUIRED.code());
        return coordinator.join(join(first.memberId(), null, protocols), (short) 9, "c", "/h");
    }

    private SyncGroupResponseData sync(JoinGroupResponseData joined, Map<String, byte[]> assignments) {
        SyncGroupRequestData req = new SyncGroupRequestData()
                .setGroupId("g")
                .setMemberId(joined.memberId())
                .setGenerationId(joined.generationId());
        assignments.forEach((m, a) -> req.assignments()
                .add(new SyncGroupRequestAssignment().setMemberId(m).setAssignment(a)));
        return coordinator.sync(req).join();
    }

    @Test
    void aLoneMemberJoinsLeadsAndGetsItsAssignment() {
        JoinGroupResponseData joined = joinNew("range").join();
        assertThat(joined.errorCode()).isZero();
        assertThat(joined.generationId()).isEqualTo(1);
        assertThat(joined.leader()).isEqualTo(joined.memberId());
        assertThat(joined.protocolName()).isEqualTo("range");
        assertThat(joined.members()).hasSize(1);
        SyncGroupResponseData synced = sync(joined, Map.of(joined.memberId(), new byte[] {42}));
        assertThat(synced.assignment()).containsExactly(42);
        assertThat(coordinator.describe("g").orElseThrow().state()).isEqualTo("Stable");
        assertThat(coordinator.heartbeat("g", joined.memberId(), null, 1)).isEqualTo(Errors.NONE);
        assertThat(coordinator.heartbeat("g", joined.memberId(), null, 7)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(coordinator.heartbeat("g", "stranger", null, 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aSecondMemberTriggersARebalanceThatWaitsForTheFirstToRejoin() {
        JoinGroupResponseData first = joinNew("range", "roundrobin").join();
        sync(first, Map.of(first.memberId(), new byte[0]));

        CompletableFuture<JoinGroupResponseData> second = joinNew("roundrobin", "range");
        assertThat(second).isNotDone();
        assertThat(coordinator.heartbeat("g", first.memberId(), null, 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);

        JoinGroupResponseData firstAgain = coordinator
                .join(join(first.memberId(), null, "range", "roundrobin"), (short) 9, "c", "/h")
                .join();
        JoinGroupResponseData secondJoined = second.join();
        assertThat(firstAgain.generationId()).isEqualTo(2).isEqualTo(secondJoined.generationId());
        assertThat(firstAgain.leader()).isEqualTo(first.memberId());
        assertThat(firstAgain.members()).hasSize(2);
        assertThat(secondJoined.members()).isEmpty();
        // one vote each for range and roundrobin: either is a common protocol
        assertThat(firstAgain.protocolName()).isIn("range", "roundrobin");

        CompletableFuture<SyncGroupResponseData> followerSync = coordinator.sync(new SyncGroupRequestData()
                .setGroupId("g")
                .setMemberId(secondJoined.memberId())
                .setGenerationId(2));
        assertThat(followerSync).isNotDone();
        sync(firstAgain, Map.of(first.memberId(), new byte[] {1}, secondJoined.memberId(), new byte[] {2}));
        assertThat(followerSync.join().assignment()).containsExactly(2);
    }

    @Test
    void aMemberWithNoCommonProtocolIsRejected() {
        joinNew("range").join();
        JoinGroupResponseData other =
                coordinator.join(join("", null, "sticky"), (short) 9, "c", "/h").join();
        assertThat(other.errorCode()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL.code());
    }

    @Test
    void leavingRebalancesTheRestAndTheLastLeaveEmptiesTheGroup() {
        JoinGroupResponseData a = joinNew("range").join();
        sync(a, Map.of());
        assertThat(coordinator.leave("g", List.of(new GroupCoordinator.Leaver(a.memberId(), null))))
                .containsExactly(Errors.NONE);
        assertThat(coordinator.describe("g").orElseThrow().state()).isEqualTo("Empty");
        assertThat(coordinator.leave("g", List.of(new GroupCoordinator.Leaver(a.memberId(), null))))
                .containsExactly(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aRestartedStaticMemberGetsItsAssignmentBackWithoutARebalance() {
        JoinGroupResponseData first = coordinator
                .join(join("", "instance-1", "range"), (short) 9, "c", "/h")
                .join();
        sync(first, Map.of(first.memberId(), new byte[] {7}));

        JoinGroupResponseData again = coordinator
                .join(join("", "instance-1", "range"), (short) 9, "c", "/h")
                .join();
        assertThat(again.errorCode()).isZero();
        assertThat(again.memberId()).isNotEqualTo(first.memberId());
        assertThat(again.generationId()).isEqualTo(first.generationId());
        assertThat(coordinator.describe("g").orElseThrow().state()).isEqualTo("Stable");
        SyncGroupResponseData synced = coordinator
                .sync(new SyncGroupRequestData()
                        .setGroupId("g")
                        .setMemberId(again.memberId())
                        .setGroupInstanceId("instance-1")
                        .setGenerationId(again.generationId()))
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
        assertThat(coordinator.commitOffsets("g", "", null, -1, Map.of(tp, o))).isEqualTo(Errors.NONE);
        assertThat(coordinator.committed("g", List.of(tp))).containsEntry(tp, o);

        JoinGroupResponseData member = joinNew("range").join();
        assertThat(coordinator.commitOffsets("g", "", null, -1, Map.of(tp, o))).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(coordinator.commitOffsets("g", member.memberId(), null, 99, Map.of(tp, o)))
                .isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(coordinator.commitOffsets("g", member.memberId(), null, member.generationId(), Map.of(tp, o)))
                .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        sync(member, Map.of());
        assertThat(coordinator.commitOffsets("g", member.memberId(), null, member.generationId(), Map.of(tp, o)))
                .isEqualTo(Errors.NONE);
        assertThat(coordinator.deleteGroup("g")).isEqualTo(Errors.NON_EMPTY_GROUP);
    }

    @Test
    void emptyGroupsLoseTheirOffsetsAfterTheRetentionTime() {
        TopicPartition tp = new TopicPartition("t", 0);
        coordinator.commitOffsets("g", "", null, -1, Map.of(tp, new CommittedOffset(5, 0, "", 1_000L)));
        coordinator.expireOffsets(1_500L, 1_000L);
        assertThat(coordinator.committed("g", null)).hasSize(1);
        coordinator.expireOffsets(Long.MAX_VALUE / 2, 1_000L);
        assertThat(coordinator.committed("g", null)).isEmpty();
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
