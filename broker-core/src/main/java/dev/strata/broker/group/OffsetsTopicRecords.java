package dev.strata.broker.group;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * Keys and values of the records in {@code __consumer_offsets}, in Apache Kafka's layouts so that Kafka's tools can
 * read the topic. All integers are big-endian; a string is an int16 length and UTF-8 bytes (length -1 for null); a
 * byte array is an int32 length and the bytes.
 *
 * <pre>
 * key   := int16 version, then
 *          version 0 or 1 (offset commit): string group, string topic, int32 partition
 *          version 2 (group metadata):     string group
 *          version 1000 (Strata: a KIP-848 consumer group's state): string group; the value is that state as
 *          {@link ConsumerGroupStateCodec} encodes it
 * value := (null: a tombstone, the key's offset or group is deleted)
 *          offset commit v3:   int16 3, int64 offset, int32 leaderEpoch, string metadata, int64 commitTimestamp
 *          group metadata v3:  int16 3, string protocolType, int32 generation, string protocol (nullable),
 *                              string leader (nullable), int64 currentStateTimestamp, int32 member count, then each
 *                              string memberId, string groupInstanceId (nullable), string clientId,
 *                              string clientHost, int32 rebalanceTimeout, int32 sessionTimeout, bytes subscription,
 *                              bytes assignment
 * </pre>
 *
 * The record key is what compaction deduplicates on: one offset per group and partition, one metadata per group.
 */
public final class OffsetsTopicRecords {
    private static final short OFFSET_KEY = 1;
    private static final short GROUP_KEY = 2;
    /** Strata's own record: the whole state of a KIP-848 consumer group (Kafka spreads it over key versions 3-16). */
    private static final short CONSUMER_GROUP_KEY = 1000;

    private static final short OFFSET_VALUE = 3;
    private static final short GROUP_VALUE = 3;

    private OffsetsTopicRecords() {}

    /** A decoded key: an offset commit's group and partition, or a group's metadata. */
    public sealed interface Key permits OffsetKey, GroupKey, ConsumerGroupKey {
        String group();
    }

    public record OffsetKey(String group, TopicPartition partition) implements Key {}

    public record GroupKey(String group) implements Key {}

    public record ConsumerGroupKey(String group) implements Key {}

    public static byte[] consumerGroupKey(String group) {
        return new Writer().int16(CONSUMER_GROUP_KEY).string(group).bytes();
    }

    public static byte[] offsetKey(String group, TopicPartition tp) {
        Writer w = new Writer();
        w.int16(OFFSET_KEY).string(group).string(tp.topic()).int32(tp.partition());
        return w.bytes();
    }

    public static byte[] groupKey(String group) {
        return new Writer().int16(GROUP_KEY).string(group).bytes();
    }

    public static byte[] offsetValue(CommittedOffset o) {
        return new Writer()
                .int16(OFFSET_VALUE)
                .int64(o.offset())
                .int32(o.leaderEpoch())
                .string(o.metadata() == null ? "" : o.metadata())
                .int64(o.commitTimestampMs())
                .bytes();
    }

    public static byte[] groupValue(GroupSnapshot g) {
        Writer w = new Writer()
                .int16(GROUP_VALUE)
                .string(g.protocolType() == null ? "" : g.protocolType())
                .int32(g.generationId())
                .string(g.protocolName())
                .string(g.leaderId())
                .int64(g.stateTimestampMs())
                .int32(g.members().size());
        for (GroupSnapshot.Member m : g.members()) {
            w.string(m.memberId())
                    .string(m.groupInstanceId())
                    .string(m.clientId())
                    .string(m.clientHost())
                    .int32(m.rebalanceTimeoutMs())
                    .int32(m.sessionTimeoutMs())
                    .bytes(m.subscription())
                    .bytes(m.assignment());
        }
        return w.bytes();
    }

    public static Key readKey(ByteBuffer b) {
        short version = b.getShort();
        return switch (version) {
            case 0, 1 -> new OffsetKey(string(b), new TopicPartition(string(b), b.getInt()));
            case 2 -> new GroupKey(string(b));
            case CONSUMER_GROUP_KEY -> new ConsumerGroupKey(string(b));
            default -> throw new IllegalArgumentException("Unknown __consumer_offsets key version " + version);
        };
    }

    public static CommittedOffset readOffsetValue(ByteBuffer b) {
        short version = b.getShort();
        long offset = b.getLong();
        int leaderEpoch = version >= 3 ? b.getInt() : -1;
        String metadata = string(b);
        long commitTimestamp = b.getLong();
        return new CommittedOffset(offset, leaderEpoch, metadata, commitTimestamp);
    }

    public static GroupSnapshot readGroupValue(String group, ByteBuffer b) {
        short version = b.getShort();
        String protocolType = string(b);
        int generation = b.getInt();
        String protocol = string(b);
        String leader = string(b);
        long stateTimestamp = version >= 2 ? b.getLong() : -1L;
        int count = b.getInt();
        List<GroupSnapshot.Member> members = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String memberId = string(b);
            String instanceId = version >= 3 ? string(b) : null;
            String clientId = string(b);
            String clientHost = string(b);
            int rebalanceTimeout = version >= 1 ? b.getInt() : -1;
            int sessionTimeout = b.getInt();
            byte[] subscription = bytes(b);
            byte[] assignment = bytes(b);
            members.add(new GroupSnapshot.Member(
                    memberId,
                    instanceId,
                    clientId,
                    clientHost,
                    rebalanceTimeout < 0 ? sessionTimeout : rebalanceTimeout,
                    sessionTimeout,
                    subscription,
                    assignment));
        }
        return new GroupSnapshot(group, protocolType, generation, protocol, leader, stateTimestamp, members);
    }

    private static String string(ByteBuffer b) {
        short len = b.getShort();
        if (len < 0) {
            return null;
        }
        byte[] bytes = new byte[len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b) {
        int len = b.getInt();
        if (len < 0) {
            return new byte[0];
        }
        byte[] bytes = new byte[len];
        b.get(bytes);
        return bytes;
    }

    /** Appends fields to a growing buffer. */
    private static final class Writer {
        private ByteBuffer buf = ByteBuffer.allocate(128);

        private void ensure(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        Writer int16(short v) {
            ensure(2);
            buf.putShort(v);
            return this;
        }

        Writer int32(int v) {
            ensure(4);
            buf.putInt(v);
            return this;
        }

        Writer int64(long v) {
            ensure(8);
            buf.putLong(v);
            return this;
        }

        Writer string(String s) {
            if (s == null) {
                return int16((short) -1);
            }
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            int16((short) bytes.length);
            ensure(bytes.length);
            buf.put(bytes);
            return this;
        }

        Writer bytes(byte[] b) {
            byte[] v = b == null ? new byte[0] : b;
            int32(v.length);
            ensure(v.length);
            buf.put(v);
            return this;
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.flip();
            buf.get(out);
            return out;
        }
    }
}
