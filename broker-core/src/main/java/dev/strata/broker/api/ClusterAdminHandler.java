package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import dev.strata.broker.cluster.ClusterImage;
import dev.strata.broker.cluster.PartitionAdmin;
import dev.strata.broker.cluster.PartitionState;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.LogDirectory;
import dev.strata.broker.log.LogManager;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.metadata.TopicMetadata;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.message.DescribeLogDirsRequestData.DescribableLogDirTopic;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsPartition;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsResult;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsTopic;
import org.apache.kafka.common.message.ElectLeadersRequestData.TopicPartitions;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.DescribeLogDirsRequest;
import org.apache.kafka.common.requests.ElectLeadersRequest;
import org.apache.kafka.common.requests.ListPartitionReassignmentsRequest;

/**
 * The cluster operator's APIs, answered as Apache Kafka's controller answers them: ElectLeaders
 * ({@code kafka-leader-election.sh}), AlterPartitionReassignments and ListPartitionReassignments
 * ({@code kafka-reassign-partitions.sh}), and DescribeLogDirs ({@code kafka-log-dirs.sh}), which describes this
 * broker's own log directories. The changes go through the metadata quorum ({@link PartitionAdmin}); they run on the
 * I/O pool, which may wait for the quorum.
 */
public final class ClusterAdminHandler {
    private final TopicManager topics;
    private final ClusterImage cluster;
    private final PartitionAdmin admin;
    private final LogManager logs;

    public ClusterAdminHandler(TopicManager topics, ClusterImage cluster, PartitionAdmin admin, LogManager logs) {
        this.topics = topics;
        this.cluster = cluster;
        this.admin = admin;
        this.logs = logs;
    }

