package dev.strata.broker.group;

import dev.strata.broker.coordinator.InternalTopic;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state one partition of {@code __consumer_offsets} holds, rebuilt by replaying its records in log order (the
 * latest record per key wins, a tombstone deletes), then handed to the coordinators. Transactional offset commits
 * (records of a transactional batch) are pending until their producer's marker: COMMIT applies them, unless a later
 * commit of the partition came first (the record written later wins, as in Kafka); ABORT drops them; those whose
 * transaction is still open at the log end stay pending. A tombstone of a partition drops its pending offsets too.
 */
final class OffsetsReplay implements InternalTopic.Replay {
    private static final Logger log = LoggerFactory.getLogger(OffsetsReplay.class);

    private final Map<String, GroupSnapshot> groups = new LinkedHashMap<>();
    /** Per group and partition: the committed offset (null: deleted). */
    private final Map<String, Map<TopicPartition, WrittenOffset>> offsets = new LinkedHashMap<>();
    /** Per producer id, group and partition: transactional offsets whose marker has not come yet. */
    private final Map<Long, Map<String, Map<TopicPartition, WrittenOffset>>> pending = new HashMap<>();

    private final Map<String, byte[]> consumerGroupStates = new LinkedHashMap<>();

    /**
     * Replays one record.
     *
     * @param producerId the producer of the record's batch if the batch is transactional, else -1
     * @throws RuntimeException if the record cannot be read
     */
    @Override
    public void record(Record r, long producerId) {
        OffsetsTopicRecords.Key key = OffsetsTopicRecords.readKey(r.key().duplicate());
        ByteBuffer value = r.hasValue() ? r.value().duplicate() : null;
        if (key instanceof OffsetsTopicRecords.OffsetKey k) {
            if (value == null) {
                offsets.computeIfAbsent(k.group(), g -> new LinkedHashMap<>()).put(k.partition(), null);
                pending.values().forEach(groups -> {
                    Map<TopicPartition, WrittenOffset> p = groups.get(k.group());
                    if (p != null) {
                        p.remove(k.partition());
                    }
                });
                return;
            }
            WrittenOffset written = new WrittenOffset(OffsetsTopicRecords.readOffsetValue(value), r.offset());
            if (producerId >= 0) {
                pending.computeIfAbsent(producerId, p -> new LinkedHashMap<>())
                        .computeIfAbsent(k.group(), g -> new LinkedHashMap<>())
                        .put(k.partition(), written);
            } else {
                offsets.computeIfAbsent(k.group(), g -> new LinkedHashMap<>()).put(k.partition(), written);
            }
        } else if (key instanceof OffsetsTopicRecords.ConsumerGroupKey k) {
            byte[] state = null;
            if (value != null) {
                state = new byte[value.remaining()];
                value.get(state);
            }
            consumerGroupStates.put(k.group(), state);
        } else if (key instanceof OffsetsTopicRecords.GroupKey k) {
            groups.put(k.group(), value == null ? null : OffsetsTopicRecords.readGroupValue(k.group(), value));
        }
    }

    /** Replays a COMMIT or ABORT marker of {@code producerId}. */
    @Override
    public void marker(long producerId, boolean commit) {
        Map<String, Map<TopicPartition, WrittenOffset>> ended = pending.remove(producerId);
        if (ended == null || !commit) {
            return;
        }
        ended.forEach((group, written) -> {
            Map<TopicPartition, WrittenOffset> committed = offsets.computeIfAbsent(group, g -> new LinkedHashMap<>());
            written.forEach((tp, w) -> {
                WrittenOffset existing = committed.get(tp);
                if (existing == null || existing.logOffset() < w.logOffset()) {
                    committed.put(tp, w);
                }
            });
        });
    }

    /** Hands the replayed state to the coordinators; the records it counts are logged by the caller. */
    void restoreInto(GroupCoordinator coordinator, ConsumerGroupCoordinator consumerGroups) {
        groups.forEach((id, g) -> {
            if (g != null) {
                coordinator.restoreGroup(g);
            }
        });
        consumerGroupStates.forEach((id, state) -> {
            if (state != null) {
                try {
                    consumerGroups.restore(state);
                } catch (IllegalArgumentException e) {
                    log.warn("Skipping unreadable state of consumer group {}: {}", id, e.getMessage());
                }
            }
        });
        offsets.forEach((group, committed) -> {
            Map<TopicPartition, WrittenOffset> live = new HashMap<>();
            committed.forEach((tp, o) -> {
                if (o != null) {
                    live.put(tp, o);
                }
            });
            if (!live.isEmpty()) {
                coordinator.offsets().restore(group, live);
            }
        });
        pending.forEach((producerId, byGroup) -> byGroup.forEach((group, written) -> {
            if (!written.isEmpty()) {
                coordinator.offsets().restorePending(producerId, group, written);
            }
        }));
    }

    long groupCount() {
        return groups.values().stream().filter(g -> g != null).count();
    }

    int offsetGroupCount() {
        return offsets.size();
    }

    /** The number of producers whose transactional offsets are still pending. */
    int openTransactions() {
        return pending.size();
    }
}
