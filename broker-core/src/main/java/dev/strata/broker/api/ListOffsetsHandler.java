package dev.strata.broker.api;

import dev.strata.broker.log.LeaderEpochCache;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.TimestampAndOffset;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.broker.tiering.RemoteTier;
import dev.strata.index.PartitionKey;
import dev.strata.index.RemoteSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.TopicIdPartition;
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
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;

/**
 * ListOffsets: earliest (-2, the log start offset over both tiers), latest (-1, the high watermark), max timestamp
 * (-3, the first record with the largest timestamp over both tiers), earliest local (-4, the local log start offset),
 * latest tiered (-5, the highest offset in the remote tier), or the first offset whose timestamp is at or after a given
 * time. A timestamp (>= 0) of a tiered topic is searched first in its remote segments, and so is the max timestamp when
 * a remote segment's max timestamp (from the remote index) is at least the local one: the remote index names the
 * segment and where to start, and its batches are read through the remote reader, never blocking the calling thread.
 * Also OffsetForLeaderEpoch, which answers from the same partition state.
 */
public final class ListOffsetsHandler {
    /** Bytes read per step when a timestamp is searched in a remote segment. */
    private static final int REMOTE_SCAN_BYTES = 1024 * 1024;

    private final TopicManager topics;
    private final ReplicaManager replicas;

    public ListOffsetsHandler(TopicManager topics, ReplicaManager replicas) {
        this.topics = topics;
        this.replicas = replicas;
    }

