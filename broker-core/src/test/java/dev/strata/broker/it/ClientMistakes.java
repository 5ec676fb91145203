package dev.strata.broker.it;

import dev.strata.broker.it.ConformanceTarget.GroupMember;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopicCollection;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicCollection;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfigCollection;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocolCollection;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceDataCollection;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsResponse;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.requests.DescribeProducersResponse;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.apache.kafka.common.requests.DescribeTopicPartitionsResponse;
import org.apache.kafka.common.requests.ElectLeadersRequest;
import org.apache.kafka.common.requests.ElectLeadersResponse;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.kafka.common.requests.TxnOffsetCommitResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

/**
 * The client mistakes {@link KafkaConformanceIT} makes against both brokers. Each scenario sends real requests (built
 * with kafka-clients' request classes, on a raw connection, so no client retries or maps the answer) and returns what
 * the broker answered as error names: one name for a single answer, {@code p<n>=NAME} per partition where a request
 * names several, and one name per step for a sequence. Scenarios only read the prepared topics and group, or create
 * names of their own, so their order does not matter, with one exception: deleting {@code __consumer_offsets}, which
 * both brokers allow, comes last.
 */
final class ClientMistakes {

    /** One partition holding {@link #RECORDS} records. */
    static final String TOPIC = "conform";
    /** One partition with {@code max.message.bytes=1024}. */
    static final String SMALL = "conform-small";
    /** One partition whose configs the AlterConfigs scenarios try to change. */
    static final String CONFIGS = "conform-configs";
    /** One compacted partition, which takes only records with a key. */
    static final String COMPACTED = "conform-compacted";

    static final Map<String, Map<String, String>> PREPARED_TOPICS = Map.of(
            TOPIC, Map.of(),
            SMALL, Map.of("max.message.bytes", "1024"),
            CONFIGS, Map.of(),
            COMPACTED, Map.of("cleanup.policy", "compact"));
    static final int RECORDS = 3;
    static final String GROUP = "conform-group";
    static final String OFFSETS_TOPIC = "__consumer_offsets";

    private static final String UNKNOWN_TOPIC = "conform-no-such-topic";
    private static final int UNKNOWN_PARTITION = 7;
    private static final Uuid UNKNOWN_TOPIC_ID = Uuid.fromString("fG5oTqs4RXyTtu0vdV9h1A");
    private static final String UNKNOWN_GROUP = "conform-no-such-group";
    private static final String UNKNOWN_MEMBER = "conform-no-such-member";
    private static final String TRANSACTIONAL_ID = "conform-transactional-id";
    private static final int SESSION_TIMEOUT_MS = 300_000;
    private static final int TIMEOUT_MS = 10_000;
    /** The last Produce and Fetch versions that name topics; later ones name them by id only. */
    private static final int LAST_VERSION_WITH_TOPIC_NAMES = 12;
    /** The last OffsetCommit version of the classic protocol; later ones name topics by id. */
    private static final int LAST_CLASSIC_OFFSET_COMMIT = 8;

    /** A client mistake, as a name and what it does to one broker. */
    record Scenario(String name, Check check) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Check {
        String run(ConformanceTarget target) throws Exception;
    }

    private ClientMistakes() {}

