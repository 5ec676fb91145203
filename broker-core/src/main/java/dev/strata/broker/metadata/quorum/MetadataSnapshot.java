package dev.strata.broker.metadata.quorum;

import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.cluster.RemoteSegmentRecord;
import dev.strata.broker.metadata.TopicMetadata;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.Uuid;

/**
 * The snapshot format of a {@link MetadataImage}: the whole image in one file, big-endian, records in the
 * {@link MetadataCodec} encoding:
 *
 * <pre>
 *   int   format version (7)
 *   long  next producer id
 *   int   topic count, then the topics sorted by name, each followed by
 *           int partition-state count, then (int partition, state) sorted by partition
 *   int   broker count, then the brokers sorted by node id, each followed by its listener endpoints, byte
 *           {@link BrokerState} and
 *           int offline-replica count, then (uuid topic id, int partition) sorted
 *   byte  unclean.leader.election.enable broker default (1 or 0)
 *   int   remote log count, then sorted by topic id and partition: uuid topic id, int partition, long end offset,
 *           int segment count, then the remote segments sorted by start offset,
 *           int abandoned count, then the abandoned segment ids sorted
 *   int   dynamic broker config entity count, then sorted by entity: string entity ("" the cluster default, else a
 *           node id), configs
 *   the users' SCRAM credentials, as {@link UserScramCredentials} writes them
 *   acls  the ACLs, sorted
 * </pre>
 *
 * Version 6 had no listener endpoints. Version 5 had no ACLs. Version 4 had no SCRAM credentials. Version 3 had no dynamic broker configs.
 * Version 2 had no offline replicas, no unclean-election default (none, false) and no remote logs.
 * Version 1 (before clusters) had neither partition states nor broker states: its brokers load fenced, and its
 * partitions get replicas [the one registered broker] as soon as exactly one is registered, which is how a single
 * node's metadata upgrades. A metadata image is small (a partition is tens of bytes), so writing it whole at every
 * snapshot is cheaper than any incremental scheme would be to read. Everything is sorted, so that two voters with the
 * same image write the same bytes.
 *
 * <p>The same bytes answer a broker without a vote that asks a voter for its image. Stateless; the caller's thread
 * (Ratis's snapshot or apply thread, or a broker's image reader).
 */
final class MetadataSnapshot {
    private static final int FORMAT_VERSION = 7;
    private static final int FORMAT_VERSION_WITHOUT_ENDPOINTS = 6;
    private static final int FORMAT_VERSION_WITHOUT_ACLS = 5;
    private static final int FORMAT_VERSION_WITHOUT_SCRAM = 4;
    private static final int FORMAT_VERSION_WITHOUT_BROKER_CONFIGS = 3;
    private static final int FORMAT_VERSION_WITHOUT_OFFLINE_REPLICAS = 2;
    private static final int FORMAT_VERSION_WITHOUT_PARTITIONS = 1;

    private MetadataSnapshot() {}

    static void write(MetadataImage image, DataOutputStream out) throws IOException {
        out.writeInt(FORMAT_VERSION);
        out.writeLong(image.nextProducerId());
        List<TopicMetadata> topics = image.sortedTopics();
        out.writeInt(topics.size());
        for (TopicMetadata t : topics) {
            MetadataCodec.writeTopic(out, t);
            Map<Integer, PartitionState> states = new TreeMap<>(image.partitions(t.topicId()));
            out.writeInt(states.size());
            for (Map.Entry<Integer, PartitionState> e : states.entrySet()) {
                out.writeInt(e.getKey());
                MetadataCodec.writePartitionState(out, e.getValue());
            }
        }
        List<RegisteredBroker> registered = image.sortedBrokers();
        out.writeInt(registered.size());
        for (RegisteredBroker b : registered) {
            MetadataCodec.writeBroker(out, b.registration());
            MetadataCodec.writeEndpoints(out, b.registration().endpoints());
            out.writeByte(b.state().code);
            List<MetadataImage.PartitionRef> offline = b.offline().stream()
                    .sorted(Comparator.comparing((MetadataImage.PartitionRef r) ->
                                    r.topicId().toString())
                            .thenComparingInt(MetadataImage.PartitionRef::partition))
                    .toList();
            out.writeInt(offline.size());
            for (MetadataImage.PartitionRef r : offline) {
                MetadataCodec.writeUuid(out, r.topicId());
                out.writeInt(r.partition());
            }
        }
        out.writeByte(image.uncleanElectionDefault() ? 1 : 0);
        Map<RemoteLogs.PartitionKey, RemoteLogs.RemoteLog> logs =
                image.remoteLogs().sorted();
        out.writeInt(logs.size());
        for (Map.Entry<RemoteLogs.PartitionKey, RemoteLogs.RemoteLog> e : logs.entrySet()) {
            MetadataCodec.writeUuid(out, e.getKey().topicId());
            out.writeInt(e.getKey().partition());
            RemoteLogs.RemoteLog log = e.getValue();
            out.writeLong(log.endOffset());
            List<RemoteSegmentRecord> segments = log.byStartOffset();
            out.writeInt(segments.size());
            for (RemoteSegmentRecord segment : segments) {
                MetadataCodec.writeRemoteSegment(out, segment);
            }
            List<Uuid> abandoned = log.abandoned().stream().sorted().toList();
            out.writeInt(abandoned.size());
            for (Uuid id : abandoned) {
                MetadataCodec.writeUuid(out, id);
            }
        }
        Map<String, Map<String, String>> brokerConfigs = image.allBrokerConfigs();
        out.writeInt(brokerConfigs.size());
        for (Map.Entry<String, Map<String, String>> e : brokerConfigs.entrySet()) {
            MetadataCodec.writeString(out, e.getKey());
            MetadataCodec.writeConfigs(out, e.getValue());
        }
        image.scramCredentials().writeSnapshot(out);
        MetadataCodec.writeAcls(out, image.acls().sorted());
    }

