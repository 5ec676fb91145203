package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.quota.QuotaEntity;
import dev.strata.broker.security.ScramCredentialStore;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;

/**
 * A change to the metadata image, as one Raft log entry. An entry is a type byte followed by the command's fields in
 * the {@link MetadataCodec} encoding:
 *
 * <pre>
 *   1 PutTopic            topic
 *   2 RemoveTopic         string name
 *   3 ReserveProducerIds  int count
 *   4 RegisterBroker      broker (fenced until the controller sees its heartbeat, for a new incarnation)
 *   5 CreateTopic         topic, int partition count, then ints replicas of each partition
 *   6 CreatePartitions    string name, int new partition count, int count, then ints replicas of each new partition
 *   7 FenceBroker         int node id
 *   8 UnfenceBroker       int node id, uuid incarnation id
 *   9 ShutDownBroker      int node id
 *  10 AlterIsr            string topic, int partition, int leader, int leader epoch, int partition epoch, ints isr
 *  11 ElectPreferred      int count, then (string topic, int partition)
 *  12 ElectUnclean        int count, then (string topic, int partition)
 *  13 AlterReassignment   string topic, int partition, bool allow replication factor change, bool cancel,
 *                         then unless cancel ints target replicas
 *  14 SetUncleanElectionDefault  byte enable (1 or 0)
 *  15 MarkReplicasOffline int node id, uuid incarnation id, int count, then (uuid topic id, int partition)
 *  16 CopySegmentFinished   uuid topic id, int partition, int leader, int leader epoch, remote segment
 *  17 DeleteSegmentStarted  uuid topic id, int partition, int leader, int leader epoch, uuid segment id
 *  18 DeleteSegmentFinished uuid topic id, int partition, uuid segment id
 *  19 SetBrokerConfigs    string entity ("" for the cluster default, a node id or a client quota entity), configs
 *  20 AlterScramCredentials  the changes as {@link UserScramCredentials} encodes them
 *  21 ChangeAcls          acls added, acls removed
 *  22 RegisterBroker      broker, then its listener endpoints (4 is a registration without them)
 * </pre>
 *
 * 16-18 are the replicated record of each partition's remote tier (KIP-405's COPY_SEGMENT_FINISHED,
 * DELETE_SEGMENT_STARTED and DELETE_SEGMENT_FINISHED), written by the partition's leader; see
 * {@link RemoteLogs#copySegmentFinished}.
 *
 * Commands the image can refuse when they are applied (a topic created twice, an ISR change at a stale epoch) answer
 * with the negated Kafka error code; the refusal is the same on every voter, because the image is.
 *
 * The type bytes are part of the log format: never renumber them, only add new ones.
 */
public sealed interface MetadataCommand {

    /** Creates or replaces a topic's record. */
    record PutTopic(TopicMetadata topic) implements MetadataCommand {
        @Override
        public void validate() {
            if (topic.name().isEmpty() || topic.partitions() < 1) {
                throw new IllegalArgumentException("Invalid topic record " + topic);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.putTopic(topic);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(1);
            MetadataCodec.writeTopic(out, topic);
        }
    }