    /** Answers at once, except for timestamps searched in the remote tier: those complete on the remote readers. */
    public CompletableFuture<ApiMessage> handle(RequestContext ctx, ListOffsetsRequest request) {
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (ListOffsetsTopic topic : request.data().topics()) {
            ListOffsetsTopicResponse tr = new ListOffsetsTopicResponse().setName(topic.name());
            for (ListOffsetsPartition p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                CompletableFuture<ListOffsetsPartitionResponse> remote = remoteTimestampLookup(tp, p);
                ListOffsetsPartitionResponse r = remote == null ? listOffset(tp, p) : null;
                int index = tr.partitions().size();
                tr.partitions().add(r);
                if (remote != null) {
                    pending.add(remote.thenAccept(found -> tr.partitions().set(index, found)));
                }
            }
            response.topics().add(tr);
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                .<ApiMessage>thenApply(ignored -> {
                    if (request.version() < 4) {
                        // the field exists from v4 on
                        response.topics().forEach(t -> t.partitions().forEach(r -> r.setLeaderEpoch(-1)));
                    }
                    return response;
                });
    }

    /**
     * A search by timestamp that the remote tier answers: a tiered partition whose remote tier holds a segment with a
     * record at or after the timestamp (remote segments precede the local ones), or, for the max timestamp, a segment
     * whose max timestamp is at least that of every local segment (on a tie the earlier record wins, as in a local
     * search). Null when the local log answers.
     */
    private CompletableFuture<ListOffsetsPartitionResponse> remoteTimestampLookup(
            TopicPartition tp, ListOffsetsPartition request) {
        long ts = request.timestamp();
        Optional<RemoteTier> tier = replicas.remoteTier();
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (ts < 0 && ts != ListOffsetsRequest.MAX_TIMESTAMP || tier.isEmpty() || partition.isEmpty()) {
            return null;
        }
        Partition p = partition.get();
        LocalLog log = p.log();
        if (!log.remoteStorageEnabled()
                || request.currentLeaderEpoch() >= 0 && request.currentLeaderEpoch() != p.leaderEpoch()) {
            return null;
        }
        TopicIdPartition tip = new TopicIdPartition(p.topicId(), tp);
        PartitionKey key = new PartitionKey(
                new UUID(p.topicId().getMostSignificantBits(), p.topicId().getLeastSignificantBits()), tp.partition());
        long logStart = log.logStartOffset();
        Optional<RemoteSegment> segment;
        if (ts == ListOffsetsRequest.MAX_TIMESTAMP) {
            segment = segmentWithMaxTimestamp(tier.get(), key, logStart)
                    .filter(s -> s.maxTimestampMs() >= 0 && s.maxTimestampMs() >= log.maxTimestamp());
            if (segment.isEmpty()) {
                return null;
            }
            // the first record of that segment with its max timestamp, which no record before it reaches
            ts = segment.get().maxTimestampMs();
        } else {
            segment = tier.get().index().firstSegmentAtOrAfter(key, ts);
        }
        if (segment.isEmpty() || segment.get().endOffset() < logStart) {
            return null;
        }
        long from = Math.max(
                logStart,
                tier.get().index().offsetForTimestamp(segment.get().id(), ts).orElse(logStart));
        return scanRemote(tier.get(), tip, segment.get().endOffset(), ts, from, logStart)
                .thenApply(found -> {
                    ListOffsetsPartitionResponse r = new ListOffsetsPartitionResponse()
                            .setPartitionIndex(tp.partition())
                            .setTimestamp(RecordBatch.NO_TIMESTAMP)
                            .setOffset(-1L);
                    if (found.isPresent()) {
                        TimestampAndOffset t = found.get();
                        r.setOffset(t.offset())
                                .setTimestamp(t.timestamp())
                                .setLeaderEpoch(t.leaderEpoch().orElse(-1));
                    }
                    return r;
                })
                .exceptionally(e -> new ListOffsetsPartitionResponse()
                        .setPartitionIndex(tp.partition())
                        .setTimestamp(RecordBatch.NO_TIMESTAMP)
                        .setOffset(-1L)
                        .setErrorCode(Errors.forException(
                                        e instanceof CompletionException && e.getCause() != null ? e.getCause() : e)
                                .code()));
    }

    /**
     * The earliest of the readable remote segments not wholly below the log start offset that have the largest max
     * timestamp.
     */
    private static Optional<RemoteSegment> segmentWithMaxTimestamp(RemoteTier tier, PartitionKey key, long logStart) {
        RemoteSegment newest = null;
        for (RemoteSegment segment : tier.index().segments(key)) {
            if (segment.state().isReadable()
                    && segment.endOffset() >= logStart
                    && (newest == null || segment.maxTimestampMs() > newest.maxTimestampMs())) {
                newest = segment;
            }
        }
        return Optional.ofNullable(newest);
    }

    /**
     * Reads the remote segment from the batch holding {@code from} to its end until a record at or after {@code ts}
     * turns up. {@code from} comes from the time index, which points into the batch that reached a timestamp, so every
     * record of that batch counts, as in Kafka's search; only records below {@code minOffset} (the log start) do not.
     */
    private static CompletableFuture<Optional<TimestampAndOffset>> scanRemote(
            RemoteTier tier, TopicIdPartition tip, long segmentEnd, long ts, long from, long minOffset) {
        if (from > segmentEnd) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return tier.reader().readRecords(tip, from, REMOTE_SCAN_BYTES).thenCompose(bytes -> {
            long next = from;
            for (RecordBatch batch : MemoryRecords.readableRecords(bytes).batches()) {
                if (batch.maxTimestamp() >= ts && batch.lastOffset() >= minOffset) {
                    for (Record record : batch) {
                        if (record.offset() >= minOffset && record.timestamp() >= ts) {
                            int epoch = batch.partitionLeaderEpoch();
                            return CompletableFuture.completedFuture(Optional.of(new TimestampAndOffset(
                                    record.timestamp(),
                                    record.offset(),
                                    epoch >= 0 ? Optional.of(epoch) : Optional.empty())));
                        }
                    }
                }
                next = Math.max(next, batch.lastOffset() + 1);
            }
            if (next == from) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            return scanRemote(tier, tip, segmentEnd, ts, next, minOffset);
        });
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