    static MetadataImage read(DataInputStream in) throws IOException {
        int version = in.readInt();
        if (version != FORMAT_VERSION
                && version != FORMAT_VERSION_WITHOUT_ENDPOINTS
                && version != FORMAT_VERSION_WITHOUT_ACLS
                && version != FORMAT_VERSION_WITHOUT_SCRAM
                && version != FORMAT_VERSION_WITHOUT_BROKER_CONFIGS
                && version != FORMAT_VERSION_WITHOUT_OFFLINE_REPLICAS
                && version != FORMAT_VERSION_WITHOUT_PARTITIONS) {
            throw new IOException("Unknown metadata snapshot format version " + version);
        }
        boolean withStates = version >= FORMAT_VERSION_WITHOUT_OFFLINE_REPLICAS;
        boolean withOffline = version >= FORMAT_VERSION_WITHOUT_BROKER_CONFIGS;
        MetadataImage image = new MetadataImage();
        image.loadNextProducerId(in.readLong());
        int topics = in.readInt();
        for (int i = 0; i < topics; i++) {
            TopicMetadata t = MetadataCodec.readTopic(in);
            Map<Integer, PartitionState> states = new HashMap<>();
            if (withStates) {
                int count = in.readInt();
                if (count < 0 || count > MetadataCodec.MAX_LIST_LENGTH) {
                    throw new IOException("Invalid partition count " + count + " of topic " + t.name());
                }
                for (int p = 0; p < count; p++) {
                    states.put(in.readInt(), MetadataCodec.readPartitionState(in));
                }
            }
            image.loadTopic(t, withStates ? states : null);
        }
        int brokers = in.readInt();
        for (int i = 0; i < brokers; i++) {
            BrokerRegistration b = MetadataCodec.readBroker(in);
            if (version >= FORMAT_VERSION) {
                b = MetadataCodec.readEndpoints(in, b);
            }
            BrokerState state = withStates ? BrokerState.fromCode(in.readByte()) : BrokerState.FENCED;
            Set<MetadataImage.PartitionRef> offline = new HashSet<>();
            int offlineCount = withOffline ? in.readInt() : 0;
            if (offlineCount < 0 || offlineCount > MetadataCodec.MAX_LIST_LENGTH) {
                throw new IOException("Invalid offline replica count " + offlineCount + " of broker " + b.nodeId());
            }
            for (int r = 0; r < offlineCount; r++) {
                offline.add(new MetadataImage.PartitionRef(MetadataCodec.readUuid(in), in.readInt()));
            }
            image.loadBroker(new RegisteredBroker(b, state, offline));
        }
        if (withOffline) {
            image.loadUncleanElectionDefault(in.readByte() != 0);
        }
        if (version >= FORMAT_VERSION_WITHOUT_BROKER_CONFIGS) {
            readRemoteLogs(in, image.remoteLogs());
        }
        if (version >= FORMAT_VERSION_WITHOUT_SCRAM) {
            readBrokerConfigs(in, image);
        }
        if (version >= FORMAT_VERSION_WITHOUT_ACLS) {
            image.scramCredentials().readSnapshot(in);
        }
        if (version >= FORMAT_VERSION_WITHOUT_ENDPOINTS) {
            image.loadAcls(MetadataCodec.readAcls(in));
        }
        if (in.read() != -1) {
            throw new IOException("Bytes left after the metadata snapshot");
        }
        image.finishLoading(withStates);
        return image;
    }

    private static void readBrokerConfigs(DataInputStream in, MetadataImage into) throws IOException {
        int entities = in.readInt();
        if (entities < 0 || entities > MetadataCodec.MAX_LIST_LENGTH) {
            throw new IOException("Invalid broker config entity count " + entities);
        }
        for (int i = 0; i < entities; i++) {
            into.loadBrokerConfigs(MetadataCodec.readString(in), MetadataCodec.readConfigs(in));
        }
    }

    private static void readRemoteLogs(DataInputStream in, RemoteLogs into) throws IOException {
        int logs = in.readInt();
        if (logs < 0 || logs > MetadataCodec.MAX_LIST_LENGTH) {
            throw new IOException("Invalid remote log count " + logs);
        }
        for (int i = 0; i < logs; i++) {
            RemoteLogs.PartitionKey key = new RemoteLogs.PartitionKey(MetadataCodec.readUuid(in), in.readInt());
            long endOffset = in.readLong();
            int count = in.readInt();
            if (count < 0 || count > MetadataCodec.MAX_LIST_LENGTH) {
                throw new IOException("Invalid remote segment count " + count + " of " + key);
            }
            Map<Uuid, RemoteSegmentRecord> segments = new HashMap<>();
            for (int s = 0; s < count; s++) {
                RemoteSegmentRecord segment = MetadataCodec.readRemoteSegment(in);
                segments.put(segment.segmentId(), segment);
            }
            int abandonedCount = in.readInt();
            if (abandonedCount < 0 || abandonedCount > MetadataCodec.MAX_LIST_LENGTH) {
                throw new IOException("Invalid abandoned segment count " + abandonedCount + " of " + key);
            }
            Set<Uuid> abandoned = new HashSet<>();
            for (int s = 0; s < abandonedCount; s++) {
                abandoned.add(MetadataCodec.readUuid(in));
            }
            into.load(key, new RemoteLogs.RemoteLog(endOffset, segments, abandoned));
        }
    }
}