    static List<Scenario> all() {
        List<Scenario> s = new ArrayList<>();
        // a topic or partition that does not exist, in every API that names one
        for (boolean unknownTopic : new boolean[] {true, false}) {
            String topic = unknownTopic ? UNKNOWN_TOPIC : TOPIC;
            int p = unknownTopic ? 0 : UNKNOWN_PARTITION;
            String what = unknownTopic ? "unknown topic" : "unknown partition";
            s.add(new Scenario("Produce: " + what, t -> produce(t, topic, p, records("v"))));
            s.add(new Scenario("Fetch by name: " + what, t -> fetchByName(t, topic, p, 0, -1)));
            s.add(new Scenario("ListOffsets: " + what, t -> listOffsets(t, topic, p, -1L, -1)));
            s.add(new Scenario("OffsetForLeaderEpoch: " + what, t -> offsetForLeaderEpoch(t, topic, p, -1)));
            s.add(new Scenario("DeleteRecords: " + what, t -> deleteRecords(t, topic, p, 0)));
            s.add(new Scenario("OffsetCommit: " + what, t -> offsetCommit(t, "conform-simple", -1, "", topic, p)));
            s.add(new Scenario("OffsetFetch: " + what, t -> offsetFetch(t, GROUP, topic, p)));
            s.add(new Scenario("OffsetDelete: " + what, t -> offsetDelete(t, GROUP, topic, p)));
            s.add(new Scenario("ElectLeaders: " + what, t -> electPreferred(t, topic, p)));
            s.add(new Scenario("AlterPartitionReassignments: " + what, t -> reassign(t, topic, p, List.of(99))));
            s.add(new Scenario("DescribeProducers: " + what, t -> describeProducers(t, topic, p)));
        }
        // a refused commit stores nothing, and does not keep the partitions that exist from being committed
        s.add(new Scenario(
                "OffsetCommit then OffsetFetch: unknown topic",
                t -> offsetCommit(t, "conform-commit-unknown", -1, "", UNKNOWN_TOPIC, 0) + " then "
                        + offsetFetch(t, "conform-commit-unknown", UNKNOWN_TOPIC, 0)));
        s.add(new Scenario(
                "OffsetCommit: an existing and an unknown partition",
                t -> offsetCommit(t, "conform-commit-mixed", -1, "", TOPIC, 0, UNKNOWN_PARTITION)));
        s.add(new Scenario("Metadata: unknown topic", t -> metadata(t, UNKNOWN_TOPIC)));
        s.add(new Scenario("Metadata: invalid topic name", t -> metadata(t, "a/b")));
        s.add(new Scenario(
                "DescribeTopicPartitions: unknown topic and invalid topic name",
                t -> describeTopicPartitions(t, null, UNKNOWN_TOPIC, "a/b", TOPIC)));
        s.add(new Scenario(
                "DescribeTopicPartitions: cursor on a topic not asked for",
                t -> describeTopicPartitions(t, UNKNOWN_TOPIC, TOPIC)));
        s.add(new Scenario("Fetch by id: unknown topic id", t -> fetchById(t, UNKNOWN_TOPIC_ID, 0)));
        s.add(new Scenario("Fetch by id: unknown partition", t -> fetchById(t, t.topicId(TOPIC), UNKNOWN_PARTITION)));
        s.add(new Scenario(
                "DescribeConfigs: unknown topic", t -> describeConfigs(t, ConfigResource.Type.TOPIC, UNKNOWN_TOPIC)));
        s.add(new Scenario(
                "DescribeConfigs: unknown broker id", t -> describeConfigs(t, ConfigResource.Type.BROKER, "99")));
        s.add(new Scenario("AlterConfigs: unknown topic", t -> alterConfigs(t, UNKNOWN_TOPIC, "retention.ms", "1000")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: unknown topic",
                t -> incrementalAlterConfigs(t, UNKNOWN_TOPIC, "retention.ms", "1000")));
        s.add(new Scenario("CreatePartitions: unknown topic", t -> createPartitions(t, UNKNOWN_TOPIC, 2)));
        s.add(new Scenario("DeleteTopics: unknown topic", t -> deleteTopicByName(t, UNKNOWN_TOPIC)));
        s.add(new Scenario("DeleteTopics: unknown topic id", t -> deleteTopicById(t, UNKNOWN_TOPIC_ID)));

        // offsets and timestamps that are out of range
        s.add(new Scenario("Fetch: offset past the log end", t -> fetchByName(t, TOPIC, 0, 1_000, -1)));
        s.add(new Scenario("Fetch: negative offset", t -> fetchByName(t, TOPIC, 0, -5, -1)));

        // incremental fetch sessions (KIP-227)
        s.add(new Scenario("Fetch session: unknown session id", t -> fetchSession(t, 0x7eadbeef, 1, List.of())));
        s.add(new Scenario("Fetch session: an idle session's fetches", t -> idleFetchSession(t, false)));
        s.add(new Scenario("Fetch session: wrong epoch", t -> {
            int session = openFetchSession(t);
            return fetchSession(t, session, 5, List.of());
        }));
        s.add(new Scenario("Fetch session: by name on a session by topic id", t -> idleFetchSession(t, true)));
        s.add(new Scenario("Fetch: current leader epoch from the future", t -> fetchByName(t, TOPIC, 0, 0, 99)));
        s.add(new Scenario("ListOffsets: invalid timestamp -7", t -> listOffsets(t, TOPIC, 0, -7L, -1)));
        s.add(new Scenario(
                "ListOffsets: earliest pending upload (-6) of a topic without tiering",
                t -> listOffsets(t, TOPIC, 0, ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP, -1)));
        s.add(new Scenario(
                "ListOffsets: current leader epoch from the future", t -> listOffsets(t, TOPIC, 0, -1L, 99)));
        s.add(new Scenario(
                "OffsetForLeaderEpoch: current leader epoch from the future",
                t -> offsetForLeaderEpoch(t, TOPIC, 0, 99)));
        s.add(new Scenario("DeleteRecords: offset past the high watermark", t -> deleteRecords(t, TOPIC, 0, 1_000)));
        s.add(new Scenario("DeleteRecords: offset -7", t -> deleteRecords(t, TOPIC, 0, -7)));

        // configs and topic creation
        s.add(new Scenario(
                "CreateTopics: invalid config value",
                t -> createTopic(t, "conform-bad-value", 1, 1, Map.of("cleanup.policy", "bogus"))));
        s.add(new Scenario(
                "CreateTopics: non-numeric config value",
                t -> createTopic(t, "conform-bad-number", 1, 1, Map.of("retention.ms", "soon"))));
        s.add(new Scenario(
                "CreateTopics: unknown config name",
                t -> createTopic(t, "conform-bad-name", 1, 1, Map.of("no.such.config", "1"))));
        s.add(new Scenario("CreateTopics: 0 partitions", t -> createTopic(t, "conform-p0", 0, 1, Map.of())));
        s.add(new Scenario("CreateTopics: -2 partitions", t -> createTopic(t, "conform-p-2", -2, 1, Map.of())));
        s.add(new Scenario("CreateTopics: replication factor 0", t -> createTopic(t, "conform-rf0", 1, 0, Map.of())));
        s.add(new Scenario(
                "CreateTopics: replication factor -2", t -> createTopic(t, "conform-rf-2", 1, -2, Map.of())));
        s.add(new Scenario(
                "CreateTopics: replication factor above the broker count",
                t -> createTopic(t, "conform-rf3", 1, 3, Map.of())));
        s.add(new Scenario(
                "CreateTopics: broker defaults (-1, -1) are valid",
                t -> createTopic(t, "conform-defaults", -1, -1, Map.of())));
        s.add(new Scenario("CreateTopics: name a/b", t -> createTopic(t, "a/b", 1, 1, Map.of())));
        s.add(new Scenario("CreateTopics: name ..", t -> createTopic(t, "..", 1, 1, Map.of())));
        s.add(new Scenario(
                "CreateTopics: name of 250 characters", t -> createTopic(t, "x".repeat(250), 1, 1, Map.of())));
        s.add(new Scenario("CreateTopics: empty name", t -> createTopic(t, "", 1, 1, Map.of())));
        s.add(new Scenario("CreateTopics: existing topic", t -> createTopic(t, TOPIC, 1, 1, Map.of())));
        s.add(new Scenario(
                "CreateTopics: the same name twice in one request", t -> createTopicTwice(t, "conform-twice")));
        s.add(new Scenario(
                "AlterConfigs: invalid config value", t -> alterConfigs(t, CONFIGS, "cleanup.policy", "bogus")));
        s.add(new Scenario("AlterConfigs: unknown config name", t -> alterConfigs(t, CONFIGS, "no.such.config", "1")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: invalid config value",
                t -> incrementalAlterConfigs(t, CONFIGS, "retention.ms", "soon")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: unknown config name",
                t -> incrementalAlterConfigs(t, CONFIGS, "no.such.config", "1")));
        s.add(new Scenario("CreatePartitions: same count", t -> createPartitions(t, TOPIC, 1)));

        // dynamic broker configs (validate-only, so that nothing is left behind) and logger levels
        s.add(new Scenario(
                "IncrementalAlterConfigs: unknown broker config",
                t -> alterBroker(t, ConfigResource.Type.BROKER, "", "no.such.config", "1")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: read-only broker config",
                t -> alterBroker(t, ConfigResource.Type.BROKER, "", "log.dirs", "/elsewhere")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: bad broker config value",
                t -> alterBroker(t, ConfigResource.Type.BROKER, "1", "log.retention.ms", "soon")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: another broker's id",
                t -> alterBroker(t, ConfigResource.Type.BROKER, "99", "log.retention.ms", "1000")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: bad logger level",
                t -> alterBroker(t, ConfigResource.Type.BROKER_LOGGER, "1", "root", "LOUD")));
        s.add(new Scenario(
                "IncrementalAlterConfigs: unknown logger",
                t -> alterBroker(t, ConfigResource.Type.BROKER_LOGGER, "1", "no.such.logger", "INFO")));
        s.add(new Scenario(
                "DescribeConfigs: loggers without a broker id",
                t -> describeConfigs(t, ConfigResource.Type.BROKER_LOGGER, "")));

        // cluster administration on a partition of one broker
        s.add(new Scenario("ElectLeaders: the preferred replica leads already", t -> electPreferred(t, TOPIC, 0)));
        s.add(new Scenario(
                "AlterPartitionReassignments: cancel with none in progress", t -> reassign(t, TOPIC, 0, null)));
        s.add(new Scenario(
                "AlterPartitionReassignments: unregistered broker", t -> reassign(t, TOPIC, 0, List.of(99))));
        s.add(new Scenario(
                "AlterPartitionReassignments: repeated broker", t -> reassign(t, TOPIC, 0, List.of(99, 99))));
        s.add(new Scenario("AlterPartitionReassignments: empty replica list", t -> reassign(t, TOPIC, 0, List.of())));
        s.add(new Scenario(
                "CreateTopics: assignment naming an unregistered broker",
                t -> createTopicOn(t, "conform-assigned", List.of(99))));
        s.add(new Scenario("CreatePartitions: 0 partitions", t -> createPartitions(t, TOPIC, 0)));

        // records
        s.add(new Scenario(
                "Produce: record larger than max.message.bytes",
                t -> produce(t, SMALL, 0, records("x".repeat(2_000)))));

        // classic groups: wrong generation, unknown member, unknown group
        s.add(new Scenario(
                "JoinGroup: unknown member id",
                t -> joinGroup(t, GROUP, UNKNOWN_MEMBER, "consumer", SESSION_TIMEOUT_MS)));
        s.add(new Scenario(
                "JoinGroup: unknown member id in an unknown group",
                t -> joinGroup(t, UNKNOWN_GROUP, UNKNOWN_MEMBER, "consumer", SESSION_TIMEOUT_MS)));
        s.add(new Scenario(
                "JoinGroup: session timeout below the broker minimum",
                t -> joinGroup(t, "conform-short-session", "", "consumer", 1_000)));
        s.add(new Scenario(
                "JoinGroup: protocol type the group does not use",
                t -> joinGroup(t, GROUP, "", "connect", SESSION_TIMEOUT_MS)));
        s.add(new Scenario(
                "SyncGroup: wrong generation",
                t -> syncGroup(t, GROUP, t.member().memberId(), t.member().generation() + 1)));
        s.add(new Scenario(
                "SyncGroup: unknown member id",
                t -> syncGroup(t, GROUP, UNKNOWN_MEMBER, t.member().generation())));
        s.add(new Scenario("SyncGroup: unknown group", t -> syncGroup(t, UNKNOWN_GROUP, UNKNOWN_MEMBER, 1)));
        s.add(new Scenario(
                "Heartbeat: wrong generation",
                t -> heartbeat(t, GROUP, t.member().memberId(), t.member().generation() + 1)));
        s.add(new Scenario(
                "Heartbeat: unknown member id",
                t -> heartbeat(t, GROUP, UNKNOWN_MEMBER, t.member().generation())));
        s.add(new Scenario("Heartbeat: unknown group", t -> heartbeat(t, UNKNOWN_GROUP, UNKNOWN_MEMBER, 1)));
        s.add(new Scenario(
                "OffsetCommit: wrong generation",
                t -> offsetCommit(
                        t, GROUP, t.member().generation() + 1, t.member().memberId(), TOPIC, 0)));
        s.add(new Scenario(
                "OffsetCommit: unknown member id",
                t -> offsetCommit(t, GROUP, t.member().generation(), UNKNOWN_MEMBER, TOPIC, 0)));
        s.add(new Scenario(
                "OffsetCommit: generation of a group that does not exist",
                t -> offsetCommit(t, UNKNOWN_GROUP, 3, UNKNOWN_MEMBER, TOPIC, 0)));
        s.add(new Scenario("LeaveGroup: unknown member id", t -> leaveGroup(t, GROUP, UNKNOWN_MEMBER)));
        s.add(new Scenario("LeaveGroup: unknown group", t -> leaveGroup(t, UNKNOWN_GROUP, UNKNOWN_MEMBER)));
        s.add(new Scenario("DescribeGroups: unknown group", t -> describeGroup(t, UNKNOWN_GROUP)));
        s.add(new Scenario("DeleteGroups: unknown group", t -> deleteGroup(t, UNKNOWN_GROUP)));
        s.add(new Scenario("DeleteGroups: group with a member", t -> deleteGroup(t, GROUP)));
        s.add(new Scenario("OffsetFetch: unknown group", t -> offsetFetch(t, UNKNOWN_GROUP, TOPIC, 0)));
        s.add(new Scenario("OffsetDelete: unknown group", t -> offsetDelete(t, UNKNOWN_GROUP, TOPIC, 0)));

        // idempotent producers: sequences and epochs
        s.add(new Scenario("Produce idempotent: sequence gap", t -> idempotent(t, new int[][] {{0, 0}, {0, 5}})));
        s.add(new Scenario(
                "Produce idempotent: stale producer epoch", t -> idempotent(t, new int[][] {{0, 0}, {1, 0}, {0, 1}})));
        s.add(new Scenario(
                "Produce idempotent: new epoch not at sequence 0", t -> idempotent(t, new int[][] {{0, 0}, {1, 3}})));
        s.add(new Scenario("Produce idempotent: duplicate batch", t -> idempotent(t, new int[][] {{0, 0}, {0, 0}})));
        s.add(new Scenario(
                "Produce idempotent: first batch not at sequence 0", t -> idempotent(t, new int[][] {{0, 4}})));
        s.add(new Scenario(
                "Produce idempotent: producer id never allocated",
                t -> produce(t, TOPIC, 0, idempotentRecords(987_654_321L, (short) 0, 0))));

        // internal topics and transactions
        s.add(new Scenario("DeleteRecords: __consumer_offsets", t -> deleteRecords(t, OFFSETS_TOPIC, 0, 0)));
        s.add(new Scenario("Produce: __consumer_offsets", t -> produce(t, OFFSETS_TOPIC, 0, records("v"))));

        // KIP-467: the records a batch is refused for, by index
        s.add(new Scenario(
                "Produce: records without a key to a compacted topic",
                t -> produce(t, COMPACTED, 0, keyedRecords("k0", null, "k2", null))));
        s.add(new Scenario(
                "FindCoordinator: key type TRANSACTION",
                t -> findCoordinator(t, FindCoordinatorRequest.CoordinatorType.TRANSACTION, TRANSACTIONAL_ID)));
        s.add(new Scenario("InitProducerId: transactional id", t -> initProducerId(t, TRANSACTIONAL_ID)));
        s.add(new Scenario(
                "InitProducerId: transaction timeout above transaction.max.timeout.ms",
                t -> initProducerId(t, "conform-long-timeout", 900_001)));
        s.add(new Scenario("EndTxn: without InitProducerId", ClientMistakes::endTxnWithoutInit));
        s.add(new Scenario("TxnOffsetCommit: unknown transactional id", ClientMistakes::txnOffsetCommitUnknownId));
        s.add(new Scenario(
                "Produce transactional: partition not added to the transaction",
                ClientMistakes::transactionalProduceNotAdded));
        s.add(new Scenario(
                "WriteTxnMarkers: unknown topic", t -> writeTxnMarker(t, UNKNOWN_TOPIC, 0, 1L, (short) 0, false)));
        s.add(new Scenario(
                "WriteTxnMarkers: unknown partition", t -> writeTxnMarker(t, TOPIC, 99, 1L, (short) 0, false)));
        s.add(new Scenario("WriteTxnMarkers: producer without a transaction", t -> markerAfterIdempotent(t, 0, 0)));
        s.add(new Scenario(
                "WriteTxnMarkers: producer epoch older than the log's", t -> markerAfterIdempotent(t, 1, 0)));
        // SASL on a PLAINTEXT listener: the connection is authenticated (anonymous) already
        s.add(new Scenario(
                "SaslHandshake: on a PLAINTEXT listener",
                t -> err(((SaslHandshakeResponse) t.send(
                                new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN"))))
                        .data()
                        .errorCode())));
        s.add(new Scenario(
                "SaslAuthenticate: on a PLAINTEXT listener",
                t -> err(((SaslAuthenticateResponse) t.send(new SaslAuthenticateRequest.Builder(
                                new SaslAuthenticateRequestData().setAuthBytes(new byte[] {0, 'a', 0, 'b'}))))
                        .data()
                        .errorCode())));
        // last: both brokers delete it, and every group scenario needs it
        s.add(new Scenario("DeleteTopics: __consumer_offsets", t -> deleteTopicByName(t, OFFSETS_TOPIC)));
        return List.copyOf(s);
    }

    // ---- preparation, the same on both brokers

    /** Joins and syncs the one member of {@link #GROUP}, which stays for the whole class (its session is long). */
    static GroupMember joinPreparedGroup(ConformanceTarget t) throws Exception {
        JoinGroupResponseData joined = join(t, GROUP, "", "consumer", SESSION_TIMEOUT_MS);
        if (joined.errorCode() == Errors.MEMBER_ID_REQUIRED.code()) {
            joined = join(t, GROUP, joined.memberId(), "consumer", SESSION_TIMEOUT_MS);
        }
        if (joined.errorCode() != Errors.NONE.code()) {
            throw new AssertionError(t + ": JoinGroup " + GROUP + " failed: " + err(joined.errorCode()));
        }
        String synced = syncGroup(t, GROUP, joined.memberId(), joined.generationId());
        if (!synced.equals(Errors.NONE.name())) {
            throw new AssertionError(t + ": SyncGroup " + GROUP + " failed: " + synced);
        }
        return new GroupMember(GROUP, joined.memberId(), joined.generationId());
    }

    /** Every partition of the prepared topics has a leader, and {@link #TOPIC} holds {@link #RECORDS} records. */
    static String fillPrepared(ConformanceTarget t) throws Exception {
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            answers.add(produce(t, TOPIC, 0, records("record-" + i)));
        }
        return String.join(",", answers);
    }

    /** The prepared topics' metadata, or the error that says they are not ready. */
    static Map<String, MetadataResponseTopic> metadataOf(ConformanceTarget t, Collection<String> topics)
            throws Exception {
        MetadataRequestData data = new MetadataRequestData()
                .setAllowAutoTopicCreation(false)
                .setTopics(topics.stream()
                        .map(name -> new MetadataRequestTopic().setName(name))
                        .toList());
        MetadataResponse response = t.send(new MetadataRequest.Builder(data));
        Map<String, MetadataResponseTopic> byName = new HashMap<>();
        response.data().topics().forEach(topic -> byName.put(topic.name(), topic));
        return byName;
    }

    static String findCoordinator(ConformanceTarget t, FindCoordinatorRequest.CoordinatorType type, String key)
            throws Exception {
        short version = t.version(ApiKeys.FIND_COORDINATOR);
        FindCoordinatorRequestData data = new FindCoordinatorRequestData().setKeyType(type.id());
        if (version >= 4) {
            data.setCoordinatorKeys(List.of(key));
        } else {
            data.setKey(key);
        }
        FindCoordinatorResponse response = t.send(new FindCoordinatorRequest.Builder(data));
        if (version >= 4) {
            return err(response.data().coordinators().get(0).errorCode());
        }
        return err(response.data().errorCode());
    }

    // ---- one request each

    private static String metadata(ConformanceTarget t, String topic) throws Exception {
        return err(metadataOf(t, List.of(topic)).get(topic).errorCode());
    }

    private static MemoryRecords records(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes(StandardCharsets.UTF_8)));
    }

    /** One batch with a record per key; a null key makes a record without a key. */
    private static MemoryRecords keyedRecords(String... keys) {
        SimpleRecord[] records = new SimpleRecord[keys.length];
        for (int i = 0; i < keys.length; i++) {
            records[i] = new SimpleRecord(
                    keys[i] == null ? null : keys[i].getBytes(StandardCharsets.UTF_8),
                    ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(Compression.NONE, records);
    }

    private static MemoryRecords idempotentRecords(long producerId, short epoch, int sequence) {
        return MemoryRecords.withIdempotentRecords(
                Compression.NONE,
                producerId,
                epoch,
                sequence,
                new SimpleRecord(("seq-" + sequence).getBytes(StandardCharsets.UTF_8)));
    }

    private static String produce(ConformanceTarget t, String topic, int partition, MemoryRecords records)
            throws Exception {
        ProduceRequestData data = new ProduceRequestData()
                .setAcks((short) -1)
                .setTimeoutMs(TIMEOUT_MS)
                .setTopicData(new TopicProduceDataCollection(List.of(new TopicProduceData()
                                .setName(topic)
                                .setPartitionData(List.of(new PartitionProduceData()
                                        .setIndex(partition)
                                        .setRecords(records))))
                        .iterator()));
        ProduceResponse response = t.sendAtMost(ProduceRequest.builder(data), LAST_VERSION_WITH_TOPIC_NAMES);
        String answer = partitions(response.data().responses().stream()
                .flatMap(r -> r.partitionResponses().stream().map(p -> Map.entry(p.index(), p.errorCode()))));
        // KIP-467: the indexes of the records the batch was refused for, when the broker names them
        List<Integer> refused = new ArrayList<>();
        response.data().responses().forEach(r -> r.partitionResponses()
                .forEach(p -> p.recordErrors().forEach(e -> refused.add(e.batchIndex()))));
        return refused.isEmpty() ? answer : answer + " records " + refused;
    }

    private static InitProducerIdResponse newIdempotentProducer(ConformanceTarget t) throws Exception {
        return t.send(new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                .setTransactionalId(null)
                .setTransactionTimeoutMs(Integer.MAX_VALUE)
                .setProducerId(-1)
                .setProducerEpoch((short) -1)));
    }

    /** Starts a producer id, then produces one batch per {@code {epoch, sequence}} step; the answer to each step. */
    private static String idempotent(ConformanceTarget t, int[][] steps) throws Exception {
        InitProducerIdResponse init = newIdempotentProducer(t);
        if (init.data().errorCode() != Errors.NONE.code()) {
            return "InitProducerId=" + err(init.data().errorCode());
        }
        long producerId = init.data().producerId();
        short epoch = init.data().producerEpoch();
        List<String> answers = new ArrayList<>();
        for (int[] step : steps) {
            answers.add(produce(t, TOPIC, 0, idempotentRecords(producerId, (short) (epoch + step[0]), step[1])));
        }
        return String.join(",", answers);
    }

    /**
     * A producer id from InitProducerId writes one idempotent batch at its epoch plus {@code produceEpochDelta}; then
     * a transaction marker (abort) at its epoch plus {@code markerEpochDelta}.
     */
    private static String markerAfterIdempotent(ConformanceTarget t, int produceEpochDelta, int markerEpochDelta)
            throws Exception {
        InitProducerIdResponse init = newIdempotentProducer(t);
        if (init.data().errorCode() != Errors.NONE.code()) {
            return "InitProducerId=" + err(init.data().errorCode());
        }
        long producerId = init.data().producerId();
        short epoch = init.data().producerEpoch();
        String produced = produce(t, TOPIC, 0, idempotentRecords(producerId, (short) (epoch + produceEpochDelta), 0));
        return produced + "," + writeTxnMarker(t, TOPIC, 0, producerId, (short) (epoch + markerEpochDelta), false);
    }

    private static String writeTxnMarker(
            ConformanceTarget t, String topic, int partition, long producerId, short epoch, boolean commit)
            throws Exception {
        WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData()
                .setMarkers(List.of(new WritableTxnMarker()
                        .setProducerId(producerId)
                        .setProducerEpoch(epoch)
                        .setTransactionResult(commit)
                        .setCoordinatorEpoch(0)
                        .setTopics(List.of(
                                new WritableTxnMarkerTopic().setName(topic).setPartitionIndexes(List.of(partition))))));
        WriteTxnMarkersResponse response = t.send(new WriteTxnMarkersRequest.Builder(data));
        return partitions(response.data().markers().stream()
                .flatMap(m -> m.topics().stream())
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    private static FetchRequestData fetchData(FetchTopic topic) {
        return new FetchRequestData()
                .setReplicaId(-1)
                .setMaxWaitMs(0)
                .setMinBytes(0)
                .setMaxBytes(1 << 20)
                .setIsolationLevel(IsolationLevel.READ_UNCOMMITTED.id())
                .setSessionId(0)
                .setSessionEpoch(-1)
                .setTopics(List.of(topic));
    }

    private static FetchPartition fetchPartition(int partition, long offset, int currentLeaderEpoch) {
        return new FetchPartition()
                .setPartition(partition)
                .setFetchOffset(offset)
                .setCurrentLeaderEpoch(currentLeaderEpoch)
                .setLogStartOffset(-1)
                .setPartitionMaxBytes(1 << 20);
    }

    private static String fetchByName(
            ConformanceTarget t, String topic, int partition, long offset, int currentLeaderEpoch) throws Exception {
        FetchTopic fetchTopic = new FetchTopic()
                .setTopic(topic)
                .setPartitions(List.of(fetchPartition(partition, offset, currentLeaderEpoch)));
        FetchResponse response =
                t.sendAtMost(new FetchRequest.SimpleBuilder(fetchData(fetchTopic)), LAST_VERSION_WITH_TOPIC_NAMES);
        return fetchAnswer(response);
    }

    private static String fetchById(ConformanceTarget t, Uuid topicId, int partition) throws Exception {
        short version = t.version(ApiKeys.FETCH);
        if (version <= LAST_VERSION_WITH_TOPIC_NAMES) {
            throw new AssertionError("the brokers share no Fetch version with topic ids: " + version);
        }
        FetchTopic fetchTopic =
                new FetchTopic().setTopicId(topicId).setPartitions(List.of(fetchPartition(partition, 0, -1)));
        return fetchAnswer(t.send(new FetchRequest.SimpleBuilder(fetchData(fetchTopic))));
    }

    /** Opens a fetch session on partition 0 of {@link #TOPIC} by topic id at offset 0; its id (0: none). */
    private static int openFetchSession(ConformanceTarget t) throws Exception {
        FetchTopic topic =
                new FetchTopic().setTopicId(t.topicId(TOPIC)).setPartitions(List.of(fetchPartition(0, 0, -1)));
        FetchResponse response =
                t.send(new FetchRequest.SimpleBuilder(fetchData(topic).setSessionEpoch(0)));
        return response.data().sessionId();
    }

    /** A fetch of session {@code id} at {@code epoch} naming {@code changed} of {@link #TOPIC}: its error, or its partitions. */
    private static String fetchSession(ConformanceTarget t, int id, int epoch, List<FetchPartition> changed)
            throws Exception {
        FetchTopic topic = new FetchTopic().setTopicId(t.topicId(TOPIC)).setPartitions(changed);
        FetchRequestData data = fetchData(topic).setSessionId(id).setSessionEpoch(epoch);
        if (changed.isEmpty()) {
            data.setTopics(List.of());
        }
        FetchResponse response = t.send(new FetchRequest.SimpleBuilder(data));
        if (response.data().errorCode() != Errors.NONE.code()) {
            return err(response.data().errorCode());
        }
        return "session "
                + (response.data().sessionId() == id ? "kept" : response.data().sessionId()) + ", partitions "
                + response.data().responses().stream()
                        .flatMap(r -> r.partitions().stream())
                        .map(p -> p.partitionIndex() + "")
                        .collect(Collectors.joining(",", "[", "]"));
    }

    /**
     * Opens a session, moves its fetch offset to the log end, then fetches it with no change: by topic id, or by name
     * (the last version with names) when {@code byName}.
     */
    private static String idleFetchSession(ConformanceTarget t, boolean byName) throws Exception {
        int session = openFetchSession(t);
        if (session == 0) {
            return "no session";
        }
        FetchTopic topic =
                new FetchTopic().setTopicId(t.topicId(TOPIC)).setPartitions(List.of(fetchPartition(0, 0, -1)));
        FetchResponse read = t.send(new FetchRequest.SimpleBuilder(
                fetchData(topic).setSessionId(session).setSessionEpoch(1)));
        long end = read.data().responses().get(0).partitions().get(0).highWatermark();
        String atEnd = fetchSession(t, session, 2, List.of(fetchPartition(0, end, -1)));
        if (byName) {
            FetchRequestData data = fetchData(new FetchTopic().setTopic(TOPIC).setPartitions(List.of()))
                    .setSessionId(session)
                    .setSessionEpoch(3)
                    .setTopics(List.of());
            FetchResponse response = t.sendAtMost(new FetchRequest.SimpleBuilder(data), LAST_VERSION_WITH_TOPIC_NAMES);
            return atEnd + "; by name: " + err(response.data().errorCode());
        }
        return atEnd + "; idle: " + fetchSession(t, session, 3, List.of());
    }

    private static String fetchAnswer(FetchResponse response) {
        if (response.data().errorCode() != Errors.NONE.code()) {
            return err(response.data().errorCode());
        }
        return partitions(response.data().responses().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    static String listOffsets(ConformanceTarget t, String topic, int partition, long timestamp, int currentLeaderEpoch)
            throws Exception {
        ListOffsetsTopic listTopic = new ListOffsetsTopic()
                .setName(topic)
                .setPartitions(List.of(new ListOffsetsPartition()
                        .setPartitionIndex(partition)
                        .setTimestamp(timestamp)
                        .setCurrentLeaderEpoch(currentLeaderEpoch)));
        ListOffsetsResponse response =
                t.send(ListOffsetsRequest.Builder.forConsumer(false, IsolationLevel.READ_UNCOMMITTED)
                        .setTargetTimes(List.of(listTopic)));
        return partitions(response.data().topics().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    /** {@code name=ERROR} per topic of the answer, in the answer's order; a cursor at partition 0 of {@code cursorTopic}. */
    private static String describeTopicPartitions(ConformanceTarget t, String cursorTopic, String... topics)
            throws Exception {
        DescribeTopicPartitionsRequestData data = new DescribeTopicPartitionsRequestData();
        for (String topic : topics) {
            data.topics().add(new DescribeTopicPartitionsRequestData.TopicRequest().setName(topic));
        }
        if (cursorTopic != null) {
            data.setCursor(new DescribeTopicPartitionsRequestData.Cursor()
                    .setTopicName(cursorTopic)
                    .setPartitionIndex(0));
        }
        DescribeTopicPartitionsResponse response = t.send(new DescribeTopicPartitionsRequest.Builder(data));
        return response.data().topics().stream()
                .map(r -> r.name() + "=" + err(r.errorCode()))
                .collect(Collectors.joining(" "));
    }

    private static String offsetForLeaderEpoch(ConformanceTarget t, String topic, int partition, int currentLeaderEpoch)
            throws Exception {
        OffsetForLeaderTopicCollection topics = new OffsetForLeaderTopicCollection();
        topics.add(new OffsetForLeaderTopic()
                .setTopic(topic)
                .setPartitions(List.of(new OffsetForLeaderPartition()
                        .setPartition(partition)
                        .setLeaderEpoch(0)
                        .setCurrentLeaderEpoch(currentLeaderEpoch))));
        OffsetsForLeaderEpochResponse response = t.send(OffsetsForLeaderEpochRequest.Builder.forConsumer(topics));
        return partitions(response.data().topics().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partition(), p.errorCode()))));
    }

    private static String deleteRecords(ConformanceTarget t, String topic, int partition, long offset)
            throws Exception {
        DeleteRecordsRequestData data = new DeleteRecordsRequestData()
                .setTimeoutMs(TIMEOUT_MS)
                .setTopics(List.of(new DeleteRecordsTopic()
                        .setName(topic)
                        .setPartitions(List.of(new DeleteRecordsPartition()
                                .setPartitionIndex(partition)
                                .setOffset(offset)))));
        DeleteRecordsResponse response = t.send(new DeleteRecordsRequest.Builder(data));
        return partitions(response.data().topics().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    private static String offsetCommit(
            ConformanceTarget t, String group, int generation, String memberId, String topic, int... partitions)
            throws Exception {
        List<OffsetCommitRequestPartition> committed = new ArrayList<>();
        for (int partition : partitions) {
            committed.add(new OffsetCommitRequestPartition()
                    .setPartitionIndex(partition)
                    .setCommittedOffset(1));
        }
        OffsetCommitRequestData data = new OffsetCommitRequestData()
                .setGroupId(group)
                .setGenerationIdOrMemberEpoch(generation)
                .setMemberId(memberId)
                .setTopics(List.of(new OffsetCommitRequestTopic().setName(topic).setPartitions(committed)));
        OffsetCommitResponse response =
                t.sendAtMost(OffsetCommitRequest.Builder.forTopicNames(data), LAST_CLASSIC_OFFSET_COMMIT);
        return partitions(response.data().topics().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    private static String offsetFetch(ConformanceTarget t, String group, String topic, int partition) throws Exception {
        OffsetFetchRequestData data = new OffsetFetchRequestData()
                .setGroups(List.of(new OffsetFetchRequestGroup()
                        .setGroupId(group)
                        .setTopics(List.of(new OffsetFetchRequestTopics()
                                .setName(topic)
                                .setPartitionIndexes(List.of(partition))))));
        // v8 is the first version with groups and the last that names topics only by name
        OffsetFetchResponse response = t.sendAtMost(OffsetFetchRequest.Builder.forTopicNames(data, false), 8);
        List<String> answers = new ArrayList<>();
        response.data().groups().forEach(g -> {
            answers.add("group=" + err(g.errorCode()));
            g.topics().forEach(topicAnswer -> topicAnswer
                    .partitions()
                    .forEach(p -> answers.add(
                            "p" + p.partitionIndex() + "=" + err(p.errorCode()) + "@" + p.committedOffset())));
        });
        return String.join(" ", answers);
    }

    private static String offsetDelete(ConformanceTarget t, String group, String topic, int partition)
            throws Exception {
        OffsetDeleteRequestTopicCollection topics = new OffsetDeleteRequestTopicCollection();
        topics.add(new OffsetDeleteRequestTopic()
                .setName(topic)
                .setPartitions(List.of(new OffsetDeleteRequestPartition().setPartitionIndex(partition))));
        OffsetDeleteResponse response = t.send(new OffsetDeleteRequest.Builder(
                new OffsetDeleteRequestData().setGroupId(group).setTopics(topics)));
        if (response.data().errorCode() != Errors.NONE.code()) {
            return err(response.data().errorCode());
        }
        return partitions(response.data().topics().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    private static String describeConfigs(ConformanceTarget t, ConfigResource.Type type, String name) throws Exception {
        DescribeConfigsRequestData data = new DescribeConfigsRequestData()
                .setResources(List.of(new DescribeConfigsResource()
                        .setResourceType(type.id())
                        .setResourceName(name)
                        .setConfigurationKeys(null)));
        DescribeConfigsResponse response = t.send(new DescribeConfigsRequest.Builder(data));
        return errors(response.data().results().stream().map(r -> r.errorCode()));
    }

    private static String alterConfigs(ConformanceTarget t, String topic, String name, String value) throws Exception {
        Map<ConfigResource, AlterConfigsRequest.Config> configs = Map.of(
                new ConfigResource(ConfigResource.Type.TOPIC, topic),
                new AlterConfigsRequest.Config(List.of(new AlterConfigsRequest.ConfigEntry(name, value))));
        AlterConfigsResponse response = t.send(new AlterConfigsRequest.Builder(configs, false));
        return errors(response.data().responses().stream().map(r -> r.errorCode()));
    }

    private static String incrementalAlterConfigs(ConformanceTarget t, String topic, String name, String value)
            throws Exception {
        return incrementalAlter(t, ConfigResource.Type.TOPIC, topic, name, value, false);
    }

    /** A broker's or its loggers' configs, validate-only so that nothing is left behind. */
    private static String alterBroker(
            ConformanceTarget t, ConfigResource.Type type, String resource, String name, String value)
            throws Exception {
        return incrementalAlter(t, type, resource, name, value, true);
    }

    private static String incrementalAlter(
            ConformanceTarget t,
            ConfigResource.Type type,
            String resource,
            String name,
            String value,
            boolean validateOnly)
            throws Exception {
        Map<ConfigResource, Collection<AlterConfigOp>> configs = Map.of(
                new ConfigResource(type, resource),
                List.of(new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET)));
        IncrementalAlterConfigsResponse response =
                t.send(new IncrementalAlterConfigsRequest.Builder(configs, validateOnly));
        return errors(response.data().responses().stream().map(r -> r.errorCode()));
    }

    private static String createPartitions(ConformanceTarget t, String topic, int count) throws Exception {
        CreatePartitionsTopicCollection topics = new CreatePartitionsTopicCollection();
        topics.add(new CreatePartitionsTopic().setName(topic).setCount(count).setAssignments(null));
        CreatePartitionsResponse response = t.send(new CreatePartitionsRequest.Builder(
                new CreatePartitionsRequestData().setTopics(topics).setTimeoutMs(TIMEOUT_MS)));
        return errors(response.data().results().stream().map(r -> r.errorCode()));
    }

    private static String electPreferred(ConformanceTarget t, String topic, int partition) throws Exception {
        ElectLeadersResponse response = t.send(new ElectLeadersRequest.Builder(
                ElectionType.PREFERRED, List.of(new TopicPartition(topic, partition)), TIMEOUT_MS));
        return partitions(response.data().replicaElectionResults().stream()
                .flatMap(r -> r.partitionResult().stream().map(p -> Map.entry(p.partitionId(), p.errorCode()))));
    }

    private static String describeProducers(ConformanceTarget t, String topic, int partition) throws Exception {
        DescribeProducersResponse response =
                t.send(new DescribeProducersRequest.Builder(new DescribeProducersRequestData()
                        .setTopics(List.of(new DescribeProducersRequestData.TopicRequest()
                                .setName(topic)
                                .setPartitionIndexes(List.of(partition))))));
        return partitions(response.data().topics().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    /** A null {@code replicas} cancels. */
    private static String reassign(ConformanceTarget t, String topic, int partition, List<Integer> replicas)
            throws Exception {
        AlterPartitionReassignmentsRequestData data = new AlterPartitionReassignmentsRequestData()
                .setTimeoutMs(TIMEOUT_MS)
                .setTopics(List.of(new ReassignableTopic()
                        .setName(topic)
                        .setPartitions(List.of(new ReassignablePartition()
                                .setPartitionIndex(partition)
                                .setReplicas(replicas)))));
        AlterPartitionReassignmentsResponse response = t.send(new AlterPartitionReassignmentsRequest.Builder(data));
        return partitions(response.data().responses().stream()
                .flatMap(r -> r.partitions().stream().map(p -> Map.entry(p.partitionIndex(), p.errorCode()))));
    }

    private static String createTopicOn(ConformanceTarget t, String name, List<Integer> replicas) throws Exception {
        CreatableTopicCollection topics = new CreatableTopicCollection();
        CreatableTopic topic = creatable(name, -1, -1, Map.of());
        topic.assignments()
                .add(new CreatableReplicaAssignment().setPartitionIndex(0).setBrokerIds(replicas));
        topics.add(topic);
        return createTopics(t, topics);
    }

    private static String deleteTopicByName(ConformanceTarget t, String topic) throws Exception {
        return deleteTopic(t, new DeleteTopicState().setName(topic));
    }

    private static String deleteTopicById(ConformanceTarget t, Uuid topicId) throws Exception {
        return deleteTopic(t, new DeleteTopicState().setTopicId(topicId));
    }

    private static String deleteTopic(ConformanceTarget t, DeleteTopicState topic) throws Exception {
        DeleteTopicsRequestData data = new DeleteTopicsRequestData().setTimeoutMs(TIMEOUT_MS);
        if (t.version(ApiKeys.DELETE_TOPICS) >= 6) {
            data.setTopics(List.of(topic));
        } else if (topic.name() != null) {
            data.setTopicNames(List.of(topic.name()));
        } else {
            throw new AssertionError("the brokers share no DeleteTopics version with topic ids");
        }
        DeleteTopicsResponse response = t.send(new DeleteTopicsRequest.Builder(data));
        return errors(response.data().responses().stream().map(r -> r.errorCode()));
    }

    private static CreatableTopic creatable(
            String name, int partitions, int replicationFactor, Map<String, String> configs) {
        CreatableTopicConfigCollection configCollection = new CreatableTopicConfigCollection();
        configs.forEach((k, v) ->
                configCollection.add(new CreatableTopicConfig().setName(k).setValue(v)));
        return new CreatableTopic()
                .setName(name)
                .setNumPartitions(partitions)
                .setReplicationFactor((short) replicationFactor)
                .setConfigs(configCollection);
    }

    private static String createTopic(
            ConformanceTarget t, String name, int partitions, int replicationFactor, Map<String, String> configs)
            throws Exception {
        CreatableTopicCollection topics = new CreatableTopicCollection();
        topics.add(creatable(name, partitions, replicationFactor, configs));
        return createTopics(t, topics);
    }

    /** The same topic listed twice: a collection keyed by name holds both only when added with {@code mustAdd}. */
    private static String createTopicTwice(ConformanceTarget t, String name) throws Exception {
        CreatableTopicCollection topics = new CreatableTopicCollection();
        topics.mustAdd(creatable(name, 1, 1, Map.of()));
        topics.mustAdd(creatable(name, 1, 1, Map.of()));
        return createTopics(t, topics);
    }

    private static String createTopics(ConformanceTarget t, CreatableTopicCollection topics) throws Exception {
        CreateTopicsResponse response = t.send(new CreateTopicsRequest.Builder(new CreateTopicsRequestData()
                .setTopics(topics)
                .setTimeoutMs(TIMEOUT_MS)
                .setValidateOnly(false)));
        return errors(response.data().topics().stream().map(r -> r.errorCode()));
    }

    private static JoinGroupResponseData join(
            ConformanceTarget t, String group, String memberId, String protocolType, int sessionTimeoutMs)
            throws Exception {
        byte[] subscription = bytes(ConsumerProtocol.serializeSubscription(new Subscription(List.of(TOPIC))));
        JoinGroupRequestProtocolCollection protocols = new JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestProtocol().setName("range").setMetadata(subscription));
        JoinGroupRequestData data = new JoinGroupRequestData()
                .setGroupId(group)
                .setMemberId(memberId)
                .setSessionTimeoutMs(sessionTimeoutMs)
                .setRebalanceTimeoutMs(sessionTimeoutMs)
                .setProtocolType(protocolType)
                .setProtocols(protocols);
        JoinGroupResponse response = t.send(new JoinGroupRequest.Builder(data));
        return response.data();
    }

    private static String joinGroup(
            ConformanceTarget t, String group, String memberId, String protocolType, int sessionTimeoutMs)
            throws Exception {
        return err(join(t, group, memberId, protocolType, sessionTimeoutMs).errorCode());
    }

    private static String syncGroup(ConformanceTarget t, String group, String memberId, int generation)
            throws Exception {
        byte[] assignment =
                bytes(ConsumerProtocol.serializeAssignment(new Assignment(List.of(new TopicPartition(TOPIC, 0)))));
        SyncGroupRequestData data = new SyncGroupRequestData()
                .setGroupId(group)
                .setMemberId(memberId)
                .setGenerationId(generation)
                .setProtocolType("consumer")
                .setProtocolName("range")
                .setAssignments(List.of(
                        new SyncGroupRequestAssignment().setMemberId(memberId).setAssignment(assignment)));
        SyncGroupResponse response = t.send(new SyncGroupRequest.Builder(data));
        return err(response.data().errorCode());
    }

    private static String heartbeat(ConformanceTarget t, String group, String memberId, int generation)
            throws Exception {
        HeartbeatResponse response = t.send(new HeartbeatRequest.Builder(new HeartbeatRequestData()
                .setGroupId(group)
                .setMemberId(memberId)
                .setGenerationId(generation)));
        return err(response.data().errorCode());
    }

    private static String leaveGroup(ConformanceTarget t, String group, String memberId) throws Exception {
        LeaveGroupResponse response =
                t.send(new LeaveGroupRequest.Builder(group, List.of(new MemberIdentity().setMemberId(memberId))));
        List<String> answers = new ArrayList<>();
        answers.add(err(response.data().errorCode()));
        response.data().members().forEach(m -> answers.add("member=" + err(m.errorCode())));
        return String.join(" ", answers);
    }

    private static String describeGroup(ConformanceTarget t, String group) throws Exception {
        DescribeGroupsResponse response =
                t.send(new DescribeGroupsRequest.Builder(new DescribeGroupsRequestData().setGroups(List.of(group))));
        return response.data().groups().stream()
                .map(g -> err(g.errorCode()) + "(" + g.groupState() + ")")
                .collect(Collectors.joining(" "));
    }

    private static String deleteGroup(ConformanceTarget t, String group) throws Exception {
        DeleteGroupsResponse response =
                t.send(new DeleteGroupsRequest.Builder(new DeleteGroupsRequestData().setGroupsNames(List.of(group))));
        return errors(response.data().results().stream().map(r -> r.errorCode()));
    }

    static String initProducerId(ConformanceTarget t, String transactionalId) throws Exception {
        return initProducerId(t, transactionalId, 60_000);
    }

    private static String initProducerId(ConformanceTarget t, String transactionalId, int timeoutMs) throws Exception {
        InitProducerIdResponse response = t.send(new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                .setTransactionalId(transactionalId)
                .setTransactionTimeoutMs(timeoutMs)
                .setProducerId(-1)
                .setProducerEpoch((short) -1)));
        return err(response.data().errorCode());
    }

    private static String endTxnWithoutInit(ConformanceTarget t) throws Exception {
        EndTxnResponse response = t.send(new EndTxnRequest.Builder(
                new EndTxnRequestData()
                        .setTransactionalId("conform-never-initialized")
                        .setProducerId(424_242L)
                        .setProducerEpoch((short) 0)
                        .setCommitted(true),
                false));
        return err(response.data().errorCode());
    }

    private static String txnOffsetCommitUnknownId(ConformanceTarget t) throws Exception {
        TxnOffsetCommitResponse response = t.sendAtMost(
                new TxnOffsetCommitRequest.Builder(
                        "conform-unknown-transactional-id",
                        GROUP,
                        434_343L,
                        (short) 0,
                        Map.of(
                                new TopicPartition(TOPIC, 0),
                                new TxnOffsetCommitRequest.CommittedOffset(1L, "", Optional.empty())),
                        false),
                4); // transaction version 1
        return partitions(response.data().topics().stream()
                .flatMap(topic -> topic.partitions().stream())
                .map(p -> Map.entry(p.partitionIndex(), p.errorCode())));
    }

    /** A transactional producer writes to a partition it never added to its transaction. */
    private static String transactionalProduceNotAdded(ConformanceTarget t) throws Exception {
        InitProducerIdResponse init = t.send(new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                .setTransactionalId("conform-produce-not-added")
                .setTransactionTimeoutMs(60_000)
                .setProducerId(-1)
                .setProducerEpoch((short) -1)));
        if (init.data().errorCode() != Errors.NONE.code()) {
            return "InitProducerId=" + err(init.data().errorCode());
        }
        MemoryRecords records = MemoryRecords.withTransactionalRecords(
                Compression.NONE,
                init.data().producerId(),
                init.data().producerEpoch(),
                0,
                new SimpleRecord("not-added".getBytes(StandardCharsets.UTF_8)));
        ProduceRequestData data = new ProduceRequestData()
                .setAcks((short) -1)
                .setTimeoutMs(TIMEOUT_MS)
                .setTransactionalId("conform-produce-not-added")
                .setTopicData(new TopicProduceDataCollection(List.of(new TopicProduceData()
                                .setName(TOPIC)
                                .setPartitionData(List.of(
                                        new PartitionProduceData().setIndex(0).setRecords(records))))
                        .iterator()));
        // version 11 at most: from version 12 a Kafka broker with transaction version 2 adds the partition itself
        ProduceResponse response = t.sendAtMost(ProduceRequest.builder(data, true), 11);
        return partitions(response.data().responses().stream()
                .flatMap(topic -> topic.partitionResponses().stream())
                .map(p -> Map.entry(p.index(), p.errorCode())));
    }

    // ---- answers as text

    private static String err(short code) {
        return Errors.forCode(code).name();
    }

    private static String errors(Stream<Short> codes) {
        return codes.map(ClientMistakes::err).collect(Collectors.joining(" "));
    }

    /** {@code NAME} for one partition, {@code p<n>=NAME ...} in partition order for several. */
    private static String partitions(Stream<Map.Entry<Integer, Short>> answers) {
        Map<Integer, Short> byPartition = new LinkedHashMap<>();
        answers.sorted(Map.Entry.comparingByKey()).forEach(e -> byPartition.put(e.getKey(), e.getValue()));
        if (byPartition.size() == 1) {
            return err(byPartition.values().iterator().next());
        }
        return byPartition.entrySet().stream()
                .map(e -> "p" + e.getKey() + "=" + err(e.getValue()))
                .collect(Collectors.joining(" "));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