    /** Removes a topic's record; removing an unknown topic changes nothing. */
    record RemoveTopic(String name) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            image.removeTopic(name);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(2);
            MetadataCodec.writeString(out, name);
        }
    }

    /** Hands out the next {@code count} producer ids; the applied entry answers with the first of them. */
    record ReserveProducerIds(int count) implements MetadataCommand {
        @Override
        public void validate() {
            if (count < 1) {
                throw new IllegalArgumentException("Cannot reserve " + count + " producer ids");
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.reserveProducerIds(count);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(3);
            out.writeInt(count);
        }
    }

    /** Records (or replaces) a broker's registration. */
    record RegisterBroker(BrokerRegistration broker) implements MetadataCommand {
        @Override
        public void validate() {
            if (broker.port() < 0
                    || broker.port() > 65535
                    || broker.endpoints().stream().anyMatch(e -> e.port() < 0 || e.port() > 65535)) {
                throw new IllegalArgumentException("Invalid broker registration " + broker);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.registerBroker(broker);
            return 0;
        }

        /** Type 4 without listener endpoints (as written before brokers registered them), 22 with them. */
        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(broker.endpoints().isEmpty() ? 4 : 22);
            MetadataCodec.writeBroker(out, broker);
            if (!broker.endpoints().isEmpty()) {
                MetadataCodec.writeEndpoints(out, broker.endpoints());
            }
        }
    }

    /** Creates a topic whose partition {@code i} has the replicas {@code assignment.get(i)}, preferred leader first. */
    record CreateTopic(TopicMetadata topic, List<List<Integer>> assignment) implements MetadataCommand {
        public CreateTopic {
            assignment = assignment.stream().map(List::copyOf).toList();
        }

        @Override
        public void validate() {
            new PutTopic(topic).validate();
            MetadataCodec.checkAssignment(assignment);
            if (assignment.size() != topic.partitions()) {
                throw new IllegalArgumentException("Topic " + topic.name() + " has " + topic.partitions()
                        + " partitions but " + assignment.size() + " replica assignments");
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.createTopic(topic, assignment);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(5);
            MetadataCodec.writeTopic(out, topic);
            MetadataCodec.writeAssignment(out, assignment);
        }
    }

    /** Grows a topic to {@code newCount} partitions; the new ones get {@code assignment}, in partition order. */
    record CreatePartitions(String name, int newCount, List<List<Integer>> assignment) implements MetadataCommand {
        public CreatePartitions {
            assignment = assignment.stream().map(List::copyOf).toList();
        }

        @Override
        public void validate() {
            MetadataCodec.checkAssignment(assignment);
            if (assignment.isEmpty() || newCount < assignment.size()) {
                throw new IllegalArgumentException("Invalid partition growth of " + name + " to " + newCount);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.createPartitions(name, newCount, assignment);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(6);
            MetadataCodec.writeString(out, name);
            out.writeInt(newCount);
            MetadataCodec.writeAssignment(out, assignment);
        }
    }

    /** The controller stopped hearing from a broker: it leaves the ISRs and its leaderships move. */
    record FenceBroker(int nodeId) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            image.fenceBroker(nodeId);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(7);
            out.writeInt(nodeId);
        }
    }

    /** The controller heard from this incarnation of a fenced broker. */
    record UnfenceBroker(int nodeId, Uuid incarnationId) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            image.unfenceBroker(nodeId, incarnationId);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(8);
            out.writeInt(nodeId);
            MetadataCodec.writeUuid(out, incarnationId);
        }
    }

    /** A broker's controlled shutdown: its leaderships move and it leaves the ISRs before it stops. */
    record ShutDownBroker(int nodeId) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            image.shutDownBroker(nodeId);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(9);
            out.writeInt(nodeId);
        }
    }

    /** A partition leader's new ISR (Kafka's AlterPartition), applied only at the epochs it was computed from. */
    record AlterIsr(TopicPartition tp, int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr)
            implements MetadataCommand {
        public AlterIsr {
            newIsr = List.copyOf(newIsr);
        }

        @Override
        public void validate() {
            if (newIsr.isEmpty() || tp.partition() < 0) {
                throw new IllegalArgumentException("Invalid ISR " + newIsr + " for " + tp);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.replication().alterIsr(tp, leaderId, leaderEpoch, partitionEpoch, newIsr);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(10);
            MetadataCodec.writeString(out, tp.topic());
            out.writeInt(tp.partition());
            out.writeInt(leaderId);
            out.writeInt(leaderEpoch);
            out.writeInt(partitionEpoch);
            MetadataCodec.writeInts(out, newIsr);
        }
    }

    /** Moves leadership of these partitions back to their preferred (first) replica where it is alive and in sync. */
    record ElectPreferred(List<TopicPartition> partitions) implements MetadataCommand {
        public ElectPreferred {
            partitions = List.copyOf(partitions);
        }

        /** @return how many partitions changed leader */
        @Override
        public long applyTo(MetadataImage image) {
            return image.replication().electLeaders(partitions, false);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(11);
            MetadataCodec.writePartitions(out, partitions);
        }
    }

    /** Gives partitions without a live leader one, from outside the ISR if need be (ElectLeaders, UNCLEAN). */
    record ElectUnclean(List<TopicPartition> partitions) implements MetadataCommand {
        public ElectUnclean {
            partitions = List.copyOf(partitions);
        }

        /** @return how many partitions changed leader */
        @Override
        public long applyTo(MetadataImage image) {
            return image.replication().electLeaders(partitions, true);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(12);
            MetadataCodec.writePartitions(out, partitions);
        }
    }

    /**
     * Starts or replaces a partition's reassignment to {@code target} (preferred leader first), or cancels it when
     * {@code target} is null (AlterPartitionReassignments).
     */
    record AlterReassignment(TopicPartition tp, List<Integer> target, boolean allowReplicationFactorChange)
            implements MetadataCommand {
        public AlterReassignment {
            target = target == null ? null : List.copyOf(target);
        }

        @Override
        public void validate() {
            if (tp.partition() < 0) {
                throw new IllegalArgumentException("Invalid partition " + tp);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.replication().alterReassignment(tp, target, allowReplicationFactorChange);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(13);
            MetadataCodec.writeString(out, tp.topic());
            out.writeInt(tp.partition());
            out.writeBoolean(allowReplicationFactorChange);
            out.writeBoolean(target == null);
            if (target != null) {
                MetadataCodec.writeInts(out, target);
            }
        }
    }

    /** The active controller's {@code unclean.leader.election.enable}, the default of topics that do not set it. */
    record SetUncleanElectionDefault(boolean enable) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            image.setUncleanElectionDefault(enable);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(14);
            out.writeByte(enable ? 1 : 0);
        }
    }

    /** A broker's log directory went offline: its replicas there stop leading and leave the ISRs. */
    record MarkReplicasOffline(int nodeId, Uuid incarnationId, List<MetadataImage.PartitionRef> replicas)
            implements MetadataCommand {
        public MarkReplicasOffline {
            replicas = List.copyOf(replicas);
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.markReplicasOffline(nodeId, incarnationId, replicas);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(15);
            out.writeInt(nodeId);
            MetadataCodec.writeUuid(out, incarnationId);
            out.writeInt(replicas.size());
            for (MetadataImage.PartitionRef r : replicas) {
                MetadataCodec.writeUuid(out, r.topicId());
                out.writeInt(r.partition());
            }
        }
    }

    /** A segment the leader copied in its epoch is readable (refused from a broker that does not lead then). */
    record CopySegmentFinished(Uuid topicId, int partition, int leaderId, int leaderEpoch, RemoteSegmentRecord segment)
            implements MetadataCommand {
        @Override
        public void validate() {
            if (partition < 0 || segment.deleting()) {
                throw new IllegalArgumentException("Invalid finished copy " + segment + " of partition " + partition);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            return image.remoteLogs().copySegmentFinished(topicId, partition, leaderId, leaderEpoch, segment);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(16);
            MetadataCodec.writeUuid(out, topicId);
            out.writeInt(partition);
            out.writeInt(leaderId);
            out.writeInt(leaderEpoch);
            MetadataCodec.writeRemoteSegment(out, segment);
        }
    }

    /** The leader starts deleting a remote segment's data. */
    record DeleteSegmentStarted(Uuid topicId, int partition, int leaderId, int leaderEpoch, Uuid segmentId)
            implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            return image.remoteLogs().deleteSegmentStarted(topicId, partition, leaderId, leaderEpoch, segmentId);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(17);
            MetadataCodec.writeUuid(out, topicId);
            out.writeInt(partition);
            out.writeInt(leaderId);
            out.writeInt(leaderEpoch);
            MetadataCodec.writeUuid(out, segmentId);
        }
    }

    /** A remote segment's data is gone. */
    record DeleteSegmentFinished(Uuid topicId, int partition, Uuid segmentId) implements MetadataCommand {
        @Override
        public long applyTo(MetadataImage image) {
            return image.remoteLogs().deleteSegmentFinished(topicId, partition, segmentId);
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(18);
            MetadataCodec.writeUuid(out, topicId);
            out.writeInt(partition);
            MetadataCodec.writeUuid(out, segmentId);
        }
    }

    /**
     * Replaces the dynamic configs of one entity: the cluster-wide broker default ({@code ""}) or one broker (its node
     * id), as Kafka's ConfigRecords of a BROKER resource do, or a client quota entity ({@link QuotaEntity#configEntity},
     * as Kafka's ClientQuotaRecords); an empty map removes them all.
     */
    record SetBrokerConfigs(String entity, Map<String, String> configs) implements MetadataCommand {
        public SetBrokerConfigs {
            configs = Map.copyOf(configs);
        }

        @Override
        public void validate() {
            if (!entity.isEmpty()
                    && !entity.chars().allMatch(Character::isDigit)
                    && QuotaEntity.fromConfigEntity(entity).isEmpty()) {
                throw new IllegalArgumentException("Invalid broker config entity '" + entity + "'");
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.setBrokerConfigs(entity, configs);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(19);
            MetadataCodec.writeString(out, entity);
            MetadataCodec.writeConfigs(out, configs);
        }
    }

    /** Adds, replaces and deletes users' SCRAM credentials (AlterUserScramCredentials), all in one entry. */
    record AlterScramCredentials(List<ScramCredentialStore.Change> changes) implements MetadataCommand {
        public AlterScramCredentials {
            changes = List.copyOf(changes);
        }

        @Override
        public void validate() {
            if (changes.stream().anyMatch(c -> c.user().isEmpty())) {
                throw new IllegalArgumentException("A SCRAM credential needs a user name");
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.scramCredentials().apply(changes);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(20);
            UserScramCredentials.writeChanges(out, changes);
        }
    }

    /** Adds and removes ACLs (CreateAcls, DeleteAcls): Kafka's AccessControlEntryRecord and its removal. */
    record ChangeAcls(List<AclBinding> added, List<AclBinding> removed) implements MetadataCommand {
        public ChangeAcls {
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }

        @Override
        public void validate() {
            if (added.stream().anyMatch(AclBinding::isUnknown)) {
                throw new IllegalArgumentException("An ACL with an unknown field cannot be stored: " + added);
            }
        }

        @Override
        public long applyTo(MetadataImage image) {
            image.changeAcls(added, removed);
            return 0;
        }

        @Override
        public void writeTo(DataOutputStream out) throws IOException {
            out.writeByte(21);
            MetadataCodec.writeAcls(out, added);
            MetadataCodec.writeAcls(out, removed);
        }
    }

    /**
     * Checks what the leader can check before the entry enters the log: applying a command must not fail, so what
     * could make it fail is refused here.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    default void validate() {}

    /**
     * Changes the image; the same command on the same image gives the same image on every voter.
     *
     * @return the answer to the writer: the first reserved id for {@link ReserveProducerIds}, a count for
     *     {@link ElectPreferred} and {@link ElectUnclean}, the negated Kafka error code of a refusal, else 0
     */
    long applyTo(MetadataImage image);

    /** Writes the type byte and the fields. */
    void writeTo(DataOutputStream out) throws IOException;

    default byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return bytes.toByteArray();
    }

    /** @throws IOException if the bytes are not exactly one command */
    static MetadataCommand fromBytes(byte[] bytes) throws IOException {
        return MetadataCodec.readCommand(bytes);
    }
}
