package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed offsets of every group (classic, KIP-848 consumer groups, and standalone committers that have no
 * group), kept in memory and written through the {@link GroupStore} ({@code __consumer_offsets}) before they count.
 * Who may commit is the coordinators' question; this class only stores, answers and forgets.
 *
 * <p>Thread safety: the maps are concurrent, so OffsetFetch reads without a lock. A write goes to the store first and
 * is applied to the map only once stored; writes of one group may complete out of order, so each partition remembers
 * the log offset of the commit it shows and a commit that was written earlier never replaces a later one. The classic
 * coordinator calls the methods that must agree with a group's state (commit by a member, delete, expire) under that
 * group's monitor, as Kafka's coordinator does.
 *
 * <p>Transactional commits (TxnOffsetCommit) wait in {@link PendingTxnOffsets} until their transaction's marker lands
 * in the group's partition; a COMMIT marker shows them here under the same rule (the later record wins).
 */
final class GroupOffsets {
    private static final Logger log = LoggerFactory.getLogger(GroupOffsets.class);

    private final GroupStore store;
    private final PendingTxnOffsets pending = new PendingTxnOffsets();
    private final Map<String, Map<TopicPartition, CommittedOffset>> offsets = new ConcurrentHashMap<>();
    /** Per group and partition, the log offset of the commit {@link #offsets} shows (absent: restored from the log). */
    private final Map<String, Map<TopicPartition, Long>> writtenAt = new ConcurrentHashMap<>();

    GroupOffsets(GroupStore store) {
        this.store = store;
    }

