package dev.strata.broker.metadata;

import dev.strata.broker.cluster.ClusterBroker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;

/**
 * Chooses the replicas of new partitions the way Apache Kafka's {@code AdminUtils.assignReplicasToBrokers} does: round
 * robin over the live brokers sorted by id from a random start, each partition's followers shifted from its leader by
 * an amount that grows every full round, so that leaders and followers both spread evenly. When every live broker has a
 * {@code broker.rack}, the brokers are first interleaved rack by rack and a partition's replicas go to as many
 * different racks as there are before any rack gets a second one. (Kafka refuses a mix of brokers with and without a
 * rack unless told to ignore racks; Strata ignores them then.)
 *
 * <p>The random start and shift keep partitions of many small topics from all leading on the first broker; tests fix
 * them with {@link #assign(List, int, int, int, int, int)}.
 */
public final class ReplicaAssigner {
    private final Random random;

    public ReplicaAssigner(Random random) {
        this.random = random;
    }

    /**
     * The replicas of {@code partitions} new partitions numbered from {@code firstPartition}, preferred leader first.
     *
     * @param live the unfenced brokers
     * @throws InvalidReplicationFactorException if {@code replicationFactor} is below 1 or above the live brokers
     */
    public List<List<Integer>> assign(
            List<ClusterBroker> live, int partitions, int replicationFactor, int firstPartition) {
        int n = Math.max(1, live.size());
        return assign(live, partitions, replicationFactor, firstPartition, random.nextInt(n), random.nextInt(n));
    }

    /** {@link #assign(List, int, int, int)} with a fixed start index and shift. */
    public static List<List<Integer>> assign(
            List<ClusterBroker> live,
            int partitions,
            int replicationFactor,
            int firstPartition,
            int startIndex,
            int startShift) {
        if (replicationFactor <= 0) {
            throw new InvalidReplicationFactorException(
                    "Replication factor must be larger than 0, was " + replicationFactor + ".");
        }
        if (replicationFactor > live.size()) {
            throw new InvalidReplicationFactorException("Unable to replicate the partition " + replicationFactor
                    + " time(s): The target replication factor of " + replicationFactor
                    + " cannot be reached because only " + live.size() + " broker(s) are registered.");
        }
        List<ClusterBroker> sorted = live.stream()
                .sorted(Comparator.comparingInt(ClusterBroker::nodeId))
                .toList();
        boolean rackAware = sorted.stream().allMatch(b -> b.rack().isPresent());
        return rackAware
                ? rackAware(sorted, partitions, replicationFactor, firstPartition, startIndex, startShift)
                : rackUnaware(sorted, partitions, replicationFactor, firstPartition, startIndex, startShift);
    }

    private static List<List<Integer>> rackUnaware(
            List<ClusterBroker> brokers, int partitions, int rf, int firstPartition, int startIndex, int startShift) {
        int n = brokers.size();
        List<List<Integer>> result = new ArrayList<>();
        int shift = startShift;
        int partition = Math.max(0, firstPartition);
        for (int i = 0; i < partitions; i++, partition++) {
            if (partition > 0 && partition % n == 0) {
                shift++;
            }
            int first = (partition + startIndex) % n;
            List<Integer> replicas = new ArrayList<>();
            replicas.add(brokers.get(first).nodeId());
            for (int j = 0; j < rf - 1; j++) {
                replicas.add(brokers.get(replicaIndex(first, shift, j, n)).nodeId());
            }
            result.add(List.copyOf(replicas));
        }
        return result;
    }

    private static List<List<Integer>> rackAware(
            List<ClusterBroker> brokers, int partitions, int rf, int firstPartition, int startIndex, int startShift) {
        Map<Integer, String> rackOf = new TreeMap<>();
        brokers.forEach(b -> rackOf.put(b.nodeId(), b.rack().orElseThrow()));
        List<Integer> arranged = rackAlternated(rackOf);
        int racks = new HashSet<>(rackOf.values()).size();
        int n = arranged.size();
        List<List<Integer>> result = new ArrayList<>();
        int shift = startShift;
        int partition = Math.max(0, firstPartition);
        for (int i = 0; i < partitions; i++, partition++) {
            if (partition > 0 && partition % n == 0) {
                shift++;
            }
            int first = (partition + startIndex) % n;
            int leader = arranged.get(first);
            List<Integer> replicas = new ArrayList<>(List.of(leader));
            Set<String> racksUsed = new HashSet<>(Set.of(rackOf.get(leader)));
            Set<Integer> brokersUsed = new HashSet<>(Set.of(leader));
            int k = 0;
            for (int j = 0; j < rf - 1; j++) {
                while (true) {
                    int broker = arranged.get(replicaIndex(first, shift * racks, k, n));
                    k++;
                    String rack = rackOf.get(broker);
                    // a new rack first, until every rack has a replica; a new broker always
                    if ((!racksUsed.contains(rack) || racksUsed.size() == racks)
                            && (!brokersUsed.contains(broker) || brokersUsed.size() == n)) {
                        replicas.add(broker);
                        racksUsed.add(rack);
                        brokersUsed.add(broker);
                        break;
                    }
                }
            }
            result.add(List.copyOf(replicas));
        }
        return result;
    }

    /** Brokers interleaved rack by rack (racks sorted by name, brokers by id): r1b1, r2b1, r3b1, r1b2, ... */
    static List<Integer> rackAlternated(Map<Integer, String> rackOf) {
        Map<String, List<Integer>> byRack = new TreeMap<>();
        new TreeMap<>(rackOf).forEach((b, r) -> byRack.computeIfAbsent(r, x -> new ArrayList<>())
                .add(b));
        List<Iterator<Integer>> iterators =
                byRack.values().stream().map(List::iterator).toList();
        List<Integer> arranged = new ArrayList<>();
        for (int i = 0; arranged.size() < rackOf.size(); i = (i + 1) % iterators.size()) {
            if (iterators.get(i).hasNext()) {
                arranged.add(iterators.get(i).next());
            }
        }
        return arranged;
    }

    /** The j-th follower of a partition whose leader is at {@code first}: never the leader itself. */
    private static int replicaIndex(int first, int shift, int j, int n) {
        int offset = 1 + (shift + j) % (n - 1);
        return (first + offset) % n;
    }
}
