package dev.strata.broker.api;

import dev.strata.broker.log.LeaderEpochCache;
import dev.strata.broker.log.LocalLog;
import dev.strata.broker.log.TimestampAndOffset;
import dev.strata.broker.metadata.TopicManager;
import dev.strata.broker.network.RequestContext;
import dev.strata.broker.partition.Partition;
import dev.strata.broker.partition.ReplicaManager;
import dev.strata.tiering.RemoteOffsetSearch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.IsolationLevel;
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
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;

/**
 * ListOffsets: earliest (-2, the log start offset over both tiers), latest (-1, the high watermark), max timestamp
 * (-3, the first record with the largest timestamp over both tiers), earliest local (-4, the local log start offset),
 * latest tiered (-5, the highest offset in the remote tier), earliest pending upload (-6, the first offset not yet in the
 * remote tier), or the first offset whose timestamp is at or after a given time; any other negative timestamp, or one
 * newer than the request's version, gets UNSUPPORTED_VERSION for its partition, as from Kafka. A timestamp (>= 0) of a
 * tiered topic is searched first in its remote segments, and so is the max timestamp when a remote segment's max
 * timestamp (from the remote index) is at least the local one: {@link RemoteOffsetSearch} answers those, never
 * blocking the calling thread.
 * Also OffsetForLeaderEpoch, which answers from the same partition state.
 */
public final class ListOffsetsHandler {
    /** The first ListOffsets version that carries each special timestamp. */
    private static final Map<Long, Integer> SPECIAL_TIMESTAMP_VERSIONS = Map.of(
            ListOffsetsRequest.EARLIEST_TIMESTAMP, 0,
            ListOffsetsRequest.LATEST_TIMESTAMP, 0,
            ListOffsetsRequest.MAX_TIMESTAMP, 7,
            ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP, 8,
            ListOffsetsRequest.LATEST_TIERED_TIMESTAMP, 9,
            ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP, 11);

    private final TopicManager topics;
    private final ReplicaManager replicas;
    /** The remote tier's search by timestamp, or null when this broker does not tier. */
    private final RemoteOffsetSearch remoteSearch;

    /** @param remoteSearch the remote tier's search by timestamp, or null when this broker does not tier */
    public ListOffsetsHandler(TopicManager topics, ReplicaManager replicas, RemoteOffsetSearch remoteSearch) {
        this.topics = topics;
        this.replicas = replicas;
        this.remoteSearch = remoteSearch;
    }

