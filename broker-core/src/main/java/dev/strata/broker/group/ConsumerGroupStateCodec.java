package dev.strata.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.Uuid;

/**
 * The value of a KIP-848 consumer group's state record in {@code __consumer_offsets} (key version 1000 in
 * {@link OffsetsTopicRecords}): the whole state of one group, written by {@link ConsumerGroupCoordinator} whenever it
 * changes and read back at startup. Kafka spreads the same state over its record types 3 to 16; Strata keeps one record
 * per group, so compaction keeps exactly the latest state.
 *
 * <pre>
 * state     := int32 version (0), utf groupId, int32 groupEpoch, int32 assignmentEpoch, utf assignorName,
 *              int32 n, n * (uuid topicId, int32 partitionCount),            -- subscribed partition counts
 *              int32 n, n * (utf memberId, partitions),                      -- target assignment
 *              int32 n, n * member
 * member    := utf memberId, nullable instanceId, nullable rackId, utf clientId, utf clientHost,
 *              int32 rebalanceTimeoutMs, int32 n, n * utf topicName, nullable topicRegex, nullable serverAssignor,
 *              int32 memberEpoch, int32 previousMemberEpoch, partitions        -- assigned partitions
 * partitions:= int32 n, n * (uuid topicId, int32 m, m * int32 partition)
 * uuid      := int64 most significant bits, int64 least significant bits
 * nullable  := boolean present, then utf if present
 * </pre>
 *
 * Strings are Java's modified UTF-8 ({@code DataOutputStream.writeUTF}). Partition counts, the target and partition
 * sets are written sorted and members in the order they joined, so the same state always gives the same bytes and the
 * coordinator skips writing a state that did not change.
 */
final class ConsumerGroupStateCodec {

    private ConsumerGroupStateCodec() {}

    /** The group's state in the layout above. Call under the group's monitor. */
    static byte[] encode(ConsumerGroup g) {
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.DataOutputStream(bytes)) {
            out.writeInt(0);
            out.writeUTF(g.groupId);
            out.writeInt(g.groupEpoch);
            out.writeInt(g.assignmentEpoch);
            out.writeUTF(g.assignorName);
            out.writeInt(g.subscribedPartitionCounts.size());
            for (var e : new java.util.TreeMap<>(g.subscribedPartitionCounts).entrySet()) {
                writeUuid(out, e.getKey());
                out.writeInt(e.getValue());
            }
            out.writeInt(g.target.size());
            for (var e : new java.util.TreeMap<>(g.target).entrySet()) {
                out.writeUTF(e.getKey());
                writePartitions(out, e.getValue());
            }
            out.writeInt(g.members.size());
            for (ConsumerGroupMember m : g.members.values()) {
                out.writeUTF(m.memberId);
                writeNullable(out, m.instanceId);
                writeNullable(out, m.rackId);
                out.writeUTF(m.clientId);
                out.writeUTF(m.clientHost);
                out.writeInt(m.rebalanceTimeoutMs);
                out.writeInt(m.subscribedTopicNames.size());
                for (String t : m.subscribedTopicNames) {
                    out.writeUTF(t);
                }
                writeNullable(out, m.subscribedTopicRegex);
                writeNullable(out, m.serverAssignor);
                out.writeInt(m.memberEpoch);
                out.writeInt(m.previousMemberEpoch);
                writePartitions(out, m.assigned);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The group whose state {@code state} holds.
     *
     * @throws IllegalArgumentException if the bytes are not such a state (an unknown version, or corrupt)
     */
    static ConsumerGroup decode(byte[] state) {
        try (var in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(state))) {
            int version = in.readInt();
            if (version != 0) {
                throw new IllegalArgumentException("Unknown consumer group state version " + version);
            }
            ConsumerGroup g = new ConsumerGroup(in.readUTF());
            g.groupEpoch = in.readInt();
            g.assignmentEpoch = in.readInt();
            g.assignorName = in.readUTF();
            for (int i = in.readInt(); i > 0; i--) {
                g.subscribedPartitionCounts.put(readUuid(in), in.readInt());
            }
            for (int i = in.readInt(); i > 0; i--) {
                g.target.put(in.readUTF(), readPartitions(in));
            }
            for (int i = in.readInt(); i > 0; i--) {
                String memberId = in.readUTF();
                String instanceId = readNullable(in);
                String rackId = readNullable(in);
                ConsumerGroupMember m = new ConsumerGroupMember(memberId, in.readUTF(), in.readUTF());
                m.instanceId = instanceId;
                m.rackId = rackId;
                m.rebalanceTimeoutMs = in.readInt();
                List<String> topicNames = new ArrayList<>();
                for (int t = in.readInt(); t > 0; t--) {
                    topicNames.add(in.readUTF());
                }
                m.subscribedTopicNames = List.copyOf(topicNames);
                m.subscribedTopicRegex = readNullable(in);
                m.serverAssignor = readNullable(in);
                m.memberEpoch = in.readInt();
                m.previousMemberEpoch = in.readInt();
                m.assigned = readPartitions(in);
                g.members.put(m.memberId, m);
            }
            return g;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("Corrupt consumer group state", e);
        }
    }

    private static void writeUuid(java.io.DataOutputStream out, Uuid id) throws java.io.IOException {
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
    }

    private static Uuid readUuid(java.io.DataInputStream in) throws java.io.IOException {
        return new Uuid(in.readLong(), in.readLong());
    }

    private static void writeNullable(java.io.DataOutputStream out, String s) throws java.io.IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readNullable(java.io.DataInputStream in) throws java.io.IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private static void writePartitions(java.io.DataOutputStream out, Map<Uuid, Set<Integer>> partitions)
            throws java.io.IOException {
        var sorted = new java.util.TreeMap<>(partitions);
        out.writeInt(sorted.size());
        for (var e : sorted.entrySet()) {
            writeUuid(out, e.getKey());
            var parts = new TreeSet<>(e.getValue());
            out.writeInt(parts.size());
            for (int p : parts) {
                out.writeInt(p);
            }
        }
    }

    private static Map<Uuid, Set<Integer>> readPartitions(java.io.DataInputStream in) throws java.io.IOException {
        Map<Uuid, Set<Integer>> out = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            Uuid id = readUuid(in);
            Set<Integer> parts = new HashSet<>();
            for (int n = in.readInt(); n > 0; n--) {
                parts.add(in.readInt());
            }
            out.put(id, parts);
        }
        return out;
    }
}