    /**
     * Stores {@code commits}, then makes them visible. The future completes with NONE or the store's error once the
     * write is durable; no thread waits for it.
     */
    CompletableFuture<Errors> commit(String groupId, Map<TopicPartition, CommittedOffset> commits) {
        CompletableFuture<Long> stored;
        try {
            stored = store.storeOffsets(groupId, commits);
        } catch (ApiException e) {
            stored = CompletableFuture.failedFuture(e);
        }
        return stored.handle((logOffset, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                log.warn("Cannot store offsets of group {}: {}", groupId, cause.toString());
                return Errors.forException(cause);
            }
            show(groupId, commits, logOffset);
            return Errors.NONE;
        });
    }

    /**
     * Stores the offsets of a producer's transaction (TxnOffsetCommit) as a transactional batch; they are pending from
     * the moment they are appended and count only once the transaction's COMMIT marker lands
     * ({@link #completeTransaction}). The future completes with NONE or the store's error once the write is durable.
     */
    CompletableFuture<Errors> commitTransactional(
            String groupId, long producerId, short producerEpoch, Map<TopicPartition, CommittedOffset> commits) {
        if (commits.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        CompletableFuture<Long> stored;
        try {
            stored = pending.write(
                    producerId,
                    groupId,
                    commits,
                    appended -> store.storeTxnOffsets(groupId, producerId, producerEpoch, commits, appended));
        } catch (ApiException e) {
            stored = CompletableFuture.failedFuture(e);
        }
        return stored.handle((logOffset, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                log.warn("Cannot store transactional offsets of group {}: {}", groupId, cause.toString());
                return Errors.forException(cause);
            }
            return Errors.NONE;
        });
    }

    /**
     * A COMMIT or ABORT marker of {@code producerId} landed at {@code markerOffset} in the {@code __consumer_offsets}
     * partition of the groups {@code inPartition} selects: the producer's pending offsets there written before it
     * become committed (unless a later commit of the partition is shown already) or are dropped.
     */
    void completeTransaction(long producerId, boolean commit, long markerOffset, Predicate<String> inPartition) {
        Map<String, Map<TopicPartition, WrittenOffset>> completed =
                pending.complete(producerId, markerOffset, inPartition);
        if (commit) {
            completed.forEach((groupId, written) ->
                    written.forEach((tp, w) -> show(groupId, Map.of(tp, w.offset()), w.logOffset())));
        }
    }

    /** Whether a transaction that has not ended holds an offset of the group's partition (require_stable). */
    boolean isPending(String groupId, TopicPartition tp) {
        return pending.isPending(groupId, tp);
    }

    /** Transactional offsets read back from the log whose transaction had not ended at its end. */
    void restorePending(long producerId, String groupId, Map<TopicPartition, WrittenOffset> written) {
        written.forEach((tp, w) -> pending.add(producerId, groupId, Map.of(tp, w.offset()), w.logOffset()));
    }

    private void show(String groupId, Map<TopicPartition, CommittedOffset> commits, long logOffset) {
        Map<TopicPartition, CommittedOffset> shown = offsets.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
        Map<TopicPartition, Long> at = writtenAt.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
        synchronized (at) {
            commits.forEach((tp, o) -> {
                Long previous = at.get(tp);
                if (previous == null || previous < logOffset) {
                    at.put(tp, logOffset);
                    shown.put(tp, o);
                }
            });
        }
    }

    /** Committed offsets of a group: all of them ({@code partitions} null) or those asked for. */
    Map<TopicPartition, CommittedOffset> committed(String groupId, Collection<TopicPartition> partitions) {
        Map<TopicPartition, CommittedOffset> all = offsets.getOrDefault(groupId, Map.of());
        if (partitions == null) {
            return Map.copyOf(all);
        }
        Map<TopicPartition, CommittedOffset> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            CommittedOffset c = all.get(tp);
            if (c != null) {
                out.put(tp, c);
            }
        }
        return out;
    }

    /** Whether the group has committed offsets (a group may exist only through them). */
    boolean hasOffsets(String groupId) {
        return offsets.containsKey(groupId);
    }

    /** The groups that have committed offsets. */
    Set<String> groupIds() {
        return Set.copyOf(offsets.keySet());
    }

    /** The group's offsets committed at or before {@code nowMs - retentionMs}. */
    List<TopicPartition> expired(String groupId, long nowMs, long retentionMs) {
        List<TopicPartition> expired = new ArrayList<>();
        offsets.getOrDefault(groupId, Map.of()).forEach((tp, o) -> {
            // as Kafka: not while a transaction may still replace it
            if (o.commitTimestampMs() + retentionMs <= nowMs && !pending.isPending(groupId, tp)) {
                expired.add(tp);
            }
        });
        return expired;
    }

    /** Deletes the offsets of {@code partitions} from the store (tombstones), then from memory. */
    void delete(String groupId, Collection<TopicPartition> partitions) {
        store.deleteOffsets(groupId, partitions);
        pending.remove(groupId, partitions);
        Map<TopicPartition, CommittedOffset> all = offsets.get(groupId);
        if (all != null) {
            partitions.forEach(all::remove);
        }
        forgetWrites(groupId, partitions);
    }

    private void forgetWrites(String groupId, Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> at = writtenAt.get(groupId);
        if (at != null) {
            synchronized (at) {
                partitions.forEach(at::remove);
            }
        }
    }

    /**
     * Forgets every offset of the group, then deletes them from the store.
     *
     * @throws ApiException if the store cannot write the tombstones
     */
    void deleteAll(String groupId) {
        Map<TopicPartition, CommittedOffset> removed = offsets.remove(groupId);
        writtenAt.remove(groupId);
        // as Kafka: tombstones for pending transactional offsets too, so that a replay drops them as well
        Set<TopicPartition> partitions = new HashSet<>(pending.partitions(groupId));
        pending.remove(groupId, null);
        if (removed != null) {
            partitions.addAll(removed.keySet());
        }
        if (!partitions.isEmpty()) {
            store.deleteOffsets(groupId, partitions);
        }
    }

    /** Offsets read back from the log at startup, with the log offsets of their records. */
    void restore(String groupId, Map<TopicPartition, WrittenOffset> committed) {
        Map<TopicPartition, CommittedOffset> shown = offsets.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
        Map<TopicPartition, Long> at = writtenAt.computeIfAbsent(groupId, g -> new ConcurrentHashMap<>());
        synchronized (at) {
            committed.forEach((tp, w) -> {
                shown.put(tp, w.offset());
                at.put(tp, w.logOffset());
            });
        }
    }

    /** Forgets the offsets of the groups {@code unloaded} selects (another broker coordinates them now). */
    void unload(Predicate<String> unloaded) {
        pending.unload(unloaded);
        offsets.keySet().removeIf(unloaded);
        writtenAt.keySet().removeIf(unloaded);
    }

    /** Forgets offsets already deleted from the store; a group left with none is forgotten. */
    void forget(String groupId, Collection<TopicPartition> partitions) {
        Map<TopicPartition, CommittedOffset> all = offsets.get(groupId);
        if (all != null) {
            partitions.forEach(all::remove);
            if (all.isEmpty()) {
                offsets.remove(groupId);
            }
        }
        forgetWrites(groupId, partitions);
    }
}