    /** Answers at once, except for timestamps searched in the remote tier: those complete on the remote readers. */
    public CompletableFuture<ApiMessage> handle(RequestContext ctx, ListOffsetsRequest request) {
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (ListOffsetsTopic topic : request.data().topics()) {
            ListOffsetsTopicResponse tr = new ListOffsetsTopicResponse().setName(topic.name());
            for (ListOffsetsPartition p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                CompletableFuture<ListOffsetsPartitionResponse> remote =
                        remoteTimestampLookup(tp, p, request.version());
                ListOffsetsPartitionResponse r = remote == null
                        ? listOffset(
                                tp, p, request.version(), request.isolationLevel() == IsolationLevel.READ_COMMITTED)
                        : null;
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
     * A search by timestamp that the remote tier answers ({@link RemoteOffsetSearch}): a tiered partition whose remote
     * tier holds a record at or after the timestamp, or, for the max timestamp, a record with a timestamp at least that
     * of every local record. Null when the local log answers.
     */
    private CompletableFuture<ListOffsetsPartitionResponse> remoteTimestampLookup(
            TopicPartition tp, ListOffsetsPartition request, short version) {
        long ts = request.timestamp();
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (ts < 0 && ts != ListOffsetsRequest.MAX_TIMESTAMP
                || remoteSearch == null
                || partition.isEmpty()
                || !timestampSupported(ts, version)) {
            return null;
        }
        Partition p = partition.get();
        LocalLog log = p.log();
        if (!log.remoteStorageEnabled() || p.checkClientEpoch(request.currentLeaderEpoch(), true) != Errors.NONE) {
            return null;
        }
        TopicIdPartition tip = new TopicIdPartition(p.topicId(), tp);
        Optional<CompletableFuture<Optional<RemoteOffsetSearch.Found>>> search = ts == ListOffsetsRequest.MAX_TIMESTAMP
                ? remoteSearch.maxTimestamp(tip, log.logStartOffset(), log.maxTimestamp())
                : remoteSearch.firstAtOrAfter(tip, ts, log.logStartOffset());
        if (search.isEmpty()) {
            return null;
        }
        return search.get()
                .thenApply(found -> {
                    ListOffsetsPartitionResponse r = new ListOffsetsPartitionResponse()
                            .setPartitionIndex(tp.partition())
                            .setTimestamp(RecordBatch.NO_TIMESTAMP)
                            .setOffset(-1L);
                    if (found.isPresent()) {
                        RemoteOffsetSearch.Found t = found.get();
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
     * The first offset not yet copied to the remote tier (-6, KIP-1023), as Kafka's log answers it: one past the
     * highest remote offset (never below the log start); the log start when nothing is copied and nothing was removed
     * locally; offset -1 when the log is not tiered, or when local segments are gone but this broker does not yet know
     * which offsets the remote tier holds.
     */
    static TimestampAndOffset earliestPendingUpload(LocalLog log) {
        TimestampAndOffset unknown = new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, -1L, Optional.of(-1));
        if (!log.remoteStorageEnabled()) {
            return unknown;
        }
        long highestRemote = log.highestRemoteOffset();
        if (highestRemote < 0) {
            return log.localLogStartOffset() == log.logStartOffset()
                    ? log.fetchOffsetByTimestamp(ListOffsetsRequest.EARLIEST_TIMESTAMP)
                            .orElseThrow()
                    : unknown;
        }
        long pending = Math.max(highestRemote + 1, log.logStartOffset());
        OptionalInt epoch = log.leaderEpochCache().epochForOffset(pending);
        return new TimestampAndOffset(
                RecordBatch.NO_TIMESTAMP,
                pending,
                epoch.isPresent() ? Optional.of(epoch.getAsInt()) : Optional.empty());
    }

    /**
     * Whether the request's version carries this timestamp: each special timestamp came with a ListOffsets version
     * (max timestamp v7, earliest local v8, latest tiered v9, earliest pending upload v11), and any other negative
     * value is none at all. Kafka answers both with UNSUPPORTED_VERSION for the partition.
     */
    static boolean timestampSupported(long timestamp, short version) {
        if (timestamp >= 0) {
            return true;
        }
        Integer min = SPECIAL_TIMESTAMP_VERSIONS.get(timestamp);
        return min != null && version >= min;
    }

    /**
     * @param readCommitted {@code isolation.level=read_committed}: the latest offset is the last stable offset, and a
     *     search answers only offsets below it
     */
    private ListOffsetsPartitionResponse listOffset(
            TopicPartition tp, ListOffsetsPartition request, short version, boolean readCommitted) {
        ListOffsetsPartitionResponse r = new ListOffsetsPartitionResponse()
                .setPartitionIndex(tp.partition())
                .setTimestamp(RecordBatch.NO_TIMESTAMP)
                .setOffset(-1L);
        if (!timestampSupported(request.timestamp(), version)) {
            // checked before the partition is looked up, as Kafka does
            return r.setErrorCode(Errors.UNSUPPORTED_VERSION.code());
        }
        Optional<Partition> partition =
                topics.topic(tp.topic()).isPresent() ? replicas.partition(tp) : Optional.empty();
        if (partition.isEmpty()) {
            return r.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        Partition p = partition.get();
        Errors epochError = p.checkClientEpoch(request.currentLeaderEpoch(), true);
        if (epochError != Errors.NONE) {
            return r.setErrorCode(epochError.code());
        }
        LocalLog log = p.log();
        long ts = request.timestamp();
        long fetchable = readCommitted ? log.lastStableOffset() : log.highWatermark();
        try {
            if (ts == ListOffsetsRequest.LATEST_TIMESTAMP) {
                return r.setOffset(fetchable).setLeaderEpoch(p.leaderEpoch());
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
            Optional<TimestampAndOffset> found = ts == ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP
                    ? Optional.of(earliestPendingUpload(log))
                    : log.fetchOffsetByTimestamp(ts);
            if (found.isPresent() && found.get().offset() < fetchable
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
                } else if (partition.get().checkClientEpoch(p.currentLeaderEpoch(), true) != Errors.NONE) {
                    r.setErrorCode(partition
                            .get()
                            .checkClientEpoch(p.currentLeaderEpoch(), true)
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
