package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.metadata.TopicMetadata;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** KIP-848 groups: joining, revoke-before-reassign, fencing, and the stored state round trip. */
class ConsumerGroupCoordinatorTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final TopicMetadata topic = new TopicMetadata("t", Uuid.randomUuid(), 4, Map.of());
    private final Map<String, byte[]> stored = new HashMap<>();
    private final ConsumerGroupCoordinator.Topics topics = new ConsumerGroupCoordinator.Topics() {
        @Override
        public Optional<TopicMetadata> byName(String name) {
            return name.equals("t") ? Optional.of(topic) : Optional.empty();
        }

        @Override
        public Optional<TopicMetadata> byId(Uuid id) {
            return id.equals(topic.topicId()) ? Optional.of(topic) : Optional.empty();
        }

        @Override
        public Collection<TopicMetadata> all() {
            return List.of(topic);
        }
    };
    private final ConsumerGroupCoordinator.StateStore store = new ConsumerGroupCoordinator.StateStore() {
        @Override
        public void store(String groupId, byte[] state) {
            stored.put(groupId, state);
        }

        @Override
        public void delete(String groupId) {
            stored.remove(groupId);
        }
    };
    private final ConsumerGroupCoordinator coordinator =
            new ConsumerGroupCoordinator(new ConsumerGroupCoordinator.Settings(60_000, 500, 10), topics, timer, store);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private ConsumerGroupHeartbeatResponseData join(String memberId) {
        return coordinator.heartbeat(
                new ConsumerGroupHeartbeatRequestData()
                        .setGroupId("g")
                        .setMemberId(memberId)
                        .setMemberEpoch(0)
                        .setRebalanceTimeoutMs(30_000)
                        .setSubscribedTopicNames(List.of("t"))
                        .setTopicPartitions(List.of()),
                "c",
                "/h");
    }

    private ConsumerGroupHeartbeatResponseData beat(String memberId, int epoch, List<Integer> owned) {
        return coordinator.heartbeat(
                new ConsumerGroupHeartbeatRequestData()
                        .setGroupId("g")
                        .setMemberId(memberId)
                        .setMemberEpoch(epoch)
                        .setTopicPartitions(List.of(new ConsumerGroupHeartbeatRequestData.TopicPartitions()
                                .setTopicId(topic.topicId())
                                .setPartitions(owned))),
                "c",
                "/h");
    }

    private static List<Integer> partitions(ConsumerGroupHeartbeatResponseData r) {
        return r.assignment().topicPartitions().isEmpty()
                ? List.of()
                : r.assignment().topicPartitions().get(0).partitions();
    }

    @Test
    void aSecondMemberGetsPartitionsOnlyAfterTheFirstRevokedThem() {
        ConsumerGroupHeartbeatResponseData a = join("a");
        assertThat(a.errorCode()).isZero();
        assertThat(partitions(a)).containsExactly(0, 1, 2, 3);

        ConsumerGroupHeartbeatResponseData b = join("b");
        assertThat(b.memberEpoch()).isGreaterThan(a.memberEpoch());
        assertThat(b.assignment() == null || partitions(b).isEmpty()).isTrue();

        ConsumerGroupHeartbeatResponseData aRevoke = beat("a", a.memberEpoch(), List.of(0, 1, 2, 3));
        assertThat(partitions(aRevoke)).hasSize(2);
        // "b" still gets nothing while "a" reports owning all four
        ConsumerGroupHeartbeatResponseData bWaiting = beat("b", b.memberEpoch(), List.of());
        assertThat(bWaiting.assignment() == null || partitions(bWaiting).isEmpty())
                .isTrue();

        beat("a", aRevoke.memberEpoch(), partitions(aRevoke));
        ConsumerGroupHeartbeatResponseData bGets = beat("b", b.memberEpoch(), List.of());
        assertThat(partitions(bGets)).hasSize(2).doesNotContainAnyElementsOf(partitions(aRevoke));
        assertThat(coordinator.describe("g").orElseThrow().state()).isIn("Stable", "Reconciling");
    }

    @Test
    void aStaleOrUnknownMemberIsRefused() {
        ConsumerGroupHeartbeatResponseData a = join("a");
        assertThat(beat("a", a.memberEpoch() + 5, List.of()).errorCode()).isEqualTo(Errors.FENCED_MEMBER_EPOCH.code());
        assertThat(beat("nobody", 3, List.of()).errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
    }

    @Test
    void theStoredStateRestoresMembersEpochsAndAssignments() {
        ConsumerGroupHeartbeatResponseData a = join("a");
        join("b");
        var before = coordinator.describe("g").orElseThrow();

        ConsumerGroupCoordinator restarted = new ConsumerGroupCoordinator(
                new ConsumerGroupCoordinator.Settings(60_000, 500, 10), topics, timer, store);
        restarted.restore(stored.get("g"));
        var after = restarted.describe("g").orElseThrow();
        assertThat(after.groupEpoch()).isEqualTo(before.groupEpoch());
        assertThat(after.members())
                .extracting(ConsumerGroupCoordinator.MemberView::memberId)
                .containsExactlyInAnyOrder("a", "b");
        assertThat(after.members())
                .extracting(ConsumerGroupCoordinator.MemberView::assignment)
                .containsExactlyInAnyOrderElementsOf(before.members().stream()
                        .map(ConsumerGroupCoordinator.MemberView::assignment)
                        .toList());
        assertThat(restarted.validateCommit("g", "a", a.memberEpoch())).isNull();
    }
}
