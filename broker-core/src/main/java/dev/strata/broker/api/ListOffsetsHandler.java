package dev.strata.broker.api;

import dev.strata.broker.log.LeaderEpochCache;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.TimestampAndOffset;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;

/**
 * ListOffsets: earliest (-2, the log start offset over both tiers), latest (-1, the high watermark), max timestamp
 * (-3), earliest local (-4, the local log start offset), latest tiered (-5, the highest offset in the remote tier), or
 * the first offset whose timestamp is at or after a given time. Timestamps and max timestamp are searched in the local
 * segments only: for a tiered topic a timestamp older than the local data answers the first local offset at or after
 * it, not an offset in the remote tier. Also OffsetForLeaderEpoch, which answers from
 * the same partition state.
 */
public final class ListOffsetsHandler {
    private final TopicManager topics;
    private final ReplicaManager replicas;

    public ListOffsetsHandler(TopicManager topics, ReplicaManager replicas) {
        this.topics = topics;
        this.replicas = replicas;
    }

    public ListOffsetsResponseData handle(RequestContext ctx, ListOffsetsRequest request) {
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        for (ListOffsetsTopic topic : request.data().topics()) {
            ListOffsetsTopicResponse tr = new ListOffsetsTopicResponse().setName(topic.name());
            for (ListOffsetsPartition p : topic.partitions()) {
                ListOffsetsPartitionResponse r = listOffset(new TopicPartition(topic.name(), p.partitionIndex()), p);
                if (request.version() < 4) {
                    r.setLeaderEpoch(-1); // the field exists from v4 on
                }
                tr.partitions().add(r);
            }
            response.topics().add(tr);
        }
        return response;
    }

    private ListOffsetsPartitionResponse listOffset(TopicPartition tp, ListOffsetsPartition request) {
        ListOffsetsPartitionResponse r = new ListOffsetsPartitionResponse()
                .setPartitionIndex(tp.partition())
                .setTimestamp(RecordBatch.NO_TIMESTAMP)
                .setOffset(-1L);
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (partition.isEmpty()) {
            return r.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        Partition p = partition.get();
        if (request.currentLeaderEpoch() >= 0 && request.currentLeaderEpoch() != p.leaderEpoch()) {
            return r.setErrorCode((request.currentLeaderEpoch() < p.leaderEpoch()
                            ? Errors.FENCED_LEADER_EPOCH
                            : Errors.UNKNOWN_LEADER_EPOCH)
                    .code());
        }
        LocalLog log = p.log();
        long ts = request.timestamp();
        try {
            if (ts == ListOffsetsRequest.LATEST_TIMESTAMP) {
                return r.setOffset(log.highWatermark()).setLeaderEpoch(p.leaderEpoch());
            }
            if (ts == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP) {
                // offset -1 when nothing is tiered, as Kafka answers for a topic without remote storage
                long tiered = log.remoteStorageEnabled() ? log.highestRemoteOffset() : -1L;
                if (tiered >= 0) {
                    r.setOffset(tiered)
                            .setLeaderEpoch(log.leaderEpochCache()
                                    .epochForOffset(tiered)
                                    .orElse(-1));
                }
                return r;
            }
            Optional<TimestampAndOffset> found = log.fetchOffsetByTimestamp(ts);
            if (found.isPresent() && found.get().offset() < log.highWatermark()
                    || found.isPresent()
                            && (ts == ListOffsetsRequest.EARLIEST_TIMESTAMP
                                    || ts == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP)) {
                TimestampAndOffset t = found.get();
                r.setOffset(t.offset())
                        .setTimestamp(t.timestamp())
                        .setLeaderEpoch(t.leaderEpoch().orElse(-1));
            }
            return r;
        } catch (ApiException e) {
            return r.setErrorCode(Errors.forException(e).code());
        }
    }

    /** OffsetForLeaderEpoch: where each requested leader epoch ends in this log, for truncation detection. */
    public OffsetForLeaderEpochResponseData offsetsForLeaderEpoch(OffsetsForLeaderEpochRequest request) {
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderTopic topic : request.data().topics()) {
            OffsetForLeaderTopicResult tr = new OffsetForLeaderTopicResult().setTopic(topic.topic());
            for (OffsetForLeaderPartition p : topic.partitions()) {
                EpochEndOffset r = new EpochEndOffset()
                        .setPartition(p.partition())
                        .setLeaderEpoch(-1)
                        .setEndOffset(-1L);
                TopicPartition tp = new TopicPartition(topic.topic(), p.partition());
                Optional<Partition> partition =
                        topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
                if (partition.isEmpty()) {
                    r.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (p.currentLeaderEpoch() >= 0
                        && p.currentLeaderEpoch() != partition.get().leaderEpoch()) {
                    r.setErrorCode((p.currentLeaderEpoch() < partition.get().leaderEpoch()
                                    ? Errors.FENCED_LEADER_EPOCH
                                    : Errors.UNKNOWN_LEADER_EPOCH)
                            .code());
                } else {
                    LocalLog log = partition.get().log();
                    LeaderEpochCache.EpochEndOffset end =
                            log.leaderEpochCache().endOffsetFor(p.leaderEpoch(), log.logEndOffset());
                    r.setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
                }
                tr.partitions().add(r);
            }
            response.topics().add(tr);
        }
        return response;
    }
}
