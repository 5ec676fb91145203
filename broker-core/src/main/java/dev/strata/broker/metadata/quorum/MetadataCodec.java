package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.ListenerEndpoint;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The bytes of the records that both Raft log entries ({@link MetadataCommand}) and snapshots ({@link MetadataImage})
 * hold, big-endian as {@link DataOutputStream} writes them:
 *
 * <pre>
 *   string  int length, then that many bytes of UTF-8 (not writeUTF: a config value may pass its 64 KiB limit)
 *   uuid    long most significant bits, long least significant bits
 *   topic   string name, uuid topic id, int partitions, configs
 *   configs int count, then (string key, string value) sorted by key
 *   broker  int node id, string host, int port, boolean has rack, [string rack], uuid incarnation id
 *   ints    int count, then that many ints (a replica list)
 *   state   ints replicas, ints isr, int leader, int leader epoch, int partition epoch, ints adding, ints removing
 *   bytes   int length, then that many bytes
 *   remote segment  uuid segment id, long start offset, long end offset, boolean deleting, bytes manifest
 *   acls    int count, then (byte resource type, string name, byte pattern type, string principal, string host,
 *           byte operation, byte permission), the bytes being Kafka's codes
 * </pre>
 *
 * Configs are written sorted so that every voter writes the same bytes for the same image.
 */
final class MetadataCodec {
    /** Bounds a length read from a damaged file before it becomes an allocation. */
    private static final int MAX_STRING_BYTES = 1 << 20;
    /** Bounds a manifest length read from a damaged file (a 1 GiB segment's manifest is about 2 MiB). */
    private static final int MAX_BYTES = 64 << 20;
    /** Bounds a replica-list or partition-count length read from a damaged file. */
    static final int MAX_LIST_LENGTH = 1 << 20;

    private MetadataCodec() {}

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new IOException("Invalid string length " + length);
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    static void writeUuid(DataOutputStream out, Uuid id) throws IOException {
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
    }

    static Uuid readUuid(DataInputStream in) throws IOException {
        return new Uuid(in.readLong(), in.readLong());
    }

    static void writeTopic(DataOutputStream out, TopicMetadata topic) throws IOException {
        writeString(out, topic.name());
        writeUuid(out, topic.topicId());
        out.writeInt(topic.partitions());
        writeConfigs(out, topic.configs());
    }

    static void writeConfigs(DataOutputStream out, Map<String, String> configs) throws IOException {
        out.writeInt(configs.size());
        for (Map.Entry<String, String> e : new TreeMap<>(configs).entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    /** Configs sorted by key. */
    static Map<String, String> readConfigs(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MAX_LIST_LENGTH) {
            throw new IOException("Invalid config count " + count);
        }
        Map<String, String> configs = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            configs.put(readString(in), readString(in));
        }
        return configs;
    }

    static TopicMetadata readTopic(DataInputStream in) throws IOException {
        String name = readString(in);
        Uuid id = readUuid(in);
        int partitions = in.readInt();
        return new TopicMetadata(name, id, partitions, readConfigs(in));
    }

    static void writeBroker(DataOutputStream out, BrokerRegistration broker) throws IOException {
        out.writeInt(broker.nodeId());
        writeString(out, broker.host());
        out.writeInt(broker.port());
        out.writeBoolean(broker.rack().isPresent());
        if (broker.rack().isPresent()) {
            writeString(out, broker.rack().get());
        }
        writeUuid(out, broker.incarnationId());
    }

    static BrokerRegistration readBroker(DataInputStream in) throws IOException {
        int nodeId = in.readInt();
        String host = readString(in);
        int port = in.readInt();
        Optional<String> rack = in.readBoolean() ? Optional.of(readString(in)) : Optional.empty();
        return new BrokerRegistration(nodeId, host, port, rack, readUuid(in));
    }

    /** A registration's listener endpoints: int count, then (string listener, string host, int port) each. */
    static void writeEndpoints(DataOutputStream out, List<ListenerEndpoint> endpoints) throws IOException {
        out.writeInt(endpoints.size());
        for (ListenerEndpoint e : endpoints) {
            writeString(out, e.listener());
            writeString(out, e.host());
            out.writeInt(e.port());
        }
    }

