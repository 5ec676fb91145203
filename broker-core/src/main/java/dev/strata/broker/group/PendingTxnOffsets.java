package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;

/**
 * Transactional offset commits (TxnOffsetCommit) whose transaction has not ended yet, per producer id, as Kafka's
 * {@code pendingTransactionalOffsets}: they are in {@code __consumer_offsets} already, as a transactional batch, but no
 * OffsetFetch shows them until the transaction's COMMIT marker lands in the group's partition; an ABORT marker drops
 * them. OffsetFetch with {@code require_stable} answers UNSTABLE_OFFSET_COMMIT for a partition that has one.
 *
 * <p>Order: an entry names the log offset of its record, and a marker completes only the entries written before it,
 * so a commit of the producer's next transaction is never completed by the previous transaction's marker. Writes and
 * completions take {@link #appendLock} around the append and the bookkeeping (see {@link #write}), so an entry is
 * registered before any marker written after it can complete it. Reads take only this object's monitor.
 */
final class PendingTxnOffsets {
    /** Held while a transactional commit is appended and registered, and while a marker completes entries. */
    private final Object appendLock = new Object();
    /** Guarded by this: producer id, group, partition. */
    private final Map<Long, Map<String, Map<TopicPartition, WrittenOffset>>> byProducer = new HashMap<>();
    /** Guarded by this: the producers with pending offsets in each group. */
    private final Map<String, Set<Long>> producersByGroup = new HashMap<>();

    /**
     * Runs {@code append}, which appends the commits and hands the log offset of their record to the consumer it is
     * given before it returns; the commits are pending from then on.
     */
    <T> T write(
            long producerId,
            String groupId,
            Map<TopicPartition, CommittedOffset> commits,
            Function<LongConsumer, T> append) {
        synchronized (appendLock) {
            return append.apply(logOffset -> add(producerId, groupId, commits, logOffset));
        }
    }

    /** Registers commits read back from the log (or just written) as pending for {@code producerId}. */
    synchronized void add(
            long producerId, String groupId, Map<TopicPartition, CommittedOffset> commits, long logOffset) {
        Map<TopicPartition, WrittenOffset> pending = byProducer
                .computeIfAbsent(producerId, p -> new HashMap<>())
                .computeIfAbsent(groupId, g -> new HashMap<>());
        commits.forEach((tp, o) -> pending.put(tp, new WrittenOffset(o, logOffset)));
        producersByGroup.computeIfAbsent(groupId, g -> new HashSet<>()).add(producerId);
    }

    /**
     * Ends the producer's transaction in the groups {@code inPartition} selects (those of the {@code __consumer_offsets}
     * partition the marker is in): removes its entries written before {@code markerOffset} and returns them, per
     * group. The caller applies them (COMMIT) or forgets them (ABORT).
     */
    Map<String, Map<TopicPartition, WrittenOffset>> complete(
            long producerId, long markerOffset, Predicate<String> inPartition) {
        synchronized (appendLock) {
            synchronized (this) {
                Map<String, Map<TopicPartition, WrittenOffset>> groups = byProducer.get(producerId);
                Map<String, Map<TopicPartition, WrittenOffset>> completed = new HashMap<>();
                if (groups == null) {
                    return completed;
                }
                for (Iterator<Map.Entry<String, Map<TopicPartition, WrittenOffset>>> g =
                                groups.entrySet().iterator();
                        g.hasNext(); ) {
                    Map.Entry<String, Map<TopicPartition, WrittenOffset>> group = g.next();
                    if (!inPartition.test(group.getKey())) {
                        continue;
                    }
                    Map<TopicPartition, WrittenOffset> done = new HashMap<>();
                    group.getValue().entrySet().removeIf(e -> {
                        if (e.getValue().logOffset() < markerOffset) {
                            done.put(e.getKey(), e.getValue());
                            return true;
                        }
                        return false;
                    });
                    if (!done.isEmpty()) {
                        completed.put(group.getKey(), done);
                    }
                    if (group.getValue().isEmpty()) {
                        g.remove();
                        forgetProducer(group.getKey(), producerId);
                    }
                }
                if (groups.isEmpty()) {
                    byProducer.remove(producerId);
                }
                return completed;
            }
        }
    }

    private void forgetProducer(String groupId, long producerId) {
        Set<Long> producers = producersByGroup.get(groupId);
        if (producers != null) {
            producers.remove(producerId);
            if (producers.isEmpty()) {
                producersByGroup.remove(groupId);
            }
        }
    }

    /** Whether a transaction that has not ended holds an offset of the group's partition. */
    synchronized boolean isPending(String groupId, TopicPartition tp) {
        for (long producerId : producersByGroup.getOrDefault(groupId, Set.of())) {
            if (byProducer
                    .getOrDefault(producerId, Map.of())
                    .getOrDefault(groupId, Map.of())
                    .containsKey(tp)) {
                return true;
            }
        }
        return false;
    }

    /** The group's partitions that have a pending offset. */
    synchronized Set<TopicPartition> partitions(String groupId) {
        Set<TopicPartition> out = new HashSet<>();
        for (long producerId : producersByGroup.getOrDefault(groupId, Set.of())) {
            out.addAll(byProducer
                    .getOrDefault(producerId, Map.of())
                    .getOrDefault(groupId, Map.of())
                    .keySet());
        }
        return out;
    }

    /** Whether any transaction that has not ended holds offsets of the group. */
    synchronized boolean hasPending(String groupId) {
        return producersByGroup.containsKey(groupId);
    }

    /**
     * Drops the pending offsets of the group's {@code partitions} (all of them if null), as a tombstone of the partition
     * does in Kafka: OffsetDelete, DeleteGroups.
     */
    synchronized void remove(String groupId, Collection<TopicPartition> partitions) {
        Set<Long> producers = producersByGroup.get(groupId);
        if (producers == null) {
            return;
        }
        for (long producerId : new ArrayList<>(producers)) {
            Map<String, Map<TopicPartition, WrittenOffset>> groups = byProducer.get(producerId);
            Map<TopicPartition, WrittenOffset> pending = groups == null ? null : groups.get(groupId);
            if (pending != null) {
                if (partitions == null) {
                    pending.clear();
                } else {
                    partitions.forEach(pending::remove);
                }
                if (pending.isEmpty()) {
                    groups.remove(groupId);
                    if (groups.isEmpty()) {
                        byProducer.remove(producerId);
                    }
                }
            }
            if (pending == null || pending.isEmpty()) {
                forgetProducer(groupId, producerId);
            }
        }
    }

    /** Forgets the pending offsets of the groups {@code unloaded} selects (another broker coordinates them now). */
    synchronized void unload(Predicate<String> unloaded) {
        List<String> groups = new ArrayList<>(producersByGroup.keySet());
        for (String groupId : groups) {
            if (unloaded.test(groupId)) {
                remove(groupId, null);
            }
        }
    }
}
