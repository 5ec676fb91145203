package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.Uuid;

/**
 * A server-side partition assignor for consumer groups on the KIP-848 protocol: given each member's subscribed topics,
 * the partition counts and the current assignment, it computes the target assignment. {@link #UNIFORM} (the default)
 * spreads partitions evenly and keeps partitions where they are when it can; {@link #RANGE} gives each member a
 * contiguous range of every topic it subscribes to, as Kafka's range assignor does.
 */
public interface ServerAssignor {

    /** A member and the topics it subscribes to. */
    record Subscriber(String memberId, Set<Uuid> topics) {}

    String name();

    /**
     * @param partitionCounts partition count of every subscribed topic
     * @param current what each member owns now (used to stay sticky)
     * @return topic id to partitions, for every member (empty for a member that gets nothing)
     */
    Map<String, Map<Uuid, Set<Integer>>> assign(
            List<Subscriber> members, Map<Uuid, Integer> partitionCounts, Map<String, Map<Uuid, Set<Integer>>> current);

    ServerAssignor UNIFORM = new Uniform();
    ServerAssignor RANGE = new Range();

    static ServerAssignor named(String name) {
        if (name == null || name.equals(UNIFORM.name())) {
            return UNIFORM;
        }
        if (name.equals(RANGE.name())) {
            return RANGE;
        }
        return null;
    }

    /** One partition of one topic. */
    record Slot(Uuid topic, int partition) {}

    private static Map<String, Map<Uuid, Set<Integer>>> toMaps(
            List<Subscriber> members, Map<String, List<Slot>> owned) {
        Map<String, Map<Uuid, Set<Integer>>> out = new HashMap<>();
        for (Subscriber m : members) {
            Map<Uuid, Set<Integer>> topics = new HashMap<>();
            for (Slot s : owned.getOrDefault(m.memberId(), List.of())) {
                topics.computeIfAbsent(s.topic(), t -> new TreeSet<>()).add(s.partition());
            }
            out.put(m.memberId(), topics);
        }
        return out;
    }

    /** Even spread with stickiness: keep what members own up to their fair share, then fill the least loaded. */
    final class Uniform implements ServerAssignor {
        @Override
        public String name() {
            return "uniform";
        }

        @Override
        public Map<String, Map<Uuid, Set<Integer>>> assign(
                List<Subscriber> members,
                Map<Uuid, Integer> partitionCounts,
                Map<String, Map<Uuid, Set<Integer>>> current) {
            List<Subscriber> sorted = new ArrayList<>(members);
            sorted.sort(Comparator.comparing(Subscriber::memberId));
            List<Slot> all = new ArrayList<>();
            for (Uuid topic : new TreeMap<>(partitionCounts).keySet()) {
                boolean wanted = sorted.stream().anyMatch(m -> m.topics().contains(topic));
                for (int p = 0; wanted && p < partitionCounts.get(topic); p++) {
                    all.add(new Slot(topic, p));
                }
            }
            Map<String, List<Slot>> owned = new HashMap<>();
            sorted.forEach(m -> owned.put(m.memberId(), new ArrayList<>()));
            if (sorted.isEmpty()) {
                return toMaps(sorted, owned);
            }
            int cap = (all.size() + sorted.size() - 1) / sorted.size();
            Set<Slot> taken = new java.util.HashSet<>();
            for (Subscriber m : sorted) {
                Map<Uuid, Set<Integer>> mine = current.getOrDefault(m.memberId(), Map.of());
                for (Slot s : all) {
                    if (owned.get(m.memberId()).size() < cap
                            && m.topics().contains(s.topic())
                            && mine.getOrDefault(s.topic(), Set.of()).contains(s.partition())
                            && taken.add(s)) {
                        owned.get(m.memberId()).add(s);
                    }
                }
            }
            for (Slot s : all) {
                if (taken.contains(s)) {
                    continue;
                }
                Subscriber least = leastLoaded(sorted, owned, s.topic());
                if (least != null) {
                    owned.get(least.memberId()).add(s);
                    taken.add(s);
                }
            }
            // Heterogeneous subscriptions can leave one member far above another that could take its partitions.
            for (int moves = 0; moves < all.size() * sorted.size(); moves++) {
                if (!moveOne(sorted, owned)) {
                    break;
                }
            }
            return toMaps(sorted, owned);
        }

        private static Subscriber leastLoaded(List<Subscriber> members, Map<String, List<Slot>> owned, Uuid topic) {
            Subscriber best = null;
            for (Subscriber m : members) {
                if (m.topics().contains(topic)
                        && (best == null
                                || owned.get(m.memberId()).size()
                                        < owned.get(best.memberId()).size())) {
                    best = m;
                }
            }
            return best;
        }

        private static boolean moveOne(List<Subscriber> members, Map<String, List<Slot>> owned) {
            for (Subscriber from : members) {
                List<Slot> fromSlots = owned.get(from.memberId());
                for (Slot s : List.copyOf(fromSlots)) {
                    Subscriber to = leastLoaded(members, owned, s.topic());
                    if (to != null && owned.get(to.memberId()).size() + 1 < fromSlots.size()) {
                        fromSlots.remove(s);
                        owned.get(to.memberId()).add(s);
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** Per topic, contiguous ranges in member-id order; the first members get one extra when it does not divide. */
    final class Range implements ServerAssignor {
        @Override
        public String name() {
            return "range";
        }

        @Override
        public Map<String, Map<Uuid, Set<Integer>>> assign(
                List<Subscriber> members,
                Map<Uuid, Integer> partitionCounts,
                Map<String, Map<Uuid, Set<Integer>>> current) {
            Map<String, List<Slot>> owned = new HashMap<>();
            members.forEach(m -> owned.put(m.memberId(), new ArrayList<>()));
            for (Map.Entry<Uuid, Integer> topic : new TreeMap<>(partitionCounts).entrySet()) {
                List<Subscriber> subscribers = members.stream()
                        .filter(m -> m.topics().contains(topic.getKey()))
                        .sorted(Comparator.comparing(Subscriber::memberId))
                        .toList();
                if (subscribers.isEmpty()) {
                    continue;
                }
                int count = topic.getValue();
                int base = count / subscribers.size();
                int extra = count % subscribers.size();
                int next = 0;
                for (int i = 0; i < subscribers.size(); i++) {
                    int n = base + (i < extra ? 1 : 0);
                    for (int p = next; p < next + n; p++) {
                        owned.get(subscribers.get(i).memberId()).add(new Slot(topic.getKey(), p));
                    }
                    next += n;
                }
            }
            return toMaps(members, owned);
        }
    }
}
