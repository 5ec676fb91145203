package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.metadata.TopicMetadata;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** KIP-848 groups: joining, revoke-before-reassign, fencing, and the stored state round trip. */
class ConsumerGroupCoordinatorTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final TopicMetadata topic = new TopicMetadata("t", Uuid.randomUuid(), 4, Map.of());
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
    private final StoredGroups store = new StoredGroups();
    private final ConsumerGroupCoordinator coordinator =
            new ConsumerGroupCoordinator(new ConsumerGroupCoordinator.Settings(60_000, 500, 10), topics, timer, store);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private ConsumerHeartbeatResult join(String memberId) {
        return coordinator.heartbeat(new ConsumerHeartbeat(
                "g", memberId, 0, null, null, 30_000, List.of("t"), null, null, Map.of(), "c", "/h", t -> true));
    }

    private ConsumerHeartbeatResult beat(String memberId, int epoch, List<Integer> owned) {
        return coordinator.heartbeat(new ConsumerHeartbeat(
                "g",
                memberId,
                epoch,
                null,
                null,
                -1,
                null,
                null,
                null,
                Map.of(topic.topicId(), Set.copyOf(owned)),
                "c",
                "/h",
                t -> true));
    }

    private static List<Integer> partitions(ConsumerHeartbeatResult r) {
        return r.assignment().isEmpty()
                ? List.of()
                : r.assignment().values().iterator().next();
    }

    @Test
    void aSecondMemberGetsPartitionsOnlyAfterTheFirstRevokedThem() {
        ConsumerHeartbeatResult a = join("a");
        assertThat(a.error()).isEqualTo(Errors.NONE);
        assertThat(partitions(a)).containsExactly(0, 1, 2, 3);

        ConsumerHeartbeatResult b = join("b");
        assertThat(b.memberEpoch()).isGreaterThan(a.memberEpoch());
        assertThat(b.assignment() == null || partitions(b).isEmpty()).isTrue();

        ConsumerHeartbeatResult aRevoke = beat("a", a.memberEpoch(), List.of(0, 1, 2, 3));
        assertThat(partitions(aRevoke)).hasSize(2);
        // "b" still gets nothing while "a" reports owning all four
        ConsumerHeartbeatResult bWaiting = beat("b", b.memberEpoch(), List.of());
        assertThat(bWaiting.assignment() == null || partitions(bWaiting).isEmpty())
                .isTrue();

        beat("a", aRevoke.memberEpoch(), partitions(aRevoke));
        ConsumerHeartbeatResult bGets = beat("b", b.memberEpoch(), List.of());
        assertThat(partitions(bGets)).hasSize(2).doesNotContainAnyElementsOf(partitions(aRevoke));
        assertThat(coordinator.describe("g").orElseThrow().state()).isIn("Stable", "Reconciling");
    }

    @Test
    void aStaleOrUnknownMemberIsRefused() {
        ConsumerHeartbeatResult a = join("a");
        assertThat(beat("a", a.memberEpoch() + 5, List.of()).error()).isEqualTo(Errors.FENCED_MEMBER_EPOCH);
        assertThat(beat("nobody", 3, List.of()).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void theStoredStateRestoresMembersEpochsAndAssignments() {
        ConsumerHeartbeatResult a = join("a");
        join("b");
        var before = coordinator.describe("g").orElseThrow();

        ConsumerGroupCoordinator restarted = new ConsumerGroupCoordinator(
                new ConsumerGroupCoordinator.Settings(60_000, 500, 10), topics, timer, store);
        restarted.restore(store.get("g"));
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
        assertThat(restarted.validateCommit("g", "a", a.memberEpoch(), false)).isNull();
    }
}
