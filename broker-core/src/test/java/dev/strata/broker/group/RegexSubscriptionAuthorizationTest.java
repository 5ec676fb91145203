package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.broker.metadata.TopicMetadata;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A KIP-848 regex subscription ({@code SubscribedTopicRegex}) is given only the matching topics its member's principal
 * may describe, as in Kafka 4.x: the others are left out of its assignment without an error.
 */
class RegexSubscriptionAuthorizationTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, TopicMetadata> byName = new HashMap<>();
    private final ConsumerGroupCoordinator.Topics topics = new ConsumerGroupCoordinator.Topics() {
        @Override
        public Optional<TopicMetadata> byName(String name) {
            return Optional.ofNullable(byName.get(name));
        }

        @Override
        public Optional<TopicMetadata> byId(Uuid id) {
            return byName.values().stream().filter(t -> t.topicId().equals(id)).findFirst();
        }

        @Override
        public Collection<TopicMetadata> all() {
            return List.copyOf(byName.values());
        }
    };
    private final StoredGroups store = new StoredGroups();
    private final ConsumerGroupCoordinator coordinator = coordinator();

    RegexSubscriptionAuthorizationTest() {
        for (String name : List.of("a-1", "a-2", "a-secret", "b-1")) {
            byName.put(name, new TopicMetadata(name, Uuid.randomUuid(), 1, Map.of()));
        }
    }

    private ConsumerGroupCoordinator coordinator() {
        return new ConsumerGroupCoordinator(
                new ConsumerGroupCoordinator.Settings(60_000, 500, 10), topics, timer, store);
    }

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private static ConsumerHeartbeatResult join(
            ConsumerGroupCoordinator coordinator, String group, String member, Predicate<String> mayDescribe) {
        return coordinator.heartbeat(new ConsumerHeartbeat(
                group, member, 0, null, null, 30_000, null, "a-.*", null, Map.of(), "c", "/h", mayDescribe));
    }

    private static ConsumerHeartbeatResult beat(
            ConsumerGroupCoordinator coordinator,
            String group,
            String member,
            int epoch,
            Set<Uuid> owned,
            Predicate<String> mayDescribe) {
        Map<Uuid, Set<Integer>> partitions = new HashMap<>();
        owned.forEach(id -> partitions.put(id, Set.of(0)));
        return coordinator.heartbeat(new ConsumerHeartbeat(
                group, member, epoch, null, null, -1, null, null, null, partitions, "c", "/h", mayDescribe));
    }

    private Set<String> names(ConsumerHeartbeatResult r) {
        return r.assignment().keySet().stream()
                .map(id -> topics.byId(id).orElseThrow().name())
                .collect(Collectors.toSet());
    }

    @Test
    void aRegexGetsOnlyTheMatchingTopicsThePrincipalMayDescribe() {
        ConsumerHeartbeatResult limited = join(coordinator, "g1", "m", t -> !t.equals("a-secret"));
        assertThat(limited.error()).isEqualTo(Errors.NONE);
        assertThat(names(limited)).containsExactlyInAnyOrder("a-1", "a-2");

        ConsumerHeartbeatResult all = join(coordinator, "g2", "m", t -> true);
        assertThat(names(all)).containsExactlyInAnyOrder("a-1", "a-2", "a-secret");
    }

    @Test
    void membersOfOneGroupWithTheSameRegexEachGetWhatTheirOwnPrincipalMayDescribe() {
        join(coordinator, "g", "limited", t -> !t.equals("a-secret"));
        join(coordinator, "g", "all", t -> true);
        Map<String, Set<String>> targets = targets(coordinator, "g");
        assertThat(targets.get("limited")).doesNotContain("a-secret");
        assertThat(targets.get("all")).contains("a-secret");
        Set<String> together = new HashSet<>(targets.get("limited"));
        together.addAll(targets.get("all"));
        assertThat(together).containsExactlyInAnyOrder("a-1", "a-2", "a-secret");
    }

    /** Each member's target assignment, by topic name. */
    private Map<String, Set<String>> targets(ConsumerGroupCoordinator coordinator, String group) {
        Map<String, Set<String>> out = new HashMap<>();
        coordinator
                .describe(group)
                .orElseThrow()
                .members()
                .forEach(m -> out.put(
                        m.memberId(),
                        m.targetAssignment().keySet().stream()
                                .map(id -> topics.byId(id).orElseThrow().name())
                                .collect(Collectors.toSet())));
        return out;
    }

    @Test
    void anAclChangeTakesEffectAtTheNextHeartbeat() {
        ConsumerHeartbeatResult before = join(coordinator, "g", "m", t -> !t.equals("a-secret"));
        assertThat(names(before)).containsExactlyInAnyOrder("a-1", "a-2");
        ConsumerHeartbeatResult after = beat(
                coordinator, "g", "m", before.memberEpoch(), before.assignment().keySet(), t -> true);
        assertThat(after.memberEpoch()).isGreaterThan(before.memberEpoch());
        assertThat(names(after)).containsExactlyInAnyOrder("a-1", "a-2", "a-secret");

        ConsumerHeartbeatResult revoked = beat(
                coordinator, "g", "m", after.memberEpoch(), after.assignment().keySet(), t -> t.equals("a-1"));
        assertThat(names(revoked)).containsExactly("a-1");
    }

    @Test
    void aRestoredMemberKeepsOnlyWhatItWasAssignedUntilItsNextHeartbeat() {
        join(coordinator, "g", "m", t -> !t.equals("a-secret"));
        ConsumerGroupCoordinator restarted = coordinator();
        restarted.restore(store.get("g"));
        // another member's heartbeat recomputes the target while "m" has not spoken since the restart
        assertThat(join(restarted, "g", "other", t -> true).error()).isEqualTo(Errors.NONE);
        Map<String, Set<String>> targets = targets(restarted, "g");
        assertThat(targets.get("m")).doesNotContain("a-secret");
        assertThat(targets.get("other")).contains("a-secret");
    }
}
