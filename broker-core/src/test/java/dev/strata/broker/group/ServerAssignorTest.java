package dev.strata.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

/** The server-side assignors: every partition to exactly one subscriber, evenly, and sticky where they can be. */
class ServerAssignorTest {
    private static final Uuid A = Uuid.randomUuid();
    private static final Uuid B = Uuid.randomUuid();

    private static int total(Map<String, Map<Uuid, Set<Integer>>> a) {
        return a.values().stream()
                .mapToInt(m -> m.values().stream().mapToInt(Set::size).sum())
                .sum();
    }

    private static int count(Map<String, Map<Uuid, Set<Integer>>> a, String member) {
        return a.get(member).values().stream().mapToInt(Set::size).sum();
    }

    @Test
    void uniformSpreadsEvenlyAndAssignsEachPartitionOnce() {
        var members = List.of(
                new ServerAssignor.Subscriber("m1", Set.of(A, B)),
                new ServerAssignor.Subscriber("m2", Set.of(A, B)),
                new ServerAssignor.Subscriber("m3", Set.of(A, B)));
        var out = ServerAssignor.UNIFORM.assign(members, Map.of(A, 4, B, 3), Map.of());
        assertThat(total(out)).isEqualTo(7);
        Set<String> seen = new HashSet<>();
        out.values()
                .forEach(m -> m.forEach((t, ps) ->
                        ps.forEach(p -> assertThat(seen.add(t + "-" + p)).isTrue())));
        for (String m : List.of("m1", "m2", "m3")) {
            assertThat(count(out, m)).isBetween(2, 3);
        }
    }

    @Test
    void uniformKeepsPartitionsWhereTheyAreWhenAMemberJoins() {
        var one = List.of(new ServerAssignor.Subscriber("m1", Set.of(A)));
        var before = ServerAssignor.UNIFORM.assign(one, Map.of(A, 4), Map.of());
        var two =
                List.of(new ServerAssignor.Subscriber("m1", Set.of(A)), new ServerAssignor.Subscriber("m2", Set.of(A)));
        var after = ServerAssignor.UNIFORM.assign(two, Map.of(A, 4), before);
        assertThat(before.get("m1").get(A)).containsAll(after.get("m1").get(A));
        assertThat(count(after, "m1")).isEqualTo(2);
        assertThat(count(after, "m2")).isEqualTo(2);
    }

    @Test
    void uniformOnlyGivesAMemberTopicsItSubscribesTo() {
        var members =
                List.of(new ServerAssignor.Subscriber("m1", Set.of(A)), new ServerAssignor.Subscriber("m2", Set.of(B)));
        var out = ServerAssignor.UNIFORM.assign(members, Map.of(A, 2, B, 2), Map.of());
        assertThat(out.get("m1")).containsOnlyKeys(A);
        assertThat(out.get("m2")).containsOnlyKeys(B);
    }

    @Test
    void rangeGivesContiguousRangesInMemberOrder() {
        var members =
                List.of(new ServerAssignor.Subscriber("b", Set.of(A)), new ServerAssignor.Subscriber("a", Set.of(A)));
        var out = ServerAssignor.RANGE.assign(members, Map.of(A, 5), Map.of());
        assertThat(out.get("a").get(A)).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(out.get("b").get(A)).containsExactlyInAnyOrder(3, 4);
    }
}
