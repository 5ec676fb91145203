package dev.strata.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.broker.cluster.ClusterBroker;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.junit.jupiter.api.Test;

/** Kafka's round-robin replica assignment: even spread of leaders and followers, racks before brokers. */
class ReplicaAssignerTest {

    @Test
    void withoutRacksLeadersGoRoundRobinAndFollowersShiftEveryRound() {
        List<ClusterBroker> brokers = brokers(5, id -> Optional.empty());
        // Kafka's AdminUtilsTest expectation for 5 brokers, 10 partitions, RF 3, start index 0, shift 0
        assertThat(ReplicaAssigner.assign(brokers, 10, 3, 0, 0, 0))
                .containsExactly(
                        List.of(0, 1, 2),
                        List.of(1, 2, 3),
                        List.of(2, 3, 4),
                        List.of(3, 4, 0),
                        List.of(4, 0, 1),
                        List.of(0, 2, 3),
                        List.of(1, 3, 4),
                        List.of(2, 4, 0),
                        List.of(3, 0, 1),
                        List.of(4, 1, 2));
    }

    @Test
    void withRacksEveryPartitionSpansAsManyRacksAsItHasReplicas() {
        Map<Integer, String> racks = Map.of(0, "a", 1, "a", 2, "b", 3, "b", 4, "c", 5, "c");
        List<ClusterBroker> brokers = brokers(6, id -> Optional.of(racks.get(id)));
        List<List<Integer>> assignment = new ReplicaAssigner(new Random(7)).assign(brokers, 12, 3, 0);
        assertThat(assignment).hasSize(12).allSatisfy(replicas -> {
            assertThat(replicas).hasSize(3).doesNotHaveDuplicates();
            assertThat(replicas.stream().map(racks::get).collect(Collectors.toSet()))
                    .hasSize(3);
        });
        // leaders spread evenly: every broker leads twice
        Map<Integer, Long> leaders =
                assignment.stream().collect(Collectors.groupingBy(r -> r.get(0), Collectors.counting()));
        assertThat(leaders.values()).containsOnly(2L);
    }

    @Test
    void racksAreInterleavedBeforeAssignment() {
        assertThat(ReplicaAssigner.rackAlternated(Map.of(0, "a", 1, "a", 2, "b", 3, "c", 4, "b")))
                .containsExactly(0, 2, 3, 1, 4);
    }

    @Test
    void aBrokerWithoutARackMakesTheAssignmentIgnoreRacks() {
        List<ClusterBroker> brokers = brokers(3, id -> id == 2 ? Optional.empty() : Optional.of("r" + id));
        assertThat(ReplicaAssigner.assign(brokers, 3, 3, 0, 0, 0))
                .allSatisfy(r -> assertThat(new HashSet<>(r)).containsExactlyInAnyOrder(0, 1, 2));
    }

    @Test
    void aReplicationFactorAboveTheLiveBrokersIsRefused() {
        List<ClusterBroker> brokers = brokers(2, id -> Optional.empty());
        assertThatThrownBy(() -> ReplicaAssigner.assign(brokers, 1, 3, 0, 0, 0))
                .isInstanceOf(InvalidReplicationFactorException.class)
                .hasMessageContaining("only 2 broker(s)");
        assertThatThrownBy(() -> ReplicaAssigner.assign(brokers, 1, 0, 0, 0, 0))
                .isInstanceOf(InvalidReplicationFactorException.class);
    }

    @Test
    void newPartitionsContinueTheRoundRobin() {
        List<ClusterBroker> brokers = brokers(3, id -> Optional.empty());
        List<List<Integer>> all = ReplicaAssigner.assign(brokers, 6, 2, 0, 1, 1);
        assertThat(ReplicaAssigner.assign(brokers, 3, 2, 3, 1, 1)).isEqualTo(all.subList(3, 6));
    }

    private static List<ClusterBroker> brokers(int n, Function<Integer, Optional<String>> rack) {
        return IntStream.range(0, n)
                .mapToObj(id -> new ClusterBroker(id, "127.0.0.1", 9092 + id, rack.apply(id), false))
                .toList();
    }
}
