package dev.strata.broker.txn;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The records of {@code __transaction_state}, byte for byte as Kafka writes them, so a partition of it reads the same
 * in either broker and Kafka's tools decode it.
 *
 * <p>Key: {@code int16 version (0)}, then {@code TransactionLogKey} v0: the transactional id as an {@code int16}
 * length and UTF-8 bytes. Value: {@code int16 version}, then {@code TransactionLogValue}. Version 0 (what Kafka writes
 * for transaction version 0 and 1, and so what Strata writes): {@code int64 producerId}, {@code int16 producerEpoch},
 * {@code int32 transactionTimeoutMs}, {@code int8 transactionStatus} ({@link TransactionState#id}), the partitions as
 * a nullable {@code int32}-counted array of {@code (string topic, int32-counted int32 partition ids)} (null in the
 * Empty state), {@code int64 lastUpdateTimestampMs}, {@code int64 startTimestampMs}. Version 1 is flexible: the same
 * fields with compact (unsigned-varint, length + 1) strings and arrays, a tagged-field section after each partition
 * entry and after the value, whose tags 0, 1 and 2 carry {@code previousProducerId}, {@code nextProducerId} (both
 * {@code int64}, default -1) and {@code clientTransactionVersion} ({@code int16}, default 0), written only when not
 * the default. A null value is a tombstone: the transactional id expired.
 */
public final class TransactionLogRecords {
    public static final short KEY_VERSION = 0;

    private TransactionLogRecords() {}

    /** A transactional id's state as one record value holds it. */
    public record Value(
            long producerId,
            long previousProducerId,
            long nextProducerId,
            short producerEpoch,
            int timeoutMs,
            TransactionState state,
            Set<TopicPartition> partitions,
            long lastUpdateTimestampMs,
            long startTimestampMs,
            short clientTransactionVersion) {

        public Value {
            partitions = Set.copyOf(partitions);
            if (state == TransactionState.EMPTY && !partitions.isEmpty()) {
                throw new IllegalArgumentException("An Empty transaction has no partitions: " + partitions);
            }
        }
    }

    public static byte[] key(String transactionalId) {
        byte[] id = transactionalId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + id.length);
        b.putShort(KEY_VERSION).putShort((short) id.length).put(id);
        return b.array();
    }

    /**
     * @return the transactional id, or null for a key of another version (Kafka skips those too)
     */
    public static String readKey(ByteBuffer key) {
        short version = key.getShort();
        if (version != KEY_VERSION) {
            return null;
        }
        return readString(key, key.getShort());
    }

    public static byte[] value(Value v, short version) {
        if (version != 0 && version != 1) {
            throw new IllegalArgumentException("TransactionLogValue has versions 0 and 1, not " + version);
        }
        boolean flexible = version == 1;
        ByteBuffer b = ByteBuffer.allocate(256 + estimate(v));
        b.putShort(version);
        b.putLong(v.producerId());
        b.putShort(v.producerEpoch());
        b.putInt(v.timeoutMs());
        b.put(v.state().id());
        Map<String, List<Integer>> byTopic = v.state() == TransactionState.EMPTY ? null : byTopic(v.partitions());
        if (byTopic == null) {
            putLength(b, -1, flexible);
        } else {
            putLength(b, byTopic.size(), flexible);
            byTopic.forEach((topic, ids) -> {
                byte[] name = topic.getBytes(StandardCharsets.UTF_8);
                if (flexible) {
                    ByteUtils.writeUnsignedVarint(name.length + 1, b);
                } else {
                    b.putShort((short) name.length);
                }
                b.put(name);
                putLength(b, ids.size(), flexible);
                ids.forEach(b::putInt);
                if (flexible) {
                    ByteUtils.writeUnsignedVarint(0, b);
                }
            });
        }
        b.putLong(v.lastUpdateTimestampMs());
        b.putLong(v.startTimestampMs());
        if (flexible) {
            int tags = (v.previousProducerId() != -1 ? 1 : 0)
                    + (v.nextProducerId() != -1 ? 1 : 0)
                    + (v.clientTransactionVersion() != 0 ? 1 : 0);
            ByteUtils.writeUnsignedVarint(tags, b);
            if (v.previousProducerId() != -1) {
                ByteUtils.writeUnsignedVarint(0, b);
                ByteUtils.writeUnsignedVarint(8, b);
                b.putLong(v.previousProducerId());
            }
            if (v.nextProducerId() != -1) {
                ByteUtils.writeUnsignedVarint(1, b);
                ByteUtils.writeUnsignedVarint(8, b);
                b.putLong(v.nextProducerId());
            }
            if (v.clientTransactionVersion() != 0) {
                ByteUtils.writeUnsignedVarint(2, b);
                ByteUtils.writeUnsignedVarint(2, b);
                b.putShort(v.clientTransactionVersion());
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /**
     * @throws IllegalArgumentException for an unknown version or state
     * @throws java.nio.BufferUnderflowException for a truncated value
     */
    public static Value readValue(ByteBuffer b) {
        short version = b.getShort();
        if (version != 0 && version != 1) {
            throw new IllegalArgumentException("Unknown TransactionLogValue version " + version);
        }
        boolean flexible = version == 1;
        long producerId = b.getLong();
        short epoch = b.getShort();
        int timeoutMs = b.getInt();
        TransactionState state = TransactionState.fromId(b.get());
        int topics = readLength(b, flexible);
        Set<TopicPartition> partitions = new LinkedHashSet<>();
        for (int t = 0; t < topics; t++) {
            String topic = readString(b, flexible ? ByteUtils.readUnsignedVarint(b) - 1 : b.getShort());
            int count = readLength(b, flexible);
            for (int i = 0; i < count; i++) {
                partitions.add(new TopicPartition(topic, b.getInt()));
            }
            if (flexible) {
                skipTaggedFields(b);
            }
        }
        long lastUpdate = b.getLong();
        long start = b.getLong();
        long previousProducerId = -1;
        long nextProducerId = -1;
        short clientVersion = 0;
        if (flexible) {
            int tags = ByteUtils.readUnsignedVarint(b);
            for (int i = 0; i < tags; i++) {
                int tag = ByteUtils.readUnsignedVarint(b);
                int size = ByteUtils.readUnsignedVarint(b);
                switch (tag) {
                    case 0 -> previousProducerId = b.getLong();
                    case 1 -> nextProducerId = b.getLong();
                    case 2 -> clientVersion = b.getShort();
                    default -> b.position(b.position() + size);
                }
            }
        }
        if (state == TransactionState.EMPTY) {
            partitions.clear(); // as Kafka: an Empty transaction's partitions are not read
        }
        return new Value(
                producerId,
                previousProducerId,
                nextProducerId,
                epoch,
                timeoutMs,
                state,
                partitions,
                lastUpdate,
                start,
                clientVersion);
    }

    private static Map<String, List<Integer>> byTopic(Set<TopicPartition> partitions) {
        Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
        partitions.stream()
                .sorted(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition))
                .forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>())
                        .add(tp.partition()));
        return byTopic;
    }

    private static int estimate(Value v) {
        int size = 0;
        for (TopicPartition tp : v.partitions()) {
            size += 16 + tp.topic().length() * 3;
        }
        return size;
    }

    /** An array's length. Classic: an int32, -1 for null; flexible: an unsigned varint of length + 1, 0 for null. */
    private static void putLength(ByteBuffer b, int length, boolean flexible) {
        if (flexible) {
            ByteUtils.writeUnsignedVarint(length + 1, b);
        } else {
            b.putInt(length);
        }
    }

    private static int readLength(ByteBuffer b, boolean flexible) {
        return flexible ? ByteUtils.readUnsignedVarint(b) - 1 : b.getInt();
    }

    private static String readString(ByteBuffer b, int length) {
        if (length < 0 || length > b.remaining()) {
            throw new IllegalArgumentException("Bad string length " + length);
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void skipTaggedFields(ByteBuffer b) {
        int tags = ByteUtils.readUnsignedVarint(b);
        for (int i = 0; i < tags; i++) {
            ByteUtils.readUnsignedVarint(b);
            int size = ByteUtils.readUnsignedVarint(b);
            b.position(b.position() + size);
        }
    }
}