    /** {@code broker} with the endpoints {@link #writeEndpoints} wrote after it. */
    static BrokerRegistration readEndpoints(DataInputStream in, BrokerRegistration broker) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MAX_LIST_LENGTH) {
            throw new IOException("Invalid endpoint count " + count + " of broker " + broker.nodeId());
        }
        List<ListenerEndpoint> endpoints = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            endpoints.add(new ListenerEndpoint(readString(in), readString(in), in.readInt()));
        }
        return new BrokerRegistration(
                broker.nodeId(), broker.host(), broker.port(), broker.rack(), broker.incarnationId(), endpoints);
    }

    static void writeInts(DataOutputStream out, List<Integer> ints) throws IOException {
        out.writeInt(ints.size());
        for (int i : ints) {
            out.writeInt(i);
        }
    }

    static List<Integer> readInts(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MAX_LIST_LENGTH) {
            throw new IOException("Invalid list length " + count);
        }
        List<Integer> ints = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ints.add(in.readInt());
        }
        return List.copyOf(ints);
    }

    static void writePartitionState(DataOutputStream out, PartitionState state) throws IOException {
        writeInts(out, state.replicas());
        writeInts(out, state.isr());
        out.writeInt(state.leader());
        out.writeInt(state.leaderEpoch());
        out.writeInt(state.partitionEpoch());
        writeInts(out, state.addingReplicas());
        writeInts(out, state.removingReplicas());
    }

    static PartitionState readPartitionState(DataInputStream in) throws IOException {
        return new PartitionState(
                readInts(in), readInts(in), in.readInt(), in.readInt(), in.readInt(), readInts(in), readInts(in));
    }

    /** One element of a list, read from the stream. */
    interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** An int count, then that many elements. */
    static <T> List<T> readList(DataInputStream in, Reader<T> element) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MetadataCodec.MAX_LIST_LENGTH) {
            throw new IOException("Invalid list length " + count);
        }
        List<T> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(element.read(in));
        }
        return list;
    }

    static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_BYTES) {
            throw new IOException("Invalid byte array length " + length);
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
            throw new IOException("Truncated byte array: " + bytes.length + " of " + length + " bytes");
        }
        return bytes;
    }

    static void writeRemoteSegment(DataOutputStream out, RemoteSegmentRecord segment) throws IOException {
        writeUuid(out, segment.segmentId());
        out.writeLong(segment.startOffset());
        out.writeLong(segment.endOffset());
        out.writeBoolean(segment.deleting());
        writeBytes(out, segment.manifest());
    }

    static RemoteSegmentRecord readRemoteSegment(DataInputStream in) throws IOException {
        Uuid id = readUuid(in);
        long start = in.readLong();
        long end = in.readLong();
        boolean deleting = in.readBoolean();
        byte[] manifest = readBytes(in);
        try {
            return new RemoteSegmentRecord(id, start, end, deleting, manifest);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static void writePartitions(DataOutputStream out, List<TopicPartition> partitions) throws IOException {
        out.writeInt(partitions.size());
        for (TopicPartition tp : partitions) {
            writeString(out, tp.topic());
            out.writeInt(tp.partition());
        }
    }

    static void checkAssignment(List<List<Integer>> assignment) {
        for (List<Integer> replicas : assignment) {
            if (replicas.isEmpty() || new HashSet<>(replicas).size() != replicas.size()) {
                throw new IllegalArgumentException("Invalid replica assignment " + assignment);
            }
        }
    }

    static void writeAssignment(DataOutputStream out, List<List<Integer>> assignment) throws IOException {
        out.writeInt(assignment.size());
        for (List<Integer> replicas : assignment) {
            writeInts(out, replicas);
        }
    }

    static List<List<Integer>> readAssignment(DataInputStream in) throws IOException {
        return readList(in, MetadataCodec::readInts);
    }

    static MetadataCommand.AlterReassignment readAlterReassignment(DataInputStream in) throws IOException {
        TopicPartition tp = new TopicPartition(readString(in), in.readInt());
        boolean allowReplicationFactorChange = in.readBoolean();
        boolean cancel = in.readBoolean();
        return new MetadataCommand.AlterReassignment(tp, cancel ? null : readInts(in), allowReplicationFactorChange);
    }

    static List<TopicPartition> readPartitions(DataInputStream in) throws IOException {
        return readList(in, i -> new TopicPartition(readString(i), i.readInt()));
    }

    static List<MetadataImage.PartitionRef> readPartitionRefs(DataInputStream in) throws IOException {
        return readList(in, i -> new MetadataImage.PartitionRef(readUuid(i), i.readInt()));
    }

    static void writeAcls(DataOutputStream out, List<AclBinding> acls) throws IOException {
        out.writeInt(acls.size());
        for (AclBinding b : acls) {
            out.writeByte(b.pattern().resourceType().code());
            writeString(out, b.pattern().name());
            out.writeByte(b.pattern().patternType().code());
            writeString(out, b.entry().principal());
            writeString(out, b.entry().host());
            out.writeByte(b.entry().operation().code());
            out.writeByte(b.entry().permissionType().code());
        }
    }

    static List<AclBinding> readAcls(DataInputStream in) throws IOException {
        return readList(in, i -> {
            ResourcePattern pattern = new ResourcePattern(
                    ResourceType.fromCode(i.readByte()), readString(i), PatternType.fromCode(i.readByte()));
            AccessControlEntry entry = new AccessControlEntry(
                    readString(i),
                    readString(i),
                    AclOperation.fromCode(i.readByte()),
                    AclPermissionType.fromCode(i.readByte()));
            AclBinding b = new AclBinding(pattern, entry);
            if (b.isUnknown()) {
                throw new IOException("Unknown ACL " + b);
            }
            return b;
        });
    }

    /** The command {@link MetadataCommand#toBytes} wrote; @throws IOException if the bytes are not exactly one */
    static MetadataCommand readCommand(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int type = in.readByte();
        MetadataCommand command =
                switch (type) {
                    case 1 -> new MetadataCommand.PutTopic(readTopic(in));
                    case 2 -> new MetadataCommand.RemoveTopic(readString(in));
                    case 3 -> new MetadataCommand.ReserveProducerIds(in.readInt());
                    case 4 -> new MetadataCommand.RegisterBroker(readBroker(in));
                    case 5 -> new MetadataCommand.CreateTopic(readTopic(in), readAssignment(in));
                    case 6 -> new MetadataCommand.CreatePartitions(readString(in), in.readInt(), readAssignment(in));
                    case 7 -> new MetadataCommand.FenceBroker(in.readInt());
                    case 8 -> new MetadataCommand.UnfenceBroker(in.readInt(), readUuid(in));
                    case 9 -> new MetadataCommand.ShutDownBroker(in.readInt());
                    case 10 -> new MetadataCommand.AlterIsr(
                            new TopicPartition(readString(in), in.readInt()),
                            in.readInt(),
                            in.readInt(),
                            in.readInt(),
                            readInts(in));
                    case 11 -> new MetadataCommand.ElectPreferred(readPartitions(in));
                    case 12 -> new MetadataCommand.ElectUnclean(readPartitions(in));
                    case 13 -> readAlterReassignment(in);
                    case 14 -> new MetadataCommand.SetUncleanElectionDefault(in.readByte() != 0);
                    case 15 -> new MetadataCommand.MarkReplicasOffline(
                            in.readInt(), readUuid(in), readPartitionRefs(in));
                    case 16 -> new MetadataCommand.CopySegmentFinished(
                            readUuid(in), in.readInt(), in.readInt(), in.readInt(), readRemoteSegment(in));
                    case 17 -> new MetadataCommand.DeleteSegmentStarted(
                            readUuid(in), in.readInt(), in.readInt(), in.readInt(), readUuid(in));
                    case 18 -> new MetadataCommand.DeleteSegmentFinished(readUuid(in), in.readInt(), readUuid(in));
                    case 19 -> new MetadataCommand.SetBrokerConfigs(readString(in), readConfigs(in));
                    case 20 -> new MetadataCommand.AlterScramCredentials(UserScramCredentials.readChanges(in));
                    case 21 -> new MetadataCommand.ChangeAcls(readAcls(in), readAcls(in));
                    case 22 -> new MetadataCommand.RegisterBroker(readEndpoints(in, readBroker(in)));
                    default -> throw new IOException("Unknown metadata command type " + type);
                };
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes left after metadata command " + command);
        }
        return command;
    }
}
