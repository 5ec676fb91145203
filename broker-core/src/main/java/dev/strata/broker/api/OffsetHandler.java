package dev.strata.broker.api;

import dev.strata.broker.coordinator.CoordinatedPartitions;
import dev.strata.broker.group.CommittedOffset;
import dev.strata.broker.group.GroupService;
import dev.strata.broker.metadata.TopicManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;

/**
 * The offset APIs of {@link GroupHandler}: OffsetCommit, OffsetFetch (before v8 one group, from v8 many) and
 * OffsetDelete. Like the rest of the group APIs they answer NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for a
 * group this broker does not serve now; what only the wire knows is checked here, before any group state, as Kafka
 * does: a partition the cluster does not have (UNKNOWN_TOPIC_OR_PARTITION) and {@code offset.metadata.max.bytes}
 * (OFFSET_METADATA_TOO_LARGE). OffsetFetch with {@code require_stable} (v7+) answers UNSTABLE_OFFSET_COMMIT for a
 * partition whose offset a transaction that has not ended holds.
 */
final class OffsetHandler {
    /** Kafka's {@code offset.metadata.max.bytes}. */
    static final int MAX_METADATA_BYTES = 4096;

    private final GroupService groups;
    private final TopicManager topics;
    private final CoordinatedPartitions coordinated;

    OffsetHandler(GroupService groups, TopicManager topics, CoordinatedPartitions coordinated) {
        this.groups = groups;
        this.topics = topics;
        this.coordinated = coordinated;
    }

    CompletableFuture<OffsetCommitResponseData> offsetCommit(OffsetCommitRequest request) {
        var data = request.data();
        Errors groupError = GroupHandler.coordinatorError(coordinated, data.groupId());
        Map<TopicPartition, CommittedOffset> commits = new HashMap<>();
        Map<TopicPartition, Errors> partitionErrors = new HashMap<>();
        long now = System.currentTimeMillis();
        for (var topic : data.topics()) {
            for (var p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                if (!exists(tp)) {
                    // As Kafka: no offset is stored for a partition the cluster does not have.
                    partitionErrors.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else if (p.committedMetadata() != null
                        && p.committedMetadata().length() > MAX_METADATA_BYTES) {
                    partitionErrors.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
                } else {
                    commits.put(
                            tp,
                            new CommittedOffset(
                                    p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now));
                }
            }
        }
        CompletableFuture<Errors> written = groupError == null && !commits.isEmpty()
                ? groups.commitOffsets(
                        data.groupId(),
                        data.memberId(),
                        data.groupInstanceId(),
                        data.generationIdOrMemberEpoch(),
                        commits)
                : CompletableFuture.completedFuture(groupError == null ? Errors.NONE : groupError);
        return written.thenApply(error -> commitResponse(data, partitionErrors, error));
    }

    private static OffsetCommitResponseData commitResponse(
            OffsetCommitRequestData data, Map<TopicPartition, Errors> partitionErrors, Errors groupError) {
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        for (var topic : data.topics()) {
            var tr = new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(topic.name());
            for (var p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                Errors e = partitionErrors.getOrDefault(tp, groupError);
                tr.partitions()
                        .add(new OffsetCommitResponseData.OffsetCommitResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(e.code()));
            }
            response.topics().add(tr);
        }
        return response;
    }

    /** Whether the cluster has this partition: Kafka checks it before any group state. */
    private boolean exists(TopicPartition tp) {
        return exists(topics, tp);
    }

    static boolean exists(TopicManager topics, TopicPartition tp) {
        return tp.partition() >= 0
                && topics.topic(tp.topic())
                        .filter(t -> tp.partition() < t.partitions())
                        .isPresent();
    }

    OffsetFetchResponseData offsetFetch(OffsetFetchRequest request) {
        var data = request.data();
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (request.version() < 8) {
            List<TopicPartition> wanted = null;
            if (data.topics() != null) {
                wanted = new ArrayList<>();
                for (var t : data.topics()) {
                    for (int p : t.partitionIndexes()) {
                        wanted.add(new TopicPartition(t.name(), p));
                    }
                }
            }
            Errors error = GroupHandler.coordinatorError(coordinated, data.groupId());
            if (error != null) {
                return response.setErrorCode(error.code());
            }
            boolean requireStable = request.version() >= 7 && data.requireStable();
            for (var t : fetchTopics(data.groupId(), wanted, requireStable)) {
                var rt = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                t.partitions().forEach(p -> rt.partitions()
                        .add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setCommittedOffset(p.committedOffset())
                                .setCommittedLeaderEpoch(p.committedLeaderEpoch())
                                .setMetadata(p.metadata())
                                .setErrorCode(p.errorCode())));
                response.topics().add(rt);
            }
            return response;
        }
        for (OffsetFetchRequestData.OffsetFetchRequestGroup group : data.groups()) {
            var rg = new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(group.groupId());
            Errors error = GroupHandler.coordinatorError(coordinated, group.groupId());
            if (error != null) {
                rg.setErrorCode(error.code());
            } else {
                List<TopicPartition> wanted = null;
                if (group.topics() != null) {
                    wanted = new ArrayList<>();
                    for (var t : group.topics()) {
                        for (int p : t.partitionIndexes()) {
                            wanted.add(new TopicPartition(t.name(), p));
                        }
                    }
                }
                rg.setTopics(fetchTopics(group.groupId(), wanted, data.requireStable()));
            }
            response.groups().add(rg);
        }
        return response;
    }

