package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData.Cursor;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeTopicPartitionsRequest;
import org.apache.kafka.common.requests.MetadataRequest;

/**
 * Metadata and DescribeCluster: which brokers are alive (registered and not fenced) and who leads each partition,
 * with its replicas, in-sync replicas and offline replicas, as the metadata quorum last told this broker; every broker
 * answers the same. Auto-creates topics if allowed. Also DescribeTopicPartitions, the paged describe of Kafka 4.
 */
public final class MetadataHandler {
    /** The most partitions in one DescribeTopicPartitions answer: Kafka's {@code max.request.partition.size.limit}. */
    static final int MAX_RESPONSE_PARTITIONS = 2000;

    private final Supplier<BrokerEndpoint> self;
    private final TopicManager topics;
    private final ReplicaManager replicas;
    private final ClusterImage cluster;
    private final boolean autoCreate;

    public MetadataHandler(
            Supplier<BrokerEndpoint> self,
            TopicManager topics,
            ReplicaManager replicas,
            ClusterImage cluster,
            boolean autoCreate) {
        this.self = self;
        this.topics = topics;
        this.replicas = replicas;
        this.cluster = cluster;
        this.autoCreate = autoCreate;
    }

    /** The brokers clients may use: registered and unfenced; this broker alone before it knows of any. */
    private List<ClusterBroker> liveBrokers() {
        List<ClusterBroker> live = cluster.brokers().stream()
                .filter(b -> !b.fenced())
                .sorted(Comparator.comparingInt(ClusterBroker::nodeId))
                .toList();
        if (!live.isEmpty()) {
            return live;
        }
        BrokerEndpoint self = this.self.get();
        return List.of(new ClusterBroker(self.nodeId(), self.host(), self.port(), Optional.empty(), false));
    }

    /**
     * The quorum's leader when it is a live broker; else (a controller-only node leads, which clients cannot reach)
     * the live broker with the smallest id, as Kafka's brokers name a live broker: clients send admin requests there,
     * and any broker writes them to the quorum.
     */
    private int controllerId() {
        int id = cluster.controllerId();
        List<ClusterBroker> live = liveBrokers();
        if (live.stream().anyMatch(b -> b.nodeId() == id)) {
            return id;
        }
        return live.isEmpty() ? self.get().nodeId() : live.get(0).nodeId();
    }

    /** Replicas on brokers that are not live, and those whose broker reported them offline (a failed log dir). */
    private List<Integer> offlineReplicas(TopicPartition tp, PartitionState state, Set<Integer> live) {
        Set<Integer> reported = Set.copyOf(cluster.offlineReplicas(tp));
        return state.replicas().stream()
                .filter(r -> !live.contains(r) || reported.contains(r))
                .toList();
    }