    /**
     * Elects the partitions' leaders. Each partition gets UNKNOWN_TOPIC_OR_PARTITION, ELECTION_NOT_NEEDED (its
     * preferred replica leads; for an unclean election: it has a live leader), NONE when the election moved its
     * leader, or PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica could be elected. A
     * null partition list means every partition, and then, as in Kafka, the partitions that needed no election are
     * left out of the answer.
     */
    public ElectLeadersResponseData electLeaders(ElectLeadersRequest request) {
        ElectLeadersResponseData response = new ElectLeadersResponseData().setErrorCode(Errors.NONE.code());
        ElectionType type;
        try {
            type = ElectionType.valueOf(request.data().electionType());
        } catch (IllegalArgumentException e) {
            return (ElectLeadersResponseData) request.getErrorResponse(
                            0,
                            new InvalidRequestException(
                                    "Unknown election type " + request.data().electionType()))
                    .data();
        }
        boolean unclean = type == ElectionType.UNCLEAN;
        boolean all = request.data().topicPartitions() == null;
        Map<String, List<Integer>> asked = new LinkedHashMap<>();
        if (all) {
            topics.store().topics().stream()
                    .sorted(Comparator.comparing(TopicMetadata::name))
                    .forEach(t -> asked.put(
                            t.name(), new ArrayList<>(new TreeMap<>(cluster.partitions(t.topicId())).keySet())));
        } else {
            for (TopicPartitions t : request.data().topicPartitions()) {
                asked.computeIfAbsent(t.topic(), n -> new ArrayList<>()).addAll(t.partitions());
            }
        }
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        Map<TopicPartition, PartitionState> before = new LinkedHashMap<>();
        asked.forEach((topic, partitions) -> {
            for (int p : partitions) {
                TopicPartition tp = new TopicPartition(topic, p);
                Optional<PartitionState> state = cluster.partition(tp);
                if (state.isEmpty()) {
                    errors.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else if (unclean ? hasLiveLeader(state.get()) : state.get().leader() == preferred(state.get())) {
                    errors.put(tp, Errors.ELECTION_NOT_NEEDED);
                } else {
                    errors.put(tp, Errors.NONE);
                    before.put(tp, state.get());
                }
            }
        });
        if (!before.isEmpty()) {
            try {
                admin.electLeaders(List.copyOf(before.keySet()), unclean);
            } catch (ApiException e) {
                // no quorum (REQUEST_TIMED_OUT): nothing was elected, as far as this broker knows
                Errors error = Errors.forException(e);
                before.keySet().forEach(tp -> errors.put(tp, error));
                before.clear();
            }
            before.forEach((tp, was) -> {
                Optional<PartitionState> now = cluster.partition(tp);
                boolean elected = now.isPresent()
                        && now.get().leaderEpoch() > was.leaderEpoch()
                        && now.get().hasLeader();
                if (!elected) {
                    errors.put(
                            tp,
                            unclean ? Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE : Errors.PREFERRED_LEADER_NOT_AVAILABLE);
                }
            });
        }
        asked.keySet().forEach(topic -> {
            ReplicaElectionResult result = new ReplicaElectionResult().setTopic(topic);
            response.replicaElectionResults().add(result);
        });
        errors.forEach((tp, error) -> {
            if (all && error == Errors.ELECTION_NOT_NEEDED) {
                return;
            }
            ReplicaElectionResult result = response.replicaElectionResults().stream()
                    .filter(r -> r.topic().equals(tp.topic()))
                    .findFirst()
                    .orElseThrow();
            result.partitionResult()
                    .add(new PartitionResult()
                            .setPartitionId(tp.partition())
                            .setErrorCode(error.code())
                            .setErrorMessage(error == Errors.NONE ? null : error.message()));
        });
        return response;
    }

    private static int preferred(PartitionState s) {
        return s.replicas().get(0);
    }

    private boolean hasLiveLeader(PartitionState s) {
        return s.hasLeader() && cluster.broker(s.leader()).map(b -> !b.fenced()).orElse(false);
    }

    /**
     * Starts, replaces or cancels (a null replica list) the reassignment of each partition. Errors per partition:
     * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT (an empty or repeating list, a broker that is not
     * registered, or a cancellation that would need an unclean election), INVALID_REPLICATION_FACTOR (v1, when the
     * request does not allow the factor to change), NO_REASSIGNMENT_IN_PROGRESS (a cancellation with none).
     */
    public AlterPartitionReassignmentsResponseData alterPartitionReassignments(
            AlterPartitionReassignmentsRequest request) {
        AlterPartitionReassignmentsResponseData response = new AlterPartitionReassignmentsResponseData()
                .setErrorCode(Errors.NONE.code())
                .setErrorMessage(null)
                .setAllowReplicationFactorChange(request.data().allowReplicationFactorChange());
        boolean allowFactorChange = request.data().allowReplicationFactorChange();
        for (ReassignableTopic t : request.data().topics()) {
            ReassignableTopicResponse topicResponse = new ReassignableTopicResponse().setName(t.name());
            response.responses().add(topicResponse);
            for (ReassignablePartition p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.name(), p.partitionIndex());
                ReassignablePartitionResponse r =
                        new ReassignablePartitionResponse().setPartitionIndex(p.partitionIndex());
                topicResponse.partitions().add(r);
                try {
                    checkReassignment(tp, p.replicas(), allowFactorChange);
                    admin.alterReassignment(tp, p.replicas(), allowFactorChange);
                    r.setErrorCode(Errors.NONE.code()).setErrorMessage(null);
                } catch (ApiException e) {
                    r.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
                }
            }
        }
        return response;
    }

    /** What the quorum would refuse, with Kafka's messages; the quorum checks it again against its own state. */
    private void checkReassignment(TopicPartition tp, List<Integer> target, boolean allowFactorChange) {
        PartitionState s = cluster.partition(tp)
                .orElseThrow(() -> Errors.UNKNOWN_TOPIC_OR_PARTITION.exception(
                        "Unable to find partition " + tp.topic() + ":" + tp.partition() + "."));
        boolean reassigning =
                !s.addingReplicas().isEmpty() || !s.removingReplicas().isEmpty();
        if (target == null) {
            if (!reassigning) {
                throw Errors.NO_REASSIGNMENT_IN_PROGRESS.exception();
            }
            return;
        }
        if (target.isEmpty()) {
            throw Errors.INVALID_REPLICA_ASSIGNMENT.exception(
                    "The manual partition assignment includes an empty replica list.");
        }
        Set<Integer> registered = new HashSet<>();
        cluster.brokers().stream().map(ClusterBroker::nodeId).forEach(registered::add);
        Set<Integer> seen = new HashSet<>();
        for (int broker : target) {
            if (!seen.add(broker)) {
                throw Errors.INVALID_REPLICA_ASSIGNMENT.exception(
                        "The manual partition assignment includes the partition with duplicate replicas " + target
                                + ".");
            }
            if (!registered.contains(broker)) {
                throw Errors.INVALID_REPLICA_ASSIGNMENT.exception("The manual partition assignment includes broker "
                        + broker + ", but no such broker is registered.");
            }
        }
        int current = s.replicas().size() - s.addingReplicas().size();
        if (!allowFactorChange && target.size() != current) {
            throw Errors.INVALID_REPLICATION_FACTOR.exception(
                    "The replication factor is changed from " + current + " to " + target.size());
        }
    }