    /**
     * The committed offsets asked for (all the group has if {@code wanted} is null). With {@code requireStable}, a
     * partition that a transaction not yet ended holds an offset of is answered UNSTABLE_OFFSET_COMMIT instead, as Kafka
     * answers it (when all are asked for, only among the partitions that have a committed offset).
     */
    private List<OffsetFetchResponseData.OffsetFetchResponseTopics> fetchTopics(
            String groupId, List<TopicPartition> wanted, boolean requireStable) {
        Map<TopicPartition, CommittedOffset> committed = groups.committed(groupId, wanted);
        Map<String, OffsetFetchResponseData.OffsetFetchResponseTopics> byTopic = new java.util.LinkedHashMap<>();
        List<TopicPartition> partitions = wanted != null ? wanted : new ArrayList<>(committed.keySet());
        for (TopicPartition tp : partitions) {
            boolean unstable = requireStable && groups.hasPendingTransactionalOffset(groupId, tp);
            CommittedOffset c = unstable ? null : committed.get(tp);
            byTopic.computeIfAbsent(tp.topic(), t -> new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(t))
                    .partitions()
                    .add(new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                            .setPartitionIndex(tp.partition())
                            .setCommittedOffset(c == null ? -1L : c.offset())
                            .setCommittedLeaderEpoch(c == null ? -1 : c.leaderEpoch())
                            .setMetadata(c == null ? "" : c.metadata())
                            .setErrorCode(unstable ? Errors.UNSTABLE_OFFSET_COMMIT.code() : Errors.NONE.code()));
        }
        return new ArrayList<>(byTopic.values());
    }

    OffsetDeleteResponseData offsetDelete(OffsetDeleteRequest request) {
        var data = request.data();
        OffsetDeleteResponseData response = new OffsetDeleteResponseData();
        Errors error = GroupHandler.coordinatorError(coordinated, data.groupId());
        if (error != null) {
            return response.setErrorCode(error.code());
        }
        List<TopicPartition> partitions = new ArrayList<>();
        Map<TopicPartition, Errors> results = new HashMap<>();
        for (var t : data.topics()) {
            for (var p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.name(), p.partitionIndex());
                if (exists(tp)) {
                    partitions.add(tp);
                } else {
                    // As Kafka: checked before the group's subscriptions; a group-level error still answers the whole
                    // request
                    results.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                }
            }
        }
        GroupService.OffsetDeleteResult deleted = groups.deleteOffsets(data.groupId(), partitions);
        if (deleted.groupError() != Errors.NONE) {
            return response.setErrorCode(deleted.groupError().code());
        }
        results.putAll(deleted.partitions());
        for (var t : data.topics()) {
            var rt = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name());
            for (var p : t.partitions()) {
                Errors e = results.get(new TopicPartition(t.name(), p.partitionIndex()));
                rt.partitions()
                        .add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(e.code()));
            }
            response.topics().add(rt);
        }
        return response;
    }
}