    public MetadataResponseData handle(RequestContext ctx, MetadataRequest request) {
        BrokerEndpoint self = this.self.get();
        MetadataResponseData response =
                new MetadataResponseData().setClusterId(self.clusterId()).setControllerId(controllerId());
        for (ClusterBroker b : liveBrokers()) {
            response.brokers()
                    .add(new MetadataResponseBroker()
                            .setNodeId(b.nodeId())
                            .setHost(b.host())
                            .setPort(b.port())
                            .setRack(b.rack().orElse(null)));
        }
        if (request.isAllTopics()) {
            for (TopicMetadata t : topics.store().topics()) {
                response.topics().add(describe(t));
            }
            return response;
        }
        List<MetadataResponseTopic> out = new ArrayList<>();
        for (var requested : request.data().topics()) {
            // By id (v10+): kafka-clients sends an empty name, not null, with the id.
            if (requested.name() == null || requested.name().isEmpty() && !Uuid.ZERO_UUID.equals(requested.topicId())) {
                Uuid id = requested.topicId();
                out.add(topics.topic(id).map(this::describe).orElseGet(() -> new MetadataResponseTopic()
                        .setTopicId(id)
                        .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())));
            } else {
                out.add(describeOrCreate(requested.name(), request.allowAutoTopicCreation()));
            }
        }
        out.forEach(t -> response.topics().add(t));
        return response;
    }

    private MetadataResponseTopic describeOrCreate(String name, boolean allowAutoCreate) {
        Optional<TopicMetadata> existing = topics.topic(name);
        if (existing.isPresent()) {
            return describe(existing.get());
        }
        try {
            Topic.validate(name);
        } catch (ApiException e) {
            return new MetadataResponseTopic().setName(name).setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
        }
        if (!autoCreate || !allowAutoCreate || Topic.isInternal(name)) {
            return new MetadataResponseTopic().setName(name).setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            return describe(topics.createTopic(name, -1, (short) -1, Map.of(), false));
        } catch (TopicExistsException raced) {
            return topics.topic(name).map(this::describe).orElseThrow();
        } catch (ApiException e) {
            return new MetadataResponseTopic()
                    .setName(name)
                    .setErrorCode(Errors.forException(e).code());
        }
    }

    private MetadataResponseTopic describe(TopicMetadata t) {
        MetadataResponseTopic topic = new MetadataResponseTopic()
                .setName(t.name())
                .setTopicId(t.topicId())
                .setIsInternal(Topic.isInternal(t.name()));
        partitions(t, 0, t.partitions()).forEach(topic.partitions()::add);
        return topic;
    }

    /** Partitions {@code from} (inclusive) to {@code to} (exclusive) of a topic, as Metadata describes them. */
    private List<MetadataResponsePartition> partitions(TopicMetadata t, int from, int to) {
        List<MetadataResponsePartition> out = new ArrayList<>();
        Map<Integer, PartitionState> states = cluster.partitions(t.topicId());
        Set<Integer> live = liveBrokers().stream().map(ClusterBroker::nodeId).collect(Collectors.toSet());
        for (int p = from; p < to; p++) {
            MetadataResponsePartition mp = new MetadataResponsePartition().setPartitionIndex(p);
            PartitionState state = states.get(p);
            if (state != null) {
                mp.setLeaderId(state.leader())
                        .setLeaderEpoch(state.leaderEpoch())
                        .setReplicaNodes(state.replicas())
                        .setIsrNodes(state.isr())
                        .setOfflineReplicas(offlineReplicas(new TopicPartition(t.name(), p), state, live));
                if (!state.hasLeader()) {
                    mp.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code());
                }
            } else {
                // a partition from before clusters, led by this broker alone
                Optional<Partition> partition = replicas.partition(new TopicPartition(t.name(), p));
                if (partition.isPresent()) {
                    Partition part = partition.get();
                    mp.setLeaderId(part.leaderId())
                            .setLeaderEpoch(part.leaderEpoch())
                            .setReplicaNodes(List.of(part.leaderId()))
                            .setIsrNodes(List.copyOf(part.isr()));
                } else {
                    mp.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code()).setLeaderId(-1);
                }
            }
            out.add(mp);
        }
        return out;
    }

    /**
     * DescribeTopicPartitions (API 75, what Kafka 4's {@code kafka-topics.sh --describe} and
     * {@code Admin.describeTopics} use): the named topics, or every topic when none is named, in name order, with at
     * most {@code ResponsePartitionLimit} partitions (capped at {@value #MAX_RESPONSE_PARTITIONS}, at least one) from
     * the request's cursor on; {@code NextCursor} names the first partition left out. The partitions are those Metadata
     * gives, except that a partition without a live leader has leader -1 and no error, as from Kafka. A named topic
     * that does not exist answers UNKNOWN_TOPIC_OR_PARTITION or, for an illegal name, INVALID_TOPIC_EXCEPTION, and
     * takes no room from the limit. Never creates a topic. Eligible leader replicas (KIP-966) do not exist here: both
     * ELR lists are empty.
     *
     * @throws InvalidRequestException for a cursor on a topic the request does not name, or on a negative partition
     */
    public DescribeTopicPartitionsResponseData describeTopicPartitions(DescribeTopicPartitionsRequest request) {
        DescribeTopicPartitionsRequestData data = request.data();
        Cursor cursor = data.cursor();
        String cursorTopic = cursor == null ? "" : cursor.topicName();
        boolean allTopics = data.topics().isEmpty();
        SortedSet<String> names = new TreeSet<>();
        if (allTopics) {
            topics.store().topics().forEach(t -> names.add(t.name()));
        } else {
            data.topics().forEach(t -> names.add(t.name()));
        }
        names.removeIf(name -> name.compareTo(cursorTopic) < 0);
        if (cursor != null && !allTopics && !names.contains(cursor.topicName())) {
            throw new InvalidRequestException("The topics must include the cursor's topic " + cursor.topicName());
        }
        if (cursor != null && cursor.partitionIndex() < 0) {
            throw new InvalidRequestException("Invalid cursor partition " + cursor.partitionIndex());
        }
        int remaining = Math.max(Math.min(MAX_RESPONSE_PARTITIONS, data.responsePartitionLimit()), 1);
        DescribeTopicPartitionsResponseData response = new DescribeTopicPartitionsResponseData();
        for (String name : names) {
            Optional<TopicMetadata> topic = topics.topic(name);
            if (topic.isEmpty()) {
                if (remaining == 0) {
                    response.setNextCursor(nextCursor(name, 0));
                    break;
                }
                if (!allTopics) {
                    response.topics()
                            .add(new DescribeTopicPartitionsResponseTopic()
                                    .setName(name)
                                    .setErrorCode(unknownTopicError(name))
                                    .setIsInternal(Topic.isInternal(name)));
                }
                continue;
            }
            TopicMetadata t = topic.get();
            int from = name.equals(cursorTopic) ? cursor.partitionIndex() : 0;
            if (remaining == 0) {
                response.setNextCursor(nextCursor(name, from));
                break;
            }
            int to = (int) Math.min(t.partitions(), (long) from + remaining);
            DescribeTopicPartitionsResponseTopic out = new DescribeTopicPartitionsResponseTopic()
                    .setName(name)
                    .setTopicId(t.topicId())
                    .setIsInternal(Topic.isInternal(name));
            for (MetadataResponsePartition mp : partitions(t, from, to)) {
                out.partitions()
                        .add(new DescribeTopicPartitionsResponsePartition()
                                .setPartitionIndex(mp.partitionIndex())
                                .setLeaderId(mp.errorCode() == Errors.LEADER_NOT_AVAILABLE.code() ? -1 : mp.leaderId())
                                .setLeaderEpoch(mp.leaderEpoch())
                                .setReplicaNodes(mp.replicaNodes())
                                .setIsrNodes(mp.isrNodes())
                                .setEligibleLeaderReplicas(List.of())
                                .setLastKnownElr(List.of())
                                .setOfflineReplicas(mp.offlineReplicas()));
            }
            response.topics().add(out);
            if (to < t.partitions()) {
                response.setNextCursor(nextCursor(name, to));
                break;
            }
            remaining -= Math.max(0, to - from);
        }
        return response;
    }

    private static DescribeTopicPartitionsResponseData.Cursor nextCursor(String topic, int partition) {
        return new DescribeTopicPartitionsResponseData.Cursor()
                .setTopicName(topic)
                .setPartitionIndex(partition);
    }

    private static short unknownTopicError(String name) {
        try {
            Topic.validate(name);
            return Errors.UNKNOWN_TOPIC_OR_PARTITION.code();
        } catch (InvalidTopicException e) {
            return Errors.INVALID_TOPIC_EXCEPTION.code();
        }
    }

    public DescribeClusterResponseData describeCluster(DescribeClusterRequest request) {
        BrokerEndpoint self = this.self.get();
        DescribeClusterResponseData response = new DescribeClusterResponseData()
                .setClusterId(self.clusterId())
                .setControllerId(controllerId())
                .setEndpointType(request.data().endpointType());
        if (request.data().endpointType() == 2) {
            // Strata has no separate controller listener; the broker endpoints are the only ones.
            response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Strata serves only broker endpoints");
            return response;
        }
        for (ClusterBroker b : liveBrokers()) {
            response.brokers()
                    .add(new DescribeClusterResponseData.DescribeClusterBroker()
                            .setBrokerId(b.nodeId())
                            .setHost(b.host())
                            .setPort(b.port())
                            .setRack(b.rack().orElse(null)));
        }
        return response;
    }
}