    /**
     * The reassignments under way: of every partition when the request names no topics, else of the named partitions
     * (unknown topics and partitions without one are left out, as Kafka does).
     */
    public ListPartitionReassignmentsResponseData listPartitionReassignments(
            ListPartitionReassignmentsRequest request) {
        ListPartitionReassignmentsResponseData response = new ListPartitionReassignmentsResponseData()
                .setErrorCode(Errors.NONE.code())
                .setErrorMessage(null);
        Map<String, Map<Integer, PartitionState>> ongoing = admin.reassignments();
        Map<String, Map<Integer, PartitionState>> listed = new LinkedHashMap<>();
        if (request.data().topics() == null) {
            listed.putAll(ongoing);
        } else {
            for (ListPartitionReassignmentsTopics t : request.data().topics()) {
                Map<Integer, PartitionState> of = ongoing.getOrDefault(t.name(), Map.of());
                for (int p : t.partitionIndexes()) {
                    if (of.containsKey(p)) {
                        listed.computeIfAbsent(t.name(), n -> new TreeMap<>()).put(p, of.get(p));
                    }
                }
            }
        }
        listed.forEach((topic, partitions) -> {
            OngoingTopicReassignment t = new OngoingTopicReassignment().setName(topic);
            partitions.forEach((p, s) -> t.partitions()
                    .add(new OngoingPartitionReassignment()
                            .setPartitionIndex(p)
                            .setReplicas(new ArrayList<>(s.replicas()))
                            .setAddingReplicas(new ArrayList<>(s.addingReplicas()))
                            .setRemovingReplicas(new ArrayList<>(s.removingReplicas()))));
            response.topics().add(t);
        });
        return response;
    }

    /**
     * This broker's log directories: for each, KAFKA_STORAGE_ERROR if it is offline, else the partitions in it (all,
     * or those the request names) with their size on local disk and offset lag (the high watermark's lead over the log
     * end, 0 on a replica that is caught up; Strata has no future logs, so isFuture is false), and since v4 the
     * volume's total and usable bytes.
     */
    public DescribeLogDirsResponseData describeLogDirs(DescribeLogDirsRequest request) {
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData().setErrorCode(Errors.NONE.code());
        Map<String, Set<Integer>> wanted = null;
        if (request.data().topics() != null) {
            wanted = new LinkedHashMap<>();
            for (DescribableLogDirTopic t : request.data().topics()) {
                wanted.computeIfAbsent(t.topic(), n -> new HashSet<>()).addAll(t.partitions());
            }
        }
        Map<TopicPartition, LocalLog> hosted =
                new TreeMap<>(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        hosted.putAll(logs.logs());
        for (LogDirectory dir : logs.directories()) {
            DescribeLogDirsResult result = new DescribeLogDirsResult()
                    .setLogDir(dir.path().toAbsolutePath().toString());
            response.results().add(result);
            if (dir.isOffline()) {
                result.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
                continue;
            }
            dir.updateFreeSpace();
            result.setErrorCode(Errors.NONE.code())
                    .setTotalBytes(dir.totalBytes())
                    .setUsableBytes(dir.freeBytes() == Long.MAX_VALUE ? -1 : dir.freeBytes());
            Map<String, DescribeLogDirsTopic> byTopic = new LinkedHashMap<>();
            for (Map.Entry<TopicPartition, LocalLog> e : hosted.entrySet()) {
                TopicPartition tp = e.getKey();
                LocalLog log = e.getValue();
                if (!log.dir().toAbsolutePath().getParent().equals(dir.path().toAbsolutePath())) {
                    continue;
                }
                if (wanted != null && !wanted.getOrDefault(tp.topic(), Set.of()).contains(tp.partition())) {
                    continue;
                }
                byTopic.computeIfAbsent(tp.topic(), n -> new DescribeLogDirsTopic().setName(n))
                        .partitions()
                        .add(new DescribeLogDirsPartition()
                                .setPartitionIndex(tp.partition())
                                .setPartitionSize(log.size())
                                .setOffsetLag(Math.max(0, log.highWatermark() - log.logEndOffset()))
                                .setIsFutureKey(false));
            }
            result.topics().addAll(byTopic.values());
        }
        return response;
    }
}
