package dev.strata.broker.api;

import dev.strata.broker.partition.ReplicaFetch;
import dev.strata.broker.partition.ReplicaFetchResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ReplicaState;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.EpochEndOffset;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.requests.FetchRequest;

/**
 * A follower's Fetch on the wire and in the data plane's terms ({@link ReplicaFetch}, {@link ReplicaFetchResult}), both
 * ways: the leader's {@link FetchHandler} reads a replica's request and writes its answer, the follower's
 * {@link KafkaLeaderEndpoint} writes the request and reads the answer. Topics go by id (Fetch v13 and later), the
 * replica by {@code ReplicaState} (v15 and later).
 */
final class ReplicaFetchMessages {

    /** The Fetch version a follower sends: topic ids, {@code ReplicaState}, diverging epochs. */
    static final short VERSION = 15;

    private ReplicaFetchMessages() {}

    /**
     * The replica fetch a follower sent.
     *
     * @param topicName the name of a topic id, or null for an unknown id (v13+ requests carry ids only)
     */
    static ReplicaFetch fromRequest(FetchRequest request, Function<Uuid, String> topicName) {
        FetchRequestData data = request.data();
        List<ReplicaFetch.PartitionFetch> partitions = new ArrayList<>();
        for (FetchTopic topic : data.topics()) {
            String name =
                    topic.topic() == null || topic.topic().isEmpty() ? topicName.apply(topic.topicId()) : topic.topic();
            for (FetchPartition p : topic.partitions()) {
                partitions.add(new ReplicaFetch.PartitionFetch(
                        new TopicPartition(name == null ? "" : name, p.partition()),
                        topic.topicId(),
                        p.fetchOffset(),
                        p.currentLeaderEpoch(),
                        p.lastFetchedEpoch(),
                        p.logStartOffset(),
                        p.partitionMaxBytes()));
            }
        }
        return new ReplicaFetch(
                request.replicaId(),
                request.replicaEpoch(),
                data.maxWaitMs(),
                data.minBytes(),
                data.maxBytes() <= 0 ? Integer.MAX_VALUE : data.maxBytes(),
                partitions);
    }

    /** The leader's answer, in the order of the request; {@code byVersion13} answers topics by id only. */
    static FetchResponseData toResponse(
            ReplicaFetch request, Map<TopicPartition, ReplicaFetchResult> results, short version) {
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        FetchableTopicResponse current = null;
        for (ReplicaFetch.PartitionFetch pf : request.partitions()) {
            String name = version >= 13 ? "" : pf.topicPartition().topic();
            Uuid id = version >= 13 ? pf.topicId() : Uuid.ZERO_UUID;
            if (current == null
                    || !current.topic().equals(name)
                    || !current.topicId().equals(id)) {
                current = new FetchableTopicResponse().setTopic(name).setTopicId(id);
                response.responses().add(current);
            }
            ReplicaFetchResult r = results.getOrDefault(
                    pf.topicPartition(), ReplicaFetchResult.error(Errors.UNKNOWN_TOPIC_OR_PARTITION));
            PartitionData pd = new PartitionData()
                    .setPartitionIndex(pf.topicPartition().partition())
                    .setErrorCode(r.error().code())
                    .setHighWatermark(r.highWatermark())
                    .setLastStableOffset(r.highWatermark())
                    .setLogStartOffset(r.logStartOffset())
                    .setRecords(r.records());
            r.divergingEpoch()
                    .ifPresent(d -> pd.setDivergingEpoch(
                            new EpochEndOffset().setEpoch(d.epoch()).setEndOffset(d.endOffset())));
            current.partitions().add(pd);
        }
        return response;
    }

    /** The follower's request on the wire, at {@link #VERSION}. */
    static FetchRequest toRequest(ReplicaFetch fetch) {
        FetchRequestData data = new FetchRequestData()
                .setReplicaState(
                        new ReplicaState().setReplicaId(fetch.replicaId()).setReplicaEpoch(fetch.replicaEpoch()))
                .setMaxWaitMs(fetch.maxWaitMs())
                .setMinBytes(fetch.minBytes())
                .setMaxBytes(fetch.maxBytes())
                .setSessionId(0)
                .setSessionEpoch(-1);
        Map<Uuid, FetchTopic> topics = new LinkedHashMap<>();
        for (ReplicaFetch.PartitionFetch p : fetch.partitions()) {
            topics.computeIfAbsent(p.topicId(), id -> new FetchTopic()
                            .setTopic(p.topicPartition().topic())
                            .setTopicId(id))
                    .partitions()
                    .add(new FetchPartition()
                            .setPartition(p.topicPartition().partition())
                            .setFetchOffset(p.fetchOffset())
                            .setCurrentLeaderEpoch(p.currentLeaderEpoch())
                            .setLastFetchedEpoch(p.lastFetchedEpoch())
                            .setLogStartOffset(p.logStartOffset())
                            .setPartitionMaxBytes(p.maxBytes()));
        }
        data.setTopics(new ArrayList<>(topics.values()));
        return new FetchRequest(data, VERSION);
    }

    /**
     * The leader's answer, by partition of the request.
     *
     * @throws org.apache.kafka.common.errors.ApiException for a top-level error
     */
    static Map<TopicPartition, ReplicaFetchResult> fromResponse(ReplicaFetch fetch, FetchResponseData response) {
        Errors top = Errors.forCode(response.errorCode());
        if (top != Errors.NONE) {
            throw top.exception();
        }
        Map<Uuid, String> names = new HashMap<>();
        fetch.partitions()
                .forEach(p -> names.put(p.topicId(), p.topicPartition().topic()));
        Map<TopicPartition, ReplicaFetchResult> results = new HashMap<>();
        for (FetchableTopicResponse topic : response.responses()) {
            String name = topic.topic() == null || topic.topic().isEmpty() ? names.get(topic.topicId()) : topic.topic();
            if (name == null) {
                continue;
            }
            for (PartitionData pd : topic.partitions()) {
                EpochEndOffset diverging = pd.divergingEpoch();
                Optional<ReplicaFetchResult.DivergingEpoch> divergingEpoch = diverging.epoch() < 0
                                && diverging.endOffset() < 0
                        ? Optional.empty()
                        : Optional.of(new ReplicaFetchResult.DivergingEpoch(diverging.epoch(), diverging.endOffset()));
                results.put(
                        new TopicPartition(name, pd.partitionIndex()),
                        new ReplicaFetchResult(
                                Errors.forCode(pd.errorCode()),
                                pd.records() instanceof Records records ? records : MemoryRecords.EMPTY,
                                pd.highWatermark(),
                                pd.logStartOffset(),
                                divergingEpoch));
            }
        }
        return results;
    }
}
